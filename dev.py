#!/usr/bin/env python3
"""Bootstrap and run lusha-mcp from a source checkout with nothing but python3.

    python3 dev.py demo      # the sandbox demo (no key, no network to Lusha)
    python3 dev.py test      # the test suite (extra arguments go to pytest)
    python3 dev.py check     # ruff format check, ruff lint, pyright --strict
    python3 dev.py bench     # the benchmarks in bench/ (writes bench/RESULTS.md)
    python3 dev.py run ARGS  # any lusha-mcp command, e.g. `run serve --sandbox`

The first call makes .venv/ and installs the package with its test and dev extras; later
calls reinstall only when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".lusha-mcp-installed"


def _fingerprint() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_env() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py must explain itself on old Pythons
        sys.exit(f"lusha-mcp needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not PY.exists():
        print("dev.py: creating .venv ...", file=sys.stderr, flush=True)
        try:
            venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        except Exception as exc:  # ensurepip missing on some distributions
            sys.exit(
                f"dev.py: could not create a virtual environment ({exc}).\n"
                "On Debian/Ubuntu install it with: sudo apt-get install python3-venv"
            )
    if STAMP.exists() and STAMP.read_text() == _fingerprint():
        return
    print("dev.py: installing lusha-mcp and its dependencies into .venv ...", file=sys.stderr, flush=True)
    pip = [str(PY), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "install", "-e", ".[dev]"], check=True, cwd=ROOT)
    STAMP.write_text(_fingerprint())


def run(*cmd: str) -> int:
    return subprocess.run(cmd, cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return 0
    command, rest = argv[0], argv[1:]
    if command not in {"demo", "test", "check", "bench", "run"}:
        print(f"dev.py: unknown command {command!r}.\n{__doc__}", file=sys.stderr)
        return 2
    ensure_env()
    if command == "demo":
        return run(str(PY), "-m", "lusha_mcp", "demo", *rest)
    if command == "test":
        return run(str(PY), "-m", "pytest", *rest)
    if command == "bench":
        return run(str(PY), "bench/run.py", *rest)
    if command == "run":
        return run(str(PY), "-m", "lusha_mcp", *rest)
    for step in (
        [str(PY), "-m", "ruff", "format", "--check", "."],
        [str(PY), "-m", "ruff", "check", "."],
        [str(PY), "-m", "pyright"],
    ):
        print("dev.py check:", " ".join(step[2:]), file=sys.stderr, flush=True)
        if code := run(*step):
            return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
