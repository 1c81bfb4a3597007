"""The PostgreSQL engine: every replica of a team shares the ledger, budgets, tokens and caches.

Imported only when `LUSHA_DATABASE_URL` is set (psycopg 3, async, one psycopg_pool pool).

Budgets are counter rows per (kind, key, period) in `budget_counters`: the period is the UTC
day of the database's clock (`(now() at time zone 'utc')::date`) for the account, a team or a
user, and 'session' for a client session. A reservation runs in one READ COMMITTED transaction:
the confirmation token's single use (an INSERT into `used_tokens`; a conflict is a replay),
then each counter in a fixed order (account, teams by name, user, session) with a conditional
upsert, `... DO UPDATE SET spent = spent + q WHERE spent + q <= limit RETURNING spent`, which
locks the row and re-checks the condition on its latest version, then the ledger row, pending at
its quote. A counter that cannot hold the quote rolls everything back: nothing is counted, the
token stays unused. Settlement moves the counters by what the call now counts minus what it
counted: a settled call counts what was charged, a pending or unknown one max(quote, charged).

A pending row outlives its replica when that replica dies mid-call; PostgreSQL cannot see
another host's processes, so a pending row older than `PENDING_LEASE_SECONDS` is marked
`unknown` (still counted at its quote). A settlement that cannot be written (the database went
away after Lusha charged) is kept in memory and retried before the next ledger operation; its
row stays pending, so the call stays counted at its quote meanwhile.

With the database unreachable every read or reservation raises `LedgerUnavailable`, before any
Lusha request; writes of revealed data to the cache are dropped with a warning instead (the
caller already has the data).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, LiteralString, cast

import anyio
import psycopg
import psycopg_pool
from psycopg.types.json import Jsonb

from lusha_mcp.guard.confirm import TokenReplayed
from lusha_mcp.guard.policy import LedgerUnavailable, OverBudget
from lusha_mcp.redaction import SECRETS, hide_password, url_password
from lusha_mcp.storage.base import (
    BudgetLine,
    BudgetOverride,
    Budgets,
    Caller,
    GroupBy,
    LedgerEntry,
    LedgerGroup,
    Limits,
    LookalikeEntity,
    Outcome,
    PurgeReport,
    Record,
    Reservation,
    ScopeKind,
    StoredSession,
)
from lusha_mcp.storage.migrate import (
    APPLIED_SQL,
    MIGRATION_TABLE,
    behind_message,
    migration_ids,
)
from lusha_mcp.storage.records import (
    company_domain,
    emails_of,
    linkedin_of,
    merge_revealed,
    normalize_domain,
    normalize_linkedin,
    only,
)
from lusha_mcp.storage.sqlite_lookalikes import SESSION_TTL_SECONDS, live_session

logger = logging.getLogger(__name__)

PENDING_LEASE_SECONDS = 15 * 60
"""A call pending longer than this is taken for one whose replica died: marked `unknown`."""
CONNECT_TIMEOUT_SECONDS = 3
POOL_TIMEOUT_SECONDS = 3.0
"""How long a call waits for a connection before it is refused (the ledger is unavailable)."""
BUSY_TIMEOUT_SECONDS = 30.0
"""How long a call waits for a connection of a reachable but busy database."""
POOL_MAX_SIZE = 10

_COUNTED = (
    "CASE WHEN outcome IN ('pending', 'unknown') THEN GREATEST(quote, COALESCE(charged, 0))"
    " ELSE COALESCE(charged, 0) END"
)
_TODAY = "(now() AT TIME ZONE 'utc')::date"

_BUDGETS = f"""
WITH today AS (SELECT {_TODAY}::text AS day),
scopes AS (
    SELECT s.ord, s.kind, s.key, CASE WHEN s.kind = 'session' THEN 'session' ELSE today.day END AS period
    FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS s(kind, key, ord), today
)
SELECT scopes.kind, scopes.key, scopes.period, COALESCE(c.spent, 0), l.daily, (SELECT day FROM today)
FROM scopes
LEFT JOIN budget_counters c ON c.kind = scopes.kind AND c.key = scopes.key AND c.period = scopes.period
LEFT JOIN budget_limits l ON l.kind = scopes.kind AND l.key = scopes.key
ORDER BY scopes.ord
"""

_LIMIT = (
    "COALESCE((SELECT daily FROM budget_limits WHERE kind = %(kind)s AND key = %(key)s), %(default)s::bigint)"
)
_TAKE = f"""
INSERT INTO budget_counters AS c (kind, key, period, spent)
SELECT %(kind)s, %(key)s, CASE WHEN %(kind)s = 'session' THEN 'session' ELSE {_TODAY}::text END, %(q)s
WHERE {_LIMIT} IS NULL OR %(q)s <= {_LIMIT}
ON CONFLICT (kind, key, period) DO UPDATE SET spent = c.spent + EXCLUDED.spent
WHERE {_LIMIT} IS NULL OR c.spent + EXCLUDED.spent <= {_LIMIT}
RETURNING spent
"""
"""Take `q` from one budget counter if its limit (the override, else the default) holds it."""

_ENTRY_COLUMNS = (
    "id, extract(epoch FROM created_at)::float8, day::text, session, user_key, teams, tool,"
    " arguments_hash, quote, charged, request_id, outcome, note"
)


def _counted(outcome: str, quote: int, charged: int | None) -> int:
    if outcome in ("pending", "unknown"):
        return max(quote, charged or 0)
    return charged or 0


def _row_scopes(session: str, user: str | None, teams: Sequence[str]) -> list[tuple[ScopeKind, str]]:
    return Caller(session=session, user=user, teams=tuple(teams)).scopes()


@dataclass(frozen=True, slots=True)
class _Unsettled:
    reservation: Reservation
    charged: int | None
    request_id: str | None
    outcome: Outcome
    note: str | None


class _RolledBack(Exception):  # noqa: N818 - control flow inside `reserve`, never raised out of it
    """A reservation that a counter or the token refused: its transaction is rolled back."""


class Database:
    """One pool for the stores of a PostgreSQL storage; errors of an unreachable database become
    `LedgerUnavailable` (without the URL or its password).

    A call waits `POOL_TIMEOUT_SECONDS` for a pooled connection; if none comes, a direct
    connection tells a busy database (the pool is replaced, since its reconnection back-off may
    outlast a restart, and the call waits longer) from an unreachable one (refused at once)."""

    def __init__(self, url: str) -> None:
        self._url = url
        SECRETS.add(url_password(url))  # never logged, whole or in part
        self._pool: psycopg_pool.AsyncConnectionPool[Any] | None = None
        self._lock = anyio.Lock()

    def _new_pool(self) -> psycopg_pool.AsyncConnectionPool[Any]:
        return psycopg_pool.AsyncConnectionPool(
            self._url,
            min_size=2,
            max_size=POOL_MAX_SIZE,
            open=False,
            timeout=POOL_TIMEOUT_SECONDS,
            kwargs={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
            check=psycopg_pool.AsyncConnectionPool.check_connection,
            name="lusha-mcp",
        )

    async def _opened(self) -> psycopg_pool.AsyncConnectionPool[Any]:
        async with self._lock:
            if self._pool is None:
                self._pool = self._new_pool()
                await self._pool.open(wait=False)
            return self._pool

    async def _replace(self, broken: psycopg_pool.AsyncConnectionPool[Any]) -> None:
        async with self._lock:
            if self._pool is broken:
                self._pool = None
        await broken.close(timeout=0)

    def reason(self, exc: BaseException) -> str:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return hide_password(first, self._url)[:200]

    async def _reachable(self) -> str | None:
        """None when a direct connection succeeds, else why it failed."""
        try:
            probe = await psycopg.AsyncConnection.connect(self._url, connect_timeout=CONNECT_TIMEOUT_SECONDS)
        except psycopg.OperationalError as exc:
            return self.reason(exc)
        await probe.close()
        return None

    async def _getconn(self) -> tuple[psycopg_pool.AsyncConnectionPool[Any], psycopg.AsyncConnection[Any]]:
        pool = await self._opened()
        try:
            return pool, await pool.getconn()
        except psycopg_pool.PoolTimeout:
            problem = await self._reachable()
            if problem is not None:
                raise LedgerUnavailable(problem) from None
        await self._replace(pool)  # reachable: a fresh pool connects at once
        pool = await self._opened()
        try:
            return pool, await pool.getconn(timeout=BUSY_TIMEOUT_SECONDS)
        except psycopg_pool.PoolTimeout as exc:
            raise LedgerUnavailable(self.reason(exc)) from None

    @asynccontextmanager
    async def connection(self) -> AsyncGenerator[psycopg.AsyncConnection[Any]]:
        """A pooled connection; what the body leaves uncommitted is rolled back."""
        pool, conn = await self._getconn()
        try:
            yield conn
            if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                await conn.commit()
        except psycopg.OperationalError as exc:
            raise LedgerUnavailable(self.reason(exc)) from None
        finally:
            await pool.putconn(conn)

    async def close(self) -> None:
        async with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()


class PostgresLedger:
    """The `LedgerStore` on PostgreSQL; see the module docstring for the budget rule."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._unsettled: list[_Unsettled] = []
        self._host = socket.gethostname()[:64]

    # --- budgets ---------------------------------------------------------------------------
    @staticmethod
    async def _budget_rows(
        conn: psycopg.AsyncConnection[Any], scopes: Sequence[tuple[ScopeKind, str]]
    ) -> list[tuple[Any, ...]]:
        """(kind, key, period, spent, override, today) per scope, in scope order."""
        cursor = await conn.execute(_BUDGETS, ([kind for kind, _ in scopes], [key for _, key in scopes]))
        return list(await cursor.fetchall())

    @staticmethod
    def _lines(
        scopes: Sequence[tuple[ScopeKind, str]], rows: Iterable[tuple[Any, ...]], limits: Limits
    ) -> Budgets:
        return Budgets(
            tuple(
                BudgetLine(kind, key, limits.default(kind) if row[4] is None else int(row[4]), int(row[3]))
                for (kind, key), row in zip(scopes, rows, strict=True)
            )
        )

    async def budgets(self, caller: Caller, limits: Limits) -> Budgets:
        await self._retry_unsettled()
        async with self._db.connection() as conn:
            scopes = caller.scopes()
            return self._lines(scopes, await self._budget_rows(conn, scopes), limits)

    async def reserve(
        self,
        caller: Caller,
        *,
        tool: str,
        arguments_hash: str,
        quote: int,
        limits: Limits,
        token_id: str | None = None,
    ) -> Reservation:
        await self._retry_unsettled()
        scopes = caller.scopes()
        async with self._db.connection() as conn:
            refused: tuple[ScopeKind, str] | None = None
            replayed = False
            try:
                # One round trip: the token's use, every counter and the ledger row are pipelined,
                # so the counters' row locks are held for the transaction's server time only.
                async with conn.pipeline() as pipeline, conn.transaction():
                    token = None
                    if token_id is not None:
                        token = await conn.execute(
                            "INSERT INTO used_tokens (token_id) VALUES (%s) ON CONFLICT DO NOTHING RETURNING token_id",
                            (token_id,),
                        )
                    takes = [
                        await conn.execute(
                            _TAKE, {"kind": kind, "key": key, "q": quote, "default": limits.default(kind)}
                        )
                        for kind, key in scopes
                    ]
                    inserted = await conn.execute(
                        "INSERT INTO calls (day, session, user_key, teams, tool, arguments_hash, quote, outcome,"
                        f" host, pid) VALUES ({_TODAY}, %s, %s, %s, %s, %s, %s, 'pending', %s, %s) RETURNING id",
                        (
                            caller.session,
                            caller.user,
                            sorted(set(caller.teams)),
                            tool,
                            arguments_hash,
                            quote,
                            self._host,
                            os.getpid(),
                        ),
                    )
                    await pipeline.sync()
                    replayed = token is not None and await token.fetchone() is None
                    for scope, take in zip(scopes, takes, strict=True):
                        if refused is None and await take.fetchone() is None:
                            refused = scope
                    row = await inserted.fetchone()
                    if replayed or refused is not None or row is None:
                        raise _RolledBack()
                    call_id = int(row[0])
                    if token_id is not None:
                        await conn.execute(
                            "UPDATE used_tokens SET call_id = %s WHERE token_id = %s", (call_id, token_id)
                        )
            except _RolledBack:
                if replayed:
                    raise TokenReplayed() from None
                assert refused is not None
                line = next(
                    line
                    for line in self._lines(scopes, await self._budget_rows(conn, scopes), limits).lines
                    if (line.kind, line.key) == refused
                )
                raise OverBudget(quote, line.kind, line.left or 0, key=line.key) from None
        return Reservation(call_id=call_id, quote=quote, session=caller.session, caller=caller)

    @staticmethod
    async def _spent(conn: psycopg.AsyncConnection[Any], kind: str, key: str, period: str) -> int:
        cursor = await conn.execute(
            "SELECT spent FROM budget_counters WHERE kind = %s AND key = %s AND period = %s",
            (kind, key, period),
        )
        row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def settle(
        self,
        reservation: Reservation,
        *,
        charged: int | None,
        request_id: str | None,
        outcome: Outcome,
        note: str | None = None,
    ) -> None:
        unsettled = _Unsettled(reservation, charged, request_id, outcome, note)
        try:
            await self._settle(unsettled)
        except LedgerUnavailable as exc:
            self._unsettled.append(unsettled)
            logger.warning(
                "Settlement of call %s kept in memory and retried (%s); it stays counted at its quote meanwhile",
                reservation.call_id,
                exc.message,
            )
            return
        await self._retry_unsettled()

    async def _settle(self, item: _Unsettled) -> None:
        async with self._db.connection() as conn, conn.transaction():
            cursor = await conn.execute(
                "SELECT quote, charged, outcome, day::text, session, user_key, teams FROM calls"
                " WHERE id = %s FOR UPDATE",
                (item.reservation.call_id,),
            )
            row = await cursor.fetchone()
            if row is None or row[2] not in ("pending", "unknown"):
                return  # settled before (a retried settlement that did get through)
            quote, old_charged, old_outcome, day, session, user, teams = row
            await conn.execute(
                "UPDATE calls SET charged = %s, request_id = %s, outcome = %s, note = %s WHERE id = %s",
                (item.charged, item.request_id, item.outcome, item.note, item.reservation.call_id),
            )
            delta = _counted(item.outcome, int(quote), item.charged) - _counted(
                str(old_outcome), int(quote), old_charged
            )
            if delta:
                for kind, key in _row_scopes(str(session), user, teams or []):
                    await conn.execute(
                        "UPDATE budget_counters SET spent = spent + %s WHERE kind = %s AND key = %s AND period = %s",
                        (delta, kind, key, "session" if kind == "session" else day),
                    )

    async def _retry_unsettled(self) -> None:
        while self._unsettled:
            try:
                await self._settle(self._unsettled[0])
            except LedgerUnavailable:
                return
            settled = self._unsettled.pop(0)
            logger.info("Kept settlement of call %s written", settled.reservation.call_id)

    @property
    def unsettled(self) -> int:
        """Settlements kept in memory, waiting for the database."""
        return len(self._unsettled)

    async def consume_token(self, token_id: str) -> None:
        async with self._db.connection() as conn, conn.transaction():
            cursor = await conn.execute(
                "INSERT INTO used_tokens (token_id) VALUES (%s) ON CONFLICT DO NOTHING RETURNING token_id",
                (token_id,),
            )
            if await cursor.fetchone() is None:
                raise TokenReplayed()

    async def record_free(self, caller: Caller, *, tool: str, arguments_hash: str, note: str) -> None:
        async with self._db.connection() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO calls (day, session, user_key, teams, tool, arguments_hash, quote, charged,"
                f" outcome, note, host, pid) VALUES ({_TODAY}, %s, %s, %s, %s, %s, 0, 0, 'cached', %s, %s, %s)",
                (
                    caller.session,
                    caller.user,
                    sorted(set(caller.teams)),
                    tool,
                    arguments_hash,
                    note,
                    self._host,
                    os.getpid(),
                ),
            )

    # --- reports ---------------------------------------------------------------------------
    async def expire_leases(self, conn: psycopg.AsyncConnection[Any]) -> int:
        """Mark `unknown` the calls pending for longer than the lease (their replica died)."""
        cursor = await conn.execute(
            "UPDATE calls SET outcome = 'unknown', note = 'pending for over '"
            " || %s || ' s (the server on ' || COALESCE(host, '?') || ', pid ' || COALESCE(pid::text, '?')"
            " || ', is taken to have ended mid-call): quoted, charge unknown'"
            " WHERE outcome = 'pending' AND created_at < now() - make_interval(secs => %s)",
            (str(PENDING_LEASE_SECONDS), PENDING_LEASE_SECONDS),
        )
        return cursor.rowcount

    async def list_entries(self, *, session: str | None = None) -> list[LedgerEntry]:
        async with self._db.connection() as conn:
            await self.expire_leases(conn)
            where = "" if session is None else " WHERE session = %s"
            cursor = await conn.execute(
                f"SELECT {_ENTRY_COLUMNS} FROM calls{where} ORDER BY id",
                () if session is None else (session,),
            )
            rows = await cursor.fetchall()
        names = [
            "id",
            "created_at",
            "day",
            "session",
            "user",
            "teams",
            "tool",
            "arguments_hash",
            "quote",
            "charged",
            "request_id",
            "outcome",
            "note",
        ]
        return [LedgerEntry.model_validate(dict(zip(names, row, strict=True))) for row in rows]

    async def tool_spend(self, caller: Caller) -> dict[str, tuple[int, int]]:
        async with self._db.connection() as conn:
            cursor = await conn.execute(
                f"SELECT tool, COALESCE(SUM(CASE WHEN session = %(s)s THEN {_COUNTED} END), 0),"
                f" COALESCE(SUM(CASE WHEN day = {_TODAY} THEN {_COUNTED} END), 0)"
                f" FROM calls WHERE session = %(s)s OR day = {_TODAY} GROUP BY tool ORDER BY tool",
                {"s": caller.session},
            )
            rows = await cursor.fetchall()
        return {str(tool): (int(by_session), int(by_day)) for tool, by_session, by_day in rows}

    async def group(self, group_by: GroupBy) -> list[LedgerGroup]:
        column = {
            "day": "day::text",
            "tool": "tool",
            "session": "session",
            "user": "user_key",
            "team": "team",
        }[group_by]
        source = "calls, unnest(teams) AS team" if group_by == "team" else "calls"
        async with self._db.connection() as conn:
            await self.expire_leases(conn)
            query = (
                f"SELECT {column} AS k, COUNT(*), COALESCE(SUM(quote), 0), COALESCE(SUM(charged), 0),"
                " COUNT(*) FILTER (WHERE outcome = 'over_quote'),"
                " COUNT(*) FILTER (WHERE outcome IN ('pending', 'unknown')),"
                " COALESCE(SUM(quote) FILTER (WHERE outcome IN ('pending', 'unknown')), 0)"
                f" FROM {source} WHERE {column} IS NOT NULL GROUP BY k ORDER BY k"
            )
            # `column` and `source` are picked from the constants above, never from input
            cursor = await conn.execute(cast(LiteralString, query))
            rows = await cursor.fetchall()
        return [
            LedgerGroup(
                key=str(key),
                calls=int(calls),
                quoted=int(quoted),
                charged=int(charged),
                over_quote=int(over),
                unknown=int(unknown),
                unknown_quoted=int(unknown_quoted),
            )
            for key, calls, quoted, charged, over, unknown, unknown_quoted in rows
        ]

    async def total_charged(self) -> int:
        async with self._db.connection() as conn:
            cursor = await conn.execute("SELECT COALESCE(SUM(charged), 0) FROM calls")
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    # --- budget overrides --------------------------------------------------------------------
    async def set_override(self, kind: ScopeKind, key: str, daily: int) -> None:
        async with self._db.connection() as conn:
            await conn.execute(
                "INSERT INTO budget_limits (kind, key, daily) VALUES (%s, %s, %s) ON CONFLICT (kind, key)"
                " DO UPDATE SET daily = EXCLUDED.daily, updated_at = now()",
                (kind, key, daily),
            )

    async def clear_override(self, kind: ScopeKind, key: str) -> bool:
        async with self._db.connection() as conn:
            cursor = await conn.execute("DELETE FROM budget_limits WHERE kind = %s AND key = %s", (kind, key))
            return cursor.rowcount > 0

    async def overrides(self) -> list[BudgetOverride]:
        async with self._db.connection() as conn:
            cursor = await conn.execute("SELECT kind, key, daily FROM budget_limits ORDER BY kind, key")
            rows = await cursor.fetchall()
        return [BudgetOverride(kind=kind, key=key, daily=int(daily)) for kind, key, daily in rows]

    async def aclose(self) -> None:
        await self._retry_unsettled()
        if self._unsettled:
            logger.error(
                "%d settlement(s) could not be written before shutdown; their calls stay pending, "
                "counted at their quote, and are marked unknown after the lease",
                len(self._unsettled),
            )


class PostgresRevealCache:
    """The `RevealStore` on PostgreSQL, shared by every replica: what one revealed, all serve free."""

    def __init__(self, db: Database, ttl_days: float) -> None:
        self._db = db
        self._ttl = ttl_days * 86_400

    def _fresh_after(self) -> float:
        return time.time() - self._ttl

    async def expire(self) -> None:
        cutoff = self._fresh_after()
        async with self._db.connection() as conn:
            await conn.execute("DELETE FROM reveal_contacts WHERE stored_at < %s", (cutoff,))
            await conn.execute("DELETE FROM reveal_companies WHERE stored_at < %s", (cutoff,))

    async def _fresh(
        self, select: LiteralString, ids: Iterable[str], wanted: Iterable[str]
    ) -> dict[str, Record]:
        """The fresh records among `ids` (`select`: id, revealed fields, record) that hold every
        `wanted` field, each with only the revealed fields asked for."""
        wanted = set(wanted)
        asked = list(dict.fromkeys(ids))
        async with self._db.connection() as conn:
            cursor = await conn.execute(select, (asked, self._fresh_after()))
            rows = {str(row[0]): (set(row[1]), dict(row[2])) for row in await cursor.fetchall()}
        return {
            key: only(rows[key][1], rows[key][0] - wanted)
            for key in asked
            if key in rows and wanted <= rows[key][0]
        }

    async def get_contacts(self, ids: Iterable[str], fields: Iterable[str]) -> dict[str, Record]:
        return await self._fresh(
            "SELECT id, fields, data FROM reveal_contacts WHERE id = ANY(%s) AND stored_at >= %s", ids, fields
        )

    async def contact_id_for(self, *, email: str | None = None, linkedin: str | None = None) -> str | None:
        cutoff = self._fresh_after()
        async with self._db.connection() as conn:
            if email:
                cursor = await conn.execute(
                    "SELECT c.id FROM reveal_contact_emails e JOIN reveal_contacts c ON c.id = e.contact_id"
                    " WHERE e.email = %s AND c.stored_at >= %s LIMIT 1",
                    (email.strip().lower(), cutoff),
                )
                row = await cursor.fetchone()
                if row is not None:
                    return str(row[0])
            if linkedin:
                cursor = await conn.execute(
                    "SELECT id FROM reveal_contacts WHERE linkedin = %s AND stored_at >= %s LIMIT 1",
                    (normalize_linkedin(linkedin), cutoff),
                )
                row = await cursor.fetchone()
                if row is not None:
                    return str(row[0])
        return None

    async def company_id_for(self, domain: str) -> str | None:
        async with self._db.connection() as conn:
            cursor = await conn.execute(
                "SELECT id FROM reveal_companies WHERE domain = %s AND stored_at >= %s LIMIT 1",
                (normalize_domain(domain), self._fresh_after()),
            )
            row = await cursor.fetchone()
        return None if row is None else str(row[0])

    async def _store(
        self,
        what: str,
        previous: LiteralString,
        records: Iterable[Mapping[str, Any]],
        fields: Sequence[str],
        write: Callable[[psycopg.AsyncConnection[Any], str, Record, set[str]], Awaitable[None]],
    ) -> None:
        """Merge each record with what was revealed of it before (`previous`: its fields and
        record, locked) and `write` it; a database that is gone loses the cache entry, never the
        caller's data (which it already has)."""
        kept = [record for record in records if isinstance(record.get("id"), str) and record.get("id")]
        if not kept:
            return
        try:
            async with self._db.connection() as conn, conn.transaction():
                for record in kept:
                    key = str(record["id"])
                    row = await (await conn.execute(previous, (key,))).fetchone()
                    merged, revealed = merge_revealed(
                        record, fields, None if row is None else (row[0], row[1])
                    )
                    await write(conn, key, merged, revealed)
        except LedgerUnavailable as exc:
            logger.warning("%d revealed %s not cached (%s)", len(kept), what, exc.message)

    async def store_contacts(self, records: Iterable[Mapping[str, Any]], fields: Sequence[str]) -> None:
        async def write(
            conn: psycopg.AsyncConnection[Any], contact_id: str, merged: Record, revealed: set[str]
        ) -> None:
            await conn.execute(
                "INSERT INTO reveal_contacts (id, fields, data, linkedin, company_domain, stored_at)"
                " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET fields = EXCLUDED.fields,"
                " data = EXCLUDED.data, linkedin = EXCLUDED.linkedin,"
                " company_domain = EXCLUDED.company_domain, stored_at = EXCLUDED.stored_at",
                (
                    contact_id,
                    Jsonb(sorted(revealed)),
                    Jsonb(merged),
                    linkedin_of(merged),
                    company_domain(merged),
                    time.time(),
                ),
            )
            await conn.execute("DELETE FROM reveal_contact_emails WHERE contact_id = %s", (contact_id,))
            emails = emails_of(merged)
            if emails:
                async with conn.cursor() as cursor:
                    await cursor.executemany(
                        "INSERT INTO reveal_contact_emails (contact_id, email) VALUES (%s, %s)",
                        [(contact_id, email) for email in emails],
                    )

        await self._store(
            "contacts",
            "SELECT fields, data FROM reveal_contacts WHERE id = %s FOR UPDATE",
            records,
            fields,
            write,
        )

    async def get_companies(self, ids: Iterable[str], extras: Iterable[str]) -> dict[str, Record]:
        return await self._fresh(
            "SELECT id, extras, data FROM reveal_companies WHERE id = ANY(%s) AND stored_at >= %s",
            ids,
            extras,
        )

    async def store_companies(self, records: Iterable[Mapping[str, Any]], extras: Sequence[str]) -> None:
        async def write(
            conn: psycopg.AsyncConnection[Any], company_id: str, merged: Record, revealed: set[str]
        ) -> None:
            domain = merged.get("domain")
            await conn.execute(
                "INSERT INTO reveal_companies (id, domain, extras, data, stored_at)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET domain = EXCLUDED.domain,"
                " extras = EXCLUDED.extras, data = EXCLUDED.data, stored_at = EXCLUDED.stored_at",
                (
                    company_id,
                    normalize_domain(domain) if isinstance(domain, str) and domain else None,
                    Jsonb(sorted(revealed)),
                    Jsonb(merged),
                    time.time(),
                ),
            )

        await self._store(
            "companies",
            "SELECT extras, data FROM reveal_companies WHERE id = %s FOR UPDATE",
            records,
            extras,
            write,
        )

    async def erase(
        self, *, contact_id: str | None = None, email: str | None = None, domain: str | None = None
    ) -> PurgeReport:
        contacts = companies = 0
        async with self._db.connection() as conn, conn.transaction():
            if contact_id is None and email is None and domain is None:
                contacts = (await conn.execute("DELETE FROM reveal_contacts")).rowcount
                companies = (await conn.execute("DELETE FROM reveal_companies")).rowcount
            if contact_id is not None:
                contacts += (
                    await conn.execute("DELETE FROM reveal_contacts WHERE id = %s", (contact_id,))
                ).rowcount
            if email is not None:
                contacts += (
                    await conn.execute(
                        "DELETE FROM reveal_contacts WHERE id IN"
                        " (SELECT contact_id FROM reveal_contact_emails WHERE email = %s)",
                        (email.strip().lower(),),
                    )
                ).rowcount
            if domain is not None:
                normalized = normalize_domain(domain)
                contacts += (
                    await conn.execute("DELETE FROM reveal_contacts WHERE company_domain = %s", (normalized,))
                ).rowcount
                companies += (
                    await conn.execute("DELETE FROM reveal_companies WHERE domain = %s", (normalized,))
                ).rowcount
        return PurgeReport(contacts=contacts, companies=companies)

    async def aclose(self) -> None:
        return None


class PostgresLookalikes:
    """The `LookalikeStore` on PostgreSQL, for one Lusha account."""

    def __init__(self, db: Database, account: str) -> None:
        self._db = db
        self._account = account

    async def get(self, entity: LookalikeEntity, name: str) -> tuple[StoredSession | None, bool]:
        async with self._db.connection() as conn:
            cursor = await conn.execute(
                "SELECT dedupe_session_id, last_used_at, results FROM lookalike_sessions"
                " WHERE account = %s AND entity = %s AND name = %s",
                (self._account, entity, name),
            )
            row = await cursor.fetchone()
        found, expired = live_session(name, row)
        if expired:
            await self.drop(entity, name)
        return found, expired

    async def save(
        self, entity: LookalikeEntity, name: str, dedupe_session_id: str, returned: int
    ) -> StoredSession:
        now = time.time()
        async with self._db.connection() as conn:
            cursor = await conn.execute(
                "INSERT INTO lookalike_sessions AS s (account, entity, name, dedupe_session_id, created_at,"
                " last_used_at, results) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (account, entity, name) DO UPDATE SET"
                " results = CASE WHEN s.dedupe_session_id = EXCLUDED.dedupe_session_id"
                " THEN s.results + EXCLUDED.results ELSE EXCLUDED.results END,"
                " created_at = CASE WHEN s.dedupe_session_id = EXCLUDED.dedupe_session_id"
                " THEN s.created_at ELSE EXCLUDED.created_at END,"
                " dedupe_session_id = EXCLUDED.dedupe_session_id, last_used_at = EXCLUDED.last_used_at"
                " RETURNING results",
                (self._account, entity, name, dedupe_session_id, now, now, returned),
            )
            row = await cursor.fetchone()
        return StoredSession(name, dedupe_session_id, now, int(row[0]) if row else returned)

    async def drop(self, entity: LookalikeEntity, name: str) -> None:
        async with self._db.connection() as conn:
            await conn.execute(
                "DELETE FROM lookalike_sessions WHERE account = %s AND entity = %s AND name = %s",
                (self._account, entity, name),
            )

    async def names(self, entity: LookalikeEntity | None = None) -> list[StoredSession]:
        async with self._db.connection() as conn:
            cursor = await conn.execute(
                "SELECT name, dedupe_session_id, last_used_at, results FROM lookalike_sessions"
                " WHERE account = %s AND last_used_at >= %s AND (%s::text IS NULL OR entity = %s)"
                " ORDER BY last_used_at DESC",
                (self._account, time.time() - SESSION_TTL_SECONDS, entity, entity),
            )
            rows = await cursor.fetchall()
        return [StoredSession(str(r[0]), str(r[1]), float(r[2]), int(r[3])) for r in rows]


class SchemaBehindError(RuntimeError):
    """The database lacks migrations this version needs: run `lusha-mcp migrate`."""


class PostgresStorage:
    """The stores on one PostgreSQL database (`LUSHA_DATABASE_URL`)."""

    def __init__(self, url: str, cache_ttl_days: float = 30.0) -> None:
        self.db = Database(url)
        self.ledger = PostgresLedger(self.db)
        self.cache = PostgresRevealCache(self.db, cache_ttl_days)

    def lookalikes(self, account: str) -> PostgresLookalikes:
        return PostgresLookalikes(self.db, account)

    async def open(self) -> None:
        """Refuse a schema that is behind (SchemaBehindError); an unreachable database is logged
        and the server starts (metered tools refuse until it is back, free ones work)."""
        try:
            async with self.db.connection() as conn:
                exists = await (await conn.execute("SELECT to_regclass(%s)", (MIGRATION_TABLE,))).fetchone()
                applied: set[str] = set()
                if exists and exists[0]:
                    cursor = await conn.execute(APPLIED_SQL)
                    applied = {str(row[0]) for row in await cursor.fetchall()}
                pending = [migration for migration in migration_ids() if migration not in applied]
                if pending:
                    raise SchemaBehindError(behind_message(pending))
                expired = await self.ledger.expire_leases(conn)
                if expired:
                    logger.warning(
                        "%d call(s) pending past the lease marked unknown (still counted)", expired
                    )
            await self.cache.expire()
        except LedgerUnavailable as exc:
            logger.warning(
                "The database is unreachable at start (%s): metered tools refuse until it is back",
                exc.message,
            )

    async def aclose(self) -> None:
        await self.ledger.aclose()
        await self.db.close()
