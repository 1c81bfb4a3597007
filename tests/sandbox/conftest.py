"""Fixtures of the sandbox tests: an HTTP client over the in-process sandbox, and the spec."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from lusha_mcp.sandbox import SANDBOX_BASE_URL, sandbox_transport
from lusha_mcp.settings import SANDBOX_API_KEY, Settings
from tests.conftest import SPEC_V3
from tests.sandbox.spec_schema import load_spec


@pytest.fixture
async def http(sandbox_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client talking to the in-process sandbox with the sandbox key."""
    async with httpx.AsyncClient(
        transport=sandbox_transport(sandbox_settings),
        base_url=SANDBOX_BASE_URL,
        headers={"api_key": SANDBOX_API_KEY},
    ) as client:
        yield client


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    """The parsed V3 OpenAPI spec; skips the test when ../shared is not present."""
    loaded = load_spec()
    if loaded is None:
        pytest.skip(reason=f"the Lusha V3 spec is not present at {SPEC_V3}")
    return loaded


@pytest.fixture
async def unthrottled_http(sandbox_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Like `http`, but the sandbox does not enforce rate limits (for tests sending many calls)."""
    settings = sandbox_settings.model_copy(update={"sandbox_rate_limits": False})
    async with httpx.AsyncClient(
        transport=sandbox_transport(settings),
        base_url=SANDBOX_BASE_URL,
        headers={"api_key": SANDBOX_API_KEY},
    ) as client:
        yield client
