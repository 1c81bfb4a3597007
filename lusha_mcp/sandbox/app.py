"""The sandbox ASGI app: Lusha's V3 API emulated over a generated dataset.

How a domain plugs in (moto's shape)
------------------------------------
* One package per domain, `lusha_mcp/sandbox/<domain>/`:
    - `routes.py`, the wire only: the request declared as `WireModel`s (lusha_mcp/sandbox/wire.py),
      `body = await parse_body(request, Request)` (400 naming every field problem), one call to the
      backend, the answer serialised; and `ROUTES: list[starlette.routing.Route]`.
    - `backend.py`, state and behaviour, no Starlette: a class over `SandboxState` whose methods take
      plain values and a `Charger` (`charger(request)` from lusha_mcp/sandbox/state.py).
    - `records.py`: dataset rows rendered as Lusha's JSON.
  Add its routes module to `DOMAINS` below. Test and benchmark controls (`/_sandbox/...`) go in
  `endpoints/control.py`, the one table of the control surface. contacts/ is a small example.
* A backend reaches the sandbox through `SandboxState` (lusha_mcp/sandbox/state.py):
    - `state.dataset` (sqlite3, read-only dataset), `state.account` (AccountState: `.db` is the
      writable account.sqlite connection, guard writes with `with state.account.lock:`; create your
      own tables with CREATE TABLE IF NOT EXISTS), `state.config` (SandboxConfig).
    - `credits = charge([ChargeItem(action, n), ...], reveals)` charges at once or answers 402
      (nothing charged). Actions and prices: lusha_mcp/sandbox/pricing.py (`PRICING`; add yours there).
    - Routes respond with `results_json(request, Answer(results, credits, successes))` or
      `lusha_json({"requestId": request_id(request), ..., "billing": billing_json(credits, n)})`.
* Errors: raise `LushaHTTPError(status, message, errors)` or the shortcuts in
  lusha_mcp/sandbox/errors.py (`bad_request`, `not_found`, `gone` (410 dedupe body),
  `payment_required`, `gdpr_blocked`, ...). They become {statusCode, message, errors}.
* Auth, rate limits (the webhooks API `/api/*` shares one 100/minute bucket), the x-rate-limit-*
  headers, `x-request-id`, and fault injection are done by the gate below; handlers never see them.
* Activity data: `lusha_mcp/sandbox/activity.py` defining
  `generate_activity(conn: sqlite3.Connection, seed: int) -> None` is called by dataset generation
  after the core tables are written, inside an open transaction (BEGIN; committed after it returns;
  prefer conn.execute over executescript, which commits). Skipped when the module is absent.
  Read the core tables (`companies`, `contacts`; schema in dataset.py, vocabularies in catalog.py)
  and write your own tables (CREATE TABLE + CREATE INDEX). The file is generated into a temp file
  and renamed, so a bug leaves no half-written dataset. Optionally define `ACTIVITY_VERSION: int`
  and bump it when your tables change: stored datasets of another version are regenerated.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Route

from lusha_mcp.sandbox.account import AccountState
from lusha_mcp.sandbox.account_usage import routes as account_usage
from lusha_mcp.sandbox.buying_group import routes as buying_group
from lusha_mcp.sandbox.companies import routes as companies
from lusha_mcp.sandbox.config import SandboxConfig
from lusha_mcp.sandbox.contacts import routes as contacts
from lusha_mcp.sandbox.dataset import open_dataset
from lusha_mcp.sandbox.endpoints import control
from lusha_mcp.sandbox.errors import LushaHTTPError
from lusha_mcp.sandbox.faults import FAULT_HEADER, ConnectionResetFault, FaultControl, FaultPlan
from lusha_mcp.sandbox.filters import routes as filters
from lusha_mcp.sandbox.lookalikes import routes as lookalikes
from lusha_mcp.sandbox.prospecting import routes as prospecting
from lusha_mcp.sandbox.ratelimit import ACCOUNT_USAGE_BUCKET, WEBHOOKS_BUCKET, RateLimiter
from lusha_mcp.sandbox.signals import routes as signals
from lusha_mcp.sandbox.state import SandboxState
from lusha_mcp.sandbox.tables import routes as tables
from lusha_mcp.sandbox.webhooks import routes as webhooks
from lusha_mcp.sandbox.website_visits import routes as website_visits

logger = logging.getLogger(__name__)

DOMAINS = (
    # one package per domain: routes.py (wire) -> backend.py (state, behaviour) -> records.py (JSON)
    contacts,
    companies,
    prospecting,
    filters,
    account_usage,
    tables,
    signals,
    lookalikes,
    buying_group,
    website_visits,
    webhooks,
)
"""Lusha's V3 API, each module exposing ROUTES (no two share a path and method)."""
CONTROLS = control
"""The `/_sandbox/...` test and benchmark controls, in one place."""
CONTROL_PREFIX = "/_sandbox"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _load_routes() -> list[BaseRoute]:
    return [route for module in (*DOMAINS, CONTROLS) for route in module.ROUTES]


class SandboxGate:
    """Auth, rate limits, rate-limit headers, request ids and fault injection around every call."""

    def __init__(self, app: ASGIApp, state: SandboxState, routes: list[BaseRoute]) -> None:
        self.app = app
        self.state = state
        self.routes = routes

    def _operation(self, scope: Scope) -> str:
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL and isinstance(route, Route):
                return route.path
        return scope["path"]

    @staticmethod
    def _bucket(operation: str) -> str:
        if operation.startswith("/api/"):
            return WEBHOOKS_BUCKET
        if operation == "/v3/account/usage":
            return ACCOUNT_USAGE_BUCKET
        return operation

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        req_id = str(uuid.uuid4())
        operation = self._operation(scope)
        scope["lusha_request_id"] = req_id
        scope["lusha_operation"] = f"{scope['method']} {operation}"
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        extra_headers: dict[str, str] = {"x-request-id": req_id}
        try:
            if headers.get("api_key") != self.state.config.api_key:
                extra_headers.update(self.state.limiter.headers(self._bucket(operation)))
                raise LushaHTTPError(
                    401,
                    "Invalid API key"
                    if headers.get("api_key")
                    else "Missing API key: send it in the api_key header",
                )
            if operation.startswith(CONTROL_PREFIX):
                await self.app(scope, receive, self._with_headers(send, extra_headers))
                return
            decision = self.state.limiter.admit(self._bucket(operation))
            extra_headers.update(decision.headers)
            if not decision.allowed:
                raise LushaHTTPError(429, decision.message)
            plan = self.state.faults.next_plan(headers.get(FAULT_HEADER))
            if plan.rate_limit:
                self.state.limiter.refused_by_fault(self._bucket(operation))
        except LushaHTTPError as exc:
            await self._send_error(send, exc, extra_headers)
            return
        await self._run(scope, receive, send, plan, extra_headers)

    async def _run(
        self, scope: Scope, receive: Receive, send: Send, plan: FaultPlan, extra: dict[str, str]
    ) -> None:
        if plan.latency_ms:
            await anyio.sleep(plan.latency_ms / 1000)
        if plan.reset:
            await self._start(send, 200, extra)
            raise ConnectionResetFault()
        if plan.timeout:
            await anyio.sleep(self.state.config.hang_seconds)
            await self._send_error(send, LushaHTTPError(504), extra)
            return
        if plan.rate_limit:
            await self._send_error(send, LushaHTTPError(429), extra)
            return
        if plan.status is not None:
            await self._send_error(send, LushaHTTPError(plan.status), extra)
            return
        if plan.malformed:
            await self._start(send, 200, extra)
            await send(
                {
                    "type": "http.response.body",
                    "body": b'{"requestId": "' + extra["x-request-id"].encode() + b'", "results": [{"id": ',
                }
            )
            return
        if plan.lost:

            async def swallow(message: Message) -> None:
                return None

            await self.app(scope, receive, swallow)
            await anyio.sleep(self.state.config.hang_seconds)
            await self._start(send, 200, extra)
            raise ConnectionResetFault()
        started = False
        forward = self._with_headers(send, extra)

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await forward(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception:
            logger.exception("sandbox handler failed: %s %s", scope["method"], scope["path"])
            if started:
                raise
            await self._send_error(send, LushaHTTPError(500), extra)

    @staticmethod
    def _with_headers(send: Send, extra: dict[str, str]) -> Send:
        encoded = [(key.encode("latin-1"), value.encode("latin-1")) for key, value in extra.items()]

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *encoded]
            await send(message)

        return wrapped

    @staticmethod
    async def _start(send: Send, status: int, extra: dict[str, str]) -> None:
        headers = [(b"content-type", b"application/json")]
        headers += [(key.encode("latin-1"), value.encode("latin-1")) for key, value in extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": headers})

    @staticmethod
    async def _send_error(send: Send, exc: LushaHTTPError, extra: dict[str, str]) -> None:
        body = json.dumps(exc.envelope()).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        headers += [
            (key.encode("latin-1"), value.encode("latin-1"))
            for key, value in {**extra, **exc.headers}.items()
        ]
        await send({"type": "http.response.start", "status": exc.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _lusha_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LushaHTTPError)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f"Endpoint not found: {request.method} {request.url.path}"
    elif exc.status_code == 405:
        message = f"Method {request.method} is not allowed on {request.url.path}"
    else:
        message = exc.detail
    return JSONResponse({"statusCode": exc.status_code, "message": message}, status_code=exc.status_code)


def build_state(config: SandboxConfig) -> SandboxState:
    return SandboxState(
        config=config,
        dataset=open_dataset(config),
        account=AccountState(config.account_path, initial_credits=config.initial_credits),
        limiter=RateLimiter(
            enforce=config.enforce_rate_limits,
            requests_per_second=config.requests_per_second,
            account_usage_per_minute=config.account_usage_per_minute,
            webhooks_per_minute=config.webhooks_per_minute,
            daily_quota=config.daily_quota,
            hourly_quota=config.hourly_quota,
            minute_quota=config.minute_quota,
        ),
        faults=FaultControl(latency_ms=config.latency_ms, error_rate=config.fault_rate, seed=config.seed),
    )


def create_app(config: SandboxConfig) -> Starlette:
    """The sandbox app; the dataset is generated (once) or opened here, so no lifespan is needed."""
    state = build_state(config)
    routes = _load_routes()
    app = Starlette(
        routes=routes,
        exception_handlers={LushaHTTPError: _lusha_error, HTTPException: _http_error},
    )
    app.state.sandbox = state
    app.add_middleware(SandboxGate, state=state, routes=routes)
    return app
