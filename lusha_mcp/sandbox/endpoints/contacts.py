"""POST /v3/contacts/search, /v3/contacts/enrich, /v3/contacts/search-and-enrich.

GDPR: a blocked contact comes back as a per-item error `COMPLIANCE_RESTRICTED` (the spec's
V3ItemError) and is not charged; when every contact of a request is blocked the whole request
is answered 451, as Lusha's error table documents. Search charges `api_search` per successful
result only (a signals filter narrows it and adds no charge, as the spec bills search).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Self

from pydantic import Field, field_validator, model_validator
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lusha_mcp.sandbox.account import ChargeItem, Reveal
from lusha_mcp.sandbox.errors import gdpr_blocked
from lusha_mcp.sandbox.lookup import CONTACT_IDENTIFIERS, check_contact_item, find_contact_id
from lusha_mcp.sandbox.pricing import API_SEARCH, CONTACT_REVEAL_ACTIONS
from lusha_mcp.sandbox.records import (
    CONTACT_REVEAL_FIELDS,
    Row,
    contact_enriched,
    contact_payable_fields,
    contact_preview,
    rows_by_id,
)
from lusha_mcp.sandbox.signal_filters import (
    CONTACT_SIGNAL_CHOICES,
    SignalRequest,
    check_signal_request,
    matched_signal_types,
)
from lusha_mcp.sandbox.state import SandboxState, billing_json, lusha_json, request_id, sandbox_state
from lusha_mcp.sandbox.validation import FieldCheck, JsonObject, read_json_object
from lusha_mcp.sandbox.wire import OneOf, Refuse, Text, WireModel, dedupe, parse_body, problem

MAX_ITEMS = 100
JsonList = list[dict[str, Any]]


def item_error(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


NOT_FOUND = item_error("NOT_FOUND", "Contact not found")
BLOCKED = item_error("COMPLIANCE_RESTRICTED", "Contact is unavailable due to GDPR regulations")


class ContactItem(WireModel):
    """One contact to find: by id, LinkedIn URL, email, or name and company."""

    client_reference_id: Text | None = None
    id: Text | None = None
    linkedin_url: Text | None = None
    email: Text | None = None
    first_name: Text | None = None
    last_name: Text | None = None
    company_name: Text | None = None
    company_domain: Text | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and ("@" not in value or "." not in value.rsplit("@", 1)[-1]):
            raise problem("must be a valid email address")
        return value

    @model_validator(mode="after")
    def _one_identifier(self) -> Self:
        by_name = self.first_name and self.last_name and (self.company_name or self.company_domain)
        if not (self.id or self.linkedin_url or self.email or by_name):
            raise problem(f"needs one identifier: {CONTACT_IDENTIFIERS}")
        return self

    def wire(self) -> JsonObject:
        return self.model_dump(by_alias=True, exclude_none=True)


class SearchOptions(WireModel):
    include_partial_profiles: bool | None = None


ContactItems = Annotated[list[ContactItem], Field(min_length=1, max_length=MAX_ITEMS)]
Ids = Annotated[list[Text], Field(min_length=1, max_length=MAX_ITEMS)]
RevealList = Annotated[list[Annotated[str, OneOf(CONTACT_REVEAL_FIELDS)]], Field(min_length=1)]
NO_TABLES = "tables are not available in the sandbox; send the request without tableId"


class EnrichRequest(WireModel):
    ids: Ids
    reveal: RevealList | None = None
    waterfall_enabled: bool | None = None
    table_id: Annotated[None, Refuse(NO_TABLES)] = None


class SearchAndEnrichRequest(WireModel):
    contacts: ContactItems
    reveal: RevealList | None = None
    options: SearchOptions | None = None


def reveal_fields(reveal: list[str] | None) -> list[str]:
    """The `reveal` list (default: emails and phones), de-duplicated."""
    return dedupe(reveal) if reveal is not None else list(CONTACT_REVEAL_FIELDS)


def _check_items(fields: FieldCheck, body: JsonObject) -> list[JsonObject]:
    items = fields.array(body, "contacts", required=True, min_items=1, max_items=MAX_ITEMS)
    checked: list[JsonObject] = []
    for index, item in fields.objects(items, at="contacts"):
        check_contact_item(fields, item, f"contacts[{index}]")
        checked.append(item)
    return checked


def _check_options(fields: FieldCheck, body: JsonObject) -> None:
    options = fields.obj(body, "options")
    if options is not None:
        fields.unknown_keys(options, ["includePartialProfiles"], at="options")
        fields.boolean(options, "includePartialProfiles", at="options")


def _refuse_if_all_blocked(rows: Sequence[Row | None]) -> None:
    found = [row for row in rows if row is not None]
    if found and all(row["gdpr_blocked"] for row in found) and len(found) == len(rows):
        gdpr_blocked("Request blocked due to GDPR regulations: every requested contact is restricted")


def _resolve(state: SandboxState, items: Sequence[JsonObject]) -> tuple[list[Row | None], dict[str, Row]]:
    ids = [find_contact_id(state.dataset, item) for item in items]
    contacts = rows_by_id(state.dataset, "contacts", [item for item in ids if item is not None])
    companies = rows_by_id(state.dataset, "companies", [row["company_id"] for row in contacts.values()])
    return [contacts.get(item) if item is not None else None for item in ids], companies


def _unique_available(rows: Sequence[Row | None]) -> list[Row]:
    """Found, unblocked rows, each once (a repeated id is charged once)."""
    unique: dict[str, Row] = {}
    for row in rows:
        if row is not None and not row["gdpr_blocked"]:
            unique.setdefault(row["id"], row)
    return list(unique.values())


def _reveal_charges(
    state: SandboxState, rows: Sequence[Row], reveal: Sequence[str]
) -> tuple[list[ChargeItem], list[Reveal]]:
    """Charge items for the fields not yet revealed, and the reveals to record."""
    revealed = state.account.revealed_fields("contact", [row["id"] for row in rows])
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


async def search_contacts(request: Request) -> Response:
    body = await read_json_object(request)
    fields = FieldCheck()
    fields.unknown_keys(body, ["contacts", "options", "signals"])
    items = _check_items(fields, body)
    _check_options(fields, body)
    signals = check_signal_request(fields, body, "signals", CONTACT_SIGNAL_CHOICES)
    fields.raise_if_any()
    state = sandbox_state(request)
    rows, companies = _resolve(state, items)
    _refuse_if_all_blocked(rows)
    found = [row for row in rows if row is not None and not row["gdpr_blocked"]]
    revealed = state.account.revealed_fields("contact", [row["id"] for row in found])
    matched = _matched(state, signals, found)
    results: JsonList = []
    successes = 0
    for item, row in zip(items, rows, strict=True):
        result: dict[str, Any] = {}
        if item.get("clientReferenceId") is not None:
            result["clientReferenceId"] = item["clientReferenceId"]
        if row is None:
            result["error"] = NOT_FOUND
        elif row["gdpr_blocked"]:
            result["error"] = BLOCKED
        elif signals is not None and not matched.get(row["id"]):
            result["error"] = item_error("NOT_FOUND", "Contact has no signals of the requested types")
        else:
            result.update(
                contact_preview(row, companies.get(row["company_id"]), revealed.get(row["id"], set()))
            )
            if signals is not None:
                result["signalTypes"] = matched[row["id"]]
            successes += 1
        results.append(result)
    # The spec bills a search per successful result only, with or without a signals filter.
    credits = state.charge_all(request, [ChargeItem(API_SEARCH, successes)])
    return lusha_json(
        {"requestId": request_id(request), "results": results, "billing": billing_json(credits, successes)}
    )


def _matched(state: SandboxState, signals: SignalRequest | None, rows: Sequence[Row]) -> dict[str, list[str]]:
    if signals is None:
        return {}
    return matched_signal_types(state.dataset, "contact", [row["id"] for row in rows], signals)


async def enrich_contacts(request: Request) -> Response:
    body = await parse_body(request, EnrichRequest)
    ids, reveal = body.ids, reveal_fields(body.reveal)
    state = sandbox_state(request)
    contacts = rows_by_id(state.dataset, "contacts", ids)
    companies = rows_by_id(state.dataset, "companies", [row["company_id"] for row in contacts.values()])
    rows = [contacts.get(item) for item in ids]
    _refuse_if_all_blocked(rows)
    payable = _unique_available(rows)
    charges, reveals = _reveal_charges(state, payable, reveal)
    credits = state.charge_all(request, charges, reveals=reveals)
    results: JsonList = []
    successes = 0
    for contact_id, row in zip(ids, rows, strict=True):
        if row is None:
            results.append({"id": contact_id, "error": NOT_FOUND})
        elif row["gdpr_blocked"]:
            results.append({"id": contact_id, "error": BLOCKED})
        else:
            results.append(contact_enriched(row, companies.get(row["company_id"]), reveal))
            successes += 1
    return lusha_json(
        {"requestId": request_id(request), "results": results, "billing": billing_json(credits, successes)}
    )


async def search_and_enrich_contacts(request: Request) -> Response:
    body = await parse_body(request, SearchAndEnrichRequest)
    items, reveal = [item.wire() for item in body.contacts], reveal_fields(body.reveal)
    state = sandbox_state(request)
    rows, companies = _resolve(state, items)
    _refuse_if_all_blocked(rows)
    payable = _unique_available(rows)
    charges, reveals = _reveal_charges(state, payable, reveal)
    successes = sum(1 for row in rows if row is not None and not row["gdpr_blocked"])
    credits = state.charge_all(request, [ChargeItem(API_SEARCH, successes), *charges], reveals=reveals)
    results: JsonList = []
    for item, row in zip(items, rows, strict=True):
        result: dict[str, Any] = {}
        if item.get("clientReferenceId") is not None:
            result["clientReferenceId"] = item["clientReferenceId"]
        if row is None:
            result["error"] = NOT_FOUND
        elif row["gdpr_blocked"]:
            result["error"] = BLOCKED
        else:
            result.update(contact_enriched(row, companies.get(row["company_id"]), reveal))
        results.append(result)
    return lusha_json(
        {"requestId": request_id(request), "results": results, "billing": billing_json(credits, successes)}
    )


ROUTES = [
    Route("/v3/contacts/search", search_contacts, methods=["POST"]),
    Route("/v3/contacts/enrich", enrich_contacts, methods=["POST"]),
    Route("/v3/contacts/search-and-enrich", search_and_enrich_contacts, methods=["POST"]),
]
