"""The sandbox's control surface: every test and benchmark route under /_sandbox, in one table.

Not part of Lusha's API; the same api_key; not rate limited (the gate in app.py exempts the prefix).

    GET  /_sandbox/charges            the charge log: total, credits remaining, each call's items
    GET  /_sandbox/requests           requests admitted and refused with 429 by the rate limits, per bucket
    GET  /_sandbox/requests/log       the latest requests, each with its time, bucket and admitted or 429
    POST /_sandbox/credits            {"remaining": n}: set the account's remaining credits
    GET  /_sandbox/faults             the process-wide faults now in force
    POST /_sandbox/faults             set them (latencyMs, errorRate, errorStatus, next, ...)
    POST /_sandbox/lookalikes/age     {"dedupeSessionId", "days"}: age a lookalike session
    POST /_sandbox/webhooks/deliver   {"subscriptionId", "signalType"?}: fire a signal delivery (charged)
    POST /_sandbox/webhooks/opt-out   {"contactId", "partnerClientId"?}: fire an opt-out notice (free)

The handlers of a domain's controls live beside its state (endpoints/lookalikes.py, webhooks.py).
"""

from __future__ import annotations

from typing import cast

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lusha_mcp.sandbox.endpoints.lookalikes import age_session
from lusha_mcp.sandbox.endpoints.webhooks import fire_opt_out, fire_signal
from lusha_mcp.sandbox.pricing import PRICING
from lusha_mcp.sandbox.state import lusha_json, sandbox_state
from lusha_mcp.sandbox.validation import FieldCheck, read_json_object


async def charges(request: Request) -> Response:
    """{"totalCreditsCharged": n, "creditsRemaining": n, "calls": [{requestId, operation, items, ...}]}."""
    return lusha_json(sandbox_state(request).account.charge_log())


async def requests(request: Request) -> Response:
    """{"admitted": n, "rateLimited": n, "byBucket": {endpoint: {"admitted", "rateLimited"}}}."""
    return lusha_json(sandbox_state(request).limiter.counts())


async def request_log(request: Request) -> Response:
    """{"requests": [{"at": unix time, "bucket": endpoint, "admitted": bool}, ...]}, oldest first."""
    return lusha_json({"requests": sandbox_state(request).limiter.log()})


async def set_credits(request: Request) -> Response:
    body = await read_json_object(request)
    fields = FieldCheck()
    fields.unknown_keys(body, ["remaining"])
    remaining = fields.integer(body, "remaining", required=True, minimum=0)
    fields.raise_if_any()
    assert remaining is not None
    state = sandbox_state(request)
    state.account.set_remaining(remaining)
    return lusha_json({"remaining": state.account.remaining, "used": state.account.used})


async def faults(request: Request) -> Response:
    """Set process-wide faults: latencyMs, errorRate, errorStatus, seed, next (list), rateLimitBurst, clear."""
    state = sandbox_state(request)
    if request.method == "GET":
        return lusha_json(state.faults.describe())
    body = await read_json_object(request)
    return lusha_json(state.faults.configure(body))


async def pricing(request: Request) -> Response:
    """{"unlisted": [action, ...]}: the actions /v3/account/usage leaves out of `pricing` (an
    account whose plan does not list them); they are still charged, except those the spec says
    are free until listed (signal scores)."""
    state = sandbox_state(request)
    if request.method == "POST":
        body = await read_json_object(request)
        fields = FieldCheck()
        fields.unknown_keys(body, ["unlisted"])
        unlisted: object = body.get("unlisted")
        if not isinstance(unlisted, list) or not all(
            isinstance(action, str) and action in PRICING for action in cast(list[object], unlisted)
        ):
            fields.fail("unlisted", f"send a list of priced actions, some of: {', '.join(sorted(PRICING))}")
        fields.raise_if_any()
        state.unlisted = frozenset(unlisted)  # pyright: ignore[reportArgumentType]
    return lusha_json({"unlisted": sorted(state.unlisted)})


ROUTES = [
    Route("/_sandbox/charges", charges, methods=["GET"]),
    Route("/_sandbox/requests", requests, methods=["GET"]),
    Route("/_sandbox/requests/log", request_log, methods=["GET"]),
    Route("/_sandbox/credits", set_credits, methods=["POST"]),
    Route("/_sandbox/faults", faults, methods=["GET", "POST"]),
    Route("/_sandbox/lookalikes/age", age_session, methods=["POST"]),
    Route("/_sandbox/webhooks/deliver", fire_signal, methods=["POST"]),
    Route("/_sandbox/webhooks/opt-out", fire_opt_out, methods=["POST"]),
    Route("/_sandbox/pricing", pricing, methods=["GET", "POST"]),
]
