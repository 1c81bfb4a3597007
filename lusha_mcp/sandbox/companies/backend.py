"""Companies search, enrich and search-and-enrich over the dataset and the account.

Billing: search charges `api_search` per found company (a signals filter adds no charge: the spec
bills search per successful result only); enrich charges `reveal_company` per company not
revealed before (repeat reveals are free), plus each requested extra per company
(`estimatedAnnualItSpend` and `monthlyWebsiteTraffic` only when the value exists; `intent` is free).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, Protocol
from urllib.parse import urlsplit

from lusha_mcp.sandbox.account import AccountState, ChargeItem, Reveal
from lusha_mcp.sandbox.companies.records import (
    COMPANY_BASE_FIELD,
    company_enriched,
    company_extra_available,
    company_preview,
)
from lusha_mcp.sandbox.pricing import API_SEARCH, COMPANY_EXTRA_ACTIONS, REVEAL_COMPANY
from lusha_mcp.sandbox.rows import JsonObject, Row, rows_by_id
from lusha_mcp.sandbox.signals.backend import SignalRequest, matched_signal_types
from lusha_mcp.sandbox.state import Answer, Charger, SandboxState

COMPANY_IDENTIFIERS = "id, domain, or name"
NOT_FOUND = {"code": "NOT_FOUND", "message": "Company not found"}
NO_SIGNALS = {"code": "NOT_FOUND", "message": "Company has no signals of the requested types"}


class CompanyIdentifiers(Protocol):
    """One company to find (the search item of the request)."""

    client_reference_id: str | None
    id: str | None
    name: str | None
    domain: str | None


def bare_domain(value: str) -> str:
    """`https://www.Lusha.com/about` -> `lusha.com`."""
    text = value.strip().lower()
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    if "://" in text:
        text = urlsplit(text).netloc or text
    text = text.split("/", 1)[0].split(":", 1)[0]
    return text.removeprefix("www.").strip(".")


def first_id(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> str | None:
    row = conn.execute(sql, params).fetchone()
    return None if row is None else str(row[0])


def find_company_id(
    conn: sqlite3.Connection, *, id: str | None = None, domain: str | None = None, name: str | None = None
) -> str | None:
    """The id of the company named by id, else domain, else name (the first in dataset order)."""
    if id:
        return first_id(conn, "SELECT id FROM companies WHERE id = ?", (id,))
    if domain:
        found = first_id(conn, "SELECT id FROM companies WHERE domain = ?", (bare_domain(domain),))
        if found is not None or not name:
            return found
    if name:
        return first_id(
            conn,
            "SELECT id FROM companies WHERE name_lower = ? ORDER BY seq LIMIT 1",
            (name.strip().lower(),),
        )
    return None


def with_reference(item: CompanyIdentifiers, payload: JsonObject) -> JsonObject:
    if item.client_reference_id is None:
        return payload
    return {"clientReferenceId": item.client_reference_id, **payload}


class CompaniesBackend:
    """Companies operations over one sandbox's dataset and account."""

    def __init__(self, state: SandboxState) -> None:
        self.dataset = state.dataset
        self.account: AccountState = state.account

    def _resolve(self, items: Sequence[CompanyIdentifiers]) -> list[Row | None]:
        ids = [
            find_company_id(self.dataset, id=item.id, domain=item.domain, name=item.name) for item in items
        ]
        rows = rows_by_id(self.dataset, "companies", [item for item in ids if item is not None])
        return [rows.get(item) if item is not None else None for item in ids]

    def _reveal_charges(
        self, rows: Sequence[Row], extras: Sequence[str]
    ) -> tuple[list[ChargeItem], list[Reveal]]:
        unique = list({row["id"]: row for row in rows}.values())
        revealed = self.account.revealed_fields("company", [row["id"] for row in unique])
        counts: dict[str, int] = {}
        reveals: list[Reveal] = []
        for row in unique:
            held = revealed.get(row["id"], set())
            for field in (COMPANY_BASE_FIELD, *extras):
                if field in held or (field != COMPANY_BASE_FIELD and not company_extra_available(row, field)):
                    continue
                action = REVEAL_COMPANY if field == COMPANY_BASE_FIELD else COMPANY_EXTRA_ACTIONS[field]
                counts[action] = counts.get(action, 0) + 1
                reveals.append(("company", row["id"], field))
        return [ChargeItem(action, count) for action, count in counts.items()], reveals

    def search(
        self, items: Sequence[CompanyIdentifiers], signals: SignalRequest | None, charge: Charger
    ) -> Answer:
        rows = self._resolve(items)
        found = [row for row in rows if row is not None]
        revealed = self.account.revealed_fields("company", [row["id"] for row in found])
        matched = (
            matched_signal_types(self.dataset, "company", [row["id"] for row in found], signals)
            if signals
            else {}
        )
        results: list[JsonObject] = []
        successes = 0
        for item, row in zip(items, rows, strict=True):
            if row is None:
                results.append(with_reference(item, {"error": NOT_FOUND}))
            elif signals is not None and not matched.get(row["id"]):
                results.append(with_reference(item, {"error": NO_SIGNALS}))
            else:
                preview = company_preview(row, revealed.get(row["id"], set()))
                if signals is not None:
                    preview["signalTypes"] = matched[row["id"]]
                results.append(with_reference(item, preview))
                successes += 1
        credits = charge([ChargeItem(API_SEARCH, successes)], ())
        return Answer(results, credits, successes)

    def enrich(self, ids: Sequence[str], extras: Sequence[str], charge: Charger) -> Answer:
        rows = rows_by_id(self.dataset, "companies", ids)
        charges, reveals = self._reveal_charges(list(rows.values()), extras)
        credits = charge(charges, reveals)
        results: list[JsonObject] = []
        successes = 0
        for company_id in ids:
            row = rows.get(company_id)
            if row is None:
                results.append({"id": company_id, "error": NOT_FOUND})
            else:
                results.append(company_enriched(row, self.dataset, extras))
                successes += 1
        return Answer(results, credits, successes)

    def search_and_enrich(self, items: Sequence[CompanyIdentifiers], charge: Charger) -> Answer:
        rows = self._resolve(items)
        found = [row for row in rows if row is not None]
        charges, reveals = self._reveal_charges(found, [])
        credits = charge([ChargeItem(API_SEARCH, len(found)), *charges], reveals)
        results = [
            with_reference(
                item, {"error": NOT_FOUND} if row is None else company_enriched(row, self.dataset, [])
            )
            for item, row in zip(items, rows, strict=True)
        ]
        return Answer(results, credits, len(found))
