"""Test and benchmark controls under /_sandbox (not part of Lusha's API; same api_key)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lusha_mcp.sandbox.state import lusha_json, sandbox_state
from lusha_mcp.sandbox.validation import FieldCheck, read_json_object


async def charges(request: Request) -> Response:
    """{"totalCreditsCharged": n, "creditsRemaining": n, "calls": [{requestId, operation, items, ...}]}."""
    return lusha_json(sandbox_state(request).account.charge_log())


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


ROUTES = [
    Route("/_sandbox/charges", charges, methods=["GET"]),
    Route("/_sandbox/credits", set_credits, methods=["POST"]),
    Route("/_sandbox/faults", faults, methods=["GET", "POST"]),
]
