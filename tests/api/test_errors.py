"""Error statuses map to one class each, from either of Lusha's envelopes, with an actionable message."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from lusha_mcp.api import LushaClient
from lusha_mcp.api.errors import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ClientClosedRequestError,
    GDPRBlockedError,
    GoneError,
    InsufficientCreditsError,
    LushaError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
    RateLimitError,
    ServerError,
)
from lusha_mcp.sandbox.errors import LushaHTTPError, gone
from tests.api.conftest import LushaStandIn, Responder, make_client

pytestmark = pytest.mark.anyio

STATUSES: list[tuple[int, type[APIStatusError], str]] = [
    (400, BadRequestError, "fix the field"),
    (401, AuthenticationError, "LUSHA_API_KEY"),
    (402, InsufficientCreditsError, "account usage"),
    (403, PermissionDeniedError, "plan"),
    (404, NotFoundError, "check the id"),
    (410, GoneError, "without dedupeSessionId"),
    (412, PreconditionFailedError, "adjust the request"),
    (429, RateLimitError, "Wait before retrying"),
    (451, GDPRBlockedError, "GDPR"),
    (499, ClientClosedRequestError, "smaller batches"),
    (500, ServerError, "Retry later"),
    (503, ServerError, "Retry later"),
]


def _answer(status: int, body: Any, headers: dict[str, str] | None = None) -> Responder:
    def respond(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body, headers=headers)

    return respond


async def _failure(client: LushaClient) -> LushaError:
    with pytest.raises(LushaError) as caught:
        await client.prospecting.contact_filter_types()
    return caught.value


@pytest.mark.parametrize(("status", "cls", "hint"), STATUSES, ids=[str(s[0]) for s in STATUSES])
async def test_standard_envelope_maps_status_to_its_class_with_what_to_do(
    lusha: LushaStandIn, status: int, cls: type[APIStatusError], hint: str
) -> None:
    lusha.fallback = _answer(
        status,
        {"statusCode": status, "message": "Something specific happened", "errors": ["ids must not be empty"]},
        {"x-request-id": "req-42"},
    )
    async with make_client(lusha, max_retries=0) as client:
        error = await _failure(client)

    assert type(error) is cls
    assert isinstance(error, APIStatusError)
    assert error.status == status
    assert error.request_id == "req-42"
    assert error.errors == ["ids must not be empty"]
    assert "Something specific happened" in error.message
    assert "ids must not be empty" in error.message
    assert hint in error.message
    assert str(error) == error.message


@pytest.mark.parametrize(("status", "cls", "hint"), STATUSES, ids=[str(s[0]) for s in STATUSES])
async def test_nested_error_envelope_maps_status_to_its_class(
    lusha: LushaStandIn, status: int, cls: type[APIStatusError], hint: str
) -> None:
    lusha.fallback = _answer(status, {"error": {"code": "SOME_CODE", "message": "Nested explanation"}})
    async with make_client(lusha, max_retries=0) as client:
        error = await _failure(client)

    assert type(error) is cls
    assert isinstance(error, APIStatusError)
    assert error.code == "SOME_CODE"
    assert "Nested explanation" in error.message
    assert hint in error.message


async def test_dedupe_session_expiry_is_a_gone_error_that_says_to_start_fresh(lusha: LushaStandIn) -> None:
    # The sandbox's 410 for an expired lookalike session (its LushaHTTPError envelope).
    with pytest.raises(LushaHTTPError) as expired:
        gone()
    lusha.fallback = _answer(410, expired.value.envelope())
    async with make_client(lusha) as client:
        error = await _failure(client)

    assert isinstance(error, GoneError)
    assert error.code == "DEDUPE_SESSION_INVALID"
    assert "start a fresh session" in error.message


async def test_a_non_json_error_body_still_gives_a_clear_error(lusha: LushaStandIn) -> None:
    lusha.fallback = lambda _r: httpx.Response(502, text="<html>Bad gateway</html>")
    async with make_client(lusha, max_retries=0) as client:
        error = await _failure(client)

    assert isinstance(error, ServerError)
    assert error.status == 502
    assert "Retry later" in error.message
