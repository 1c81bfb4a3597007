"""3. Per-call overhead: a tool call through the MCP client against the same call made with LushaClient.

    .venv/bin/python bench/bench_overhead.py [--quick]

Both paths hit the same in-process sandbox (rate limits off, client pacing out of the way), so
the difference is what the MCP layer, the tool function and the credit guard add. Calls are
interleaved (direct, MCP, direct, ...) so drift hits both alike. Overhead = MCP percentile minus
direct percentile. Over stdio the server runs as `lusha-mcp serve --sandbox` with its own
in-process sandbox; the direct calls stay in this process.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import ROOT, Workspace, bench_main, busy_note
from report import Section, Table
from timing import Spread

KEY, TITLE = "overhead", "3. Per-call overhead"
IN_MEMORY_TARGET_MS = 1.5
STDIO_TARGET_MS = 5.0
FILTERS: dict[str, Any] = {
    "contacts": {"include": {"departments": ["Sales"], "seniorityIds": [5]}},
    "companies": {"include": {"sizes": [{"min": 51, "max": 1000}]}},
}
PAGE_SIZE = 10
SETTINGS: dict[str, Any] = {
    "auto_approve": True,
    "sandbox_rate_limits": False,
    "requests_per_second": 100_000.0,
    "sandbox_credits": 10_000_000,
}
"""Confirmation, server-side rate limits and client pacing would otherwise dominate both paths."""


@dataclass(frozen=True, slots=True)
class Case:
    label: str
    tool: str
    arguments: dict[str, Any]
    direct: Callable[[Any], Awaitable[Any]]
    target: bool = False


def sample_contact_ids(settings: Any, count: int) -> list[str]:
    """Ids of real dataset contacts (spread across the table), for a lookup by id."""
    import sqlite3

    from lusha_mcp.sandbox import sandbox_app

    sandbox_app(settings)  # generates the dataset when missing
    with sqlite3.connect(f"file:{settings.sandbox_db_path()}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT id FROM contacts ORDER BY id LIMIT ? OFFSET 1000", (count,)).fetchall()
    return [str(row[0]) for row in rows]


def cases(ids: list[str]) -> list[Case]:
    from lusha_mcp.api import authorized_spend
    from lusha_mcp.api.models import ContactSearchItem
    from lusha_mcp.api.models.prospecting import ProspectingContactsRequest

    request = ProspectingContactsRequest.model_validate(
        {"pagination": {"page": 0, "size": PAGE_SIZE}, "filters": FILTERS}
    )
    items = [ContactSearchItem(client_reference_id=str(index), id=value) for index, value in enumerate(ids)]

    # The direct baseline authorises its metered calls itself (through the MCP server the guard does).
    async def search(client: Any) -> Any:
        with authorized_spend("bench: direct baseline"):
            return await client.contacts.search(items)

    async def prospect(client: Any) -> Any:
        with authorized_spend("bench: direct baseline"):
            return await client.prospecting.contacts(request)

    async def filter_values(client: Any) -> Any:
        return await client.prospecting.contact_filter_values("departments")

    return [
        Case(
            f"search_contacts ({len(ids)} ids; metered: quote, policy, ledger row)",
            "search_contacts",
            {"contacts": [{"id": value} for value in ids]},
            search,
            target=True,
        ),
        Case(
            f"prospect_contacts ({PAGE_SIZE} rows; metered, a prospecting query)",
            "prospect_contacts",
            {"raw_filters": FILTERS, "page": 0, "size": PAGE_SIZE},
            prospect,
        ),
        Case(
            "list_filter_values (free)",
            "list_filter_values",
            {"scope": "contacts", "filter_type": "departments"},
            filter_values,
        ),
    ]


@dataclass(frozen=True, slots=True)
class Samples:
    direct: list[float]
    mcp: list[float]
    validation: list[float]
    """Time the Python MCP client spends re-validating structuredContent against the output schema."""
    cpu: list[float]
    """CPU time of this process, MCP call minus direct call (in memory: client, server and sandbox)."""
    errors: int

    @property
    def differences(self) -> list[float]:
        return [mcp - direct for mcp, direct in zip(self.mcp, self.direct, strict=True)]

    @property
    def server_differences(self) -> list[float]:
        return [diff - check for diff, check in zip(self.differences, self.validation, strict=True)]


async def interleave(client: Any, lusha: Any, case: Case, rounds: int, warmup: int) -> Samples:
    """Pairs of (direct call, MCP call), timed back to back so background load hits both."""
    direct: list[float] = []
    through_mcp: list[float] = []
    validation: list[float] = []
    cpu: list[float] = []
    errors = 0
    for index in range(warmup + rounds):
        started, cpu_started = time.perf_counter(), time.process_time()
        await case.direct(lusha)
        direct_ms = (time.perf_counter() - started) * 1000
        direct_cpu = time.process_time() - cpu_started
        started, cpu_started = time.perf_counter(), time.process_time()
        result = await client.call_tool(case.tool, case.arguments)
        mcp_ms = (time.perf_counter() - started) * 1000
        mcp_cpu = time.process_time() - cpu_started
        started = time.perf_counter()
        if result.is_error:
            errors += 1
        else:
            await client.session.validate_tool_result(case.tool, result)
        check_ms = (time.perf_counter() - started) * 1000
        if index >= warmup:
            direct.append(direct_ms)
            through_mcp.append(mcp_ms)
            validation.append(check_ms)
            cpu.append((mcp_cpu - direct_cpu) * 1000)
    return Samples(direct, through_mcp, validation, cpu, errors)


def record(
    section: Section, rows: list[list[Any]], transport: str, case: Case, samples: Samples, target: float
) -> None:
    direct, mcp, overhead = Spread.of(samples.direct), Spread.of(samples.mcp), Spread.of(samples.differences)
    check, server = Spread.of(samples.validation), Spread.of(samples.server_differences)
    section.add(
        f"{transport}: {case.tool} overhead p50",
        overhead.p50,
        "ms",
        at_most=target if case.target else None,
        note=f"{samples.errors} tool errors" if samples.errors else "",
    )
    section.add(f"{transport}: {case.tool} overhead p95", overhead.p95, "ms")
    if case.target:
        section.add(
            f"{transport}: {case.tool} overhead p50 without client-side schema validation",
            server.p50,
            "ms",
            note=f"the Python client's output-schema check takes {check.p50:.2f} ms of it",
        )
        if transport == "in memory":
            section.add(
                f"{transport}: {case.tool} CPU overhead p50",
                Spread.of(samples.cpu).p50,
                "ms",
                note="CPU time, not wall clock: what the MCP path costs when nothing else competes",
            )
        section.add(f"{transport}: p50 overhead against target", overhead.p50 / target, f"x of {target} ms")
    rows.append(
        [
            transport,
            case.label,
            direct.p50,
            direct.p95,
            mcp.p50,
            mcp.p95,
            overhead.p50,
            overhead.p95,
            check.p50,
            server.p50,
            direct.count,
            samples.errors,
        ]
    )


async def measure(section: Section, workspace: Workspace) -> None:
    from mcp import Client, StdioServerParameters

    from lusha_mcp.api.client import LushaClient
    from lusha_mcp.server import build_server

    rounds, warmup = (60, 10) if workspace.quick else (300, 30)
    rows: list[list[Any]] = []
    ids = sample_contact_ids(workspace.settings("overhead-ids", **SETTINGS), 5)
    for case in cases(ids):
        settings = workspace.settings("overhead-memory", **SETTINGS)
        async with LushaClient.from_settings(settings) as lusha, Client(build_server(settings)) as client:
            samples = await interleave(client, lusha, case, rounds, warmup)
        record(section, rows, "in memory", case, samples, IN_MEMORY_TARGET_MS)
    command = Path(sys.executable).with_name("lusha-mcp")
    for case in cases(ids):
        direct_settings = workspace.settings("overhead-direct", **SETTINGS)
        env = workspace.environment(
            "overhead-stdio", **{key: str(value).lower() for key, value in SETTINGS.items()}
        )
        parameters = StdioServerParameters(
            command=str(command), args=["serve", "--sandbox"], env=env, cwd=ROOT
        )
        async with LushaClient.from_settings(direct_settings) as lusha, Client(parameters) as client:
            samples = await interleave(client, lusha, case, rounds, warmup)
        record(section, rows, "stdio", case, samples, STDIO_TARGET_MS)

    section.tables.append(
        Table(
            "Latency per path (ms)",
            [
                "transport",
                "call",
                "direct p50",
                "direct p95",
                "MCP p50",
                "MCP p95",
                "overhead p50",
                "overhead p95",
                "client check p50",
                "overhead p50 w/o check",
                "pairs",
                "tool errors",
            ],
            rows,
        )
    )
    section.notes.append(
        "Overhead is the p50/p95 of the paired differences (MCP call minus the direct call made just "
        f"before it); {rounds} pairs per row after {warmup} warm-up pairs, a fresh server and client per row."
    )
    section.notes.append(
        "'client check' is the Python MCP client re-validating structuredContent against the tool's "
        "outputSchema (jsonschema), timed separately by repeating it on the same result: a cost of this "
        "client, which Claude Desktop's TypeScript client pays differently."
    )
    section.notes.append(
        "The target is applied to the metered lookup by id (quote, policy check, ledger row, result "
        "rendering on a fast backend call); prospecting shows the same on a heavier sandbox query, "
        "the free call the bare MCP framework cost."
    )
    busy = busy_note()
    if busy:
        section.notes.append(busy)


if __name__ == "__main__":
    sys.exit(bench_main(KEY, TITLE, measure))
