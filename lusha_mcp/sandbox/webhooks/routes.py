"""The wire of the 11 webhook operations (/api/*): parse the request, call the backend, answer.

The webhooks API shares one 100/minute rate-limit bucket (the gate in app.py). The control
routes that fire deliveries on demand are in endpoints/control.py.
"""

from __future__ import annotations

from typing import Any, cast

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lusha_mcp.sandbox.errors import bad_request, not_found
from lusha_mcp.sandbox.state import lusha_json, sandbox_state
from lusha_mcp.sandbox.validation import FieldCheck, JsonObject, read_json_object
from lusha_mcp.sandbox.webhooks.backend import Charge, NewSubscription, WebhooksBackend
from lusha_mcp.sandbox.webhooks.delivery import Channel, url_problem
from lusha_mcp.sandbox.webhooks.records import (
    ENTITY_SIGNAL_TYPES,
    audit_entry_json,
    bulk_json,
    pagination_json,
    stats_json,
)

# --- what a request reaches ----------------------------------------------------------------------


def webhooks_backend(request: Request) -> WebhooksBackend:
    """The webhooks backend of this request's sandbox app (created on first use)."""
    app_state = request.app.state
    backend = cast(WebhooksBackend | None, getattr(app_state, "webhooks_backend", None))
    if backend is None:
        state = sandbox_state(request)
        backend = WebhooksBackend(state.account, state.dataset)
        app_state.webhooks_backend = backend
    return backend


def channel(request: Request) -> Channel:
    """How this app delivers now: `app.state.webhook_transport` (tests set one) and
    `app.state.webhook_backoff_s`, else the configured backoff."""
    app_state = request.app.state
    transport = cast(httpx.AsyncBaseTransport | None, getattr(app_state, "webhook_transport", None))
    override = getattr(app_state, "webhook_backoff_s", None)
    backoff = float(override) if override is not None else sandbox_state(request).config.webhook_backoff_s
    return Channel(transport, backoff)


def charger(request: Request) -> Charge:
    state = sandbox_state(request)

    def charge(action: str, quantity: int) -> int:
        return state.charge(request, action, quantity)

    return charge


# --- request validation --------------------------------------------------------------------------


def _check_signal_types(
    check: FieldCheck, value: Any, entity_type: str | None, path: str
) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        check.fail(path, "must be a non-empty array of signal types")
        return None
    allowed = ENTITY_SIGNAL_TYPES.get(entity_type or "", ())
    result: list[str] = []
    for index, item in enumerate(cast(list[Any], value)):
        if not isinstance(item, str):
            check.fail(f"{path}[{index}]", "must be a string")
        elif entity_type is not None and item not in allowed:
            check.fail(
                f"{path}[{index}]",
                f"'{item}' is not a {entity_type} signal type; use one of: {', '.join(allowed)}",
            )
        else:
            result.append(item)
    return result if len(result) == len(cast(list[Any], value)) else None


def _check_url(check: FieldCheck, obj: JsonObject, key: str, at: str, *, required: bool) -> str | None:
    url = check.string(obj, key, at=at, required=required, max_length=2048)
    if url is None:
        return None
    problem = url_problem(url)
    if problem is not None:
        check.fail(check.path(at, key), problem)
        return None
    return url


def _query_int(
    check: FieldCheck, request: Request, key: str, *, default: int, minimum: int, maximum: int | None
) -> int:
    raw = request.query_params.get(key)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        check.fail(key, f"must be an integer, got '{raw}'")
        return default
    if value < minimum or (maximum is not None and value > maximum):
        check.fail(
            key,
            f"must be between {minimum} and {maximum}"
            if maximum is not None
            else f"must be at least {minimum}",
        )
        return default
    return value


def _new_subscription(
    item: JsonObject,
    at: str,
    default_type: str | None,
    default_signals: list[str] | None,
    default_name: str | None,
) -> NewSubscription | str:
    """One item of a bulk create with the defaults applied, or what is wrong with it."""
    item_check = FieldCheck()
    item_check.unknown_keys(item, ("entityId", "entityType", "signalTypes", "name"), at=at)
    entity_id = item_check.string(item, "entityId", at=at, required=True, max_length=255)
    entity_type = item_check.string(item, "entityType", at=at, choices=("contact", "company")) or default_type
    if entity_type is None and "entityType" not in item:
        item_check.fail(
            f"{at}.entityType", "is required (here or in defaults.entityType): contact or company"
        )
    raw_signals: Any = item.get("signalTypes")
    path = f"{at}.signalTypes"
    if raw_signals is None and default_signals is not None:
        # Shared defaults may mix contact and company types: each item keeps the ones of its kind.
        allowed = ENTITY_SIGNAL_TYPES.get(entity_type or "", ())
        raw_signals = [kind for kind in default_signals if kind in allowed] or default_signals
        path = "defaults.signalTypes"
    signals = _check_signal_types(item_check, raw_signals, entity_type, path)
    if raw_signals is None:
        item_check.fail(f"{at}.signalTypes", "is required (here or in defaults.signalTypes)")
    name = item_check.string(item, "name", at=at, max_length=100) or default_name
    if item_check.errors:
        return "; ".join(item_check.errors)
    if entity_type is None or entity_id is None or signals is None:
        return "invalid subscription"
    return NewSubscription(entity_type, entity_id, signals, name)


# --- handlers ------------------------------------------------------------------------------------


async def create_subscriptions(request: Request) -> Response:
    body = await read_json_object(request)
    check = FieldCheck()
    check.unknown_keys(body, ("defaults", "subscriptions", "name"))
    defaults = check.obj(body, "defaults", required=True) or {}
    if defaults:
        check.unknown_keys(defaults, ("url", "entityType", "signalTypes"), at="defaults")
    url = _check_url(check, defaults, "url", "defaults", required=True)
    default_type = check.string(defaults, "entityType", at="defaults", choices=("contact", "company"))
    default_signals = _check_signal_types(
        check, defaults.get("signalTypes"), default_type, "defaults.signalTypes"
    )
    default_name = check.string(body, "name", max_length=100)
    items = check.objects(
        check.array(body, "subscriptions", required=True, min_items=1, max_items=25), at="subscriptions"
    )
    check.raise_if_any()
    assert url is not None
    new = [
        _new_subscription(item, f"subscriptions[{index}]", default_type, default_signals, default_name)
        for index, item in items
    ]
    return lusha_json(bulk_json(webhooks_backend(request).create(url, new)), 201)


async def list_subscriptions(request: Request) -> Response:
    check = FieldCheck()
    limit = _query_int(check, request, "limit", default=10, minimum=1, maximum=100)
    offset = _query_int(check, request, "offset", default=0, minimum=0, maximum=None)
    check.raise_if_any()
    subscriptions, total = webhooks_backend(request).page(limit, offset)
    return lusha_json(
        {
            "data": [item.as_json() for item in subscriptions],
            "pagination": pagination_json(total, limit, offset),
        }
    )


async def get_subscription(request: Request) -> Response:
    return lusha_json(webhooks_backend(request).get_or_404(str(request.path_params["id"])).as_json())


async def update_subscription(request: Request) -> Response:
    backend = webhooks_backend(request)
    subscription = backend.get_or_404(str(request.path_params["id"]))
    body = await read_json_object(request)
    check = FieldCheck()
    check.unknown_keys(body, ("signalTypes", "url", "name", "isActive", "regenerateSecret"))
    signals = _check_signal_types(check, body.get("signalTypes"), subscription.entity_type, "signalTypes")
    if subscription.kind == "optOut" and "signalTypes" in body:
        check.fail("signalTypes", "an opt-out subscription always carries optOut; leave signalTypes out")
    url = _check_url(check, body, "url", "", required=False)
    name = check.string(body, "name", max_length=100)
    is_active = check.boolean(body, "isActive")
    regenerate = check.boolean(body, "regenerateSecret")
    check.raise_if_any()
    updated = backend.update(subscription, signal_types=signals, url=url, name=name, is_active=is_active)
    answer = updated.as_json()
    if regenerate:
        answer["secret"] = backend.regenerate_secret()
    return lusha_json(answer)


async def delete_subscriptions(request: Request) -> Response:
    body = await read_json_object(request)
    check = FieldCheck()
    check.unknown_keys(body, ("ids",))
    ids = check.strings(body, "ids", required=True, min_items=1, max_items=25)
    check.raise_if_any()
    assert ids is not None
    return lusha_json(bulk_json(webhooks_backend(request).delete(ids)))


async def test_subscription(request: Request) -> Response:
    backend = webhooks_backend(request)
    subscription = backend.get_or_404(str(request.path_params["id"]))
    mode = request.query_params.get("mode", "full")
    if mode not in ("direct", "kafka", "full"):
        bad_request([f"mode: must be one of: direct, kafka, full (got '{mode}')"])
    return lusha_json((await backend.test(subscription, mode, channel(request))).as_json())


async def create_opt_out_subscription(request: Request) -> Response:
    body = await read_json_object(request)
    check = FieldCheck()
    check.unknown_keys(body, ("entityType", "url", "name"))
    check.string(body, "entityType", required=True, choices=("contact",))
    url = _check_url(check, body, "url", "", required=True)
    name = check.string(body, "name", max_length=100)
    check.raise_if_any()
    assert url is not None
    return lusha_json(webhooks_backend(request).create_opt_out(url, name).opt_out_json(), 201)


async def audit_logs(request: Request) -> Response:
    check = FieldCheck()
    limit = _query_int(check, request, "limit", default=50, minimum=1, maximum=100)
    offset = _query_int(check, request, "offset", default=0, minimum=0, maximum=None)
    status = request.query_params.get("status")
    if status is not None and status not in ("success", "failed", "permanent_failure"):
        check.fail("status", "must be one of: success, failed, permanent_failure")
    check.raise_if_any()
    rows, total = webhooks_backend(request).audit.page(
        subscription_id=request.query_params.get("subscriptionId"), status=status, limit=limit, offset=offset
    )
    return lusha_json(
        {"data": [audit_entry_json(row) for row in rows], "pagination": pagination_json(total, limit, offset)}
    )


async def audit_log_stats(request: Request) -> Response:
    counts = webhooks_backend(request).audit.counts(request.query_params.get("subscriptionId"))
    return lusha_json(stats_json(counts))


async def get_account_secret(request: Request) -> Response:
    secret = webhooks_backend(request).secret()
    if secret is None:
        not_found("Account secret not found. Please generate one first.")
    return lusha_json({"secret": secret})


async def regenerate_account_secret(request: Request) -> Response:
    return lusha_json({"secret": webhooks_backend(request).regenerate_secret()})


ROUTES: list[Route] = [
    Route("/api/subscriptions", create_subscriptions, methods=["POST"]),
    Route("/api/subscriptions", list_subscriptions, methods=["GET"]),
    Route("/api/subscriptions/delete", delete_subscriptions, methods=["POST"]),
    Route("/api/subscriptions/opt-out", create_opt_out_subscription, methods=["POST"]),
    Route("/api/subscriptions/{id}", get_subscription, methods=["GET"]),
    Route("/api/subscriptions/{id}", update_subscription, methods=["PATCH"]),
    Route("/api/subscriptions/{id}/test", test_subscription, methods=["POST"]),
    Route("/api/audit-logs", audit_logs, methods=["GET"]),
    Route("/api/audit-logs/stats", audit_log_stats, methods=["GET"]),
    Route("/api/account/secret", get_account_secret, methods=["GET"]),
    Route("/api/account/secret/regenerate", regenerate_account_secret, methods=["POST"]),
]
"""The 11 operations of Lusha's webhooks API."""
