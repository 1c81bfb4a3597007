"""4. Bulk throughput: enrich 10,000 contacts with LushaClient against the sandbox's rate limit.

    .venv/bin/python bench/bench_bulk.py

The sandbox adds 100 ms to every answer and enforces Lusha's 25 requests/second per endpoint;
LushaClient splits the ids into batches of 100 and paces them. The ceiling is 25 requests/s x
100 contacts = 2,500 contacts/s. 429s are counted on the wire, by a transport wrapper in this
benchmark (the client retries them, so they cost time, not results).
"""

from __future__ import annotations

import sqlite3
import sys
import time
from collections import Counter
from typing import Any

import httpx
from harness import Workspace, bench_main
from report import Section, Table

KEY, TITLE = "bulk", "4. Bulk throughput"
CONTACTS = 10_000
LATENCY_MS = 100
REQUESTS_PER_SECOND = 25
BATCH = 100
CEILING = REQUESTS_PER_SECOND * BATCH
RATIO_TARGET = 0.9


class CountingTransport(httpx.AsyncBaseTransport):
    """Passes requests through and counts the status codes and request start times."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.statuses: Counter[int] = Counter()
        self.sent_at: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent_at.append(time.perf_counter())
        response = await self.inner.handle_async_request(request)
        self.statuses[response.status_code] += 1
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def contact_ids(settings: Any, count: int) -> list[str]:
    from lusha_mcp.sandbox import sandbox_app

    sandbox_app(settings)  # generates the dataset when missing
    with sqlite3.connect(f"file:{settings.sandbox_db_path()}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT id FROM contacts ORDER BY id LIMIT ?", (count,)).fetchall()
    return [str(row[0]) for row in rows]


def busiest_second(sent_at: list[float]) -> int:
    """Most requests started within any 1-second window."""
    best, start = 0, 0
    for end, moment in enumerate(sent_at):
        while moment - sent_at[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


async def measure(section: Section, workspace: Workspace) -> None:
    from lusha_mcp.api import authorized_spend
    from lusha_mcp.api.client import LushaClient
    from lusha_mcp.sandbox import sandbox_transport

    settings = workspace.settings(
        "bulk",
        sandbox_latency_ms=LATENCY_MS,
        sandbox_credits=10_000_000,
        requests_per_second=float(REQUESTS_PER_SECOND),
    )
    ids = contact_ids(settings, CONTACTS)
    transport = CountingTransport(sandbox_transport(settings))
    # This measures the client alone, so it authorises the spend itself (the guard does in the product).
    async with LushaClient.from_settings(settings, transport=transport) as client:
        started = time.perf_counter()
        with authorized_spend("bench: the client alone"):
            response = await client.contacts.enrich(ids, reveal=["emails"])
        elapsed = time.perf_counter() - started
    returned = len(response.results)
    rate = returned / elapsed
    too_many = transport.statuses.get(429, 0)
    section.add(f"contacts enriched (asked {CONTACTS:,})", returned)
    section.add("elapsed", elapsed, "s")
    section.add("achieved throughput", rate, "contacts/s")
    section.add("against the ceiling (25 req/s x 100)", rate / CEILING, "x", at_least=RATIO_TARGET)
    section.add("429 answers", too_many, at_most=0)
    section.add(
        "HTTP requests sent", sum(transport.statuses.values()), note=f"{CONTACTS // BATCH} batches needed"
    )
    section.add("most requests started in any 1 s window", busiest_second(transport.sent_at), note="limit 25")
    billing = response.billing
    section.add("credits charged", billing.credits_charged if billing else None)
    section.tables.append(
        Table(
            "HTTP statuses seen on the wire",
            ["status", "count"],
            [[status, count] for status, count in sorted(transport.statuses.items())],
        )
    )
    requests = CONTACTS // BATCH
    paced = (requests - 1) / REQUESTS_PER_SECOND + LATENCY_MS / 1000
    section.add(
        "best an evenly paced client can do",
        CONTACTS / paced / CEILING,
        "x",
        note=f"{requests} requests 40 ms apart + {LATENCY_MS} ms = {paced:.2f} s",
    )
    section.notes.append(
        "A client that sent the first second's 25 requests at once could finish in about "
        f"{(requests - REQUESTS_PER_SECOND) / REQUESTS_PER_SECOND + LATENCY_MS / 1000:.1f} s (ratio above 1.0); "
        "the ratio is against the steady-state ceiling the issue names."
    )
    if returned != CONTACTS:
        section.status = "partial"
        section.notes.append(f"Only {returned:,} of {CONTACTS:,} contacts came back.")


if __name__ == "__main__":
    sys.exit(bench_main(KEY, TITLE, measure))
