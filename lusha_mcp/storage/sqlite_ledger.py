"""The SQLite ledger (the default `LedgerStore`): one row per metered call, and the budgets
computed from it.

SQLite in the data dir, WAL. A call's quote is reserved before it runs and settled after, in
`BEGIN IMMEDIATE` transactions, so concurrent calls (or two servers on one data dir) can never
spend past a budget: a pending reservation counts at its quote until it is settled.

A call whose server process died mid-call (killed, crashed, the machine lost power) is left
`pending`; the next ledger opened on the data dir marks it `unknown` ("quoted, charge unknown"),
and it keeps counting at its quote, since Lusha may have charged it. Each row records the pid of
the process that reserved it, so a live server's pending calls are left alone.

Budgets are summed from the rows, per scope: the session's, the signed-in user's and each of
their teams' rows of today (UTC), and all of today's for the account; overrides set with
`lusha-mcp budgets` live in the `budget_limits` table.

Each transaction takes well under a millisecond, so the async methods run it on the event loop.
Only when the write lock is held elsewhere (another server on the same data dir, or a worker
thread of this one) does it move to a worker thread to wait for it there.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread

from lusha_mcp.guard.confirm import TokenReplayed
from lusha_mcp.guard.policy import OverBudget
from lusha_mcp.private import private_file
from lusha_mcp.storage.base import (
    BudgetLine,
    BudgetOverride,
    Budgets,
    Caller,
    GroupBy,
    LedgerEntry,
    LedgerGroup,
    Limits,
    Outcome,
    Reservation,
    ScopeKind,
)

LEDGER_FILE = "ledger.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at REAL NOT NULL,
    day TEXT NOT NULL,
    session TEXT NOT NULL,
    tool TEXT NOT NULL,
    arguments_hash TEXT NOT NULL,
    quote INTEGER NOT NULL,
    charged INTEGER,
    request_id TEXT,
    outcome TEXT NOT NULL,
    note TEXT,
    pid INTEGER
);
CREATE INDEX IF NOT EXISTS calls_day ON calls(day);
CREATE INDEX IF NOT EXISTS calls_session ON calls(session);
CREATE TABLE IF NOT EXISTS used_tokens (
    token_id TEXT PRIMARY KEY,
    used_at REAL NOT NULL,
    call_id INTEGER
);
CREATE TABLE IF NOT EXISTS budget_limits (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    daily INTEGER NOT NULL,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;
"""

_ADDED_COLUMNS = {"pid": "INTEGER", "user": "TEXT", "teams": "TEXT"}
"""Columns a ledger written by an older version lacks (`teams`: ",a,b," or NULL)."""

# A pending or unknown call counts at its quote; a settled one at what Lusha charged.
_SPENT = "COALESCE(SUM(CASE WHEN outcome IN ('pending', 'unknown') THEN MAX(quote, COALESCE(charged, 0)) ELSE COALESCE(charged, 0) END), 0)"

_WHERE: dict[ScopeKind, str] = {
    "session": "session = ?",
    "user": "day = ? AND user = ?",
    "team": "day = ? AND instr(teams, ?) > 0",
    "account": "day = ?",
}

T = TypeVar("T")

INLINE_BUSY_TIMEOUT_MS = 5
"""How long a transaction on the event loop waits for a write lock held elsewhere before it
moves to a worker thread."""
THREAD_BUSY_TIMEOUT_MS = 30_000


def utc_day(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).date().isoformat()


def _teams_text(teams: Sequence[str]) -> str | None:
    return "," + ",".join(sorted(set(teams))) + "," if teams else None


def _scope_params(kind: ScopeKind, key: str, day: str) -> tuple[str, ...]:
    return {"session": (key,), "user": (day, key), "team": (day, f",{key},"), "account": (day,)}[kind]


def _spending_query(scopes: Sequence[tuple[ScopeKind, str]]) -> str:
    return "SELECT " + ", ".join(f"(SELECT {_SPENT} FROM calls WHERE {_WHERE[kind]})" for kind, _ in scopes)


class Ledger:
    """Thread-safe. The async methods run their transaction on the event loop unless the lock is
    held elsewhere; the `*_now` methods and the reports wait for it."""

    def __init__(self, data_dir: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = private_file(data_dir / LEDGER_FILE)
        self._clock = clock
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            self.path, timeout=THREAD_BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(calls)")}
        for name, kind in _ADDED_COLUMNS.items():
            if name not in columns:  # a ledger written by an older version
                self._conn.execute(f"ALTER TABLE calls ADD COLUMN {name} {kind}")
        self.recovered = self._recover_dead_calls()
        """Calls of dead processes this ledger marked unknown when it opened."""
        self._conn.execute(f"PRAGMA busy_timeout={INLINE_BUSY_TIMEOUT_MS}")

    def _recover_dead_calls(self) -> int:
        """Mark `unknown` the pending calls whose process is gone: they stay counted at their quote."""
        pending = self._conn.execute("SELECT id, pid FROM calls WHERE outcome = 'pending'").fetchall()
        dead = [(call_id, pid) for call_id, pid in pending if not _process_alive(pid)]
        if dead:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(
                    "UPDATE calls SET outcome = 'unknown', note = ? WHERE id = ? AND outcome = 'pending'",
                    [
                        (
                            f"the server process{f' (pid {pid})' if pid else ''} ended mid-call: quoted, "
                            "charge unknown",
                            call_id,
                        )
                        for call_id, pid in dead
                    ],
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return len(dead)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _immediate(self, body: Callable[[sqlite3.Connection], T]) -> T:
        """`body` in one BEGIN IMMEDIATE transaction; the caller holds the lock."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = body(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return result

    def _patiently(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work` under the lock, waiting as long as it takes for a write lock held elsewhere."""
        with self._lock:
            self._conn.execute(f"PRAGMA busy_timeout={THREAD_BUSY_TIMEOUT_MS}")
            try:
                return work(self._conn)
            finally:
                self._conn.execute(f"PRAGMA busy_timeout={INLINE_BUSY_TIMEOUT_MS}")

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        if self._lock.acquire(blocking=False):
            try:
                return work(self._conn)
            except sqlite3.OperationalError as exc:
                if not _busy(exc):
                    raise
            finally:
                self._lock.release()
        return await anyio.to_thread.run_sync(self._patiently, work)

    # --- budgets ---------------------------------------------------------------------------
    def _budgets(self, conn: sqlite3.Connection, caller: Caller, limits: Limits, day: str) -> Budgets:
        scopes = caller.scopes()
        params = [param for kind, key in scopes for param in _scope_params(kind, key, day)]
        spent = conn.execute(_spending_query(scopes), params).fetchone()
        overrides = {
            (kind, key): daily
            for kind, key, daily in conn.execute("SELECT kind, key, daily FROM budget_limits")
        }
        return Budgets(
            tuple(
                BudgetLine(kind, key, overrides.get((kind, key), limits.default(kind)), int(amount))
                for (kind, key), amount in zip(scopes, spent, strict=True)
            )
        )

    async def budgets(self, caller: Caller, limits: Limits) -> Budgets:
        return await self._run(lambda conn: self._budgets(conn, caller, limits, utc_day(self._clock())))

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
        """Check the token (when given) and the budgets, and record the call as pending at its
        quote, all in one transaction. Raises TokenReplayed or OverBudget."""

        def reserve(conn: sqlite3.Connection) -> Reservation:
            now = self._clock()
            day = utc_day(now)
            if token_id is not None and _token_used(conn, token_id):
                raise TokenReplayed()
            refusing = self._budgets(conn, caller, limits, day).refusing(quote)
            if refusing is not None:
                raise OverBudget(quote, refusing.kind, refusing.left or 0, key=refusing.key)
            cursor = conn.execute(
                "INSERT INTO calls (created_at, day, session, user, teams, tool, arguments_hash, quote,"
                " outcome, pid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
                (
                    now,
                    day,
                    caller.session,
                    caller.user,
                    _teams_text(caller.teams),
                    tool,
                    arguments_hash,
                    quote,
                    os.getpid(),
                ),
            )
            call_id = int(cursor.lastrowid or 0)
            if token_id is not None:
                try:
                    conn.execute(
                        "INSERT INTO used_tokens (token_id, used_at, call_id) VALUES (?, ?, ?)",
                        (token_id, now, call_id),
                    )
                except sqlite3.IntegrityError:
                    raise TokenReplayed() from None
            return Reservation(call_id=call_id, quote=quote, session=caller.session, caller=caller)

        return await self._run(lambda conn: self._immediate(reserve))

    async def consume_token(self, token_id: str) -> None:
        """Mark a token used by a call that spent nothing; refuse it if it was used before."""

        def write(conn: sqlite3.Connection) -> None:
            try:
                conn.execute(
                    "INSERT INTO used_tokens (token_id, used_at) VALUES (?, ?)", (token_id, self._clock())
                )
            except sqlite3.IntegrityError:
                raise TokenReplayed() from None

        await self._run(lambda conn: self._immediate(write))

    def token_used(self, token_id: str) -> bool:
        return self._patiently(lambda conn: _token_used(conn, token_id))

    async def settle(
        self,
        reservation: Reservation,
        *,
        charged: int | None,
        request_id: str | None,
        outcome: Outcome,
        note: str | None = None,
    ) -> None:
        """Record the outcome of a reserved call."""

        def settle(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE calls SET charged = ?, request_id = ?, outcome = ?, note = ? WHERE id = ?",
                (charged, request_id, outcome, note, reservation.call_id),
            )

        await self._run(lambda conn: self._immediate(settle))

    async def record_free(self, caller: Caller, *, tool: str, arguments_hash: str, note: str) -> None:
        """A metered tool answered without calling Lusha (served from the cache)."""

        def write(conn: sqlite3.Connection) -> None:
            now = self._clock()
            conn.execute(
                "INSERT INTO calls (created_at, day, session, user, teams, tool, arguments_hash, quote,"
                " charged, outcome, note) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 'cached', ?)",
                (
                    now,
                    utc_day(now),
                    caller.session,
                    caller.user,
                    _teams_text(caller.teams),
                    tool,
                    arguments_hash,
                    note,
                ),
            )

        await self._run(lambda conn: self._immediate(write))

    # --- budget overrides (lusha-mcp budgets) --------------------------------------------------
    async def set_override(self, kind: ScopeKind, key: str, daily: int) -> None:
        self._patiently(
            lambda conn: conn.execute(
                "INSERT OR REPLACE INTO budget_limits (kind, key, daily) VALUES (?, ?, ?)", (kind, key, daily)
            )
        )

    async def clear_override(self, kind: ScopeKind, key: str) -> bool:
        cursor = self._patiently(
            lambda conn: conn.execute("DELETE FROM budget_limits WHERE kind = ? AND key = ?", (kind, key))
        )
        return cursor.rowcount > 0

    async def overrides(self) -> list[BudgetOverride]:
        rows = self._patiently(
            lambda conn: conn.execute(
                "SELECT kind, key, daily FROM budget_limits ORDER BY kind, key"
            ).fetchall()
        )
        return [BudgetOverride(kind=kind, key=key, daily=daily) for kind, key, daily in rows]

    # --- reports ---------------------------------------------------------------------------
    async def list_entries(self, *, session: str | None = None) -> list[LedgerEntry]:
        return self.entries(session=session)

    async def tool_spend(self, caller: Caller) -> dict[str, tuple[int, int]]:
        return self.spent_by_tool(caller.session)

    async def group(self, group_by: GroupBy) -> list[LedgerGroup]:
        return self.report(group_by)

    async def aclose(self) -> None:
        self.close()

    def entries(self, *, session: str | None = None, day: str | None = None) -> list[LedgerEntry]:
        query = "SELECT * FROM calls"
        clauses: list[str] = []
        params: list[str] = []
        if session is not None:
            clauses.append("session = ?")
            params.append(session)
        if day is not None:
            clauses.append("day = ?")
            params.append(day)
        if clauses:
            query += " WHERE " + " AND ".join(clauses)
        with self._lock:
            cursor = self._conn.execute(query + " ORDER BY id", params)
            names = [column[0] for column in cursor.description]
            rows = cursor.fetchall()
        return [_entry(dict(zip(names, row, strict=True))) for row in rows]

    def report(self, group_by: GroupBy = "day") -> list[LedgerGroup]:
        if group_by == "team":  # a call counts for each of its teams: split them here
            with self._lock:
                rows = self._conn.execute(
                    "SELECT teams, quote, charged, outcome FROM calls WHERE teams IS NOT NULL"
                ).fetchall()
            return group_rows(
                (team, quote, charged, outcome)
                for teams, quote, charged, outcome in rows
                for team in str(teams).strip(",").split(",")
            )
        column = {"day": "day", "tool": "tool", "session": "session", "user": "user"}[group_by]
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {column}, COUNT(*), COALESCE(SUM(quote), 0), COALESCE(SUM(charged), 0),"
                f" SUM(outcome = 'over_quote'), SUM(outcome IN ('pending', 'unknown')),"
                f" COALESCE(SUM(CASE WHEN outcome IN ('pending', 'unknown') THEN quote END), 0)"
                f" FROM calls WHERE {column} IS NOT NULL GROUP BY {column} ORDER BY {column}"
            ).fetchall()
        return [
            LedgerGroup(
                key=str(key),
                calls=calls,
                quoted=quoted,
                charged=charged,
                over_quote=int(over or 0),
                unknown=int(unknown or 0),
                unknown_quoted=int(unknown_quoted or 0),
            )
            for key, calls, quoted, charged, over, unknown, unknown_quoted in rows
        ]

    def spent_by_tool(self, session: str) -> dict[str, tuple[int, int]]:
        """Tool -> (spent this session, spent today), counted as the budgets count them."""
        with self._lock:
            rows = self._conn.execute(
                f"SELECT tool, (SELECT {_SPENT} FROM calls c WHERE c.tool = t.tool AND c.session = ?1),"
                f" (SELECT {_SPENT} FROM calls c WHERE c.tool = t.tool AND c.day = ?2)"
                " FROM (SELECT DISTINCT tool FROM calls WHERE session = ?1 OR day = ?2) t ORDER BY tool",
                (session, utc_day(self._clock())),
            ).fetchall()
        return {str(tool): (int(by_session), int(by_day)) for tool, by_session, by_day in rows}

    def total_charged(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COALESCE(SUM(charged), 0) FROM calls").fetchone()[0])


def _entry(row: dict[str, Any]) -> LedgerEntry:
    teams = row.pop("teams", None)
    row.pop("pid", None)
    return LedgerEntry.model_validate({**row, "teams": str(teams).strip(",").split(",") if teams else []})


def group_rows(rows: Any) -> list[LedgerGroup]:
    """Ledger groups summed from (key, quote, charged, outcome) rows, ordered by key."""
    groups: dict[str, LedgerGroup] = {}
    for key, quote, charged, outcome in rows:
        group = groups.setdefault(
            str(key), LedgerGroup(key=str(key), calls=0, quoted=0, charged=0, over_quote=0)
        )
        group.calls += 1
        group.quoted += int(quote)
        group.charged += int(charged or 0)
        group.over_quote += outcome == "over_quote"
        if outcome in ("pending", "unknown"):
            group.unknown += 1
            group.unknown_quoted += int(quote)
    return [groups[key] for key in sorted(groups)]


def _process_alive(pid: int | None) -> bool:
    """Whether the process that reserved a call still runs (a row without a pid predates them)."""
    if pid is None:
        return False
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # no signal-0 probe there: leave the call pending (still counted)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _token_used(conn: sqlite3.Connection, token_id: str) -> bool:
    return conn.execute("SELECT 1 FROM used_tokens WHERE token_id = ?", (token_id,)).fetchone() is not None


def _busy(exc: sqlite3.OperationalError) -> bool:
    return exc.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def ledger_report(data_dir: Path, group_by: GroupBy = "day") -> list[LedgerGroup]:
    """Spending in one data dir's SQLite ledger, grouped by day, tool, session, user or team."""
    ledger = Ledger(data_dir)
    try:
        return ledger.report(group_by)
    finally:
        ledger.close()
