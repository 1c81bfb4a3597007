"""Test-side pieces for the fault and spend proofs: a fault-injecting transport and the two ledgers.

`FaultInjector` wraps the in-process sandbox transport and adds the sandbox's own
`x-sandbox-fault` header to the next metered requests; our code runs unchanged above it.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx

from lusha_mcp.guard import Ledger
from lusha_mcp.sandbox.faults import FAULT_HEADER
from lusha_mcp.settings import Settings
from tests.reliability.conftest import FIGURES


class FaultInjector(httpx.AsyncBaseTransport):
    """Puts each queued fault on the next POST to a /v3/ endpoint (the metered ones)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, faults: Iterable[str] = ()) -> None:
        self.inner = inner
        self.pending: deque[str] = deque(faults)
        self.injected = 0

    def queue(self, faults: Iterable[str]) -> None:
        self.pending.extend(faults)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.startswith("/v3/") and self.pending:
            request.headers[FAULT_HEADER] = self.pending.popleft()
            self.injected += 1
            FIGURES["faults injected"] += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass(frozen=True, slots=True)
class LedgerTotals:
    charged: int
    """Credits the ledger recorded as charged (settled calls)."""
    held: int
    """Credits counted against budgets: charged, plus the quote of calls whose outcome is unknown."""
    unknown: int
    """Calls whose response was lost (may have been charged)."""


def ledger_totals(settings: Settings) -> LedgerTotals:
    ledger = Ledger(settings.data_dir)
    try:
        entries = ledger.entries()
    finally:
        ledger.close()
    assert all(entry.outcome != "pending" for entry in entries), "a call was left pending"
    charged = sum(entry.charged or 0 for entry in entries)
    unknown = [entry for entry in entries if entry.outcome == "unknown"]
    held = charged + sum(max(entry.quote - (entry.charged or 0), 0) for entry in unknown)
    return LedgerTotals(charged=charged, held=held, unknown=len(unknown))


def sandbox_charged(data_dir: Path) -> int:
    """Credits the sandbox account in `data_dir` charged, read from its own database."""
    with sqlite3.connect(data_dir / "sandbox" / "account.sqlite") as db:
        return int(db.execute("SELECT COALESCE(SUM(credits), 0) FROM charges").fetchone()[0])
