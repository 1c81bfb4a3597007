"""What is retried (429, 502/503/504, failures before sending, lost GETs) and what never is (lost metered POSTs)."""

from __future__ import annotations

import httpx
import pytest

from lusha_mcp.api.errors import (
    APIConnectionError,
    AuthenticationError,
    RateLimitError,
    ResponseLostError,
    ServerError,
)
from lusha_mcp.api.models import ContactSearchItem
from tests.api.conftest import LushaStandIn, Responder, make_client, spend_authorised

pytestmark = pytest.mark.anyio


def _status(status: int, headers: dict[str, str] | None = None) -> Responder:
    def respond(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"statusCode": status, "message": "try later"}, headers=headers)

    return respond


def _raise(exc: type[httpx.TransportError]) -> Responder:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc("transport failed", request=request)

    return handler


@pytest.mark.parametrize(
    "headers",
    [{"retry-after": "0"}, {"x-rate-limit-reset": "0"}, {}],
    ids=["retry-after", "reset-header", "backoff"],
)
async def test_rate_limited_request_is_retried_and_succeeds(
    lusha: LushaStandIn, headers: dict[str, str]
) -> None:
    lusha.script.extend([_status(429, headers), _status(429, headers)])
    async with make_client(lusha) as client, spend_authorised():
        result = await client.contacts.enrich(["1"], reveal=["emails"])

    assert len(lusha.seen) == 3
    assert result.results


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_gateway_and_unavailable_errors_are_retried_and_succeed(
    lusha: LushaStandIn, status: int
) -> None:
    lusha.script.append(_status(status))
    async with make_client(lusha) as client, spend_authorised():
        result = await client.contacts.search([ContactSearchItem(email="dana@acme.com")])

    assert len(lusha.seen) == 2
    assert result.results


@pytest.mark.parametrize("failure", [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout])
async def test_failures_before_sending_are_retried_even_for_metered_calls(
    lusha: LushaStandIn, failure: type[httpx.TransportError]
) -> None:
    lusha.script.append(_raise(failure))
    async with make_client(lusha) as client, spend_authorised():
        result = await client.contacts.enrich(["1"], reveal=["phones"])

    assert len(lusha.seen) == 2
    assert result.results


@pytest.mark.parametrize("failure", [httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ReadError])
async def test_a_metered_post_whose_response_was_lost_is_not_retried(
    lusha: LushaStandIn, failure: type[httpx.TransportError]
) -> None:
    lusha.script.append(_raise(failure))
    async with make_client(lusha) as client, spend_authorised():
        with pytest.raises(ResponseLostError) as caught:
            await client.contacts.enrich(["1"], reveal=["emails"])

    assert len(lusha.seen) == 1
    assert "may have been charged" in caught.value.message
    assert "account usage" in caught.value.message
    assert caught.value.path == "/v3/contacts/enrich"


async def test_an_unreadable_success_body_of_a_metered_post_is_reported_as_possibly_charged(
    lusha: LushaStandIn,
) -> None:
    lusha.script.append(lambda _r: httpx.Response(200, text="{not json"))
    async with make_client(lusha) as client, spend_authorised():
        with pytest.raises(ResponseLostError) as caught:
            await client.contacts.search([ContactSearchItem(id="1")])

    assert len(lusha.seen) == 1
    assert "may have been charged" in caught.value.message


async def test_a_free_get_is_retried_after_a_read_timeout(lusha: LushaStandIn) -> None:
    lusha.script.append(_raise(httpx.ReadTimeout))
    async with make_client(lusha) as client:
        result = await client.signals.contact_types()

    assert len(lusha.seen) == 2
    assert result.signal_types


async def test_retries_stop_after_max_retries_with_the_last_error(lusha: LushaStandIn) -> None:
    lusha.fallback = _status(503)
    async with make_client(lusha, max_retries=2) as client:
        with pytest.raises(ServerError):
            await client.prospecting.contact_filter_types()

    assert len(lusha.seen) == 3


async def test_connection_failures_give_up_with_a_connection_error(lusha: LushaStandIn) -> None:
    lusha.fallback = _raise(httpx.ConnectError)
    async with make_client(lusha, max_retries=1) as client:
        with pytest.raises(APIConnectionError) as caught:
            await client.account.usage()

    assert len(lusha.seen) == 2
    assert "nothing was sent or charged" in caught.value.message


async def test_an_exhausted_daily_quota_is_not_retried(lusha: LushaStandIn) -> None:
    lusha.fallback = _status(429, {"x-rate-limit-daily": "1000", "x-daily-requests-left": "0"})
    async with make_client(lusha) as client:
        with pytest.raises(RateLimitError) as caught:
            await client.prospecting.company_filter_types()
        assert client.rate_limits.daily is not None
        assert client.rate_limits.daily.remaining == 0

    assert len(lusha.seen) == 1
    assert "daily request quota" in caught.value.message


async def test_a_retry_after_longer_than_the_cap_is_raised_not_slept(lusha: LushaStandIn) -> None:
    lusha.fallback = _status(429, {"retry-after": "3600"})
    async with make_client(lusha) as client:
        with pytest.raises(RateLimitError) as caught:
            await client.prospecting.company_filter_types()

    assert caught.value.retry_after == 3600
    assert len(lusha.seen) == 1


async def test_client_errors_are_not_retried(lusha: LushaStandIn) -> None:
    lusha.fallback = _status(401)
    async with make_client(lusha) as client, spend_authorised():
        with pytest.raises(AuthenticationError):
            await client.contacts.search([ContactSearchItem(id="1")])

    assert len(lusha.seen) == 1


async def test_rate_limit_headers_are_exposed_to_callers(lusha: LushaStandIn) -> None:
    async def with_quota_headers(request: httpx.Request) -> httpx.Response:
        answered = await lusha.answer(request, None, {})
        return httpx.Response(
            200,
            content=answered.content,
            headers={
                "content-type": "application/json",
                "x-rate-limit-daily": "5000",
                "x-daily-requests-left": "4990",
                "x-daily-usage": "10",
                "x-rate-limit-hourly": "1000",
                "x-hourly-requests-left": "995",
                "x-rate-limit-minute": "300",
                "x-minute-requests-left": "299",
                "x-minute-usage": "1",
            },
        )

    lusha.fallback = with_quota_headers
    async with make_client(lusha) as client:
        await client.signals.contact_types()
        limits = client.rate_limits

    assert limits.daily is not None
    assert (limits.daily.limit, limits.daily.remaining, limits.daily.used) == (5000, 4990, 10)
    assert limits.hourly is not None
    assert limits.hourly.remaining == 995
    assert limits.minute is not None
    assert (limits.minute.limit, limits.minute.remaining) == (300, 299)
    assert limits.exhausted_quota() is None
