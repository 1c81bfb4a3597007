"""Contacts search, enrich and search-and-enrich over the dataset and the account.

GDPR: a blocked contact comes back as a per-item error `COMPLIANCE_RESTRICTED` (the spec's
V3ItemError) and is not charged; when every contact of a request is blocked the whole request
is answered 451, as Lusha's error table documents. Search charges `api_search` per successful
result only (a signals filter narrows it and adds no charge, as the spec bills search); enrich
charges each requested field a contact holds and this account has not revealed before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Protocol
from urllib.parse import urlsplit

from lusha_mcp.sandbox.account import AccountState, ChargeItem, Reveal
from lusha_mcp.sandbox.companies.backend import find_company_id, first_id
from lusha_mcp.sandbox.contacts.records import (
    CONTACT_REVEAL_FIELDS,
    contact_enriched,
    contact_payable_fields,
    contact_preview,
)
from lusha_mcp.sandbox.errors import gdpr_blocked
from lusha_mcp.sandbox.pricing import API_SEARCH, CONTACT_REVEAL_ACTIONS
from lusha_mcp.sandbox.rows import JsonObject, Row, rows_by_id
from lusha_mcp.sandbox.signals.backend import SignalRequest, matched_signal_types
from lusha_mcp.sandbox.state import Answer, Charger, SandboxState

CONTACT_IDENTIFIERS = "id, linkedinUrl, email, or firstName + lastName + companyName/companyDomain"


def item_error(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


NOT_FOUND = item_error("NOT_FOUND", "Contact not found")
BLOCKED = item_error("COMPLIANCE_RESTRICTED", "Contact is unavailable due to GDPR regulations")
NO_SIGNALS = item_error("NOT_FOUND", "Contact has no signals of the requested types")


class ContactIdentifiers(Protocol):
    """One contact to find (the search item of the request)."""

    client_reference_id: str | None
    id: str | None
    linkedin_url: str | None
    email: str | None
    first_name: str | None
    last_name: str | None
    company_name: str | None
    company_domain: str | None


def linkedin_url(value: str) -> str:
    """Canonical form of a LinkedIn profile or company URL as the dataset stores it."""
    text = value.strip().lower().rstrip("/")
    if "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    path = parts.path.rstrip("/")
    return f"https://www.linkedin.com{path}"


def find_contact_id(conn: sqlite3.Connection, item: ContactIdentifiers) -> str | None:
    """The id of the contact named by id, else LinkedIn URL, else email, else name and company."""
    if item.id:
        return first_id(conn, "SELECT id FROM contacts WHERE id = ?", (item.id,))
    if item.linkedin_url:
        found = first_id(
            conn, "SELECT id FROM contacts WHERE linkedin_url = ?", (linkedin_url(item.linkedin_url),)
        )
        if found is not None:
            return found
    if item.email:
        found = first_id(
            conn, "SELECT contact_id FROM contact_emails WHERE email = ?", (item.email.strip().lower(),)
        )
        if found is not None:
            return found
    first, last = item.first_name, item.last_name
    if first and last and (item.company_domain or item.company_name):
        company_id = find_company_id(conn, domain=item.company_domain, name=item.company_name)
        if company_id is None:
            return None
        full_name = f"{first.strip()} {last.strip()}".lower()
        return first_id(
            conn,
            "SELECT id FROM contacts WHERE company_id = ? AND full_name_lower = ? ORDER BY seq LIMIT 1",
            (company_id, full_name),
        )
    return None


def _refuse_if_all_blocked(rows: Sequence[Row | None]) -> None:
    found = [row for row in rows if row is not None]
    if found and all(row["gdpr_blocked"] for row in found) and len(found) == len(rows):
        gdpr_blocked("Request blocked due to GDPR regulations: every requested contact is restricted")


def _unique_available(rows: Sequence[Row | None]) -> list[Row]:
    """Found, unblocked rows, each once (a repeated id is charged once)."""
    unique: dict[str, Row] = {}
    for row in rows:
        if row is not None and not row["gdpr_blocked"]:
            unique.setdefault(row["id"], row)
    return list(unique.values())


def _outcome(item: ContactIdentifiers, row: Row | None) -> tuple[JsonObject, Row | None]:
    """The item's result so far (its reference, and the error of a missing or blocked contact)
    and the row still to render (None after an error)."""
    result: JsonObject = {}
    if item.client_reference_id is not None:
        result["clientReferenceId"] = item.client_reference_id
    if row is None or row["gdpr_blocked"]:
        result["error"] = NOT_FOUND if row is None else BLOCKED
        return result, None
    return result, row


class ContactsBackend:
    """Contacts operations over one sandbox's dataset and account."""

    def __init__(self, state: SandboxState) -> None:
        self.dataset = state.dataset
        self.account: AccountState = state.account

    def _resolve(self, items: Sequence[ContactIdentifiers]) -> tuple[list[Row | None], dict[str, Row]]:
        ids = [find_contact_id(self.dataset, item) for item in items]
        contacts = rows_by_id(self.dataset, "contacts", [item for item in ids if item is not None])
        companies = rows_by_id(self.dataset, "companies", [row["company_id"] for row in contacts.values()])
        return [contacts.get(item) if item is not None else None for item in ids], companies

    def _reveal_charges(
        self, rows: Sequence[Row], reveal: Sequence[str]
    ) -> tuple[list[ChargeItem], list[Reveal]]:
        """Charge items for the fields not yet revealed, and the reveals to record."""
        revealed = self.account.revealed_fields("contact", [row["id"] for row in rows])
        counts = dict.fromkeys(CONTACT_REVEAL_FIELDS, 0)
        reveals: list[Reveal] = []
        for row in rows:
            held = revealed.get(row["id"], set())
            for field in contact_payable_fields(row, reveal):
                if field not in held:
                    counts[field] += 1
                    reveals.append(("contact", row["id"], field))
        items = [ChargeItem(CONTACT_REVEAL_ACTIONS[field], count) for field, count in counts.items() if count]
        return items, reveals

    def search(
        self, items: Sequence[ContactIdentifiers], signals: SignalRequest | None, charge: Charger
    ) -> Answer:
        rows, companies = self._resolve(items)
        _refuse_if_all_blocked(rows)
        found = [row for row in rows if row is not None and not row["gdpr_blocked"]]
        revealed = self.account.revealed_fields("contact", [row["id"] for row in found])
        matched = (
            matched_signal_types(self.dataset, "contact", [row["id"] for row in found], signals)
            if signals is not None
            else {}
        )
        results: list[JsonObject] = []
        successes = 0
        for item, candidate in zip(items, rows, strict=True):
            result, row = _outcome(item, candidate)
            results.append(result)
            if row is None:
                continue
            if signals is not None and not matched.get(row["id"]):
                result["error"] = NO_SIGNALS
            else:
                result.update(
                    contact_preview(row, companies.get(row["company_id"]), revealed.get(row["id"], set()))
                )
                if signals is not None:
                    result["signalTypes"] = matched[row["id"]]
                successes += 1
        # The spec bills a search per successful result only, with or without a signals filter.
        credits = charge([ChargeItem(API_SEARCH, successes)], ())
        return Answer(results, credits, successes)

    def enrich(self, ids: Sequence[str], reveal: Sequence[str], charge: Charger) -> Answer:
        contacts = rows_by_id(self.dataset, "contacts", ids)
        companies = rows_by_id(self.dataset, "companies", [row["company_id"] for row in contacts.values()])
        rows = [contacts.get(item) for item in ids]
        _refuse_if_all_blocked(rows)
        charges, reveals = self._reveal_charges(_unique_available(rows), reveal)
        credits = charge(charges, reveals)
        results: list[JsonObject] = []
        successes = 0
        for contact_id, row in zip(ids, rows, strict=True):
            if row is None:
                results.append({"id": contact_id, "error": NOT_FOUND})
            elif row["gdpr_blocked"]:
                results.append({"id": contact_id, "error": BLOCKED})
            else:
                results.append(contact_enriched(row, companies.get(row["company_id"]), reveal))
                successes += 1
        return Answer(results, credits, successes)

    def search_and_enrich(
        self, items: Sequence[ContactIdentifiers], reveal: Sequence[str], charge: Charger
    ) -> Answer:
        rows, companies = self._resolve(items)
        _refuse_if_all_blocked(rows)
        charges, reveals = self._reveal_charges(_unique_available(rows), reveal)
        successes = sum(1 for row in rows if row is not None and not row["gdpr_blocked"])
        credits = charge([ChargeItem(API_SEARCH, successes), *charges], reveals)
        results: list[JsonObject] = []
        for item, candidate in zip(items, rows, strict=True):
            result, row = _outcome(item, candidate)
            if row is not None:
                result.update(contact_enriched(row, companies.get(row["company_id"]), reveal))
            results.append(result)
        return Answer(results, credits, successes)
