"""The sandbox's control surface: every test and benchmark route under /_sandbox, in one table.

Not part of Lusha's API; the same api_key; not rate limited (the gate in app.py exempts the prefix).

    GET  /_sandbox/charges            the charge log: total, credits remaining, each call's items
    GET  /_sandbox/requests           requests admitted and refused with 429 by the rate limits, per bucket
    GET  /_sandbox/requests/log       the latest requests, each with its time, bucket and admitted or 429
    POST /_sandbox/credits            {"remaining": n}: set the account's remaining credits
    GET  /_sandbox/faults             the process-wide faults now in force
    POST /_sandbox/faults             set them (latencyMs, errorRate, errorStatus, next, ...)
    POST /_sandbox/lookalikes/age     {"dedupeSessionId", "days"}: age a lookalike session
    GET  /_sandbox/buying-group       the product category the account sells, and the known ones
    POST /_sandbox/buying-group       {"productCategory": ...}: set it (buying groups are for it)
    POST /_sandbox/webhooks/deliver   {"subscriptionId", "signalType"?}: fire a signal delivery (charged)
    POST /_sandbox/webhooks/opt-out   {"contactId", "partnerClientId"?}: fire an opt-out notice (free)

Each control only parses and answers; the state it acts on lives in its domain's backend
(lookalikes/backend.py, buying_group/backend.py, webhooks/backend.py).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lusha_mcp.sandbox.buying_group.records import PRODUCT_CATEGORIES, category_json
from lusha_mcp.sandbox.buying_group.routes import buying_group_backend
from lusha_mcp.sandbox.lookalikes.routes import lookalikes_backend
from lusha_mcp.sandbox.pricing import PRICING
from lusha_mcp.sandbox.state import charger, lusha_json, request_id, sandbox_state
from lusha_mcp.sandbox.webhooks.routes import (
    FireOptOutRequest,
    FireSignalRequest,
    channel,
    webhooks_backend,
)
from lusha_mcp.sandbox.wire import Int, OneOf, Text, WireModel, parse_body, read_json_object


async def charges(request: Request) -> Response:
    """{"totalCreditsCharged": n, "creditsRemaining": n, "calls": [{requestId, operation, items, ...}]}."""
    return lusha_json(sandbox_state(request).account.charge_log())


async def requests(request: Request) -> Response:
    """{"admitted": n, "rateLimited": n, "byBucket": {endpoint: {"admitted", "rateLimited"}}}."""
    return lusha_json(sandbox_state(request).limiter.counts())


async def request_log(request: Request) -> Response:
    """{"requests": [{"at": unix time, "bucket": endpoint, "admitted": bool}, ...]}, oldest first."""
    return lusha_json({"requests": sandbox_state(request).limiter.log()})


class SetCredits(WireModel):
    remaining: Annotated[Int, Field(ge=0)]


async def set_credits(request: Request) -> Response:
    body = await parse_body(request, SetCredits)
    state = sandbox_state(request)
    state.account.set_remaining(body.remaining)
    return lusha_json({"remaining": state.account.remaining, "used": state.account.used})


async def faults(request: Request) -> Response:
    """Set process-wide faults: latencyMs, errorRate, errorStatus, seed, next (list), rateLimitBurst, clear."""
    state = sandbox_state(request)
    if request.method == "GET":
        return lusha_json(state.faults.describe())
    body = await read_json_object(request)
    return lusha_json(state.faults.configure(body))


class Unlisted(WireModel):
    unlisted: list[Annotated[str, OneOf(tuple(sorted(PRICING)))]]


async def pricing(request: Request) -> Response:
    """{"unlisted": [action, ...]}: the actions /v3/account/usage leaves out of `pricing` (an
    account whose plan does not list them); they are still charged, except those the spec says
    are free until listed (signal scores)."""
    state = sandbox_state(request)
    if request.method == "POST":
        state.unlisted = frozenset((await parse_body(request, Unlisted)).unlisted)
    return lusha_json({"unlisted": sorted(state.unlisted)})


async def fire_signal(request: Request) -> Response:
    """Deliver the subscribed entity's latest signal (charged once when sent), with retries."""
    body = await parse_body(request, FireSignalRequest)
    backend = webhooks_backend(request)
    fired = await backend.fire_signal(
        body.subscription_id, body.signal_type, channel(request), charger(request)
    )
    return lusha_json(fired.as_json())


async def fire_opt_out(request: Request) -> Response:
    """Deliver an opt-out notice for a dataset contact to the account's opt-out subscription (free)."""
    body = await parse_body(request, FireOptOutRequest)
    fired = await webhooks_backend(request).fire_opt_out(
        body.contact_id, body.partner_client_id, channel(request)
    )
    return lusha_json(fired.as_json())


class AgeSession(WireModel):
    dedupe_session_id: Text
    days: float


class ProductCategory(WireModel):
    product_category: Annotated[str, OneOf(tuple(PRODUCT_CATEGORIES))]


async def age_lookalike_session(request: Request) -> Response:
    """Move a lookalike session's last use back by `days` (to test its 30-day expiry)."""
    body = await parse_body(request, AgeSession)
    lookalikes_backend(request).age(body.dedupe_session_id, body.days)
    return lusha_json(
        {"dedupeSessionId": body.dedupe_session_id, "agedDays": body.days, "requestId": request_id(request)}
    )


async def buying_group_category(request: Request) -> Response:
    """GET: the account's product category and the known ones; POST {"productCategory": ...}: set it."""
    backend = buying_group_backend(request)
    if request.method == "POST":
        backend.product_category = (await parse_body(request, ProductCategory)).product_category
    return lusha_json(category_json(backend.product_category))


ROUTES = [
    Route("/_sandbox/charges", charges, methods=["GET"]),
    Route("/_sandbox/requests", requests, methods=["GET"]),
    Route("/_sandbox/requests/log", request_log, methods=["GET"]),
    Route("/_sandbox/credits", set_credits, methods=["POST"]),
    Route("/_sandbox/faults", faults, methods=["GET", "POST"]),
    Route("/_sandbox/lookalikes/age", age_lookalike_session, methods=["POST"]),
    Route("/_sandbox/buying-group", buying_group_category, methods=["GET", "POST"]),
    Route("/_sandbox/webhooks/deliver", fire_signal, methods=["POST"]),
    Route("/_sandbox/webhooks/opt-out", fire_opt_out, methods=["POST"]),
    Route("/_sandbox/pricing", pricing, methods=["GET", "POST"]),
]
