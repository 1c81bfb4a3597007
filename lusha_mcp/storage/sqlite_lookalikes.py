"""The SQLite `LookalikeStore`: named lookalike dedupe sessions, kept in the data dir so "more like these" survives restarts.

One row per (account, entity, name): Lusha's dedupeSessionId and when it was last used. Lusha
keeps a session for 30 days after its last use; a stored session older than that is dropped here
before it is sent, and one Lusha answers 410 for is dropped by the tool, which then starts afresh.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Generator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lusha_mcp.private import private_file
from lusha_mcp.storage.base import LookalikeEntity, StoredSession

SESSION_TTL_SECONDS = 30 * 86_400

_SCHEMA = """
CREATE TABLE IF NOT EXISTS lookalike_sessions (
    account TEXT NOT NULL,
    entity TEXT NOT NULL,
    name TEXT NOT NULL,
    dedupe_session_id TEXT NOT NULL,
    created_at REAL NOT NULL,
    last_used_at REAL NOT NULL,
    results INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account, entity, name)
) WITHOUT ROWID;
"""


def live_session(name: str, row: Sequence[Any] | None) -> tuple[StoredSession | None, bool]:
    """A stored (dedupe_session_id, last_used_at, results) row as a live session, or (None, True)
    when it outlived Lusha's 30 days (the caller drops it)."""
    if row is None:
        return None, False
    if time.time() - float(row[1]) > SESSION_TTL_SECONDS:
        return None, True
    return StoredSession(name, str(row[0]), float(row[1]), int(row[2])), False


def account_key(base_url: str, api_key: str) -> str:
    """Which Lusha account a session belongs to, without keeping the key itself."""
    return hashlib.sha256(f"{base_url}\n{api_key}".encode()).hexdigest()[:16]


class LookalikeSessionStore:
    """SQLite table of named dedupe sessions in `<data_dir>/lookalike_sessions.sqlite`."""

    def __init__(self, data_dir: Path, account: str) -> None:
        self._path = private_file(data_dir / "lookalike_sessions.sqlite")
        self._account = account
        with self._connect() as db:
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Generator[sqlite3.Connection]:
        db = sqlite3.connect(self._path, timeout=10.0)
        try:
            with db:
                yield db
        finally:
            db.close()

    async def get(self, entity: LookalikeEntity, name: str) -> tuple[StoredSession | None, bool]:
        """The live session of that name, and whether an expired one was dropped."""
        with self._connect() as db:
            row = db.execute(
                "SELECT dedupe_session_id, last_used_at, results FROM lookalike_sessions "
                "WHERE account = ? AND entity = ? AND name = ?",
                (self._account, entity, name),
            ).fetchone()
        found, expired = live_session(name, row)
        if expired:
            await self.drop(entity, name)
        return found, expired

    async def save(
        self, entity: LookalikeEntity, name: str, dedupe_session_id: str, returned: int
    ) -> StoredSession:
        now = time.time()
        with self._connect() as db:
            db.execute(
                "INSERT INTO lookalike_sessions(account, entity, name, dedupe_session_id, created_at, "
                "last_used_at, results) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(account, entity, name) DO UPDATE SET "
                "results = CASE WHEN dedupe_session_id = excluded.dedupe_session_id "
                "THEN results + excluded.results ELSE excluded.results END, "
                "created_at = CASE WHEN dedupe_session_id = excluded.dedupe_session_id "
                "THEN created_at ELSE excluded.created_at END, "
                "dedupe_session_id = excluded.dedupe_session_id, last_used_at = excluded.last_used_at",
                (self._account, entity, name, dedupe_session_id, now, now, returned),
            )
            row = db.execute(
                "SELECT results FROM lookalike_sessions WHERE account = ? AND entity = ? AND name = ?",
                (self._account, entity, name),
            ).fetchone()
        return StoredSession(name, dedupe_session_id, now, int(row[0]) if row else returned)

    async def drop(self, entity: LookalikeEntity, name: str) -> None:
        with self._connect() as db:
            db.execute(
                "DELETE FROM lookalike_sessions WHERE account = ? AND entity = ? AND name = ?",
                (self._account, entity, name),
            )

    async def names(self, entity: LookalikeEntity | None = None) -> list[StoredSession]:
        """Live sessions, most recently used first."""
        cutoff = time.time() - SESSION_TTL_SECONDS
        with self._connect() as db:
            rows = db.execute(
                "SELECT name, dedupe_session_id, last_used_at, results FROM lookalike_sessions "
                "WHERE account = ? AND last_used_at >= ? AND (? IS NULL OR entity = ?) "
                "ORDER BY last_used_at DESC",
                (self._account, cutoff, entity, entity),
            ).fetchall()
        return [StoredSession(str(r[0]), str(r[1]), float(r[2]), int(r[3])) for r in rows]
