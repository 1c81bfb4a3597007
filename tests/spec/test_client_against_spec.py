"""The client against Lusha's published spec: every request it sends is one the spec allows, every
example answer of the spec parses, and the spec's documented errors become their classes."""

from __future__ import annotations

from typing import Any, cast

import httpx
import pytest

from lusha_mcp.api import LushaClient
from lusha_mcp.api.errors import (
    AuthenticationError,
    BadRequestError,
    InsufficientCreditsError,
    LushaError,
    NotFoundError,
    PermissionDeniedError,
)
from lusha_mcp.api.models import MeteredResponse
from tests.api.conftest import Responder, make_client, spend_authorised
from tests.api.test_operations import CASES
from tests.spec.lusha_spec import LushaSpecTransport

pytestmark = pytest.mark.anyio


def _answer(status: int, body: Any) -> Responder:
    return lambda _request: httpx.Response(status, json=body)


async def _failure(client: LushaClient) -> LushaError:
    with pytest.raises(LushaError) as caught:
        await client.prospecting.contact_filter_types()
    return caught.value


async def test_every_operation_sends_a_spec_valid_request_and_parses_the_spec_example(
    spec_lusha: LushaSpecTransport,
) -> None:
    assert spec_lusha.spec is not None
    problems: list[str] = []
    for name, method, path, call, model in CASES:
        spec_lusha.seen.clear()
        spec_lusha.invalid.clear()
        async with make_client(spec_lusha) as client, spend_authorised():
            try:
                result = await call(client)
            except LushaError as exc:
                problems.append(f"{name}: {type(exc).__name__}: {exc.message}; invalid: {spec_lusha.invalid}")
                continue
        if spec_lusha.invalid:
            problems.append(f"{name}: request not valid per the spec: {spec_lusha.invalid}")
        if [(s.method, s.path) for s in spec_lusha.seen] != [(method, path)]:
            problems.append(f"{name}: sent {spec_lusha.paths()} instead of {method} {path}")
        if not isinstance(result, model):
            problems.append(f"{name}: parsed as {type(result).__name__}, not {model.__name__}")
        status, example = spec_lusha.spec.example_response(spec_lusha.spec.operation(method, path))
        body = cast("dict[str, Any]", example) if isinstance(example, dict) else {}
        example_results: object = body.get("results")
        if isinstance(example_results, list):
            results: list[Any] = getattr(result, "results")  # noqa: B009
            expected = len(cast("list[Any]", example_results))
            if len(results) != expected:
                problems.append(f"{name}: {len(results)} results parsed of the example's {expected}")
        if "requestId" in body and result.request_id != body["requestId"]:
            problems.append(f"{name}: request id {result.request_id!r} lost")
        if isinstance(result, MeteredResponse) and "billing" in body:
            charged = result.billing.credits_charged if result.billing is not None else None
            if charged != body["billing"].get("creditsCharged", 0):
                problems.append(f"{name}: billing {charged} against the example's {body['billing']}")
        if not 200 <= status < 300:
            problems.append(f"{name}: the spec documents no 2xx example")
    assert problems == []


async def test_v3_not_enabled_says_to_ask_for_v3_access(spec_lusha: LushaSpecTransport) -> None:
    assert spec_lusha.spec is not None
    examples = spec_lusha.spec.error_example("Forbidden")
    v3 = next(e for e in examples if "V3" in e["message"])
    spec_lusha.fallback = _answer(403, v3)
    async with make_client(spec_lusha) as client:
        error = await _failure(client)

    assert isinstance(error, PermissionDeniedError)
    assert "enable the V3 API" in error.message


async def test_spec_error_examples_become_their_classes(spec_lusha: LushaSpecTransport) -> None:
    cases = {
        "BadRequest": BadRequestError,
        "Unauthorized": AuthenticationError,
        "PaymentRequired": InsufficientCreditsError,
        "NotFound": NotFoundError,
    }
    assert spec_lusha.spec is not None
    for name, cls in cases.items():
        example = spec_lusha.spec.error_example(name)
        spec_lusha.fallback = _answer(example["statusCode"], example)
        async with make_client(spec_lusha) as client:
            error = await _failure(client)
        assert type(error) is cls
        assert example["message"] in error.message
