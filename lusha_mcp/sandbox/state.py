"""The per-app state every handler reaches through `sandbox_state(request)`."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from starlette.requests import Request
from starlette.responses import JSONResponse

from lusha_mcp.sandbox.account import AccountState, ChargeItem, Reveal
from lusha_mcp.sandbox.config import SandboxConfig
from lusha_mcp.sandbox.faults import FaultControl
from lusha_mcp.sandbox.pricing import FREE_WHILE_UNLISTED
from lusha_mcp.sandbox.ratelimit import RateLimiter


@dataclass(slots=True)
class SandboxState:
    """Everything one sandbox app holds: config, dataset (read-only), account, limits, faults."""

    config: SandboxConfig
    dataset: sqlite3.Connection
    account: AccountState
    limiter: RateLimiter
    faults: FaultControl
    unlisted: frozenset[str] = field(default_factory=frozenset[str])
    """Actions left out of the pricebook /v3/account/usage lists (POST /_sandbox/pricing)."""

    def charge(self, request: Request, action: str, quantity: int, *, reveals: Iterable[Reveal] = ()) -> int:
        """Charge `quantity` units of `action` for this request (402 when unpaid). Returns credits."""
        return self.charge_all(request, [ChargeItem(action, quantity)], reveals=reveals)

    def charge_all(
        self, request: Request, items: Sequence[ChargeItem], *, reveals: Iterable[Reveal] = ()
    ) -> int:
        """Charge all items at once or nothing (402). Returns the credits charged."""
        items = [
            ChargeItem(item.action, 0) if item.action in self.unlisted & FREE_WHILE_UNLISTED else item
            for item in items
        ]
        return self.account.charge_all(
            items, operation=operation_name(request), request_id=request_id(request), reveals=reveals
        )

    def close(self) -> None:
        self.dataset.close()
        self.account.close()


def sandbox_state(request: Request) -> SandboxState:
    return cast(SandboxState, request.app.state.sandbox)


Backend = TypeVar("Backend")
_backends_lock = threading.Lock()


def app_backend(request: Request, name: str, build: Callable[[], Backend]) -> Backend:
    """The backend `name` of this request's sandbox app, built once (on first use) by `build`."""
    with _backends_lock:
        backends = cast(dict[str, Any] | None, getattr(request.app.state, "backends", None))
        if backends is None:
            backends = request.app.state.backends = {}
        if name not in backends:
            backends[name] = build()
        return cast(Backend, backends[name])


Charger = Callable[[Sequence[ChargeItem], Sequence[Reveal]], int]
"""Charges items at once (402, nothing charged, when short) and returns the credits; a backend
gets one from its route (`charger(request)`), so it charges without knowing the request."""


def charger(request: Request) -> Charger:
    state = sandbox_state(request)

    def charge(items: Sequence[ChargeItem], reveals: Sequence[Reveal] = ()) -> int:
        return state.charge_all(request, items, reveals=reveals)

    return charge


def request_id(request: Request) -> str:
    """The id the sandbox gave this request (also sent as `requestId` and `x-request-id`)."""
    value = request.scope.get("lusha_request_id")
    if isinstance(value, str):
        return value
    new_id = str(uuid.uuid4())
    request.scope["lusha_request_id"] = new_id
    return new_id


def operation_name(request: Request) -> str:
    value = request.scope.get("lusha_operation")
    return value if isinstance(value, str) else f"{request.method} {request.url.path}"


def billing_json(credits_charged: int, results_returned: int) -> dict[str, int]:
    return {"creditsCharged": credits_charged, "resultsReturned": results_returned}


@dataclass(frozen=True, slots=True)
class Answer:
    """What a backend call returns: its results, the credits it charged, how many succeeded."""

    results: list[dict[str, Any]]
    credits: int
    successes: int


def results_json(request: Request, answer: Answer) -> JSONResponse:
    """`{requestId, results, billing}`, the answer of search and enrich."""
    return lusha_json(
        {
            "requestId": request_id(request),
            "results": answer.results,
            "billing": billing_json(answer.credits, answer.successes),
        }
    )


def lusha_json(payload: dict[str, Any], status_code: int = 200) -> JSONResponse:
    return JSONResponse(payload, status_code=status_code)
