"""Webhooks API (/api/*): subscriptions, signed deliveries with retries, audit logs, account secret.

State lives in the account database (tables `webhook_*`), so it survives a restart.

Subscriptions accept any absolute https URL, as Lusha does (plain http only for a loopback
host). Deliveries are POSTed with an `httpx.AsyncClient` over `app.state.webhook_transport` when
one is set (tests deliver to an in-process ASGI receiver), else over the network, and then only
to loopback hosts (localhost, 127.0.0.1, ::1): the sandbox never calls out. A delivery to any
other host is not sent (nor billed, nor retried): it is recorded in the audit log as `failed`
with an error saying why (`undeliverable_reason`). Each delivery body is the
compact JSON of the payload, signed as HMAC-SHA256(secret, f"{timestamp}.{body}") in hex, with
`X-Lusha-Signature`, `X-Lusha-Timestamp` (Unix seconds) and `User-Agent: Lusha-Webhooks/1.0`. The
receiver must answer 2xx with {"received": true, "webhookId": <payload id>, ...}. A failed delivery
is retried up to `MAX_RETRIES` times, waiting `backoff * 2**n` seconds (`app.state.webhook_backoff_s`,
default `DEFAULT_BACKOFF_S`); after that the subscription is disabled with blockReason
"Max retries exceeded". Every attempt is an audit-log row.

Lusha fires deliveries when a signal is detected; the sandbox fires them on demand through its
control surface (same api_key):
    POST /_sandbox/webhooks/deliver {"subscriptionId": "...", "signalType": "promotion"?}
    POST /_sandbox/webhooks/opt-out {"contactId": "..."}
A delivered signal is charged once (showSignalsContact / showSignalsCompany); retries, tests and
opt-out notices are free.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import sqlite3
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, cast
from urllib.parse import urlsplit

import anyio
import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lusha_mcp.sandbox.activity import COMPANY_SIGNAL_TYPES, CONTACT_SIGNAL_TYPES, date_of
from lusha_mcp.sandbox.errors import bad_request, forbidden, not_found
from lusha_mcp.sandbox.state import sandbox_state
from lusha_mcp.sandbox.validation import FieldCheck, JsonObject, read_json_object

MAX_RETRIES: Final = 3
"""Retries after a failed first attempt; then the subscription is disabled."""
DEFAULT_BACKOFF_S: Final = 1.0
"""Base of the exponential retry backoff, seconds (overridable per app: app.state.webhook_backoff_s)."""
DELIVERY_TIMEOUT_S: Final = 10.0
MAX_SUBSCRIPTIONS: Final = 1_000
BLOCK_REASON: Final = "Max retries exceeded"
ACCOUNT_ID: Final = "431705"
USER_AGENT: Final = "Lusha-Webhooks/1.0"

ENTITY_SIGNAL_TYPES: Final[dict[str, tuple[str, ...]]] = {
    "contact": ("allSignals", *CONTACT_SIGNAL_TYPES),
    "company": ("allSignals", *COMPANY_SIGNAL_TYPES),
}

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS webhook_secret (
    id INTEGER PRIMARY KEY CHECK (id = 1), secret TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS webhook_subscriptions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
    entity_type TEXT NOT NULL, entity_id TEXT NOT NULL, signal_types TEXT NOT NULL, url TEXT NOT NULL,
    name TEXT, is_active INTEGER NOT NULL, block_reason TEXT, blocked_at TEXT,
    failures INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS webhook_subscriptions_entity
    ON webhook_subscriptions(kind, entity_type, entity_id);
CREATE TABLE IF NOT EXISTS webhook_audit_logs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, subscription_id TEXT NOT NULL,
    payload_id TEXT NOT NULL, status TEXT NOT NULL, status_code INTEGER, url TEXT NOT NULL,
    delivered_at TEXT NOT NULL, duration_ms INTEGER NOT NULL, error TEXT);
CREATE INDEX IF NOT EXISTS webhook_audit_logs_by_subscription ON webhook_audit_logs(subscription_id, seq);
"""

_SUBSCRIPTION_COLUMNS: Final = (
    "id, kind, entity_type, entity_id, signal_types, url, name, is_active, block_reason, blocked_at, "
    "failures, created_at, updated_at"
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(slots=True)
class Subscription:
    id: str
    kind: str
    entity_type: str
    entity_id: str
    signal_types: list[str]
    url: str
    name: str | None
    is_active: bool
    block_reason: str | None
    blocked_at: str | None
    failures: int
    created_at: str
    updated_at: str

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Subscription:
        return cls(
            id=str(row[0]),
            kind=str(row[1]),
            entity_type=str(row[2]),
            entity_id=str(row[3]),
            signal_types=[str(item) for item in json.loads(row[4])],
            url=str(row[5]),
            name=None if row[6] is None else str(row[6]),
            is_active=bool(row[7]),
            block_reason=None if row[8] is None else str(row[8]),
            blocked_at=None if row[9] is None else str(row[9]),
            failures=int(row[10]),
            created_at=str(row[11]),
            updated_at=str(row[12]),
        )

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "entityType": self.entity_type,
            "entityId": self.entity_id,
            "signalTypes": self.signal_types,
            "url": self.url,
            "isActive": self.is_active,
            "blockReason": self.block_reason,
            "blockedAt": self.blocked_at,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        }
        if self.name is not None:
            body["name"] = self.name
        return body


class WebhookStore:
    """The webhook tables of the account database."""

    def __init__(self, db: sqlite3.Connection, lock: Any) -> None:
        self.db = db
        self.lock = lock
        with self.lock:
            self.db.executescript(_SCHEMA)

    # --- secret ------------------------------------------------------------------------------
    def secret(self) -> str | None:
        with self.lock:
            row = self.db.execute("SELECT secret FROM webhook_secret WHERE id = 1").fetchone()
        return None if row is None else str(row[0])

    def regenerate_secret(self) -> str:
        secret = "whsec_" + secrets.token_hex(24)
        with self.lock:
            self.db.execute(
                "INSERT INTO webhook_secret(id, secret, created_at) VALUES (1, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at",
                (secret, _now()),
            )
        return secret

    # --- subscriptions -----------------------------------------------------------------------
    def count(self) -> int:
        with self.lock:
            return int(self.db.execute("SELECT COUNT(*) FROM webhook_subscriptions").fetchone()[0])

    def get(self, subscription_id: str) -> Subscription | None:
        with self.lock:
            row = self.db.execute(
                f"SELECT {_SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE id = ?", (subscription_id,)
            ).fetchone()
        return None if row is None else Subscription.from_row(row)

    def find(self, kind: str, entity_type: str, entity_id: str) -> Subscription | None:
        with self.lock:
            row = self.db.execute(
                f"SELECT {_SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions "
                "WHERE kind = ? AND entity_type = ? AND entity_id = ?",
                (kind, entity_type, entity_id),
            ).fetchone()
        return None if row is None else Subscription.from_row(row)

    def insert(
        self,
        *,
        kind: str,
        entity_type: str,
        entity_id: str,
        signal_types: list[str],
        url: str,
        name: str | None,
    ) -> Subscription:
        now = _now()
        subscription = Subscription(
            id=secrets.token_hex(12),
            kind=kind,
            entity_type=entity_type,
            entity_id=entity_id,
            signal_types=signal_types,
            url=url,
            name=name,
            is_active=True,
            block_reason=None,
            blocked_at=None,
            failures=0,
            created_at=now,
            updated_at=now,
        )
        with self.lock:
            self.db.execute(
                "INSERT INTO webhook_subscriptions(id, kind, entity_type, entity_id, signal_types, url, name, "
                "is_active, failures, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, 0, ?, ?)",
                (
                    subscription.id,
                    kind,
                    entity_type,
                    entity_id,
                    json.dumps(signal_types),
                    url,
                    name,
                    now,
                    now,
                ),
            )
        return subscription

    def save(self, subscription: Subscription) -> None:
        subscription.updated_at = _now()
        with self.lock:
            self.db.execute(
                "UPDATE webhook_subscriptions SET signal_types = ?, url = ?, name = ?, is_active = ?, "
                "block_reason = ?, blocked_at = ?, failures = ?, updated_at = ? WHERE id = ?",
                (
                    json.dumps(subscription.signal_types),
                    subscription.url,
                    subscription.name,
                    int(subscription.is_active),
                    subscription.block_reason,
                    subscription.blocked_at,
                    subscription.failures,
                    subscription.updated_at,
                    subscription.id,
                ),
            )

    def delete(self, subscription_id: str) -> None:
        with self.lock:
            self.db.execute("DELETE FROM webhook_subscriptions WHERE id = ?", (subscription_id,))

    def page(self, limit: int, offset: int) -> tuple[list[Subscription], int]:
        with self.lock:
            total = int(self.db.execute("SELECT COUNT(*) FROM webhook_subscriptions").fetchone()[0])
            rows = self.db.execute(
                f"SELECT {_SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions ORDER BY seq DESC LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        return [Subscription.from_row(row) for row in rows], total

    # --- audit log ---------------------------------------------------------------------------
    def log(
        self,
        *,
        subscription: Subscription,
        payload_id: str,
        status: str,
        status_code: int | None,
        duration_ms: int,
        error: str | None,
    ) -> None:
        with self.lock:
            self.db.execute(
                "INSERT INTO webhook_audit_logs(id, subscription_id, payload_id, status, status_code, url, "
                "delivered_at, duration_ms, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    "log-" + secrets.token_hex(8),
                    subscription.id,
                    payload_id,
                    status,
                    status_code,
                    subscription.url,
                    _now(),
                    duration_ms,
                    error,
                ),
            )

    def _log_filter(self, subscription_id: str | None, status: str | None) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if subscription_id is not None:
            clauses.append("subscription_id = ?")
            params.append(subscription_id)
        if status is not None:
            clauses.append("status = ?")
            params.append(status)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

    def logs(
        self, *, subscription_id: str | None, status: str | None, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        where, params = self._log_filter(subscription_id, status)
        with self.lock:
            total = int(
                self.db.execute(f"SELECT COUNT(*) FROM webhook_audit_logs{where}", params).fetchone()[0]
            )
            rows = self.db.execute(
                "SELECT id, subscription_id, payload_id, status, status_code, url, delivered_at, duration_ms, error "
                f"FROM webhook_audit_logs{where} ORDER BY seq DESC LIMIT ? OFFSET ?",
                [*params, limit, offset],
            ).fetchall()
        entries: list[dict[str, Any]] = []
        for log_id, sub_id, payload_id, status_value, code, url, at, duration, error in rows:
            entry: dict[str, Any] = {
                "id": log_id,
                "subscriptionId": sub_id,
                "payloadId": payload_id,
                "status": status_value,
                "url": url,
                "deliveredAt": at,
                "durationMs": duration,
                "error": error,
            }
            if code is not None:
                entry["statusCode"] = code
            entries.append(entry)
        return entries, total

    def stats(self, subscription_id: str | None) -> dict[str, Any]:
        where, params = self._log_filter(subscription_id, None)
        with self.lock:
            rows = self.db.execute(
                f"SELECT status, COUNT(*) FROM webhook_audit_logs{where} GROUP BY status", params
            ).fetchall()
        counts = {str(status): int(count) for status, count in rows}
        total = sum(counts.values())
        success = counts.get("success", 0)
        rate = 100.0 * success / total if total else 0.0
        return {"total": total, "success": success, "failed": total - success, "successRate": f"{rate:.2f}%"}


def webhook_store(request: Request) -> WebhookStore:
    state = request.app.state
    store = cast(WebhookStore | None, getattr(state, "webhook_store", None))
    if store is None:
        account = sandbox_state(request).account
        store = WebhookStore(account.db, account.lock)
        state.webhook_store = store
    return store


# --- delivery ------------------------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of `timestamp + "." + body` with the account secret."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url_problem(url: str) -> str | None:
    """Why Lusha would refuse `url` as a subscription's endpoint (None: accepted).

    Any absolute https URL is accepted, as Lusha does; plain http only for a loopback host,
    so that local receivers work (Lusha rejects http endpoints).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an absolute https URL, e.g. https://example.com/webhooks/lusha"
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        return "must use https (http is accepted only for a loopback receiver such as http://127.0.0.1:8080/webhooks)"
    return None


def undeliverable_reason(url: str, *, transport_injected: bool) -> str | None:
    """Why the sandbox will not POST to `url` (None: it delivers there).

    The sandbox never calls out: it delivers over an injected transport (tests) or to loopback
    hosts, and records every other attempt in the audit log as not delivered, with this reason.
    """
    host = urlsplit(url).hostname or ""
    if transport_injected or _is_loopback(host):
        return None
    return (
        f"Not delivered: the sandbox delivers webhooks only to loopback receivers (localhost, 127.0.0.1, ::1) "
        f"and never to {host}; subscribe a local receiver such as http://127.0.0.1:8080/webhooks to receive them"
    )


@dataclass(slots=True)
class DeliveryOutcome:
    delivered: bool
    attempts: int
    status_code: int | None
    duration_ms: int
    error: str | None


def _transport(request: Request) -> httpx.AsyncBaseTransport | None:
    return cast(httpx.AsyncBaseTransport | None, getattr(request.app.state, "webhook_transport", None))


def _backoff(request: Request) -> float:
    override = getattr(request.app.state, "webhook_backoff_s", None)
    return float(override) if override is not None else sandbox_state(request).config.webhook_backoff_s


async def _attempt(
    client: httpx.AsyncClient, subscription: Subscription, payload_id: str, body: bytes, secret: str
) -> tuple[int | None, str | None, int]:
    """One POST: (status code, error or None when acknowledged, duration in ms)."""
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Lusha-Signature": sign(secret, timestamp, body),
        "X-Lusha-Timestamp": timestamp,
    }
    started = time.monotonic()
    try:
        response = await client.post(subscription.url, content=body, headers=headers)
    except httpx.TimeoutException:
        return (
            None,
            f"No response within {DELIVERY_TIMEOUT_S:g} seconds",
            int((time.monotonic() - started) * 1000),
        )
    except httpx.HTTPError as exc:
        return None, f"Delivery failed: {type(exc).__name__}", int((time.monotonic() - started) * 1000)
    duration = int((time.monotonic() - started) * 1000)
    if not 200 <= response.status_code < 300:
        return response.status_code, f"Endpoint answered HTTP {response.status_code}", duration
    try:
        ack: Any = response.json()
    except ValueError:
        return response.status_code, "Acknowledgment is not JSON", duration
    if not isinstance(ack, dict):
        return response.status_code, "Acknowledgment must be a JSON object", duration
    ack_body = cast(dict[str, Any], ack)
    if ack_body.get("received") is not True or ack_body.get("webhookId") != payload_id:
        return (
            response.status_code,
            'Acknowledgment must carry "received": true and the payload id as "webhookId"',
            duration,
        )
    return response.status_code, None, duration


async def deliver(
    request: Request, subscription: Subscription, payload: dict[str, Any], payload_id: str, *, retry: bool
) -> DeliveryOutcome:
    """POST a signed payload, retrying with backoff; disable the subscription when retries run out."""
    store = webhook_store(request)
    secret = store.secret()
    if secret is None:
        bad_request(
            ["secret: the account has no webhook secret"],
            "Account secret not found. Create one with POST /api/account/secret/regenerate first.",
        )
    transport = _transport(request)
    reason = undeliverable_reason(subscription.url, transport_injected=transport is not None)
    if reason is not None:
        store.log(
            subscription=subscription,
            payload_id=payload_id,
            status="failed",
            status_code=None,
            duration_ms=0,
            error=reason,
        )
        return DeliveryOutcome(False, 0, None, 0, reason)
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    backoff = _backoff(request)
    attempts = 1 + (MAX_RETRIES if retry else 0)
    status_code: int | None = None
    error: str | None = None
    duration = 0
    async with httpx.AsyncClient(
        transport=transport, timeout=DELIVERY_TIMEOUT_S, follow_redirects=False
    ) as client:
        for attempt in range(attempts):
            if attempt:
                await anyio.sleep(backoff * 2 ** (attempt - 1))
            status_code, error, duration = await _attempt(client, subscription, payload_id, body, secret)
            last = attempt == attempts - 1
            status = "success" if error is None else ("permanent_failure" if last and retry else "failed")
            store.log(
                subscription=subscription,
                payload_id=payload_id,
                status=status,
                status_code=status_code,
                duration_ms=duration,
                error=error,
            )
            if error is None:
                if retry and subscription.failures:
                    subscription.failures = 0
                    store.save(subscription)
                return DeliveryOutcome(True, attempt + 1, status_code, duration, None)
    if retry:
        subscription.failures += attempts
        subscription.is_active = False
        subscription.block_reason = BLOCK_REASON
        subscription.blocked_at = _now()
        store.save(subscription)
    return DeliveryOutcome(False, attempts, status_code, duration, error)


# --- request validation ----------------------------------------------------------------------------


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
    problem = _url_problem(url)
    if problem is not None:
        check.fail(check.path(at, key), problem)
        return None
    return url


def _require_secret(store: WebhookStore) -> None:
    if store.secret() is None:
        bad_request(
            ["secret: the account has no webhook secret"],
            "Account secret not found. Create one with POST /api/account/secret/regenerate before subscribing.",
        )


# --- handlers ----------------------------------------------------------------------------------------


async def create_subscriptions(request: Request) -> JSONResponse:
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
    store = webhook_store(request)
    _require_secret(store)

    results: list[dict[str, Any]] = []
    existing = store.count()
    for index, item in items:
        item_check = FieldCheck()
        at = f"subscriptions[{index}]"
        item_check.unknown_keys(item, ("entityId", "entityType", "signalTypes", "name"), at=at)
        entity_id = item_check.string(item, "entityId", at=at, required=True, max_length=255)
        entity_type = (
            item_check.string(item, "entityType", at=at, choices=("contact", "company")) or default_type
        )
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
        error: tuple[str, str] | None = None
        if item_check.errors:
            error = ("VALIDATION_ERROR", "; ".join(item_check.errors))
        elif entity_type is not None and entity_id is not None and signals is not None:
            # Any id is accepted (Lusha subscribes ids its own examples use, such as '123456'); a
            # delivery for an id the sandbox dataset lacks carries only what the subscription names.
            if store.find("signal", entity_type, entity_id) is not None:
                error = (
                    "DUPLICATE_SUBSCRIPTION",
                    f"Subscription already exists for entity type '{entity_type}' with entity ID '{entity_id}'",
                )
            elif existing >= MAX_SUBSCRIPTIONS:
                error = (
                    "FORBIDDEN",
                    f"Maximum subscriptions limit ({MAX_SUBSCRIPTIONS}) reached for your account",
                )
            else:
                subscription = store.insert(
                    kind="signal",
                    entity_type=entity_type,
                    entity_id=entity_id,
                    signal_types=signals,
                    url=url,
                    name=name,
                )
                existing += 1
                results.append({"index": index, "success": True, "subscription": subscription.as_json()})
                continue
        else:
            error = ("VALIDATION_ERROR", "invalid subscription")
        results.append({"index": index, "success": False, "error": {"code": error[0], "message": error[1]}})
    successful = sum(1 for result in results if result["success"])
    return JSONResponse(
        {
            "total": len(results),
            "successful": successful,
            "failed": len(results) - successful,
            "results": results,
        },
        status_code=201,
    )


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


def _pagination(total: int, limit: int, offset: int) -> dict[str, Any]:
    return {
        "total": total,
        "limit": limit,
        "offset": offset,
        "hasMore": offset + limit < total,
        "size": limit,
        "page": offset // limit,
    }


async def list_subscriptions(request: Request) -> JSONResponse:
    check = FieldCheck()
    limit = _query_int(check, request, "limit", default=10, minimum=1, maximum=100)
    offset = _query_int(check, request, "offset", default=0, minimum=0, maximum=None)
    check.raise_if_any()
    subscriptions, total = webhook_store(request).page(limit, offset)
    return JSONResponse(
        {"data": [item.as_json() for item in subscriptions], "pagination": _pagination(total, limit, offset)}
    )


def _subscription_or_404(request: Request) -> Subscription:
    subscription_id = str(request.path_params["id"])
    subscription = webhook_store(request).get(subscription_id)
    if subscription is None:
        not_found(f"Subscription with id '{subscription_id}' not found")
    return subscription


async def get_subscription(request: Request) -> JSONResponse:
    return JSONResponse(_subscription_or_404(request).as_json())


async def update_subscription(request: Request) -> JSONResponse:
    subscription = _subscription_or_404(request)
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
    store = webhook_store(request)
    if signals is not None:
        subscription.signal_types = signals
    if url is not None:
        subscription.url = url
    if name is not None:
        subscription.name = name
    if is_active is True and not subscription.is_active:
        subscription.block_reason = None
        subscription.blocked_at = None
        subscription.failures = 0
    if is_active is not None:
        subscription.is_active = is_active
    store.save(subscription)
    response = subscription.as_json()
    if regenerate:
        response["secret"] = store.regenerate_secret()
    return JSONResponse(response)


async def delete_subscriptions(request: Request) -> JSONResponse:
    body = await read_json_object(request)
    check = FieldCheck()
    check.unknown_keys(body, ("ids",))
    ids = check.strings(body, "ids", required=True, min_items=1, max_items=25)
    check.raise_if_any()
    assert ids is not None
    store = webhook_store(request)
    results: list[dict[str, Any]] = []
    for index, subscription_id in enumerate(dict.fromkeys(ids)):
        subscription = store.get(subscription_id)
        if subscription is None:
            results.append(
                {
                    "index": index,
                    "success": False,
                    "error": {
                        "code": "NOT_FOUND",
                        "message": f"Subscription with id '{subscription_id}' not found",
                    },
                }
            )
            continue
        store.delete(subscription_id)
        deleted: dict[str, Any] = {
            "id": subscription.id,
            "entityType": subscription.entity_type,
            "entityId": subscription.entity_id,
        }
        if subscription.name is not None:
            deleted["name"] = subscription.name
        results.append({"index": index, "success": True, "subscription": deleted})
    successful = sum(1 for result in results if result["success"])
    return JSONResponse(
        {
            "total": len(results),
            "successful": successful,
            "failed": len(results) - successful,
            "results": results,
        }
    )


def _test_data(subscription: Subscription, signal_type: str) -> dict[str, Any]:
    if subscription.kind == "optOut":
        return {
            "contactId": "0",
            "fullName": "Test Contact",
            "contactOptOutDate": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.000"),
            "contactExposureDate": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "datapoints": [{"datapointId": "test@example.com", "datapointType": "email"}],
        }
    if subscription.entity_type == "contact":
        return {"personId": subscription.entity_id, "signalDate": date_of(0), "test": True}
    return {
        "companyId": subscription.entity_id,
        "signalType": signal_type,
        "signalDate": date_of(0),
        "test": True,
    }


async def test_subscription(request: Request) -> JSONResponse:
    subscription = _subscription_or_404(request)
    mode = request.query_params.get("mode", "full")
    if mode not in ("direct", "kafka", "full"):
        bad_request([f"mode: must be one of: direct, kafka, full (got '{mode}')"])
    signal_type = next((item for item in subscription.signal_types if item != "allSignals"), None) or (
        CONTACT_SIGNAL_TYPES[0] if subscription.entity_type == "contact" else COMPANY_SIGNAL_TYPES[0]
    )
    payload_id = str(uuid.uuid4())
    data = _test_data(subscription, signal_type)
    payload: dict[str, Any] = {
        "id": payload_id,
        "type": signal_type,
        "entityType": subscription.entity_type,
        "entityId": subscription.entity_id,
        "subscriptionId": subscription.id,
        "data": data,
        "timestamp": _now(),
        "billing": {"creditsCharged": 0},
    }
    outcome = await deliver(request, subscription, payload, payload_id, retry=False)
    flow: dict[str, Any] = {"success": outcome.delivered, "durationMs": outcome.duration_ms}
    if outcome.status_code is not None:
        flow["statusCode"] = outcome.status_code
    body: dict[str, Any] = {
        "subscriptionId": subscription.id,
        "url": subscription.url,
        "mode": mode,
        "flowCheck": flow,
        "testPayload": {"entityType": subscription.entity_type, "signalType": signal_type, "data": data},
        "isSuccess": outcome.delivered,
        "timestamp": _now(),
    }
    if subscription.name is not None:
        body["subscriptionName"] = subscription.name
    if outcome.error is not None:
        body["error"] = outcome.error
    return JSONResponse(body)


async def create_opt_out_subscription(request: Request) -> JSONResponse:
    body = await read_json_object(request)
    check = FieldCheck()
    check.unknown_keys(body, ("entityType", "url", "name"))
    check.string(body, "entityType", required=True, choices=("contact",))
    url = _check_url(check, body, "url", "", required=True)
    name = check.string(body, "name", max_length=100)
    check.raise_if_any()
    assert url is not None
    store = webhook_store(request)
    _require_secret(store)
    if store.find("optOut", "contact", ACCOUNT_ID) is not None:
        forbidden("An opt-out subscription already exists for this account")
    subscription = store.insert(
        kind="optOut",
        entity_type="contact",
        entity_id=ACCOUNT_ID,
        signal_types=["optOut"],
        url=url,
        name=name,
    )
    response = subscription.as_json()
    response.pop("blockReason")
    response.pop("blockedAt")
    return JSONResponse(response, status_code=201)


async def audit_logs(request: Request) -> JSONResponse:
    check = FieldCheck()
    limit = _query_int(check, request, "limit", default=50, minimum=1, maximum=100)
    offset = _query_int(check, request, "offset", default=0, minimum=0, maximum=None)
    status = request.query_params.get("status")
    if status is not None and status not in ("success", "failed", "permanent_failure"):
        check.fail("status", "must be one of: success, failed, permanent_failure")
    check.raise_if_any()
    entries, total = webhook_store(request).logs(
        subscription_id=request.query_params.get("subscriptionId"), status=status, limit=limit, offset=offset
    )
    return JSONResponse({"data": entries, "pagination": _pagination(total, limit, offset)})


async def audit_log_stats(request: Request) -> JSONResponse:
    return JSONResponse(webhook_store(request).stats(request.query_params.get("subscriptionId")))


async def get_account_secret(request: Request) -> JSONResponse:
    secret = webhook_store(request).secret()
    if secret is None:
        not_found("Account secret not found. Please generate one first.")
    return JSONResponse({"secret": secret})


async def regenerate_account_secret(request: Request) -> JSONResponse:
    return JSONResponse({"secret": webhook_store(request).regenerate_secret()})


# --- sandbox control: fire deliveries on demand -------------------------------------------------------


def _signal_event(
    request: Request, subscription: Subscription, wanted: str | None
) -> tuple[str, dict[str, Any]]:
    """The entity's latest signal of a subscribed type (or `wanted`), as (type, payload data)."""
    conn = sandbox_state(request).dataset
    subscribed = [item for item in subscription.signal_types if item != "allSignals"]
    if "allSignals" in subscription.signal_types:
        subscribed = list(ENTITY_SIGNAL_TYPES[subscription.entity_type][1:])
    types = [wanted] if wanted is not None else subscribed
    table, column = (
        ("contact_signals", "contact_id")
        if subscription.entity_type == "contact"
        else ("company_signals", "company_id")
    )
    marks = ",".join("?" * len(types))
    row = conn.execute(
        f"SELECT signal_type, days_ago, payload FROM {table} WHERE {column} = ? AND signal_type IN ({marks}) "
        "ORDER BY days_ago, rowid LIMIT 1",
        [subscription.entity_id, *types],
    ).fetchone()
    signal_type = str(row[0]) if row else types[0]
    details: dict[str, Any] = json.loads(row[2]) if row else {}
    signal_date = date_of(int(row[1])) if row else date_of(0)
    if subscription.entity_type == "contact":
        contact = conn.execute(
            "SELECT c.id, c.job_title, c.departments, k.id, k.name, k.domain FROM contacts c "
            "LEFT JOIN companies k ON k.id = c.company_id WHERE c.id = ?",
            (subscription.entity_id,),
        ).fetchone()
        departments: list[Any] = json.loads(contact[2]) if contact and contact[2] else []
        data: dict[str, Any] = {
            "personId": subscription.entity_id,
            "currentCompanyId": None if contact is None else contact[3],
            "currentCompanyName": None if contact is None else contact[4],
            "currentDomain": None if contact is None else contact[5],
            "currentTitle": None if contact is None else contact[1],
            "currentDepartments": [
                {"id": index + 1, "value": str(item)} for index, item in enumerate(departments)
            ],
            "previousCompanyName": details.get("previousCompany"),
            "previousDomain": details.get("previousCompanyDomain"),
            "previousTitle": details.get("previousTitle"),
            "signalDate": signal_date,
        }
        return signal_type, {key: value for key, value in data.items() if value is not None}
    company = conn.execute(
        "SELECT name, domain FROM companies WHERE id = ?", (subscription.entity_id,)
    ).fetchone()
    details.pop("signalDate", None)
    return signal_type, {
        "companyId": subscription.entity_id,
        "companyName": None if company is None else company[0],
        "domain": None if company is None else company[1],
        **details,
        "signalDate": signal_date,
    }


async def fire_signal(request: Request) -> JSONResponse:
    body = await read_json_object(request)
    check = FieldCheck()
    check.unknown_keys(body, ("subscriptionId", "signalType"))
    subscription_id = check.string(body, "subscriptionId", required=True)
    wanted = check.string(body, "signalType")
    check.raise_if_any()
    assert subscription_id is not None
    store = webhook_store(request)
    subscription = store.get(subscription_id)
    if subscription is None:
        not_found(f"Subscription with id '{subscription_id}' not found")
    if subscription.kind != "signal":
        bad_request(["subscriptionId: an opt-out subscription; fire it with POST /_sandbox/webhooks/opt-out"])
    if not subscription.is_active:
        bad_request(
            [
                f"subscriptionId: subscription '{subscription_id}' is disabled ({subscription.block_reason or 'inactive'})"
            ],
            'Subscription is disabled; reactivate it with PATCH /api/subscriptions/{id} {"isActive": true}',
        )
    if wanted is not None and wanted not in ENTITY_SIGNAL_TYPES[subscription.entity_type][1:]:
        bad_request([f"signalType: '{wanted}' is not a {subscription.entity_type} signal type"])
    if (
        wanted is not None
        and wanted not in subscription.signal_types
        and "allSignals" not in subscription.signal_types
    ):
        bad_request([f"signalType: the subscription is not subscribed to '{wanted}'"])
    if store.secret() is None:
        _require_secret(store)
    signal_type, data = _signal_event(request, subscription, wanted)
    action = "showSignalsContact" if subscription.entity_type == "contact" else "showSignalsCompany"
    sent = undeliverable_reason(subscription.url, transport_injected=_transport(request) is not None) is None
    # A delivery the sandbox does not send (a non-loopback receiver) is not billed.
    credits = sandbox_state(request).charge(request, action, 1 if sent else 0)
    payload_id = str(uuid.uuid4())
    payload: dict[str, Any] = {
        "id": payload_id,
        "type": signal_type,
        "entityType": subscription.entity_type,
        "entityId": subscription.entity_id,
        "subscriptionId": subscription.id,
        "data": data,
        "timestamp": _now(),
        "billing": {"creditsCharged": credits},
    }
    outcome = await deliver(request, subscription, payload, payload_id, retry=True)
    return JSONResponse(
        {
            "payloadId": payload_id,
            "delivered": outcome.delivered,
            "attempts": outcome.attempts,
            "creditsCharged": credits,
            "error": outcome.error,
            "subscription": (store.get(subscription.id) or subscription).as_json(),
        }
    )


async def fire_opt_out(request: Request) -> JSONResponse:
    body = await read_json_object(request)
    check = FieldCheck()
    check.unknown_keys(body, ("contactId", "partnerClientId"))
    contact_id = check.string(body, "contactId", required=True)
    partner = check.string(body, "partnerClientId")
    check.raise_if_any()
    store = webhook_store(request)
    subscription = store.find("optOut", "contact", ACCOUNT_ID)
    if subscription is None:
        not_found("No opt-out subscription; create one with POST /api/subscriptions/opt-out")
    row = (
        sandbox_state(request)
        .dataset.execute(
            "SELECT c.first_name, c.last_name, c.job_title, c.linkedin_url, c.emails, c.phones, k.name "
            "FROM contacts c LEFT JOIN companies k ON k.id = c.company_id WHERE c.id = ?",
            (contact_id,),
        )
        .fetchone()
    )
    if row is None:
        not_found(f"No contact with id '{contact_id}'")
    datapoints: list[dict[str, str]] = []
    for raw, kind in ((row[5], "phone"), (row[4], "email")):
        entries: list[Any] = json.loads(raw) if raw else []
        for item in entries:
            entry = cast(dict[str, Any], item) if isinstance(item, dict) else {"value": item}
            value = entry.get("number") or entry.get("email") or entry.get("value")
            if value:
                datapoints.append({"datapointId": str(value), "datapointType": kind})
    now = datetime.now(UTC)
    payload: dict[str, Any] = {
        "contactId": contact_id,
        "fullName": f"{row[0] or ''} {row[1] or ''}".strip(),
        "companyName": row[6],
        "jobTitle": row[2],
        "linkedinUrl": row[3],
        "contactOptOutDate": now.strftime("%Y-%m-%d %H:%M:%S.") + f"{now.microsecond // 1000:03d}",
        "contactExposureDate": now.strftime("%Y-%m-%d %H:%M:%S"),
        "datapoints": datapoints,
        "partnerClientId": partner,
    }
    payload = {key: value for key, value in payload.items() if value is not None or key == "partnerClientId"}
    payload_id = str(uuid.uuid4())
    payload["id"] = payload_id
    outcome = await deliver(request, subscription, payload, payload_id, retry=True)
    return JSONResponse(
        {
            "payloadId": payload_id,
            "delivered": outcome.delivered,
            "attempts": outcome.attempts,
            "creditsCharged": 0,
            "error": outcome.error,
            "subscription": (store.get(subscription.id) or subscription).as_json(),
        }
    )


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
