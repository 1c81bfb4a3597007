"""README.md's generated tables match the live tool catalogue and Settings."""

from __future__ import annotations

from pathlib import Path

from lusha_mcp.readme import SETTINGS_START, TOOLS_START, catalogue, render_readme
from lusha_mcp.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_tables_are_current() -> None:
    current = README.read_text(encoding="utf-8")
    assert render_readme(current) == current, "README.md is stale: run `python3 dev.py run docs`"


def test_the_readme_lists_every_tool_and_setting() -> None:
    text = README.read_text(encoding="utf-8")
    assert TOOLS_START in text
    assert SETTINGS_START in text
    for spec in catalogue():
        assert f"`{spec.name}`" in text
    for name in Settings.model_fields:
        assert f"`LUSHA_{name.upper()}`" in text


def test_the_readme_keeps_the_two_quick_start_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert "python3 dev.py demo" in text
    assert "python3 dev.py test" in text
