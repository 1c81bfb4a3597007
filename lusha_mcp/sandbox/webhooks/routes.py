"""The wire of the 11 webhook operations (/api/*): parse the request, call the backend, answer.

Every body and query string is declared below as a model of sandbox/wire.py (the schemas of
Lusha's spec: CreateSubscriptionRequest, UpdateSubscriptionRequest, ...); the rules that need
more than one field or the subscription's state (a signal type of the right entity type, the
defaults of a bulk create) are checked here after parsing, in the same "field.path: problem"
words. The webhooks API shares one 100/minute rate-limit bucket (the gate in app.py). The
control routes that fire deliveries on demand are in endpoints/control.py; their bodies are
declared here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, cast

import httpx
from pydantic import AfterValidator, Field
from pydantic import ValidationError as PydanticValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lusha_mcp.sandbox.errors import bad_request, not_found
from lusha_mcp.sandbox.state import lusha_json, sandbox_state
from lusha_mcp.sandbox.webhooks.backend import NewSubscription, WebhooksBackend
from lusha_mcp.sandbox.webhooks.delivery import Channel, url_problem
from lusha_mcp.sandbox.webhooks.records import (
    ENTITY_SIGNAL_TYPES,
    JsonObject,
    audit_entry_json,
    bulk_json,
    pagination_json,
    stats_json,
)
from lusha_mcp.sandbox.wire import (
    Int,
    OneOf,
    QueryModel,
    Text,
    WireModel,
    parse_body,
    parse_query,
    problem,
    wire_errors,
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


# --- the requests, declared ----------------------------------------------------------------------


def _receiver(url: str) -> str:
    reason = url_problem(url)
    if reason is not None:
        raise problem(reason)
    return url


EntityType = Annotated[str, OneOf(("contact", "company"))]
Url = Annotated[Text, Field(max_length=2048), AfterValidator(_receiver)]
"""A subscription's endpoint: an absolute https URL (http only for a loopback receiver)."""
Name = Annotated[Text, Field(max_length=100)]
SignalTypes = Annotated[list[Text], Field(min_length=1)]
"""Checked against the entity type after parsing (`signal_type_problems`)."""
MAX_BATCH = 25


class Defaults(WireModel):
    url: Url
    entity_type: EntityType | None = None
    signal_types: SignalTypes | None = None


class CreateSubscriptionsRequest(WireModel):
    defaults: Defaults
    subscriptions: Annotated[list[JsonObject], Field(min_length=1, max_length=MAX_BATCH)]
    """Each item is validated on its own (`SubscriptionItem`): a bad item fails alone, in the results."""
    name: Name | None = None


class SubscriptionItem(WireModel):
    entity_id: Annotated[Text, Field(max_length=255)]
    entity_type: EntityType | None = None
    signal_types: SignalTypes | None = None
    name: Name | None = None


class UpdateSubscriptionRequest(WireModel):
    signal_types: SignalTypes | None = None
    url: Url | None = None
    name: Name | None = None
    is_active: bool | None = None
    regenerate_secret: bool | None = None


class DeleteSubscriptionsRequest(WireModel):
    ids: Annotated[list[Text], Field(min_length=1, max_length=MAX_BATCH)]


class CreateOptOutRequest(WireModel):
    entity_type: Annotated[str, OneOf(("contact",))]
    url: Url
    name: Name | None = None


class PageQuery(QueryModel):
    limit: Annotated[Int, Field(ge=1, le=100)] = 10
    offset: Annotated[Int, Field(ge=0)] = 0


class TestQuery(QueryModel):
    mode: Annotated[str, OneOf(("direct", "kafka", "full"))] = "full"


class StatsQuery(QueryModel):
    subscription_id: Text | None = None


class AuditLogQuery(StatsQuery):
    status: Annotated[str, OneOf(("success", "failed", "permanent_failure"))] | None = None
    limit: Annotated[Int, Field(ge=1, le=100)] = 50
    offset: Annotated[Int, Field(ge=0)] = 0


class FireSignalRequest(WireModel):
    """POST /_sandbox/webhooks/deliver."""

    subscription_id: Text
    signal_type: Text | None = None


class FireOptOutRequest(WireModel):
    """POST /_sandbox/webhooks/opt-out."""

    contact_id: Text
    partner_client_id: Text | None = None


def signal_type_problems(types: Sequence[str], entity_type: str | None, path: str) -> list[str]:
    """Each of `types` that is not a signal type of `entity_type` (unknown: not checked)."""
    if entity_type is None:
        return []
    allowed = ENTITY_SIGNAL_TYPES[entity_type]
    return [
        f"{path}[{index}]: '{item}' is not a {entity_type} signal type; use one of: {', '.join(allowed)}"
        for index, item in enumerate(types)
        if item not in allowed
    ]


def _new_subscription(raw: JsonObject, at: str, request: CreateSubscriptionsRequest) -> NewSubscription | str:
    """One item of a bulk create with the defaults applied, or what is wrong with it."""
    try:
        item = SubscriptionItem.model_validate(raw)
    except PydanticValidationError as exc:
        return "; ".join(
            f"{at}.{error}" for error in wire_errors(SubscriptionItem, exc.errors(include_url=False))
        )
    defaults = request.defaults
    entity_type = item.entity_type or defaults.entity_type
    problems: list[str] = []
    if entity_type is None:
        problems.append(f"{at}.entityType: is required (here or in defaults.entityType): contact or company")
    signals, path = item.signal_types, f"{at}.signalTypes"
    if signals is None and defaults.signal_types is not None:
        # Shared defaults may mix contact and company types: each item keeps the ones of its kind.
        allowed = ENTITY_SIGNAL_TYPES.get(entity_type or "", ())
        signals = [kind for kind in defaults.signal_types if kind in allowed] or defaults.signal_types
        path = "defaults.signalTypes"
    if signals is None:
        problems.append(f"{at}.signalTypes: is required (here or in defaults.signalTypes)")
    else:
        problems += signal_type_problems(signals, entity_type, path)
    if problems or entity_type is None or signals is None:
        return "; ".join(problems)
    return NewSubscription(entity_type, item.entity_id, list(signals), item.name or request.name)


# --- handlers ------------------------------------------------------------------------------------


async def create_subscriptions(request: Request) -> Response:
    body = await parse_body(request, CreateSubscriptionsRequest)
    defaults = body.defaults
    problems = signal_type_problems(defaults.signal_types or [], defaults.entity_type, "defaults.signalTypes")
    if problems:
        bad_request(problems)
    items = [
        _new_subscription(item, f"subscriptions[{index}]", body)
        for index, item in enumerate(body.subscriptions)
    ]
    return lusha_json(bulk_json(webhooks_backend(request).create(defaults.url, items)), 201)


async def list_subscriptions(request: Request) -> Response:
    query = parse_query(request, PageQuery)
    subscriptions, total = webhooks_backend(request).page(query.limit, query.offset)
    return lusha_json(
        {
            "data": [item.as_json() for item in subscriptions],
            "pagination": pagination_json(total, query.limit, query.offset),
        }
    )


async def get_subscription(request: Request) -> Response:
    return lusha_json(webhooks_backend(request).get_or_404(str(request.path_params["id"])).as_json())


async def update_subscription(request: Request) -> Response:
    backend = webhooks_backend(request)
    subscription = backend.get_or_404(str(request.path_params["id"]))
    body = await parse_body(request, UpdateSubscriptionRequest)
    problems: list[str] = []
    if body.signal_types is not None:
        if subscription.kind == "optOut":
            problems.append(
                "signalTypes: an opt-out subscription always carries optOut; leave signalTypes out"
            )
        else:
            problems += signal_type_problems(body.signal_types, subscription.entity_type, "signalTypes")
    if problems:
        bad_request(problems)
    updated = backend.update(
        subscription,
        signal_types=None if body.signal_types is None else list(body.signal_types),
        url=body.url,
        name=body.name,
        is_active=body.is_active,
    )
    answer = updated.as_json()
    if body.regenerate_secret:
        answer["secret"] = backend.regenerate_secret()
    return lusha_json(answer)


async def delete_subscriptions(request: Request) -> Response:
    body = await parse_body(request, DeleteSubscriptionsRequest)
    return lusha_json(bulk_json(webhooks_backend(request).delete(body.ids)))


async def test_subscription(request: Request) -> Response:
    backend = webhooks_backend(request)
    subscription = backend.get_or_404(str(request.path_params["id"]))
    query = parse_query(request, TestQuery)
    return lusha_json((await backend.test(subscription, query.mode, channel(request))).as_json())


async def create_opt_out_subscription(request: Request) -> Response:
    body = await parse_body(request, CreateOptOutRequest)
    return lusha_json(webhooks_backend(request).create_opt_out(body.url, body.name).opt_out_json(), 201)


async def audit_logs(request: Request) -> Response:
    query = parse_query(request, AuditLogQuery)
    rows, total = webhooks_backend(request).audit.page(
        subscription_id=query.subscription_id, status=query.status, limit=query.limit, offset=query.offset
    )
    return lusha_json(
        {
            "data": [audit_entry_json(row) for row in rows],
            "pagination": pagination_json(total, query.limit, query.offset),
        }
    )


async def audit_log_stats(request: Request) -> Response:
    query = parse_query(request, StatsQuery)
    return lusha_json(stats_json(webhooks_backend(request).audit.counts(query.subscription_id)))


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
