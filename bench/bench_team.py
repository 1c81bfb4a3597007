"""9. Team mode (PostgreSQL): what a metered call pays for its budget reservation and settlement
in PostgreSQL, against the same call on the embedded SQLite ledger.

    .venv/bin/python bench/bench_team.py [--quick]

A real PostgreSQL on a free loopback port (tests/engines.py: Debian's postgres, in a temp dir,
durability settings of a throwaway cluster off), migrated with the project's migrations. Two
in-process servers over one in-process sandbox (rate limits off, client pacing out of the way),
one on the data dir's SQLite files and one with LUSHA_DATABASE_URL, run the same metered call
(search_contacts of one id: 1 credit, quoted, reserved under the session and account budgets,
settled) through the MCP client, interleaved so drift hits both alike. Extra cost = PostgreSQL
percentile minus SQLite percentile of the whole call. Aggregate throughput of replicas against
Lusha's 25 requests/s is section 8 (bench_pacing.py), not measured twice.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from harness import ROOT, Workspace, bench_main, busy_note
from pydantic import SecretStr
from report import Section
from timing import Spread

KEY, TITLE = "team", "9. Team mode (PostgreSQL)"
EXTRA_TARGET_MS = 5.0
SETTINGS: dict[str, Any] = {
    "auto_approve": True,
    "sandbox_rate_limits": False,
    "requests_per_second": 100_000.0,
    "sandbox_credits": 10_000_000,
    # Budgets set, so every reservation goes through the conditional budget updates.
    "session_budget": 10_000_000,
    "daily_budget": 10_000_000,
}


async def interleaved(
    clients: dict[str, Any], arguments: dict[str, Any], rounds: int
) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name in clients}
    for _ in range(rounds):
        for name, client in clients.items():
            began = time.perf_counter()
            result = await client.call_tool("search_contacts", arguments)
            elapsed = (time.perf_counter() - began) * 1000
            if result.is_error:
                raise RuntimeError(f"{name}: the metered call failed: {result.content}")
            samples[name].append(elapsed)
    return samples


async def measure(section: Section, workspace: Workspace) -> None:
    sys.path.insert(0, str(ROOT))
    from bench_overhead import sample_contact_ids
    from mcp import Client

    from lusha_mcp.server import build_server
    from lusha_mcp.storage.migrate import apply_migrations
    from tests.engines import EngineUnavailableError, postgres_server

    rounds, warmup = (60, 10) if workspace.quick else (400, 30)
    sqlite_settings = workspace.settings("team-sqlite", **SETTINGS)
    arguments = {"contacts": [{"id": sample_contact_ids(sqlite_settings, 1)[0]}]}
    try:
        with postgres_server() as postgres:
            url = postgres.create_database("bench")
            apply_migrations(url)
            pg_settings = workspace.settings("team-postgres", database_url=SecretStr(url), **SETTINGS)
            async with (
                Client(build_server(sqlite_settings)) as sqlite,
                Client(build_server(pg_settings)) as pg,
            ):
                clients = {"sqlite": sqlite, "postgresql": pg}
                await interleaved(clients, arguments, warmup)
                samples = await interleaved(clients, arguments, rounds)
            charged = postgres.psql("SELECT count(*), coalesce(sum(charged), 0) FROM calls", "bench").split()
    except EngineUnavailableError as exc:
        section.status = "not run"
        section.notes.append(f"PostgreSQL unavailable: {exc}")
        return
    spread = {name: Spread.of(values) for name, values in samples.items()}
    section.add("metered calls measured, each engine", rounds, note=f"after {warmup} warm-up calls each")
    section.add("SQLite ledger, whole call p50", spread["sqlite"].p50, "ms")
    section.add("SQLite ledger, whole call p95", spread["sqlite"].p95, "ms")
    section.add("PostgreSQL ledger, whole call p50", spread["postgresql"].p50, "ms")
    section.add("PostgreSQL ledger, whole call p95", spread["postgresql"].p95, "ms")
    section.add(
        "PostgreSQL extra per metered call p50",
        spread["postgresql"].p50 - spread["sqlite"].p50,
        "ms",
        at_most=EXTRA_TARGET_MS,
        note="reservation + settlement, same run",
    )
    section.add(
        "PostgreSQL extra per metered call p95", spread["postgresql"].p95 - spread["sqlite"].p95, "ms"
    )
    section.add("calls in the PostgreSQL ledger", int(charged[0]), note=f"{charged[1]} credits settled")
    section.notes.append(
        "Both servers share one in-process sandbox, so the Lusha side costs the same; the difference "
        "is the ledger engine. PostgreSQL runs on this machine (loopback, fsync off): over a network "
        "add its round trips (a reservation and a settlement, one transaction each)."
    )
    note = busy_note()
    if note:
        section.notes.append(note)


if __name__ == "__main__":
    sys.exit(bench_main(KEY, TITLE, measure))
