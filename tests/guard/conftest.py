"""Every guard test runs on both storage engines: SQLite in the data dir, and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from lusha_mcp.settings import Settings
from lusha_mcp.storage import LedgerStore, open_storage
from tests.stores import ENGINES, engine_settings


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sandbox_settings(sandbox_settings: Settings, engine: str, request: pytest.FixtureRequest) -> Settings:
    return engine_settings(sandbox_settings, engine, request)


@pytest.fixture
async def store(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[LedgerStore]:
    """The ledger of a fresh data dir (SQLite) or database (PostgreSQL)."""
    storage = open_storage(engine_settings(Settings(data_dir=tmp_path), engine, request))
    await storage.open()
    try:
        yield storage.ledger
    finally:
        await storage.aclose()
