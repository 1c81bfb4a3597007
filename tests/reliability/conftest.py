"""Shared pieces of the reliability proofs: figures for the README, and the run length.

CI runs the short, derandomized form; `LUSHA_LONG=1 python3 dev.py test tests/reliability`
runs many more examples and rounds (same assertions).
"""

from __future__ import annotations

import os
from collections import Counter

import pytest

LONG_RUN = os.environ.get("LUSHA_LONG", "") not in ("", "0", "false")

FIGURES: Counter[str] = Counter()
"""What the reliability tests did in this run: calls fuzzed, faults injected, overspend seen."""


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES:
        return
    terminalreporter.section("reliability figures")
    for name, value in sorted(FIGURES.items()):
        terminalreporter.write_line(f"{name}: {value}")
