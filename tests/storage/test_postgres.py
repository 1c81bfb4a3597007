"""The PostgreSQL engine against a real PostgreSQL (tests/engines.py): budgets that hold across
processes, a token redeemed once across two pools, the database clock's day, a dead replica's
pending calls, and the database going away."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import psycopg
import pytest
from mcp import Client
from pydantic import SecretStr

from lusha_mcp.guard import LedgerUnavailable, OverBudget, TokenReplayed
from lusha_mcp.server import build_server
from lusha_mcp.settings import Settings
from lusha_mcp.storage import Caller, Limits
from lusha_mcp.storage.postgres import PENDING_LEASE_SECONDS, PostgresStorage
from tests.engines import PostgresServer
from tests.server.harness import call, charged_total, contact_ids_with_emails, text_of
from tests.storage.reserve_worker import CALLERS, LIMITS
from tests.stores import migrated_database

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def database(request: pytest.FixtureRequest) -> str:
    return migrated_database(request)


@pytest.fixture
async def storage(database: str) -> AsyncIterator[PostgresStorage]:
    opened = PostgresStorage(database)
    await opened.open()
    try:
        yield opened
    finally:
        await opened.aclose()


async def rows(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        cursor = await conn.execute(sql, params)  # pyright: ignore[reportArgumentType] - fixed test SQL
        return list(await cursor.fetchall())


COUNTED = (
    "CASE WHEN outcome IN ('pending', 'unknown') THEN GREATEST(quote, COALESCE(charged, 0))"
    " ELSE COALESCE(charged, 0) END"
)


async def test_concurrent_reservations_from_several_processes_never_pass_a_budget(database: str) -> None:
    """4 processes x 80 concurrent reservations (1-5 credits each, some settled lower, some left
    pending or unknown) from 12 sessions of 6 users in 3 team sets: about 960 credits asked of an
    account allowing 200. Every budget holds, and each counter equals what its rows count."""

    def worker(number: int) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.storage.reserve_worker", database, str(number), "80"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    processes = [worker(number) for number in range(4)]
    results: list[dict[str, int]] = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        results.append(json.loads(out))

    assert sum(result["taken"] for result in results) > 0
    assert sum(result["refused"] for result in results) > 0  # the demand did exceed the budgets
    scopes: dict[tuple[str, str], int] = {("account", ""): LIMITS.account or 0}
    for caller in CALLERS:
        scopes[("session", caller.session)] = LIMITS.session or 0
        assert caller.user is not None
        scopes[("user", caller.user)] = LIMITS.user or 0
        for team in caller.teams:
            scopes[("team", team)] = LIMITS.team or 0
    counters = {
        (kind, key): spent
        for kind, key, spent in await rows(database, "SELECT kind, key, spent FROM budget_counters")
    }
    recount: dict[tuple[str, str], int] = {}
    for session, user, teams, counted in await rows(
        database, f"SELECT session, user_key, teams, {COUNTED} FROM calls"
    ):
        for scope in [
            ("account", ""),
            ("session", session),
            ("user", user),
            *(("team", team) for team in teams),
        ]:
            recount[scope] = recount.get(scope, 0) + int(counted)
    for scope, limit in scopes.items():
        assert recount.get(scope, 0) <= limit, scope
        assert counters.get(scope, 0) == recount.get(scope, 0), scope


async def test_one_token_redeemed_at_once_through_two_pools_runs_exactly_once(database: str) -> None:
    replicas = [PostgresStorage(database), PostgresStorage(database)]
    outcomes: list[str] = []

    async def redeem(storage: PostgresStorage) -> None:
        try:
            await storage.ledger.reserve(
                Caller("s", user="iss alice"),
                tool="t",
                arguments_hash="h",
                quote=3,
                limits=Limits(),
                token_id="tok",
            )
            outcomes.append("ran")
        except TokenReplayed:
            outcomes.append("replayed")

    try:
        for replica in replicas:
            await replica.open()
        for _ in range(10):  # ten races, each a fresh token
            outcomes.clear()
            await rows(database, "DELETE FROM used_tokens RETURNING token_id")
            async with anyio.create_task_group() as group:
                for replica in replicas:
                    group.start_soon(redeem, replica)
            assert sorted(outcomes) == ["ran", "replayed"]
    finally:
        for replica in replicas:
            await replica.aclose()
    assert len(await rows(database, "SELECT id FROM calls")) == 10


async def test_the_day_of_a_budget_is_the_database_clocks(storage: PostgresStorage, database: str) -> None:
    await storage.ledger.reserve(Caller("s"), tool="t", arguments_hash="h", quote=1, limits=Limits())

    ((period, today),) = await rows(
        database,
        "SELECT period, ((now() AT TIME ZONE 'utc')::date)::text FROM budget_counters WHERE kind = 'account'",
    )
    ((day,),) = await rows(database, "SELECT day::text FROM calls")
    assert period == today == day


async def test_a_call_pending_past_the_lease_is_unknown_and_still_counted(
    storage: PostgresStorage, database: str
) -> None:
    limits = Limits(account=10)
    await storage.ledger.reserve(Caller("s"), tool="t", arguments_hash="h", quote=7, limits=limits)
    await rows(
        database,
        "UPDATE calls SET created_at = now() - make_interval(secs => %s) RETURNING id",
        PENDING_LEASE_SECONDS + 60,
    )

    (entry,) = await storage.ledger.list_entries()
    assert entry.outcome == "unknown"
    assert entry.note is not None
    assert "charge unknown" in entry.note
    with pytest.raises(OverBudget, match="only 3 credits are left"):
        await storage.ledger.reserve(Caller("s"), tool="t", arguments_hash="h", quote=4, limits=limits)


async def test_with_the_database_down_nothing_is_reserved_and_a_settlement_is_kept_until_it_is_back(
    postgres: PostgresServer, storage: PostgresStorage, database: str
) -> None:
    limits = Limits(account=20)
    reservation = await storage.ledger.reserve(
        Caller("s"), tool="t", arguments_hash="h", quote=5, limits=limits
    )

    with postgres.stopped():
        with pytest.raises(LedgerUnavailable, match=r"(?i)the ledger is unavailable; nothing was spent"):
            await storage.ledger.reserve(Caller("s"), tool="t", arguments_hash="h", quote=1, limits=limits)
        with pytest.raises(LedgerUnavailable):
            await storage.ledger.budgets(Caller("s"), limits)
        await storage.ledger.settle(reservation, charged=2, request_id="r", outcome="ok")  # Lusha charged
        assert storage.ledger.unsettled == 1

    assert [row[0] for row in await rows(database, "SELECT outcome FROM calls")] == ["pending"]
    budgets = await storage.ledger.budgets(Caller("s"), limits)  # retries the kept settlement first
    assert storage.ledger.unsettled == 0
    assert budgets.spent_today == 2
    assert await rows(database, "SELECT outcome, charged FROM calls") == [("ok", 2)]


async def test_with_the_database_down_metered_tools_refuse_before_lusha_and_free_ones_work(
    postgres: PostgresServer, sandbox_settings: Settings, database: str
) -> None:
    settings = sandbox_settings.model_copy(update={"database_url": SecretStr(database), "auto_approve": True})
    ids = contact_ids_with_emails(settings, 2)
    async with Client(build_server(settings)) as client:
        with postgres.stopped():
            refused = await call(client, "enrich_contacts", ids=ids, reveal=["emails"])
            searched = await call(client, "search_contacts", contacts=[{"id": ids[0]}])
            listed = await call(client, "list_filter_values", scope="companies", filter_type="sizes")
            charged_meanwhile = await charged_total(settings)
        ran = await call(client, "enrich_contacts", ids=ids, reveal=["emails"])

    for result in (refused, searched):
        assert result.is_error
        assert "the ledger is unavailable; nothing was spent" in text_of(result).lower()
    assert not listed.is_error, text_of(listed)
    assert charged_meanwhile == 0
    assert not ran.is_error, text_of(ran)
    assert await charged_total(settings) == 2
