"""Webhook subscriptions under the credit guard.

A subscription costs nothing to create, but it commits the account: Lusha charges each signal it
delivers (per entity and signal type, at the signal price, for as long as the subscription is
active; retries, tests and opt-out notices are free). No quote can be a ceiling for that, so:

- In no-spend mode, creating signal subscriptions is hidden and refused, and so is any update that
  reactivates a subscription or changes its signal types.
- Otherwise such a call needs the user's confirmation (a single-use token bound to the exact
  arguments, or auto-approve) that names the estimate *per delivery round*: entities x signal
  types x signal price, charged again each time the signals fire. A budget that cannot hold one
  round refuses the call.
- The ledger records the commitment (0 charged) and, whenever the guard next looks (before a
  metered call, at most every `RECONCILE_EVERY_SECONDS`, and in the webhook tools), every
  delivered signal found in the account's webhook audit log that it has not recorded yet: one row
  per delivered payload at the signal price, counted in the daily budget like any charge.
- For the real API, receiver URLs must be https and must not name loopback, private, link-local,
  unspecified or cloud-metadata addresses (literal IPs and well-known names; DNS is not resolved).
"""

from __future__ import annotations

import ipaddress
import logging
import time
from dataclasses import dataclass
from typing import Any, get_args
from urllib.parse import urlsplit

import anyio

from lusha_mcp.api.errors import LushaError
from lusha_mcp.api.models.companies import CompanySignalType
from lusha_mcp.api.models.contacts import ContactSignalType
from lusha_mcp.guard import GuardRefusal, LedgerUnavailable, UnknownPriceError
from lusha_mcp.storage.base import Caller, Limits
from lusha_mcp.tools.framework.errors import ArgumentError
from lusha_mcp.tools.state import LushaState

logger = logging.getLogger(__name__)

SIGNAL_TYPES: dict[str, tuple[str, ...]] = {
    "contact": tuple(t for t in get_args(ContactSignalType) if t != "allSignals"),
    "company": tuple(t for t in get_args(CompanySignalType) if t != "allSignals"),
}
SIGNAL_ACTIONS = {"contact": "showSignalsContact", "company": "showSignalsCompany"}
DELIVERY_TOOL = "webhook_delivery"
"""The ledger's tool name for a delivered signal (request_id: the delivery's payload id)."""
COMMITTING_TOOLS = ("create_webhook_subscriptions", "update_webhook_subscription")
RECONCILE_EVERY_SECONDS = 30.0
AUDIT_PAGES = 10
METADATA_NAMES = ("metadata", "metadata.google.internal", "metadata.goog", "instance-data")


def signal_type_count(entity_type: str, signal_types: list[str] | None) -> int:
    """Signal types a subscription delivers: allSignals (or none given) counts every type."""
    known = SIGNAL_TYPES[entity_type]
    if not signal_types or "allSignals" in signal_types:
        return len(known)
    return len(set(signal_types))


def check_receiver_url(url: str, *, sandbox: bool) -> None:
    """For the real API: https, and not a loopback/private/link-local/metadata address."""
    if sandbox:
        return  # the sandbox delivers only to loopback receivers, over http too
    parts = urlsplit(url)
    accepted = "a public https URL, e.g. https://hooks.example.com/lusha"
    if parts.scheme.lower() != "https":
        raise ArgumentError(
            "url", f"'{parts.scheme or 'no'}' scheme: Lusha delivers only over https", accepted
        )
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise ArgumentError("url", "no host", accepted)
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")) or host in METADATA_NAMES:
        raise ArgumentError("url", f"'{host}' names this machine or an internal service", accepted)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if not address.is_global or address.is_multicast:
        kind = (
            "a loopback"
            if address.is_loopback
            else "a link-local (cloud metadata)"
            if address.is_link_local
            else "a private or reserved"
        )
        raise ArgumentError("url", f"{host} is {kind} address", accepted)


@dataclass(frozen=True, slots=True)
class Commitment:
    """What a subscription change commits the account to, per delivery round."""

    entity_type: str
    entities: int
    signal_types: int
    unit_credits: float | None
    """Credits per delivered signal; None when the account's price list does not say."""

    @property
    def per_round(self) -> int:
        """Credits if every watched signal fires once (0 when the price is unknown)."""
        if self.unit_credits is None:
            return 0
        return int(-(-self.entities * self.signal_types * self.unit_credits // 1))

    def describe(self) -> str:
        price = (
            f"{self.unit_credits:g} credits per delivered signal"
            if self.unit_credits is not None
            else "a price per delivered signal that the account's price list does not state"
        )
        head = (
            f"This subscribes {self.entities} {self.entity_type}(s) x {self.signal_types} signal type(s) at "
            f"{price}"
        )
        estimate = (
            f": up to {self.per_round} credits per delivery round" if self.unit_credits is not None else ""
        )
        return (
            f"{head}{estimate}. It is a standing commitment, not a one-off ceiling: Lusha charges again "
            "each time a watched signal is detected and delivered, for as long as the subscription is "
            "active (pause it with update_webhook_subscription active=false, or delete it). Delivered "
            "signals are recorded in the ledger and count against the daily budget."
        )


async def commitment_of(
    state: LushaState, entity_type: str, entities: int, signal_types: list[str] | None
) -> Commitment:
    book = await state.client_guard().pricing.book()
    action = SIGNAL_ACTIONS[entity_type]
    try:
        price = book.price(action)
        unit: float | None = price.credits / max(price.per_quantity, 1)
    except UnknownPriceError:
        unit = None
    return Commitment(entity_type, entities, signal_type_count(entity_type, signal_types), unit)


class SubscriptionNoSpend(GuardRefusal):
    code = "no_spend"

    def __init__(self, tool: str) -> None:
        super().__init__(
            f"{tool}: subscribing to signals (or reactivating a subscription or changing its signal "
            "types) commits the account to a charge per delivered signal, and this server runs in "
            "no-spend mode (LUSHA_NO_SPEND / --no-spend). Nothing was changed. Pausing, renaming, "
            "deleting and reading subscriptions still work; ask the user to restart without no-spend "
            "mode to subscribe."
        )


@dataclass(frozen=True, slots=True)
class Approval:
    """None of these: the call may go. Otherwise the confirmation the user must give first."""

    confirmation_token: str
    expires_in_seconds: int
    text: str


async def approve_commitment(
    state: LushaState,
    *,
    tool: str,
    arguments: dict[str, Any],
    commitment: Commitment,
    confirmation_token: str | None,
) -> Approval | None:
    """Refuse in no-spend mode or when a budget cannot hold one round; otherwise the call goes
    with auto-approve or a valid token for these exact arguments, and asks for one if not."""
    guard = state.client_guard()
    if guard.policy.no_spend:
        raise SubscriptionNoSpend(tool)
    await reconcile_deliveries(state)
    refusal = (await guard.budget_left()).refusal(commitment.per_round)
    if refusal is not None:
        raise refusal
    arguments_hash = guard.arguments_hash(tool, arguments)
    if confirmation_token is not None:
        token = guard.tokens.verify(
            confirmation_token, tool, arguments_hash, commitment.per_round, holder=guard.holder
        )
        await guard.ledger.consume_token(token.token_id)
        return None
    if guard.policy.auto_approve:
        return None
    text, _ = guard.tokens.issue(tool, arguments_hash, commitment.per_round, holder=guard.holder)
    return Approval(
        confirmation_token=text,
        expires_in_seconds=guard.tokens.ttl_seconds,
        text=(
            f"Confirmation required: nothing was changed. {commitment.describe()} Ask the user. If they "
            f'agree, call {tool} again with the same arguments and confirmation_token="{text}" '
            f"(valid {guard.tokens.ttl_seconds} s, once)."
        ),
    )


async def record_commitment(
    state: LushaState, tool: str, arguments: dict[str, Any], commitment: Commitment
) -> None:
    guard = state.client_guard()
    await guard.ledger.record_free(
        guard.caller,
        tool=tool,
        arguments_hash=guard.arguments_hash(tool, arguments),
        note="commitment: " + commitment.describe().split(". It is")[0],
    )


_last_reconciled: dict[int, float] = {}
_locks: dict[int, anyio.Lock] = {}


async def _has_commitments(state: LushaState) -> bool:
    entries = await state.guard.ledger.list_entries()
    return any(entry.tool in (*COMMITTING_TOOLS, DELIVERY_TOOL) for entry in entries)


async def reconcile_deliveries(
    state: LushaState, *, force: bool = False, free_subscription: str | None = None
) -> int:
    """Record in the ledger every delivered signal of the account's audit log not recorded yet;
    returns the credits recorded. Runs only where this data dir ever committed to a subscription,
    at most every RECONCILE_EVERY_SECONDS unless `force`. `free_subscription`: a test delivery to
    it was just sent, so its unrecorded payloads are tests (free). A failure to read the audit log
    is logged and retried next time."""
    key = id(state.guard.ledger)
    now = time.monotonic()
    if not force and now - _last_reconciled.get(key, -RECONCILE_EVERY_SECONDS) < RECONCILE_EVERY_SECONDS:
        return 0
    _last_reconciled[key] = now
    try:
        if not await _has_commitments(state):
            return 0
    except LedgerUnavailable as exc:  # retried next time; the caller's own ledger use refuses if it must
        logger.info("Webhook deliveries not reconciled yet (%s)", exc.message)
        _last_reconciled.pop(key, None)
        return 0
    async with _locks.setdefault(key, anyio.Lock()):  # one reconciliation at a time: no row twice
        return await _reconcile(state, key, free_subscription)


async def _reconcile(state: LushaState, key: int, free_subscription: str | None) -> int:
    ledger = state.guard.ledger
    recorded = {entry.request_id for entry in await ledger.list_entries() if entry.tool == DELIVERY_TOOL}
    try:
        new: dict[str, str] = {}
        for page in range(AUDIT_PAGES):
            logs = await state.client.webhooks.audit_logs(
                subscription_id=None, status=None, limit=100, offset=page * 100
            )
            fresh = [e for e in logs.data if e.payload_id and e.payload_id not in recorded]
            for entry in fresh:
                assert entry.payload_id is not None
                new.setdefault(entry.payload_id, entry.subscription_id or "")
            if not fresh or logs.pagination is None or not logs.pagination.has_more:
                break
        if not new:
            return 0
        entity_of = await _subscription_entities(state)
        book = await state.guard.pricing.book()
    except LushaError as exc:
        logger.info("Webhook deliveries not reconciled yet (%s); retried next time", type(exc).__name__)
        _last_reconciled.pop(key, None)
        return 0
    total = 0
    for payload_id, subscription_id in new.items():
        entity = entity_of.get(subscription_id)
        actions = [SIGNAL_ACTIONS[entity]] if entity else list(SIGNAL_ACTIONS.values())
        prices = [book.price(a) for a in actions if a in book]
        credits = int(max((-(-p.credits // 1) for p in prices), default=0))
        free = free_subscription is not None and subscription_id == free_subscription
        charged = 0 if free else credits
        reservation = await ledger.reserve(
            Caller(session=f"{state.guard.session_id.partition('.')[0]}.webhooks"),
            tool=DELIVERY_TOOL,
            arguments_hash=subscription_id or "unknown",
            quote=charged,
            limits=Limits(),  # already delivered and charged: recorded whatever the budgets say
        )
        note = (
            "test delivery: free"
            if free
            else f"delivered signal of subscription {subscription_id or '?'}: charged by Lusha per "
            "delivered signal, recorded from the webhook audit log at the signal price"
            + ("" if entity else " (entity unknown: the higher signal price)")
            + ("" if prices else "; the price list has no signal price")
        )
        await ledger.settle(
            reservation,
            charged=charged if prices or free else None,
            request_id=payload_id,
            outcome="ok" if prices or free else "unknown",
            note=note,
        )
        total += charged
    return total


async def _subscription_entities(state: LushaState) -> dict[str, str]:
    found: dict[str, str] = {}
    for page in range(AUDIT_PAGES):
        listed = await state.client.webhooks.list(limit=100, offset=page * 100)
        for subscription in listed.data:
            if subscription.id and subscription.entity_type in SIGNAL_ACTIONS:
                found[subscription.id] = subscription.entity_type
        if listed.pagination is None or not listed.pagination.has_more:
            break
    return found
