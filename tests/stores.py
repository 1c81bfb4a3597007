"""The ledger and reveal cache of a test's settings, read through the storage interface, so one
test checks the SQLite data dir and a PostgreSQL database alike.

`engine_settings(settings, engine, request)` is what the parametrised `sandbox_settings`
fixtures of tests/guard and tests/reliability call: for "postgresql" it gives the settings a
fresh, migrated database on the session's real PostgreSQL (tests/engines.py; skipped, saying
why, where PostgreSQL cannot run).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

import pytest
from pydantic import SecretStr

from lusha_mcp.settings import Settings
from lusha_mcp.storage import GroupBy, LedgerEntry, LedgerGroup, PurgeReport, Storage, open_storage

ENGINES = ["sqlite", "postgresql"]


def migrated_database(request: pytest.FixtureRequest) -> str:
    """A fresh database (a new one each call) on the session's PostgreSQL with the schema applied."""
    from lusha_mcp.storage.migrate import apply_migrations

    request.getfixturevalue("postgres_url")  # skips, saying why, without PostgreSQL; restarts a stopped one
    url: str = request.getfixturevalue("postgres").create_database()
    apply_migrations(url)
    return url


def engine_settings(settings: Settings, engine: str, request: pytest.FixtureRequest) -> Settings:
    if engine == "sqlite":
        return settings
    return settings.model_copy(update={"database_url": SecretStr(migrated_database(request))})


@asynccontextmanager
async def opened(settings: Settings) -> AsyncGenerator[Storage]:
    storage = open_storage(settings)
    try:
        await storage.open()
        yield storage
    finally:
        await storage.aclose()


async def ledger_entries(settings: Settings) -> list[LedgerEntry]:
    async with opened(settings) as storage:
        return await storage.ledger.list_entries()


def sandbox_settings_on_both_engines() -> object:
    """A module's `sandbox_settings` fixture, parametrised over both engines."""

    @pytest.fixture(params=ENGINES)
    def sandbox_settings(sandbox_settings: Settings, request: pytest.FixtureRequest) -> Settings:
        return engine_settings(sandbox_settings, str(request.param), request)

    return sandbox_settings


async def ledger_groups(settings: Settings, group_by: GroupBy) -> list[LedgerGroup]:
    async with opened(settings) as storage:
        return await storage.ledger.group(group_by)


async def recorded_charges(settings: Settings) -> int:
    return sum(entry.charged or 0 for entry in await ledger_entries(settings))


async def purge(settings: Settings, **selector: str) -> PurgeReport:
    async with opened(settings) as storage:
        return await storage.cache.erase(**selector)


async def cached_text(settings: Settings) -> bytes:
    """Everything the reveal cache holds, as stored: the SQLite files' bytes, or every row of
    the PostgreSQL cache tables as text."""
    if settings.database_url is None:
        return b"".join(path.read_bytes() for path in settings.data_dir.glob("reveal-cache.sqlite*"))
    import psycopg

    async with await psycopg.AsyncConnection.connect(settings.database_url.get_secret_value()) as conn:
        parts: list[str] = []
        for table in ("reveal_contacts", "reveal_contact_emails", "reveal_companies"):
            cursor = await conn.execute(f"SELECT COALESCE(string_agg(t::text, ' '), '') FROM {table} t")
            row = await cursor.fetchone()
            parts.append(str(row[0]) if row else "")
    return " ".join(parts).encode()
