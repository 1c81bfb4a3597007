"""Every guard test runs on both storage engines: SQLite in the data dir, and PostgreSQL."""

from __future__ import annotations

import pytest

from lusha_mcp.settings import Settings
from tests.stores import ENGINES, engine_settings


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sandbox_settings(sandbox_settings: Settings, engine: str, request: pytest.FixtureRequest) -> Settings:
    return engine_settings(sandbox_settings, engine, request)
