"""Where money and identity state lives: one interface, an SQLite and a PostgreSQL engine.

Public API:
- `open_storage(settings) -> Storage`: PostgreSQL when `LUSHA_DATABASE_URL` is set (psycopg 3
  async with a psycopg_pool pool, imported only then), else SQLite files in the data dir.
  `Storage.ledger` (`LedgerStore`), `Storage.cache` (`RevealStore`), `Storage.lookalikes(account)`
  (`LookalikeStore`), `await Storage.open()` (checks the engine), `await Storage.aclose()`.
- `Caller`, `Limits`, `Budgets`, `BudgetLine`, `Reservation`, `LedgerEntry`, `LedgerGroup`,
  `BudgetOverride`, `PurgeReport`, `StoredSession`: the values the stores take and give.
- `report(settings, group_by)`, `budget_overrides(settings)`, `set_budget(...)`,
  `clear_budget(...)`: what the CLI (`ledger`, `budgets`) and doctor call, on either engine.
- `ledger_report(data_dir, group_by)`, `purge_cache(data_dir, ...)`: the SQLite data dir's.
- Migrations (PostgreSQL only, yoyo): `lusha_mcp.storage.migrate` has `pending_migrations(url)`,
  `apply_migrations(url)`, `schema_problem(url)` and `database_status(url)`.

Tables keep no local run state (a column run's progress is read back from Lusha), so there is
no table-run store.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import anyio

import lusha_mcp.guard.policy  # noqa: F401  # pyright: ignore[reportUnusedImport] - the guard first: the SQLite ledger raises its refusals
from lusha_mcp.storage.base import (
    BudgetLine,
    BudgetOverride,
    Budgets,
    Caller,
    GroupBy,
    LedgerEntry,
    LedgerGroup,
    LedgerStore,
    Limits,
    LookalikeEntity,
    LookalikeStore,
    Outcome,
    PurgeReport,
    Reservation,
    RevealStore,
    ScopeKind,
    Storage,
    StoredSession,
    user_key,
)
from lusha_mcp.storage.sqlite_cache import RevealCache, purge_cache
from lusha_mcp.storage.sqlite_ledger import Ledger, ledger_report
from lusha_mcp.storage.sqlite_lookalikes import LookalikeSessionStore

if TYPE_CHECKING:
    from lusha_mcp.settings import Settings
    from lusha_mcp.storage.postgres import PostgresStorage

T = TypeVar("T")

__all__ = [
    "BudgetLine",
    "BudgetOverride",
    "Budgets",
    "Caller",
    "GroupBy",
    "Ledger",
    "LedgerEntry",
    "LedgerGroup",
    "LedgerStore",
    "Limits",
    "LookalikeEntity",
    "LookalikeSessionStore",
    "LookalikeStore",
    "Outcome",
    "PurgeReport",
    "Reservation",
    "RevealCache",
    "RevealStore",
    "ScopeKind",
    "SqliteStorage",
    "Storage",
    "StoredSession",
    "budget_overrides",
    "clear_budget",
    "ledger_report",
    "open_storage",
    "purge",
    "purge_cache",
    "report",
    "set_budget",
    "user_key",
]


class SqliteStorage:
    """Today's files in the data dir: ledger.sqlite, reveal-cache.sqlite, lookalike_sessions.sqlite."""

    def __init__(self, data_dir: Path, cache_ttl_days: float = 30.0) -> None:
        self._data_dir = data_dir
        self.ledger: Ledger = Ledger(data_dir)
        self.cache: RevealCache = RevealCache(data_dir, cache_ttl_days)

    def lookalikes(self, account: str) -> LookalikeSessionStore:
        return LookalikeSessionStore(self._data_dir, account)

    async def open(self) -> None:
        return None

    def close(self) -> None:
        self.ledger.close()
        self.cache.close()

    async def aclose(self) -> None:
        self.close()


def open_storage(settings: Settings) -> Storage:
    """The engine `settings` name: PostgreSQL for a `database_url`, else the data dir's SQLite."""
    if settings.database_url is not None:
        return _postgres(settings.database_url.get_secret_value(), settings.cache_ttl_days)
    return SqliteStorage(settings.data_dir, settings.cache_ttl_days)


TEAM_EXTRA_MISSING = (
    "LUSHA_DATABASE_URL is set but the PostgreSQL driver is not installed: "
    "pip install 'lusha-mcp[team]' (psycopg, psycopg_pool, yoyo-migrations)"
)


def _postgres(url: str, cache_ttl_days: float) -> PostgresStorage:
    try:
        from lusha_mcp.storage.postgres import PostgresStorage
    except ImportError as exc:
        raise RuntimeError(f"{TEAM_EXTRA_MISSING} ({exc})") from None
    return PostgresStorage(url, cache_ttl_days)


async def _with_ledger(settings: Settings, work: Callable[[LedgerStore], Awaitable[T]]) -> T:
    if settings.database_url is None:  # the ledger only: the reveal cache is not opened (nor expired)
        ledger = Ledger(settings.data_dir)
        try:
            return await work(ledger)
        finally:
            ledger.close()
    storage = _postgres(settings.database_url.get_secret_value(), settings.cache_ttl_days)
    try:
        await storage.open()
        return await work(storage.ledger)
    finally:
        await storage.aclose()


def purge(
    settings: Settings, *, contact_id: str | None = None, email: str | None = None, domain: str | None = None
) -> PurgeReport:
    """For `lusha-mcp purge`: remove cached personal data, everything or what matches."""
    if settings.database_url is None:
        return purge_cache(settings.data_dir, contact_id=contact_id, email=email, domain=domain)

    async def work() -> PurgeReport:
        assert settings.database_url is not None
        storage = _postgres(settings.database_url.get_secret_value(), settings.cache_ttl_days)
        try:
            return await storage.cache.erase(contact_id=contact_id, email=email, domain=domain)
        finally:
            await storage.aclose()

    return anyio.run(work)


def report(settings: Settings, group_by: GroupBy) -> list[LedgerGroup]:
    """For `lusha-mcp ledger`: spending grouped by day, tool, session, user or team."""

    async def work(ledger: LedgerStore) -> list[LedgerGroup]:
        return await ledger.group(group_by)

    return anyio.run(_with_ledger, settings, work)


def budget_overrides(settings: Settings) -> list[BudgetOverride]:
    """For `lusha-mcp budgets show`: the daily budgets set per user, team or account."""

    async def work(ledger: LedgerStore) -> list[BudgetOverride]:
        return await ledger.overrides()

    return anyio.run(_with_ledger, settings, work)


def set_budget(settings: Settings, kind: ScopeKind, key: str, daily: int) -> None:
    async def work(ledger: LedgerStore) -> None:
        await ledger.set_override(kind, key, daily)

    anyio.run(_with_ledger, settings, work)


def clear_budget(settings: Settings, kind: ScopeKind, key: str) -> bool:
    """Remove a daily budget set with `set_budget`; False when there was none."""

    async def work(ledger: LedgerStore) -> bool:
        return await ledger.clear_override(kind, key)

    return anyio.run(_with_ledger, settings, work)
