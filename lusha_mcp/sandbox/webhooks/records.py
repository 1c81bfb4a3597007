"""The records of the sandbox's webhooks as Lusha's JSON: subscriptions, audit-log rows, the
payloads a delivery carries (signals, tests, opt-out notices) and the answers about them.

Pure shaping: rows in, JSON out; no database, no HTTP.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, cast

from lusha_mcp.sandbox.activity import COMPANY_SIGNAL_TYPES, CONTACT_SIGNAL_TYPES, date_of

JsonObject = dict[str, Any]

ENTITY_SIGNAL_TYPES: Final[dict[str, tuple[str, ...]]] = {
    "contact": ("allSignals", *CONTACT_SIGNAL_TYPES),
    "company": ("allSignals", *COMPANY_SIGNAL_TYPES),
}
"""The signal types a subscription of each entity type may name (`allSignals` first)."""

SUBSCRIPTION_COLUMNS: Final = (
    "id, kind, entity_type, entity_id, signal_types, url, name, is_active, block_reason, blocked_at, "
    "failures, created_at, updated_at"
)
"""The columns `Subscription.from_row` reads, in its order."""


def now_iso() -> str:
    """Now as Lusha writes it: ISO 8601 UTC with milliseconds and a Z."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(slots=True)
class Subscription:
    id: str
    kind: str
    """`signal` (a contact's or company's signals) or `optOut` (the account's opt-out notices)."""
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

    def as_json(self) -> JsonObject:
        body: JsonObject = {
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

    def opt_out_json(self) -> JsonObject:
        """The answer to creating an opt-out subscription (no block fields)."""
        body = self.as_json()
        body.pop("blockReason")
        body.pop("blockedAt")
        return body

    def deleted_json(self) -> JsonObject:
        body: JsonObject = {"id": self.id, "entityType": self.entity_type, "entityId": self.entity_id}
        if self.name is not None:
            body["name"] = self.name
        return body


@dataclass(frozen=True, slots=True)
class ItemResult:
    """One item of a bulk create or delete: the subscription, or why it failed."""

    index: int
    subscription: JsonObject | None = None
    code: str = ""
    message: str = ""

    def as_json(self) -> JsonObject:
        if self.subscription is not None:
            return {"index": self.index, "success": True, "subscription": self.subscription}
        return {"index": self.index, "success": False, "error": {"code": self.code, "message": self.message}}


def bulk_json(results: list[ItemResult]) -> JsonObject:
    successful = sum(1 for result in results if result.subscription is not None)
    return {
        "total": len(results),
        "successful": successful,
        "failed": len(results) - successful,
        "results": [result.as_json() for result in results],
    }


def pagination_json(total: int, limit: int, offset: int) -> JsonObject:
    return {
        "total": total,
        "limit": limit,
        "offset": offset,
        "hasMore": offset + limit < total,
        "size": limit,
        "page": offset // limit,
    }


AUDIT_COLUMNS: Final = (
    "id, subscription_id, payload_id, status, status_code, url, delivered_at, duration_ms, error"
)
"""The columns `audit_entry_json` reads, in its order."""


def audit_entry_json(row: tuple[Any, ...]) -> JsonObject:
    log_id, subscription_id, payload_id, status, code, url, at, duration, error = row
    entry: JsonObject = {
        "id": log_id,
        "subscriptionId": subscription_id,
        "payloadId": payload_id,
        "status": status,
        "url": url,
        "deliveredAt": at,
        "durationMs": duration,
        "error": error,
    }
    if code is not None:
        entry["statusCode"] = code
    return entry


def stats_json(counts: dict[str, int]) -> JsonObject:
    """Delivery statistics from the count of audit-log rows per status."""
    total = sum(counts.values())
    success = counts.get("success", 0)
    rate = 100.0 * success / total if total else 0.0
    return {"total": total, "success": success, "failed": total - success, "successRate": f"{rate:.2f}%"}


# --- payloads ----------------------------------------------------------------------------------------


def signal_payload(
    payload_id: str, signal_type: str, subscription: Subscription, data: JsonObject, credits: int
) -> JsonObject:
    """The body of a signal delivery (a real one or a test)."""
    return {
        "id": payload_id,
        "type": signal_type,
        "entityType": subscription.entity_type,
        "entityId": subscription.entity_id,
        "subscriptionId": subscription.id,
        "data": data,
        "timestamp": now_iso(),
        "billing": {"creditsCharged": credits},
    }


def test_signal_type(subscription: Subscription) -> str:
    """The signal type a test delivery names: the first subscribed one, else the kind's first."""
    return next((item for item in subscription.signal_types if item != "allSignals"), None) or (
        CONTACT_SIGNAL_TYPES[0] if subscription.entity_type == "contact" else COMPANY_SIGNAL_TYPES[0]
    )


def test_data(subscription: Subscription, signal_type: str) -> JsonObject:
    """The mock `data` of a test delivery."""
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


def contact_signal_data(
    contact_id: str, contact: tuple[Any, ...] | None, details: JsonObject, signal_date: str
) -> JsonObject:
    """A contact signal's `data` from the contact row (id, title, departments, company id, name,
    domain; None when the dataset lacks it) and the signal's details."""
    departments: list[Any] = json.loads(contact[2]) if contact and contact[2] else []
    data: JsonObject = {
        "personId": contact_id,
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
    return {key: value for key, value in data.items() if value is not None}


def company_signal_data(
    company_id: str, company: tuple[Any, ...] | None, details: JsonObject, signal_date: str
) -> JsonObject:
    """A company signal's `data` from the company row (name, domain) and the signal's details."""
    details = {key: value for key, value in details.items() if key != "signalDate"}
    return {
        "companyId": company_id,
        "companyName": None if company is None else company[0],
        "domain": None if company is None else company[1],
        **details,
        "signalDate": signal_date,
    }


def opt_out_payload(
    contact_id: str, row: tuple[Any, ...], partner: str | None, payload_id: str
) -> JsonObject:
    """An opt-out notice from the contact row (first name, last name, title, LinkedIn URL, emails,
    phones, company name): the data points to remove, phones first."""
    datapoints: list[dict[str, str]] = []
    for raw, kind in ((row[5], "phone"), (row[4], "email")):
        entries: list[Any] = json.loads(raw) if raw else []
        for item in entries:
            entry = cast(JsonObject, item) if isinstance(item, dict) else {"value": item}
            value = entry.get("number") or entry.get("email") or entry.get("value")
            if value:
                datapoints.append({"datapointId": str(value), "datapointType": kind})
    now = datetime.now(UTC)
    payload: JsonObject = {
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
    payload["id"] = payload_id
    return payload


# --- answers about deliveries ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """How a delivery went: sent and acknowledged, after how many attempts, and the last answer."""

    delivered: bool
    attempts: int
    status_code: int | None
    duration_ms: int
    error: str | None


@dataclass(frozen=True, slots=True)
class Fired:
    """A delivery fired through the control surface."""

    payload_id: str
    outcome: DeliveryOutcome
    credits: int
    subscription: Subscription

    def as_json(self) -> JsonObject:
        return {
            "payloadId": self.payload_id,
            "delivered": self.outcome.delivered,
            "attempts": self.outcome.attempts,
            "creditsCharged": self.credits,
            "error": self.outcome.error,
            "subscription": self.subscription.as_json(),
        }


@dataclass(frozen=True, slots=True)
class Tested:
    """A test delivery (POST /api/subscriptions/{id}/test)."""

    subscription: Subscription
    mode: str
    signal_type: str
    data: JsonObject
    outcome: DeliveryOutcome

    def as_json(self) -> JsonObject:
        flow: JsonObject = {"success": self.outcome.delivered, "durationMs": self.outcome.duration_ms}
        if self.outcome.status_code is not None:
            flow["statusCode"] = self.outcome.status_code
        subscription = self.subscription
        body: JsonObject = {
            "subscriptionId": subscription.id,
            "url": subscription.url,
            "mode": self.mode,
            "flowCheck": flow,
            "testPayload": {
                "entityType": subscription.entity_type,
                "signalType": self.signal_type,
                "data": self.data,
            },
            "isSuccess": self.outcome.delivered,
            "timestamp": now_iso(),
        }
        if subscription.name is not None:
            body["subscriptionName"] = subscription.name
        if self.outcome.error is not None:
            body["error"] = self.outcome.error
        return body
