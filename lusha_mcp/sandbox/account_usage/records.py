"""The account's credits, rate limits, plan and pricing as GET /v3/account/usage answers them.

The state behind it is the account's own (sandbox/account.py: credits; sandbox/ratelimit.py:
limits; sandbox/pricing.py: the pricebook), so this domain has no backend of its own.
"""

from __future__ import annotations

from typing import Any

from lusha_mcp.sandbox.pricing import pricing_json
from lusha_mcp.sandbox.state import SandboxState

PLAN: dict[str, str] = {
    "category": "sandbox",
    "renewalType": "annual",
    "startDate": "2026-01-01T00:00:00.000Z",
    "endDate": "2027-01-01T00:00:00.000Z",
}


def usage_json(state: SandboxState) -> dict[str, Any]:
    used, remaining = state.account.used, state.account.remaining
    return {
        "credits": {"total": used + remaining, "used": used, "remaining": remaining},
        "rateLimits": state.limiter.usage(),
        "plan": dict(PLAN),
        "pricing": pricing_json(state.unlisted),
    }
