"""GET /v3/account/usage: credits, rate limits, plan and pricing (5 requests/minute)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lusha_mcp.sandbox.pricing import pricing_json
from lusha_mcp.sandbox.state import lusha_json, sandbox_state


async def account_usage(request: Request) -> Response:
    state = sandbox_state(request)
    used, remaining = state.account.used, state.account.remaining
    return lusha_json(
        {
            "credits": {"total": used + remaining, "used": used, "remaining": remaining},
            "rateLimits": state.limiter.usage(),
            "plan": {
                "category": "sandbox",
                "renewalType": "annual",
                "startDate": "2026-01-01T00:00:00.000Z",
                "endDate": "2027-01-01T00:00:00.000Z",
            },
            "pricing": pricing_json(state.unlisted),
        }
    )


ROUTES = [Route("/v3/account/usage", account_usage, methods=["GET"])]
