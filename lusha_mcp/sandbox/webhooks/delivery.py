"""Delivering webhooks: which receivers are accepted and reached, signing, the POST with its
retries and backoff, and the audit log every attempt is written to.

Subscriptions accept any absolute https URL, as Lusha does (plain http only for a loopback
host). Deliveries are POSTed with an `httpx.AsyncClient` over the channel's transport when one is
set (tests deliver to an in-process ASGI receiver), else over the network, and then only to
loopback hosts (localhost, 127.0.0.1, ::1): the sandbox never calls out. A delivery to any other
host is not sent (nor billed, nor retried): it is recorded in the audit log as `failed` with an
error saying why (`undeliverable_reason`).

Each delivery body is the compact JSON of the payload, signed as
HMAC-SHA256(secret, f"{timestamp}.{body}") in hex, with `X-Lusha-Signature`, `X-Lusha-Timestamp`
(Unix seconds) and `User-Agent: Lusha-Webhooks/1.0`. The receiver must answer 2xx with
{"received": true, "webhookId": <payload id>, ...}. A failed delivery is retried up to
`MAX_RETRIES` times, waiting `backoff_s * 2**n` seconds. Every attempt is an audit-log row.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any, Final, cast
from urllib.parse import urlsplit

import anyio
import httpx

from lusha_mcp.sandbox.account import AccountState
from lusha_mcp.sandbox.webhooks.records import (
    AUDIT_COLUMNS,
    DeliveryOutcome,
    JsonObject,
    Subscription,
    now_iso,
)

MAX_RETRIES: Final = 3
"""Retries after a failed first attempt (then the backend disables the subscription)."""
DELIVERY_TIMEOUT_S: Final = 10.0
USER_AGENT: Final = "Lusha-Webhooks/1.0"

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS webhook_audit_logs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, subscription_id TEXT NOT NULL,
    payload_id TEXT NOT NULL, status TEXT NOT NULL, status_code INTEGER, url TEXT NOT NULL,
    delivered_at TEXT NOT NULL, duration_ms INTEGER NOT NULL, error TEXT);
CREATE INDEX IF NOT EXISTS webhook_audit_logs_by_subscription ON webhook_audit_logs(subscription_id, seq);
"""


# --- receivers -----------------------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(url: str) -> str | None:
    """Why Lusha would refuse `url` as a subscription's endpoint (None: accepted).

    Any absolute https URL is accepted, as Lusha does; plain http only for a loopback host,
    so that local receivers work (Lusha rejects http endpoints).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an absolute https URL, e.g. https://example.com/webhooks/lusha"
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        return "must use https (http is accepted only for a loopback receiver such as http://127.0.0.1:8080/webhooks)"
    return None


def undeliverable_reason(url: str, *, transport_injected: bool) -> str | None:
    """Why the sandbox will not POST to `url` (None: it delivers there).

    The sandbox never calls out: it delivers over an injected transport (tests) or to loopback
    hosts, and records every other attempt in the audit log as not delivered, with this reason.
    """
    host = urlsplit(url).hostname or ""
    if transport_injected or is_loopback(host):
        return None
    return (
        f"Not delivered: the sandbox delivers webhooks only to loopback receivers (localhost, 127.0.0.1, ::1) "
        f"and never to {host}; subscribe a local receiver such as http://127.0.0.1:8080/webhooks to receive them"
    )


@dataclass(frozen=True, slots=True)
class Channel:
    """How this app delivers: over `transport` when set (tests), else to loopback hosts only."""

    transport: httpx.AsyncBaseTransport | None
    backoff_s: float
    """Base of the exponential retry backoff, seconds."""

    def undeliverable_reason(self, url: str) -> str | None:
        return undeliverable_reason(url, transport_injected=self.transport is not None)


# --- the audit log -------------------------------------------------------------------------------


class AuditLog:
    """The `webhook_audit_logs` table of the account database: one row per delivery attempt."""

    def __init__(self, account: AccountState) -> None:
        self.db = account.db
        self.lock = account.lock
        with self.lock:
            self.db.executescript(_SCHEMA)

    def record(
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
                f"INSERT INTO webhook_audit_logs({AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    "log-" + secrets.token_hex(8),
                    subscription.id,
                    payload_id,
                    status,
                    status_code,
                    subscription.url,
                    now_iso(),
                    duration_ms,
                    error,
                ),
            )

    @staticmethod
    def _filter(subscription_id: str | None, status: str | None) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if subscription_id is not None:
            clauses.append("subscription_id = ?")
            params.append(subscription_id)
        if status is not None:
            clauses.append("status = ?")
            params.append(status)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

    def page(
        self, *, subscription_id: str | None, status: str | None, limit: int, offset: int
    ) -> tuple[list[tuple[Any, ...]], int]:
        """Rows (`AUDIT_COLUMNS`), newest first, and how many match in all."""
        where, params = self._filter(subscription_id, status)
        with self.lock:
            total = int(
                self.db.execute(f"SELECT COUNT(*) FROM webhook_audit_logs{where}", params).fetchone()[0]
            )
            rows = self.db.execute(
                f"SELECT {AUDIT_COLUMNS} FROM webhook_audit_logs{where} ORDER BY seq DESC LIMIT ? OFFSET ?",
                [*params, limit, offset],
            ).fetchall()
        return [tuple(row) for row in rows], total

    def counts(self, subscription_id: str | None) -> dict[str, int]:
        """How many rows of each status (of one subscription, or of the account)."""
        where, params = self._filter(subscription_id, None)
        with self.lock:
            rows = self.db.execute(
                f"SELECT status, COUNT(*) FROM webhook_audit_logs{where} GROUP BY status", params
            ).fetchall()
        return {str(status): int(count) for status, count in rows}


# --- sending -------------------------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of `timestamp + "." + body` with the account secret."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


async def _attempt(
    client: httpx.AsyncClient, url: str, payload_id: str, body: bytes, secret: str
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
        response = await client.post(url, content=body, headers=headers)
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
    ack_body = cast(JsonObject, ack)
    if ack_body.get("received") is not True or ack_body.get("webhookId") != payload_id:
        return (
            response.status_code,
            'Acknowledgment must carry "received": true and the payload id as "webhookId"',
            duration,
        )
    return response.status_code, None, duration


async def deliver(
    audit: AuditLog,
    channel: Channel,
    subscription: Subscription,
    payload: JsonObject,
    payload_id: str,
    secret: str,
    *,
    retry: bool,
) -> DeliveryOutcome:
    """POST the signed payload (retrying with backoff when `retry`), logging every attempt.

    A receiver the channel does not reach gets no attempt: one `failed` row saying why, and
    `attempts == 0`. With `retry`, the last failed attempt is logged as `permanent_failure`.
    """

    def log(status: str, status_code: int | None, duration_ms: int, error: str | None) -> None:
        audit.record(
            subscription=subscription,
            payload_id=payload_id,
            status=status,
            status_code=status_code,
            duration_ms=duration_ms,
            error=error,
        )

    reason = channel.undeliverable_reason(subscription.url)
    if reason is not None:
        log("failed", None, 0, reason)
        return DeliveryOutcome(False, 0, None, 0, reason)
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    attempts = 1 + (MAX_RETRIES if retry else 0)
    status_code: int | None = None
    error: str | None = None
    duration = 0
    async with httpx.AsyncClient(
        transport=channel.transport, timeout=DELIVERY_TIMEOUT_S, follow_redirects=False
    ) as client:
        for attempt in range(attempts):
            if attempt:
                await anyio.sleep(channel.backoff_s * 2 ** (attempt - 1))
            status_code, error, duration = await _attempt(client, subscription.url, payload_id, body, secret)
            last = attempt == attempts - 1
            status = "success" if error is None else ("permanent_failure" if last and retry else "failed")
            log(status, status_code, duration, error)
            if error is None:
                return DeliveryOutcome(True, attempt + 1, status_code, duration, None)
    return DeliveryOutcome(False, attempts, status_code, duration, error)
