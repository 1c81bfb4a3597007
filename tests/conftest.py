"""Fixtures shared by every test package.

Each test session gets its own data dir (ledger, caches, sandbox dataset) under pytest's tmp
root, so tests never touch the user's real data and never depend on an earlier run.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from lusha_mcp.sandbox import SANDBOX_BASE_URL, sandbox_transport
from lusha_mcp.settings import SANDBOX_API_KEY, Settings

# Real PostgreSQL / Redis fixtures (postgres, postgres_url, redis, redis_url) for every package.
pytest_plugins = ["tests.engines"]

SHARED_DIR = Path(os.environ.get("LUSHA_SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared")
"""Lusha's docs, the MCP registry schema and a tokenizer cache, next to the checkout (not in a plain clone)."""
SPEC_DIR = Path(os.environ.get("LUSHA_SPEC_DIR") or SHARED_DIR / "lusha-api")
"""Lusha's published API docs (openapi-v3.yml): ../shared/lusha-api, or the folder in LUSHA_SPEC_DIR."""
SPEC_V3 = SPEC_DIR / "openapi-v3.yml"
SPEC_MISSING = (
    f"Lusha's V3 spec is not at {SPEC_V3}: download openapi-v3.yml from Lusha's API docs and set "
    "LUSHA_SPEC_DIR to its folder to run the spec tests"
)

LONG_RUNS = os.environ.get("LUSHA_LONG", "") not in ("", "0", "false") or os.environ.get("CI") == "true"
"""`slow` tests (fuzzing, soak, the Node clients) run in CI and with LUSHA_LONG=1; locally they skip."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    del config
    if LONG_RUNS:
        return
    skip = pytest.mark.skip(reason="a long run: set LUSHA_LONG=1 (CI sets CI=true) to include it")
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(skip)


# A small dataset keeps the suite fast; bench/ measures the default size.
TEST_CONTACTS = 4_000
TEST_COMPANIES = 400


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def session_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Holds the sandbox dataset for the whole session (generated once)."""
    return tmp_path_factory.mktemp("lusha-data")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A fresh data dir for one test: its own ledger, caches and sandbox account state."""
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def sandbox_settings(data_dir: Path, session_data_dir: Path) -> Settings:
    """Settings for the embedded sandbox with a small dataset and a per-test data dir.

    The generated dataset is shared by the whole session (sandbox_dataset_dir), while the
    account state (credits, reveals, lookalike sessions, ledger, caches) stays per test.
    """
    return Settings(
        sandbox=True,
        data_dir=data_dir,
        sandbox_dataset_dir=session_data_dir,
        sandbox_contacts=TEST_CONTACTS,
        sandbox_companies=TEST_COMPANIES,
    )


def _sandbox_http(settings: Settings) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=sandbox_transport(settings), base_url=SANDBOX_BASE_URL, headers={"api_key": SANDBOX_API_KEY}
    )


@pytest.fixture
async def http(sandbox_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client talking to the in-process sandbox with the sandbox key."""
    async with _sandbox_http(sandbox_settings) as client:
        yield client


@pytest.fixture
async def unthrottled_http(sandbox_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Like `http`, but the sandbox does not enforce rate limits (for tests sending many calls)."""
    async with _sandbox_http(sandbox_settings.model_copy(update={"sandbox_rate_limits": False})) as client:
        yield client
