"""A request the in-process sandbox never answers ends at the client's own deadline, as a
network read timeout would: free GETs are retried, metered POSTs are reported lost, not resent."""

from __future__ import annotations

import anyio
import httpx
import pytest

from lusha_mcp.api import LushaClient
from lusha_mcp.api.errors import APITimeoutError, ResponseLostError
from lusha_mcp.sandbox import SANDBOX_BASE_URL, sandbox_transport
from lusha_mcp.settings import SANDBOX_API_KEY, Settings
from tests.api.conftest import spend_authorised
from tests.sandbox.dataset_picks import rows

pytestmark = pytest.mark.anyio

GIVE_UP = 10.0
"""Bound of each test's wait: far below the sandbox's hang, so a missing deadline fails the test."""


class HangFirstRequests(httpx.AsyncBaseTransport):
    """Asks the sandbox to hang (`x-sandbox-fault: timeout`) on the first `hangs` requests."""

    def __init__(self, inner: httpx.AsyncBaseTransport, hangs: int) -> None:
        self.inner = inner
        self.hangs = hangs
        self.sent: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(f"{request.method} {request.url.path}")
        if len(self.sent) <= self.hangs:
            request.headers["x-sandbox-fault"] = "timeout"
        return await self.inner.handle_async_request(request)


def short_deadline_client(transport: httpx.AsyncBaseTransport, *, max_retries: int) -> LushaClient:
    return LushaClient(
        SANDBOX_API_KEY,
        base_url=SANDBOX_BASE_URL,
        transport=transport,
        timeout=0.3,
        connect_timeout=0.1,
        max_retries=max_retries,
        retry_base_delay=0.0,
    )


async def test_a_hung_free_get_times_out_and_is_retried(sandbox_settings: Settings) -> None:
    assert sandbox_settings.timeout >= 10, "the sandbox must hang far longer than the client's deadline"
    transport = HangFirstRequests(sandbox_transport(sandbox_settings), hangs=1)
    async with short_deadline_client(transport, max_retries=2) as client:
        with anyio.fail_after(GIVE_UP):
            types = await client.prospecting.contact_filter_types()

    assert types.request_id
    assert transport.sent == ["GET /v3/contacts/prospecting/filters"] * 2


async def test_a_free_get_that_keeps_hanging_fails_as_a_timeout(sandbox_settings: Settings) -> None:
    transport = HangFirstRequests(sandbox_transport(sandbox_settings), hangs=2)
    async with short_deadline_client(transport, max_retries=1) as client:
        with pytest.raises(APITimeoutError) as caught, anyio.fail_after(GIVE_UP):
            await client.prospecting.contact_filter_types()

    assert "did not answer" in caught.value.message
    assert len(transport.sent) == 2


async def test_a_hung_metered_post_is_reported_lost_and_not_resent(
    sandbox_settings: Settings, sandbox_http: httpx.AsyncClient
) -> None:
    ids = [str(row["id"]) for row in rows(sandbox_settings, "SELECT id FROM contacts ORDER BY seq LIMIT 3")]
    transport = HangFirstRequests(sandbox_transport(sandbox_settings), hangs=1)
    async with short_deadline_client(transport, max_retries=3) as client, spend_authorised():
        with pytest.raises(ResponseLostError) as caught, anyio.fail_after(GIVE_UP):
            await client.contacts.enrich(ids, reveal=["emails"])

    assert "may have been charged" in caught.value.message
    assert transport.sent == ["POST /v3/contacts/enrich"]
    charges = await sandbox_http.get("/_sandbox/charges")
    assert charges.json()["totalCreditsCharged"] == 0
