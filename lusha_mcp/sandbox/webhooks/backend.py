"""State and behaviour of the sandbox's webhooks: the account secret, subscriptions, and what a
delivery does to them. Kept in the account database (tables `webhook_*`), so it survives a restart.

Lusha fires deliveries when a signal is detected; the sandbox fires them on demand through its
control surface (`fire_signal`, `fire_opt_out`). A delivered signal is charged once
(showSignalsContact / showSignalsCompany); retries, tests and opt-out notices are free. When a
signal or opt-out delivery fails after every retry, the subscription is disabled with
blockReason "Max retries exceeded"; reactivating it (isActive: true) clears the block.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from lusha_mcp.sandbox.account import AccountState, ChargeItem
from lusha_mcp.sandbox.activity import date_of
from lusha_mcp.sandbox.errors import bad_request, forbidden, not_found
from lusha_mcp.sandbox.state import Charger
from lusha_mcp.sandbox.webhooks.delivery import AuditLog, Channel, deliver
from lusha_mcp.sandbox.webhooks.records import (
    ENTITY_SIGNAL_TYPES,
    SUBSCRIPTION_COLUMNS,
    DeliveryOutcome,
    Fired,
    ItemResult,
    JsonObject,
    Subscription,
    Tested,
    company_signal_data,
    contact_signal_data,
    now_iso,
    opt_out_payload,
    signal_payload,
    test_data,
    test_signal_type,
)

MAX_SUBSCRIPTIONS: Final = 1_000
BLOCK_REASON: Final = "Max retries exceeded"
ACCOUNT_ID: Final = "431705"
"""The account's id: the entity an opt-out subscription is scoped to."""

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
"""


@dataclass(frozen=True, slots=True)
class NewSubscription:
    """One signal subscription to create, its defaults already applied."""

    entity_type: str
    entity_id: str
    signal_types: list[str]
    name: str | None


class WebhooksBackend:
    """Every webhook operation of one sandbox account."""

    def __init__(self, account: AccountState, dataset: sqlite3.Connection) -> None:
        self.db = account.db
        self.lock = account.lock
        self.dataset = dataset
        with self.lock:
            self.db.executescript(_SCHEMA)
        self.audit = AuditLog(account)

    # --- the account secret --------------------------------------------------------------------

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
                (secret, now_iso()),
            )
        return secret

    def require_secret(self, before: str = "before subscribing") -> str:
        """The secret, or 400 saying to create one (`before` what)."""
        secret = self.secret()
        if secret is None:
            bad_request(
                ["secret: the account has no webhook secret"],
                f"Account secret not found. Create one with POST /api/account/secret/regenerate {before}.",
            )
        return secret

    # --- subscriptions -------------------------------------------------------------------------

    def _one(self, where: str, params: Sequence[Any]) -> Subscription | None:
        with self.lock:
            row = self.db.execute(
                f"SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE {where}", params
            ).fetchone()
        return None if row is None else Subscription.from_row(row)

    def get(self, subscription_id: str) -> Subscription | None:
        return self._one("id = ?", (subscription_id,))

    def get_or_404(self, subscription_id: str) -> Subscription:
        subscription = self.get(subscription_id)
        if subscription is None:
            not_found(f"Subscription with id '{subscription_id}' not found")
        return subscription

    def _find(self, kind: str, entity_type: str, entity_id: str) -> Subscription | None:
        return self._one("kind = ? AND entity_type = ? AND entity_id = ?", (kind, entity_type, entity_id))

    def _count(self) -> int:
        with self.lock:
            return int(self.db.execute("SELECT COUNT(*) FROM webhook_subscriptions").fetchone()[0])

    def _insert(
        self, kind: str, entity_type: str, entity_id: str, signal_types: list[str], url: str, name: str | None
    ) -> Subscription:
        now = now_iso()
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

    def _save(self, subscription: Subscription) -> None:
        subscription.updated_at = now_iso()
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

    def create(self, url: str, items: Sequence[NewSubscription | str]) -> list[ItemResult]:
        """Subscribe each item to `url` (an item that failed validation is its message); one
        result per item, in order. Any entity id is accepted (Lusha subscribes ids its own examples
        use, such as '123456'); a delivery for an id the dataset lacks carries only what the
        subscription names."""
        self.require_secret()
        results: list[ItemResult] = []
        existing = self._count()
        for index, item in enumerate(items):
            if isinstance(item, str):
                results.append(ItemResult(index, code="VALIDATION_ERROR", message=item))
            elif self._find("signal", item.entity_type, item.entity_id) is not None:
                message = (
                    f"Subscription already exists for entity type '{item.entity_type}' "
                    f"with entity ID '{item.entity_id}'"
                )
                results.append(ItemResult(index, code="DUPLICATE_SUBSCRIPTION", message=message))
            elif existing >= MAX_SUBSCRIPTIONS:
                message = f"Maximum subscriptions limit ({MAX_SUBSCRIPTIONS}) reached for your account"
                results.append(ItemResult(index, code="FORBIDDEN", message=message))
            else:
                subscription = self._insert(
                    "signal", item.entity_type, item.entity_id, item.signal_types, url, item.name
                )
                existing += 1
                results.append(ItemResult(index, subscription=subscription.as_json()))
        return results

    def create_opt_out(self, url: str, name: str | None) -> Subscription:
        """The account's one opt-out subscription (403 when it has one)."""
        self.require_secret()
        if self._find("optOut", "contact", ACCOUNT_ID) is not None:
            forbidden("An opt-out subscription already exists for this account")
        return self._insert("optOut", "contact", ACCOUNT_ID, ["optOut"], url, name)

    def page(self, limit: int, offset: int) -> tuple[list[Subscription], int]:
        """Subscriptions newest first, and how many there are."""
        with self.lock:
            total = self._count()
            rows = self.db.execute(
                f"SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions ORDER BY seq DESC LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        return [Subscription.from_row(row) for row in rows], total

    def update(
        self,
        subscription: Subscription,
        *,
        signal_types: list[str] | None,
        url: str | None,
        name: str | None,
        is_active: bool | None,
    ) -> Subscription:
        """Apply the fields sent (None: unchanged); reactivating clears the block and the failures."""
        if signal_types is not None:
            subscription.signal_types = signal_types
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
        self._save(subscription)
        return subscription

    def delete(self, ids: Sequence[str]) -> list[ItemResult]:
        """Delete each id once (duplicates dropped); an unknown id is a NOT_FOUND result."""
        results: list[ItemResult] = []
        for index, subscription_id in enumerate(dict.fromkeys(ids)):
            subscription = self.get(subscription_id)
            if subscription is None:
                message = f"Subscription with id '{subscription_id}' not found"
                results.append(ItemResult(index, code="NOT_FOUND", message=message))
                continue
            with self.lock:
                self.db.execute("DELETE FROM webhook_subscriptions WHERE id = ?", (subscription_id,))
            results.append(ItemResult(index, subscription=subscription.deleted_json()))
        return results

    # --- deliveries ----------------------------------------------------------------------------

    async def _deliver(
        self,
        channel: Channel,
        subscription: Subscription,
        payload: JsonObject,
        payload_id: str,
        *,
        retry: bool,
    ) -> DeliveryOutcome:
        """Deliver; with `retry`, a success clears the failure count and running out of retries
        disables the subscription (a receiver the sandbox does not reach changes nothing)."""
        secret = self.require_secret("first")
        outcome = await deliver(self.audit, channel, subscription, payload, payload_id, secret, retry=retry)
        if not retry or not outcome.attempts:
            return outcome
        if outcome.delivered:
            if subscription.failures:
                subscription.failures = 0
                self._save(subscription)
        else:
            subscription.failures += outcome.attempts
            subscription.is_active = False
            subscription.block_reason = BLOCK_REASON
            subscription.blocked_at = now_iso()
            self._save(subscription)
        return outcome

    async def test(self, subscription: Subscription, mode: str, channel: Channel) -> Tested:
        """A free delivery of mock data, not retried."""
        signal_type = test_signal_type(subscription)
        payload_id = str(uuid.uuid4())
        data = test_data(subscription, signal_type)
        payload = signal_payload(payload_id, signal_type, subscription, data, 0)
        outcome = await self._deliver(channel, subscription, payload, payload_id, retry=False)
        return Tested(subscription, mode, signal_type, data, outcome)

    def _signal_event(self, subscription: Subscription, wanted: str | None) -> tuple[str, JsonObject]:
        """The entity's latest signal of a subscribed type (or `wanted`), as (type, payload data)."""
        subscribed = [item for item in subscription.signal_types if item != "allSignals"]
        if "allSignals" in subscription.signal_types:
            subscribed = list(ENTITY_SIGNAL_TYPES[subscription.entity_type][1:])
        types = [wanted] if wanted is not None else subscribed
        contact = subscription.entity_type == "contact"
        table, column = ("contact_signals", "contact_id") if contact else ("company_signals", "company_id")
        marks = ",".join("?" * len(types))
        row = self.dataset.execute(
            f"SELECT signal_type, days_ago, payload FROM {table} WHERE {column} = ? AND signal_type IN ({marks}) "
            "ORDER BY days_ago, rowid LIMIT 1",
            [subscription.entity_id, *types],
        ).fetchone()
        signal_type = str(row[0]) if row else types[0]
        details: JsonObject = json.loads(row[2]) if row else {}
        signal_date = date_of(int(row[1])) if row else date_of(0)
        if contact:
            person = self.dataset.execute(
                "SELECT c.id, c.job_title, c.departments, k.id, k.name, k.domain FROM contacts c "
                "LEFT JOIN companies k ON k.id = c.company_id WHERE c.id = ?",
                (subscription.entity_id,),
            ).fetchone()
            return signal_type, contact_signal_data(subscription.entity_id, person, details, signal_date)
        company = self.dataset.execute(
            "SELECT name, domain FROM companies WHERE id = ?", (subscription.entity_id,)
        ).fetchone()
        return signal_type, company_signal_data(subscription.entity_id, company, details, signal_date)

    async def fire_signal(
        self, subscription_id: str, wanted: str | None, channel: Channel, charge: Charger
    ) -> Fired:
        """Deliver the entity's latest signal (of type `wanted`, if named), charged once when sent."""
        subscription = self.get_or_404(subscription_id)
        if subscription.kind != "signal":
            bad_request(
                ["subscriptionId: an opt-out subscription; fire it with POST /_sandbox/webhooks/opt-out"]
            )
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
        self.require_secret()
        signal_type, data = self._signal_event(subscription, wanted)
        action = "showSignalsContact" if subscription.entity_type == "contact" else "showSignalsCompany"
        # A delivery the sandbox does not send (a receiver it does not reach) is not billed.
        sent = channel.undeliverable_reason(subscription.url) is None
        credits = charge([ChargeItem(action, 1 if sent else 0)], ())
        payload_id = str(uuid.uuid4())
        payload = signal_payload(payload_id, signal_type, subscription, data, credits)
        outcome = await self._deliver(channel, subscription, payload, payload_id, retry=True)
        return Fired(payload_id, outcome, credits, self.get(subscription.id) or subscription)

    async def fire_opt_out(self, contact_id: str, partner: str | None, channel: Channel) -> Fired:
        """Deliver an opt-out notice for a dataset contact to the opt-out subscription (free)."""
        subscription = self._find("optOut", "contact", ACCOUNT_ID)
        if subscription is None:
            not_found("No opt-out subscription; create one with POST /api/subscriptions/opt-out")
        row = self.dataset.execute(
            "SELECT c.first_name, c.last_name, c.job_title, c.linkedin_url, c.emails, c.phones, k.name "
            "FROM contacts c LEFT JOIN companies k ON k.id = c.company_id WHERE c.id = ?",
            (contact_id,),
        ).fetchone()
        if row is None:
            not_found(f"No contact with id '{contact_id}'")
        payload_id = str(uuid.uuid4())
        payload = opt_out_payload(contact_id, row, partner, payload_id)
        outcome = await self._deliver(channel, subscription, payload, payload_id, retry=True)
        return Fired(payload_id, outcome, 0, self.get(subscription.id) or subscription)
