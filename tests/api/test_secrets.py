"""The API key never shows in an error's text, repr, traceback or chained exception."""

from __future__ import annotations

import logging
import traceback

import httpx
import pytest

from lusha_mcp.api import LushaClient
from lusha_mcp.api.errors import APIStatusError, InvalidRequestError, LushaError
from lusha_mcp.api.models import ContactSearchItem
from tests.api.conftest import API_KEY, BASE_URL, LushaStandIn, make_client, spend_authorised

pytestmark = pytest.mark.anyio


def _leaks(error: BaseException) -> list[str]:
    texts = [str(error), repr(error), "".join(traceback.format_exception(error))]
    if isinstance(error, LushaError):
        texts.append(error.message)
    if isinstance(error, APIStatusError):
        texts += [repr(error.body), *error.errors]
    return [t for t in texts if API_KEY in t]


@pytest.mark.parametrize("status", [400, 401, 403, 429, 500])
async def test_an_error_body_echoing_the_key_is_scrubbed(lusha: LushaStandIn, status: int) -> None:
    lusha.fallback = lambda _r: httpx.Response(
        status,
        json={
            "statusCode": status,
            "message": f"Invalid API key {API_KEY}",
            "errors": [f"api_key={API_KEY}"],
        },
    )
    async with make_client(lusha, max_retries=0) as client, spend_authorised():
        with pytest.raises(APIStatusError) as caught:
            await client.contacts.search([ContactSearchItem(id="1")])

    assert _leaks(caught.value) == []
    assert "***" in caught.value.message


@pytest.mark.parametrize(
    "failure", [httpx.ConnectError, httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.UnsupportedProtocol]
)
async def test_transport_failures_never_chain_the_httpx_error_and_its_headers(
    lusha: LushaStandIn, failure: type[httpx.TransportError]
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise failure(f"failed with headers {dict(request.headers)}", request=request)

    lusha.fallback = handler
    async with make_client(lusha, max_retries=1) as client, spend_authorised():
        with pytest.raises(LushaError) as caught:
            await client.contacts.enrich(["1"], reveal=["emails"])

    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None
    assert _leaks(caught.value) == []


async def test_the_client_repr_and_logs_hide_the_key(
    lusha: LushaStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with make_client(lusha) as client:
        await client.signals.contact_types()
        assert API_KEY not in repr(client)
        assert API_KEY not in repr(vars(client))

    assert API_KEY not in caplog.text


async def test_a_missing_key_is_refused_with_what_to_set() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        LushaClient("  ", base_url=BASE_URL)

    assert "LUSHA_API_KEY" in caught.value.message
