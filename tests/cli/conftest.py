"""Run `python -m lusha_mcp` as a subprocess with a clean LUSHA_* environment."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.http.conftest import cli_environment

CLIRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="package")
def cli_dataset_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli-dataset")


@pytest.fixture
def run_cli(data_dir: Path, cli_dataset_dir: Path) -> CLIRunner:
    def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "lusha_mcp", *args],
            env=cli_environment(data_dir, cli_dataset_dir, **env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run
