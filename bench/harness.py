"""What every benchmark script shares: a throw-away workspace, the command line, the machine record."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import anyio
import httpx
from report import Section, section_text

from lusha_mcp.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "bench"

# Benchmarks never read the user's LUSHA_* configuration: every setting is given explicitly.
for _name in [name for name in os.environ if name.startswith("LUSHA_")]:
    del os.environ[_name]


@dataclass(frozen=True, slots=True)
class Workspace:
    """A temporary folder for one benchmark run: a shared sandbox dataset, fresh data dirs."""

    root: Path
    quick: bool

    @property
    def dataset_dir(self) -> Path:
        return self.root / "dataset"

    def data_dir(self, label: str) -> Path:
        parent = self.root / "data"
        parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f"{label}-", dir=parent))

    def settings(self, label: str, **overrides: Any) -> Settings:
        """Sandbox Settings over the shared dataset with a fresh data dir (never the user's)."""
        values: dict[str, Any] = {
            "sandbox": True,
            "data_dir": self.data_dir(label),
            "sandbox_dataset_dir": self.dataset_dir,
        }
        values.update(overrides)
        return Settings(**values)

    def environment(self, label: str, **overrides: str) -> dict[str, str]:
        """The same as LUSHA_* environment variables, for a server run as a subprocess."""
        env = {
            "LUSHA_SANDBOX": "true",
            "LUSHA_DATA_DIR": str(self.data_dir(label)),
            "LUSHA_SANDBOX_DATASET_DIR": str(self.dataset_dir),
        }
        env.update({f"LUSHA_{key.upper()}": value for key, value in overrides.items()})
        return env


def sandbox_http(settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """Raw HTTP to the in-process sandbox of these settings (what Lusha itself would answer)."""
    from lusha_mcp.sandbox import SANDBOX_BASE_URL, sandbox_transport

    return httpx.AsyncClient(
        transport=transport or sandbox_transport(settings),
        base_url=SANDBOX_BASE_URL,
        headers={"api_key": settings.api_key.get_secret_value() if settings.api_key else ""},
        timeout=60.0,
    )


class CapturingTransport(httpx.AsyncBaseTransport):
    """Passes requests through and keeps every (method, path, status, body) as Lusha sent it."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.exchanges: list[tuple[str, str, int, bytes]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        self.exchanges.append((request.method, request.url.path, response.status_code, body))
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=body,
            request=request,
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()

    def bodies(self, method: str, path: str) -> list[bytes]:
        return [body for m, p, status, body in self.exchanges if m == method and p == path and status == 200]


def innermost(exc: BaseException) -> BaseException:
    """The first leaf of an exception group (task groups wrap the error that matters)."""
    current: BaseException = exc
    leaves: tuple[BaseException, ...] = getattr(current, "exceptions", ())
    while leaves:
        current = leaves[0]
        leaves = getattr(current, "exceptions", ())
    return current


Measure = Callable[[Section, Workspace], Awaitable[None]]


def bench_main(key: str, title: str, measure: Measure, argv: list[str] | None = None) -> int:
    """Run one benchmark from the command line: print its figures, optionally write them as JSON."""
    parser = argparse.ArgumentParser(description=title)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--json", type=Path, help="also write the section as JSON to this file")
    parser.add_argument("--workspace", type=Path, help="reuse this folder (kept) instead of a temp one")
    args = parser.parse_args(argv)
    own_root = args.workspace is None
    root = Path(tempfile.mkdtemp(prefix="lusha-bench-")) if own_root else args.workspace
    root.mkdir(parents=True, exist_ok=True)
    section = Section(key, title)
    started = time.perf_counter()
    code = 0
    try:
        anyio.run(measure, section, Workspace(root, args.quick))
    except Exception as exc:
        traceback.print_exc()
        cause = innermost(exc)
        section.status = "partial" if section.figures else "not run"
        section.notes.append(f"Stopped by {type(cause).__name__}: {first_line(str(cause))}")
        code = 1
    finally:
        if own_root:
            shutil.rmtree(root, ignore_errors=True)
    section.measured_at = now_text()
    section.seconds = time.perf_counter() - started
    print(section_text(section), flush=True)
    if args.json is not None:
        args.json.write_text(json.dumps(section.to_json(), indent=2) + "\n")
    return code


def first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0][:300] if lines else "(no message)"


def now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git_commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head


def _load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def busy_note() -> str | None:
    """A warning when other processes compete for the CPU (wall-clock figures are then unreliable)."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        return None
    cores = os.cpu_count() or 1
    if load <= cores:
        return None
    return (
        f"The machine was busy during this measurement (load average {load:.1f} on {cores} cores): "
        "wall-clock figures include waiting for the CPU and vary from run to run."
    )


def machine() -> dict[str, Any]:
    return {
        "load_average": _load_average(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
        "mcp": _version("mcp"),
        "httpx": _version("httpx"),
        "pydantic": _version("pydantic"),
        "commit": _git_commit(),
    }
