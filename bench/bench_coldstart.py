"""5. Cold start: spawn `lusha-mcp serve --sandbox` -> tools/list answer over stdio, against a bare server.

    .venv/bin/python bench/bench_coldstart.py [--quick]

Each start runs in its own probe process (bench/coldstart_probe.py) with the official MCP stdio
client; the bare MCP SDK server with one tool (bench/bare_server.py) is measured in the same run,
alternating with ours. Peak memory is the server's max RSS. A warm start finds the sandbox dataset
generated; a first start runs on an empty data dir, where the server generates the dataset in the
background and must still answer tools/list about as fast (the generation itself is benchmark 6).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from statistics import median
from typing import Any

from harness import BENCH_DIR, ROOT, Workspace, bench_main, busy_note
from report import Section, Table

KEY, TITLE = "coldstart", "5. Cold start"
RATIO_TARGET = 1.25
FIRST_START_TARGET = 1.5
IMPORT_LINE = re.compile(r"import time:\s+(\d+)\s+\|\s+\d+\s+\|\s*(\S+)")


def probe(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, str(BENCH_DIR / "coldstart_probe.py"), *command],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=ROOT,
        timeout=300,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def import_costs(env: dict[str, str], command: list[str]) -> tuple[dict[str, float], dict[str, float]]:
    """Import milliseconds (self time) per top-level package, and per lusha_mcp module."""
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", *command],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )
    packages: dict[str, float] = {}
    modules: dict[str, float] = {}
    for line in completed.stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if match is not None:
            own, name = match.groups()
            top = name.strip().split(".")[0]
            packages[top] = packages.get(top, 0.0) + int(own) / 1000
            if top == "lusha_mcp":
                modules[name] = int(own) / 1000
    return packages, modules


async def measure(section: Section, workspace: Workspace) -> None:
    from lusha_mcp.sandbox import sandbox_app

    runs = 3 if workspace.quick else 7
    env = workspace.environment("coldstart")
    sandbox_app(workspace.settings("coldstart-dataset"))  # the dataset exists before the first start
    python = Path(sys.executable)
    ours = [str(python.with_name("lusha-mcp")), "serve", "--sandbox"]
    bare = [str(python), str(BENCH_DIR / "bare_server.py")]
    probe(ours, env)
    probe(bare, env)
    results: dict[str, list[dict[str, Any]]] = {"lusha": [], "bare": [], "first": []}
    for index in range(runs):
        results["lusha"].append(probe(ours, env))
        results["bare"].append(probe(bare, env))
        empty = workspace.environment("coldstart-first")
        empty["LUSHA_SANDBOX_DATASET_DIR"] = str(workspace.root / f"empty-dataset-{index}")
        first = probe(ours, empty)
        if not first["dataset_absent"]:
            raise RuntimeError("the first start found a dataset: it did not start on an empty data dir")
        results["first"].append(first)
    time_ours = median(item["seconds"] for item in results["lusha"]) * 1000
    time_bare = median(item["seconds"] for item in results["bare"]) * 1000
    time_first = median(item["seconds"] for item in results["first"]) * 1000
    rss_ours = median(item["peak_rss_kib"] for item in results["lusha"]) / 1024
    rss_bare = median(item["peak_rss_kib"] for item in results["bare"]) / 1024
    cpu_ours = median(item["cpu_seconds"] for item in results["lusha"]) * 1000
    cpu_bare = median(item["cpu_seconds"] for item in results["bare"]) * 1000
    tools = results["lusha"][0]["tools"]
    section.add(f"lusha-mcp serve --sandbox: spawn -> tools/list ({tools} tools)", time_ours, "ms")
    section.add("bare MCP SDK server (1 tool): spawn -> tools/list", time_bare, "ms")
    section.add("time against the bare server", time_ours / time_bare, "x", at_most=RATIO_TARGET)
    section.add(
        "first start (empty data dir): spawn -> tools/list",
        time_first,
        "ms",
        note="the dataset is generated in a worker thread meanwhile; tools/list never waits for it",
    )
    section.add("first start against a warm start", time_first / time_ours, "x", at_most=FIRST_START_TARGET)
    section.add(
        "CPU time against the bare server",
        cpu_ours / cpu_bare,
        "x",
        at_most=RATIO_TARGET,
        note=f"{cpu_ours:.0f} ms against {cpu_bare:.0f} ms of CPU per run (start to exit): "
        "the same target on the figure a busy machine distorts least",
    )
    section.add("lusha-mcp peak RSS", rss_ours, "MiB")
    section.add("bare server peak RSS", rss_bare, "MiB")
    section.add("memory against the bare server", rss_ours / rss_bare, "x", at_most=RATIO_TARGET)
    section.tables.append(
        Table(
            "Every start (ms, MiB)",
            ["run", "lusha-mcp time", "lusha-mcp RSS", "bare time", "bare RSS", "first-start time"],
            [
                [
                    index + 1,
                    ours_run["seconds"] * 1000,
                    ours_run["peak_rss_kib"] / 1024,
                    bare_run["seconds"] * 1000,
                    bare_run["peak_rss_kib"] / 1024,
                    first_run["seconds"] * 1000,
                ]
                for index, (ours_run, bare_run, first_run) in enumerate(
                    zip(results["lusha"], results["bare"], results["first"], strict=True)
                )
            ],
        )
    )
    imports_ours, own_modules = import_costs(env, ["-m", "lusha_mcp", "serve", "--sandbox"])
    imports_bare, _ = import_costs(env, [str(BENCH_DIR / "bare_server.py")])
    ranked = sorted(imports_ours.items(), key=lambda item: -item[1])
    section.add("import time, serve --sandbox", sum(imports_ours.values()), "ms", note="python -X importtime")
    section.add("import time, bare server", sum(imports_bare.values()), "ms")
    section.tables.append(
        Table(
            "Import time by package, `serve --sandbox` against the bare server (ms, own modules only)",
            ["package", "lusha-mcp", "bare server", "extra"],
            [
                [name, spent, imports_bare.get(name, 0.0), spent - imports_bare.get(name, 0.0)]
                for name, spent in ranked[:14]
            ],
        )
    )
    section.tables.append(
        Table(
            "lusha_mcp modules with the most import time of their own (ms)",
            ["module", "self"],
            [[name, spent] for name, spent in sorted(own_modules.items(), key=lambda item: -item[1])[:8]],
        )
    )
    section.notes.append(
        f"Median of {runs} starts each, alternating, after one warm-up start of each (page cache warm). "
        "Time runs from spawning the process to the tools/list answer, with the official MCP stdio client."
    )
    section.notes.append(
        "Import times are one `python -X importtime` run with stdin closed (the server starts, reads "
        "EOF and exits); they show where start-up time goes, not a second measurement."
    )
    busy = busy_note()
    if busy:
        section.notes.append(busy)


if __name__ == "__main__":
    sys.exit(bench_main(KEY, TITLE, measure))
