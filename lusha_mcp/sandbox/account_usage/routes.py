"""The wire of GET /v3/account/usage (5 requests/minute, enforced by the gate in app.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lusha_mcp.sandbox.account_usage.records import usage_json
from lusha_mcp.sandbox.state import lusha_json, sandbox_state


async def account_usage(request: Request) -> Response:
    return lusha_json(usage_json(sandbox_state(request)))


ROUTES = [Route("/v3/account/usage", account_usage, methods=["GET"])]
