"""A `lusha-mcp serve --sandbox --transport http` subprocess on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import TEST_COMPANIES, TEST_CONTACTS

HTTP_TOKEN = "test-token-0123456789abcdef"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cli_environment(data_dir: Path, dataset_dir: Path, **extra: str) -> dict[str, str]:
    """The parent's environment without any LUSHA_* setting, plus a small sandbox in `data_dir`."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("LUSHA_")}
    env.update(
        LUSHA_DATA_DIR=str(data_dir),
        LUSHA_SANDBOX_DATASET_DIR=str(dataset_dir),
        LUSHA_SANDBOX_CONTACTS=str(TEST_CONTACTS),
        LUSHA_SANDBOX_COMPANIES=str(TEST_COMPANIES),
        **extra,
    )
    return env


@dataclass(frozen=True)
class RunningServer:
    url: str
    port: int
    process: subprocess.Popen[str]
    log: list[str]


def start_listening(env: dict[str, str], *args: str, port: int | None = None) -> RunningServer:
    """Run `python -m lusha_mcp ARGS --port <free>` and return once uvicorn reports it is listening."""
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "lusha_mcp", *args, "--port", str(port), "--log-level", "INFO"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    seen: list[str] = []
    for line in process.stderr:
        seen.append(line)
        if "Uvicorn running on" in line:
            break
    else:
        process.wait(timeout=10)
        raise AssertionError("the server did not start:\n" + "".join(seen))
    stream = process.stderr
    threading.Thread(target=lambda: seen.extend(stream), daemon=True).start()
    return RunningServer(url=f"http://127.0.0.1:{port}/mcp", port=port, process=process, log=seen)


def start_http_server(env: dict[str, str], *extra_args: str, port: int | None = None) -> RunningServer:
    """`serve --sandbox --transport http` on a free loopback port (or `port`)."""
    return start_listening(env, "serve", "--sandbox", "--transport", "http", *extra_args, port=port)


def stop(server: RunningServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)


@pytest.fixture(scope="package")
def http_dataset_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("http-dataset")


@pytest.fixture(scope="package")
def open_server(tmp_path_factory: pytest.TempPathFactory, http_dataset_dir: Path) -> Generator[RunningServer]:
    """Bound to 127.0.0.1 with no token configured."""
    server = start_http_server(cli_environment(tmp_path_factory.mktemp("http-open"), http_dataset_dir))
    yield server
    stop(server)


@pytest.fixture(scope="package")
def token_server(
    tmp_path_factory: pytest.TempPathFactory, http_dataset_dir: Path
) -> Generator[RunningServer]:
    """Bound to 127.0.0.1 with LUSHA_HTTP_TOKEN set: every request must carry it."""
    env = cli_environment(
        tmp_path_factory.mktemp("http-token"), http_dataset_dir, LUSHA_HTTP_TOKEN=HTTP_TOKEN
    )
    server = start_http_server(env)
    yield server
    stop(server)
