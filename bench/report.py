"""What a benchmark hands back (figures against targets), printed, stored as JSON, rendered as Markdown."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["measured", "partial", "not run"]


@dataclass(slots=True)
class Figure:
    """One measured number; `value is None` means it could not be measured (see `note`)."""

    name: str
    value: float | None
    unit: str = ""
    target: str = ""
    """The target as text, e.g. "<= 4000" or ">= 0.9"; empty when there is none."""
    met: bool | None = None
    note: str = ""


@dataclass(slots=True)
class Table:
    title: str
    columns: list[str]
    rows: list[list[str | float | int | None]]


@dataclass(slots=True)
class Section:
    key: str
    title: str
    status: Status = "measured"
    figures: list[Figure] = field(default_factory=lambda: list[Figure]())
    tables: list[Table] = field(default_factory=lambda: list[Table]())
    notes: list[str] = field(default_factory=lambda: list[str]())
    measured_at: str = ""
    seconds: float = 0.0

    def add(
        self,
        name: str,
        value: float | None,
        unit: str = "",
        *,
        at_most: float | None = None,
        at_least: float | None = None,
        equal: float | None = None,
        note: str = "",
    ) -> Figure:
        """Record a figure; a bound makes it a target and decides `met` (unknown when value is None)."""
        target, met = "", None
        if at_most is not None:
            target = f"<= {format_number(at_most)}"
            met = None if value is None else value <= at_most
        elif at_least is not None:
            target = f">= {format_number(at_least)}"
            met = None if value is None else value >= at_least
        elif equal is not None:
            target = f"= {format_number(equal)}"
            met = None if value is None else value == equal
        figure = Figure(name, value, unit, target, met, note)
        self.figures.append(figure)
        return figure

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Section:
        return cls(
            key=data["key"],
            title=data["title"],
            status=data.get("status", "measured"),
            figures=[Figure(**item) for item in data.get("figures", [])],
            tables=[Table(**item) for item in data.get("tables", [])],
            notes=list(data.get("notes", [])),
            measured_at=data.get("measured_at", ""),
            seconds=float(data.get("seconds", 0.0)),
        )


def format_number(value: float | int | str | None) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    if math.isfinite(value) and value == int(value) and (isinstance(value, int) or abs(value) >= 100):
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _verdict(figure: Figure) -> str:
    if not figure.target:
        return ""
    if figure.met is None:
        return "not measured"
    return "met" if figure.met else "MISSED"


def _cell(value: str | float | int | None) -> str:
    return format_number(value).replace("|", "\\|")


def section_markdown(section: Section) -> str:
    lines = [f"## {section.title}", ""]
    meta = f"Status: {section.status}"
    if section.measured_at:
        meta += f"; measured {section.measured_at} in {section.seconds:.1f} s"
    lines += [meta + ".", ""]
    if section.figures:
        lines += ["| figure | value | target | verdict | note |", "|---|---:|---|---|---|"]
        for figure in section.figures:
            value = _cell(figure.value) + (
                f" {figure.unit}" if figure.unit and figure.value is not None else ""
            )
            lines.append(
                f"| {_cell(figure.name)} | {value} | {_cell(figure.target)} | {_verdict(figure)} | {_cell(figure.note)} |"
            )
        lines.append("")
    for table in section.tables:
        lines += [f"**{table.title}**", ""]
        lines.append("| " + " | ".join(table.columns) + " |")
        lines.append("|" + "|".join("---" for _ in table.columns) + "|")
        lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in table.rows]
        lines.append("")
    for note in section.notes:
        lines.append(f"- {note}")
    if section.notes:
        lines.append("")
    return "\n".join(lines)


def section_text(section: Section) -> str:
    """A plain-text rendering for the terminal."""
    lines = [f"== {section.title} [{section.status}]"]
    width = max((len(figure.name) for figure in section.figures), default=0)
    for figure in section.figures:
        value = format_number(figure.value) + (
            f" {figure.unit}" if figure.unit and figure.value is not None else ""
        )
        tail = f"  target {figure.target}: {_verdict(figure)}" if figure.target else ""
        note = f"  ({figure.note})" if figure.note else ""
        lines.append(f"  {figure.name.ljust(width)}  {value}{tail}{note}")
    for table in section.tables:
        lines.append(f"  -- {table.title}")
        widths = [
            max(len(column), *(len(format_number(row[index])) for row in table.rows))
            for index, column in enumerate(table.columns)
        ]
        lines.append("    " + "  ".join(column.ljust(widths[i]) for i, column in enumerate(table.columns)))
        for row in table.rows:
            lines.append(
                "    " + "  ".join(format_number(value).ljust(widths[i]) for i, value in enumerate(row))
            )
    lines += [f"  * {note}" for note in section.notes]
    return "\n".join(lines)
