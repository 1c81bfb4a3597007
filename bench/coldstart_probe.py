"""One cold start, in its own process: spawn a server, time spawn -> tools/list answer, report peak RSS.

    .venv/bin/python bench/coldstart_probe.py COMMAND [ARG ...]

Prints {"seconds": ..., "tools": n, "peak_rss_kib": ..., "cpu_seconds": ..., "dataset_absent": bool}
(CPU of the whole server run; dataset_absent: no sandbox dataset file existed in
LUSHA_SANDBOX_DATASET_DIR when tools/list answered). The peak RSS is that of this probe's
children (only the server), read after the server exited, so each probe measures one server.
LUSHA_* variables of this process are passed on to the server (the SDK passes no others).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

import anyio


def dataset_absent() -> bool:
    folder = os.environ.get("LUSHA_SANDBOX_DATASET_DIR")
    return folder is None or not any(Path(folder).glob("dataset-*.sqlite"))


async def cold_start(command: list[str]) -> tuple[float, int, bool]:
    from mcp import Client, StdioServerParameters

    env = {name: value for name, value in os.environ.items() if name.startswith("LUSHA_")}
    parameters = StdioServerParameters(command=command[0], args=command[1:], env=env)
    started = time.perf_counter()
    async with Client(parameters) as client:
        listing = await client.list_tools(cache_mode="bypass")
        elapsed = time.perf_counter() - started
        absent = dataset_absent()
    return elapsed, len(listing.tools), absent


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    seconds, tools, absent = anyio.run(cold_start, argv)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime
    print(
        json.dumps(
            {
                "seconds": seconds,
                "tools": tools,
                "peak_rss_kib": usage.ru_maxrss,
                "cpu_seconds": cpu,
                "dataset_absent": absent,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
