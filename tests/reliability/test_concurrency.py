"""Concurrency: many sessions on one data dir, many concurrent metered calls, tight session and
daily budgets, random (seeded) response timing; total spend never exceeds any budget.

Each round runs SESSIONS servers (each its own session) against one data dir and one sandbox
account, every server firing CALLS reveals at once; the sandbox adds a seeded random latency to
each request so the interleaving differs from round to round. What the sandbox charged is then
compared with the budgets and with the ledger.
"""

from __future__ import annotations

import random
from collections import Counter

import anyio
import httpx
import pytest
from mcp import Client

from lusha_mcp.sandbox import sandbox_transport
from lusha_mcp.sandbox.faults import FAULT_HEADER
from lusha_mcp.server import build_server
from lusha_mcp.settings import Settings
from tests.reliability.conftest import FIGURES, LONG_RUN
from tests.server.harness import charged_total, contact_ids_with_emails, text_of
from tests.stores import ENGINES, engine_settings, ledger_entries

pytestmark = pytest.mark.anyio

SESSIONS = 3
CALLS = 10
IDS_PER_CALL = 3
SESSION_BUDGET = 16
DAILY_BUDGET = 40
ROUNDS = 25 if LONG_RUN else 3


class RandomLatency(httpx.AsyncBaseTransport):
    """Adds a seeded random sandbox latency (0-25 ms) to every API request."""

    def __init__(self, inner: httpx.AsyncBaseTransport, seed: int) -> None:
        self.inner = inner
        self.random = random.Random(seed)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.headers[FAULT_HEADER] = f"latency={self.random.randint(0, 25)}"
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def run_round(settings: Settings, ids: list[str], seed: int) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    chunks = [ids[start : start + IDS_PER_CALL] for start in range(0, len(ids), IDS_PER_CALL)]

    async def reveal(client: Client, chunk: list[str]) -> None:
        result = await client.call_tool("enrich_contacts", {"ids": chunk, "reveal": ["emails"]})
        text = text_of(result)
        if not result.is_error:
            outcomes["ok"] += 1
        elif "budget" in text:
            outcomes["refused"] += 1
        else:
            outcomes[f"error: {text[:200]}"] += 1

    async def session(index: int) -> None:
        transport = RandomLatency(sandbox_transport(settings), seed * 100 + index)
        async with (
            Client(build_server(settings, transport=transport)) as client,
            anyio.create_task_group() as group,
        ):
            for chunk in chunks[index * CALLS : (index + 1) * CALLS]:
                group.start_soon(reveal, client, chunk)

    async with anyio.create_task_group() as group:
        for index in range(SESSIONS):
            group.start_soon(session, index)
    return outcomes


async def spent_by_session(settings: Settings) -> dict[str, int]:
    entries = await ledger_entries(settings)
    assert all(entry.outcome in ("ok", "cached", "failed") for entry in entries), entries
    spent: Counter[str] = Counter()
    for entry in entries:
        spent[entry.session] += entry.charged or 0
    return dict(spent)


@pytest.mark.slow  # a soak of concurrent sessions: CI (CI=true) and LUSHA_LONG=1 runs
@pytest.mark.parametrize("engine", ENGINES)
async def test_concurrent_sessions_never_spend_past_the_session_or_daily_budget(
    sandbox_settings: Settings, engine: str, request: pytest.FixtureRequest
) -> None:
    ids = contact_ids_with_emails(sandbox_settings, SESSIONS * CALLS * IDS_PER_CALL)
    overspend = 0
    for round_number in range(ROUNDS):
        data_dir = sandbox_settings.data_dir / f"round-{round_number}"
        settings = sandbox_settings.model_copy(
            update={
                "data_dir": data_dir,
                "auto_approve": True,
                "session_budget": SESSION_BUDGET,
                "daily_budget": DAILY_BUDGET,
                "sandbox_rate_limits": False,
            }
        )
        settings = engine_settings(settings, engine, request)  # PostgreSQL: a fresh database a round
        outcomes = await run_round(settings, ids, seed=round_number)

        assert set(outcomes) <= {"ok", "refused"}, outcomes
        assert outcomes["refused"] > 0, "the budgets were never reached: the round proves nothing"
        charged = await charged_total(settings)
        by_session = await spent_by_session(settings)
        assert sum(by_session.values()) == charged, "the ledger and the sandbox disagree"
        assert len(by_session) == SESSIONS
        overspend += max(charged - DAILY_BUDGET, 0)
        overspend += sum(max(spent - SESSION_BUDGET, 0) for spent in by_session.values())
        FIGURES["concurrent metered calls"] += SESSIONS * CALLS
    FIGURES["overspend observed (credits)"] += overspend
    assert overspend == 0
