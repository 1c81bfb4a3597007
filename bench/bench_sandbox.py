"""6. Sandbox: dataset generation time and prospecting query latency (in process, over httpx).

.venv/bin/python bench/bench_sandbox.py [--quick]
"""

from __future__ import annotations

import itertools
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import Workspace, bench_main, busy_note, sandbox_http
from report import Section
from timing import Spread

KEY, TITLE = "sandbox", "6. Sandbox"
GENERATION_TARGET_S = 20.0
QUERY_P50_TARGET_MS = 20.0
PAGE_SIZE = 50


def prospecting_queries() -> list[dict[str, Any]]:
    """A mix of ICP filters a seller would use: department, seniority, place, size, industry."""
    from lusha_mcp.sandbox import catalog

    industries = [industry.label for industry in catalog.INDUSTRIES]
    countries = sorted(catalog.COUNTRIES)
    shapes: list[dict[str, Any]] = [
        {"contacts": {"include": {"departments": ["Sales"], "seniorityIds": [5]}}},
        {"contacts": {"include": {"departments": ["Sales", "Marketing"], "countries": ["US"]}}},
        {
            "contacts": {"include": {"seniorityIds": [4, 5, 6]}},
            "companies": {"include": {"sizes": [{"min": 200, "max": 1000}]}},
        },
        {
            "contacts": {"include": {"departments": ["Engineering & Technical"]}},
            "companies": {"include": {"industriesLabels": [industries[0]]}},
        },
        {"contacts": {"include": {"locations": [{"country": "United Kingdom"}]}}},
        {
            "contacts": {"include": {"existingDataPoints": ["work_email"], "countries": [countries[0]]}},
            "companies": {"include": {"sizes": [{"min": 50, "max": 500}]}},
        },
        {
            "contacts": {"include": {"jobTitles": ["VP Sales"]}},
            "companies": {"include": {"locations": [{"country": "United States"}]}},
        },
        {"companies": {"include": {"industriesLabels": industries[1:3], "businessModel": ["B2B"]}}},
        {
            "contacts": {"include": {"departments": ["Finance"], "seniorityIds": [6]}},
            "companies": {"include": {"revenues": [{"min": 10_000_000, "max": 500_000_000}]}},
        },
        {
            "contacts": {"include": {"departments": ["Product"]}},
            "companies": {"exclude": {"companyType": ["Self Employed"]}},
        },
    ]
    return [
        {"pagination": {"page": page, "size": PAGE_SIZE}, "filters": filters}
        for page, filters in itertools.product((0, 1, 2), shapes)
    ]


async def measure(section: Section, workspace: Workspace) -> None:
    from lusha_mcp.sandbox.dataset import generate_dataset

    settings = workspace.settings("sandbox", sandbox_rate_limits=False)
    target = settings.sandbox_db_path()
    if target.exists():
        target = Path(tempfile.mkdtemp(prefix="generation-", dir=workspace.root)) / target.name
    started = time.perf_counter()
    generate_dataset(
        target,
        seed=settings.sandbox_seed,
        contacts=settings.sandbox_contacts,
        companies=settings.sandbox_companies,
    )
    generation = time.perf_counter() - started
    section.add(
        f"dataset generation ({settings.sandbox_contacts:,} contacts, {settings.sandbox_companies:,} companies)",
        generation,
        "s",
        at_most=GENERATION_TARGET_S,
        note=f"{target.stat().st_size / 1e6:.0f} MB SQLite",
    )
    section.add("generation against target", generation / GENERATION_TARGET_S, "x of 20 s")

    queries = prospecting_queries()
    rounds = 2 if workspace.quick else 10
    samples: list[float] = []
    statuses: dict[int, int] = {}
    totals: list[int] = []
    async with sandbox_http(settings) as http:
        for body in queries[:3]:
            await http.post("/v3/contacts/prospecting", json=body)
        for _ in range(rounds):
            for body in queries:
                started = time.perf_counter()
                response = await http.post("/v3/contacts/prospecting", json=body)
                samples.append((time.perf_counter() - started) * 1000)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                if response.status_code == 200:
                    total = response.json().get("pagination", {}).get("total")
                    if isinstance(total, int):
                        totals.append(total)
    failed = sum(count for status, count in statuses.items() if status != 200)
    if failed == len(samples):
        section.status = "partial"
        reason = f"every prospecting query was answered {sorted(statuses)}, not 200 (endpoint not landed?)"
        section.add(
            f"prospecting query p50 ({PAGE_SIZE}-row page)",
            None,
            "ms",
            at_most=QUERY_P50_TARGET_MS,
            note=reason,
        )
        return
    spread = Spread.of(samples)
    section.add(
        f"prospecting query p50 ({PAGE_SIZE}-row page)", spread.p50, "ms", at_most=QUERY_P50_TARGET_MS
    )
    section.add("prospecting query p95", spread.p95, "ms")
    section.add("p50 against target", spread.p50 / QUERY_P50_TARGET_MS, "x of 20 ms")
    if failed:
        section.status = "partial"
        section.notes.append(
            f"{failed} of {len(samples)} prospecting queries were not answered 200 ({statuses}): "
            "the latency figures include those answers."
        )
    if totals:
        section.notes.append(
            f"{len(queries)} distinct queries (10 filter shapes x pages 0-2) matched "
            f"{min(totals):,} to {max(totals):,} contacts."
        )
    section.notes.append(
        "Latency is measured at the caller: httpx over the in-process ASGI transport, rate limits off, "
        "the same path `serve --sandbox` uses."
    )
    busy = busy_note()
    if busy:
        section.notes.append(busy)


if __name__ == "__main__":
    sys.exit(bench_main(KEY, TITLE, measure))
