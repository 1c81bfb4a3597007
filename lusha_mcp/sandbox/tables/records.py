"""The records of the sandbox's tables: users, column definitions, entity tokens and JSON shapes.

Columns are fixed per entity type (the API has no "add column" operation): default Lusha columns
filled when a row is added (cannot be removed, nothing to run), and runnable columns priced at a
credit tier: `per_row_with_data` (contact emails/phones: rows where data was found),
`per_row` (signals, scores: every row processed, each run), `once_per_table` (company
firmographics: once per company per table; re-runs on a paid row are free).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import sqlite3
from dataclasses import dataclass
from typing import Any, Literal

from lusha_mcp.sandbox.rows import Row

Entity = Literal["contacts", "companies"]
Billing = Literal["free", "per_row_with_data", "per_row", "once_per_table"]
JsonObject = dict[str, Any]

USERS: dict[str, tuple[int, str]] = {
    "user@example.com": (12345, "Ada Lovelace"),
    "teammate@example.com": (12346, "Grace Hopper"),
}
"""The users of the sandbox account: email -> (user id, name). Tables are owned by one of them."""

TABLE_ID_BASE = 482_909
"""Table ids count up from 482910 (the spec's example id)."""


@dataclass(frozen=True, slots=True)
class ColumnDef:
    column_id: str
    name: str
    type: str
    key: str
    action: str | None = None
    """The pricing action a run charges (None for default columns)."""
    billing: Billing = "free"

    @property
    def is_default(self) -> bool:
        return self.action is None


COLUMNS: dict[Entity, tuple[ColumnDef, ...]] = {
    "contacts": (
        ColumnDef("col_name", "Full name", "lusha", "fullName"),
        ColumnDef("col_job_title", "Job title", "lusha", "jobTitle"),
        ColumnDef("col_company", "Company", "lusha", "companyName"),
        ColumnDef("col_email", "Email", "lusha", "email", "revealEmail", "per_row_with_data"),
        ColumnDef("col_phone", "Phone", "lusha", "phone", "revealPhone", "per_row_with_data"),
        ColumnDef("col_signals", "Signals", "signal", "allSignals", "showSignalsContact", "per_row"),
        ColumnDef(
            "col_signal_score",
            "Signal score",
            "score",
            "signalScore",
            "signal_score_contact_reveal",
            "per_row",
        ),
    ),
    "companies": (
        ColumnDef("col_name", "Company name", "lusha", "name"),
        ColumnDef("col_domain", "Domain", "lusha", "domain"),
        ColumnDef("col_industry", "Industry", "lusha", "industry"),
        ColumnDef(
            "col_firmographics", "Firmographics", "lusha", "firmographics", "reveal_company", "once_per_table"
        ),
        ColumnDef("col_signals", "Signals", "signal", "allSignals", "showSignalsCompany", "per_row"),
        ColumnDef(
            "col_signal_score",
            "Signal score",
            "score",
            "signalScore",
            "signal_score_company_reveal",
            "per_row",
        ),
    ),
}


def column_def(entity: Entity, column_id: str) -> ColumnDef | None:
    return next((c for c in COLUMNS[entity] if c.column_id == column_id), None)


# --- entity ids: the encrypted `v1.` token and the legacy numeric id --------------------------

_KIND = {"contacts": "p", "companies": "c"}
TOKEN_SHAPE = re.compile(r"^v\d+\.[A-Za-z0-9_\-=.]+$")


def entity_token(entity: Entity, entity_id: str) -> str:
    raw = f"{_KIND[entity]}:{entity_id}".encode()
    return "v1." + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def id_shape_ok(value: str) -> bool:
    return value.isdigit() or bool(TOKEN_SHAPE.match(value))


def decode_entity_id(entity: Entity, value: str) -> str | None:
    """The dataset id a token or numeric id names (None when the token does not decode)."""
    if value.isdigit():
        return value
    body = value.split(".", 1)[1]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    kind, _, entity_id = raw.partition(":")
    return entity_id if kind == _KIND[entity] and entity_id.isdigit() else None


# --- cell values --------------------------------------------------------------------------------


def _digest(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256(":".join(parts).encode()).digest()[:4], "big")


def _first(raw: str, key: str) -> str | None:
    items: list[Any] = json.loads(raw or "[]")
    for item in items:
        if isinstance(item, dict) and item.get(key):  # pyright: ignore[reportUnknownMemberType]
            return str(item[key])  # pyright: ignore[reportUnknownArgumentType]
    return None


def default_values(entity: Entity, row: Row, company: Row | None) -> dict[str, object]:
    """Values of the default columns of one row, from the dataset."""
    if entity == "contacts":
        return {
            "col_name": f"{row['first_name']} {row['last_name']}",
            "col_job_title": row["job_title"],
            "col_company": company["name"] if company is not None else None,
        }
    return {"col_name": row["name"], "col_domain": row["domain"], "col_industry": row["industry"]}


def run_value(entity: Entity, column: ColumnDef, row: Row) -> object:
    """What a run of `column` finds for a row (None: no data)."""
    entity_id = str(row["id"])
    if column.key == "email":
        return _first(row["emails"], "email")
    if column.key == "phone":
        return _first(row["phones"], "number")
    if column.key == "firmographics":
        return {"employees": row["employees"], "industry": row["industry"], "country": row["country"]}
    digest = _digest(entity, column.key, entity_id)
    if column.key == "allSignals":
        count = digest % 4
        return {"signalCount": count} if count else None
    if digest % 5 == 0:
        return None
    return digest % 101


def column_json(column: ColumnDef, counts: dict[str, int], added_at: str, updated_at: str) -> JsonObject:
    return {
        "columnId": column.column_id,
        "name": column.name,
        "type": column.type,
        "key": column.key,
        "isDefault": column.is_default,
        "addedAt": added_at,
        "updatedAt": updated_at,
        "rowsNotRun": counts.get("not_run", 0),
        "rowsProcessing": counts.get("processing", 0),
        "rowsSuccess": counts.get("success", 0),
        "rowsNoData": counts.get("no_data", 0),
        "rowsFailed": counts.get("failed", 0),
    }


def owner_json(email: str) -> JsonObject:
    user_id, name = USERS.get(email, (0, ""))
    return {"id": user_id, "email": email, "name": name}


def table_json(table: sqlite3.Row) -> JsonObject:
    table_id = str(table["id"])
    return {
        "tableId": table_id,
        "name": table["name"],
        "entityType": table["entity"],
        "visibility": table["visibility"],
        "status": table["status"],
        "owner": owner_json(table["owner_email"]),
        "createdBy": {"surface": "api", "createdByUserId": USERS.get(table["owner_email"], (0, ""))[0]},
        "workspaceUrl": f"https://workspace.lusha.com/tables/{table_id}",
    }
