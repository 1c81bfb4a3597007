"""POST /v3/companies/search, /v3/companies/enrich, /v3/companies/search-and-enrich.

Billing: search charges `api_search` per found company (a signals filter adds no charge: the spec
bills search per successful result only); enrich charges `reveal_company` per
company not revealed before (repeat reveals are free), plus each requested extra per company
(`estimatedAnnualItSpend` and `monthlyWebsiteTraffic` only when the value exists; `intent` is free).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lusha_mcp.sandbox.account import ChargeItem, Reveal
from lusha_mcp.sandbox.lookup import check_company_item, find_company_id
from lusha_mcp.sandbox.pricing import API_SEARCH, COMPANY_EXTRA_ACTIONS, REVEAL_COMPANY
from lusha_mcp.sandbox.records import (
    COMPANY_BASE_FIELD,
    COMPANY_REVEAL_FIELDS,
    Row,
    company_enriched,
    company_extra_available,
    company_preview,
    rows_by_id,
)
from lusha_mcp.sandbox.signal_filters import (
    COMPANY_SIGNAL_CHOICES,
    check_signal_request,
    matched_signal_types,
)
from lusha_mcp.sandbox.state import SandboxState, billing_json, lusha_json, request_id, sandbox_state
from lusha_mcp.sandbox.validation import FieldCheck, JsonObject, read_json_object

MAX_ITEMS = 100
NOT_FOUND = {"code": "NOT_FOUND", "message": "Company not found"}


def _check_items(fields: FieldCheck, body: JsonObject) -> list[JsonObject]:
    items = fields.array(body, "companies", required=True, min_items=1, max_items=MAX_ITEMS)
    checked: list[JsonObject] = []
    for index, item in fields.objects(items, at="companies"):
        check_company_item(fields, item, f"companies[{index}]")
        checked.append(item)
    return checked


def _check_options(fields: FieldCheck, body: JsonObject) -> None:
    options = fields.obj(body, "options")
    if options is not None:
        fields.unknown_keys(options, ["includePartialProfiles"], at="options")
        fields.boolean(options, "includePartialProfiles", at="options")


def _resolve(state: SandboxState, items: Sequence[JsonObject]) -> list[Row | None]:
    ids = [find_company_id(state.dataset, item) for item in items]
    rows = rows_by_id(state.dataset, "companies", [item for item in ids if item is not None])
    return [rows.get(item) if item is not None else None for item in ids]


def _reveal_charges(
    state: SandboxState, rows: Sequence[Row], extras: Sequence[str]
) -> tuple[list[ChargeItem], list[Reveal]]:
    unique = list({row["id"]: row for row in rows}.values())
    revealed = state.account.revealed_fields("company", [row["id"] for row in unique])
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


def _with_reference(item: JsonObject, payload: dict[str, Any]) -> dict[str, Any]:
    if item.get("clientReferenceId") is None:
        return payload
    return {"clientReferenceId": item["clientReferenceId"], **payload}


async def search_companies(request: Request) -> Response:
    body = await read_json_object(request)
    fields = FieldCheck()
    fields.unknown_keys(body, ["companies", "options", "signals"])
    items = _check_items(fields, body)
    _check_options(fields, body)
    signals = check_signal_request(fields, body, "signals", COMPANY_SIGNAL_CHOICES)
    fields.raise_if_any()
    state = sandbox_state(request)
    rows = _resolve(state, items)
    found = [row for row in rows if row is not None]
    revealed = state.account.revealed_fields("company", [row["id"] for row in found])
    matched = (
        matched_signal_types(state.dataset, "company", [row["id"] for row in found], signals)
        if signals
        else {}
    )
    results: list[dict[str, Any]] = []
    successes = 0
    for item, row in zip(items, rows, strict=True):
        if row is None:
            results.append(_with_reference(item, {"error": NOT_FOUND}))
        elif signals is not None and not matched.get(row["id"]):
            results.append(
                _with_reference(
                    item,
                    {
                        "error": {
                            "code": "NOT_FOUND",
                            "message": "Company has no signals of the requested types",
                        }
                    },
                )
            )
        else:
            preview = company_preview(row, revealed.get(row["id"], set()))
            if signals is not None:
                preview["signalTypes"] = matched[row["id"]]
            results.append(_with_reference(item, preview))
            successes += 1
    credits = state.charge_all(request, [ChargeItem(API_SEARCH, successes)])
    return lusha_json(
        {"requestId": request_id(request), "results": results, "billing": billing_json(credits, successes)}
    )


async def enrich_companies(request: Request) -> Response:
    body = await read_json_object(request)
    fields = FieldCheck()
    fields.unknown_keys(body, ["ids", "reveal", "tableId"])
    ids = fields.strings(body, "ids", required=True, min_items=1, max_items=MAX_ITEMS)
    extras = fields.strings(body, "reveal", choices=COMPANY_REVEAL_FIELDS) or []
    if body.get("tableId") is not None:
        fields.fail("tableId", "tables are not available in the sandbox; send the request without tableId")
    fields.raise_if_any()
    assert ids is not None
    extras = list(dict.fromkeys(extras))
    state = sandbox_state(request)
    rows = rows_by_id(state.dataset, "companies", ids)
    charges, reveals = _reveal_charges(state, list(rows.values()), extras)
    credits = state.charge_all(request, charges, reveals=reveals)
    results: list[dict[str, Any]] = []
    successes = 0
    for company_id in ids:
        row = rows.get(company_id)
        if row is None:
            results.append({"id": company_id, "error": NOT_FOUND})
        else:
            results.append(company_enriched(row, state.dataset, extras))
            successes += 1
    return lusha_json(
        {"requestId": request_id(request), "results": results, "billing": billing_json(credits, successes)}
    )


async def search_and_enrich_companies(request: Request) -> Response:
    body = await read_json_object(request)
    fields = FieldCheck()
    fields.unknown_keys(body, ["companies", "options"])
    items = _check_items(fields, body)
    _check_options(fields, body)
    fields.raise_if_any()
    state = sandbox_state(request)
    rows = _resolve(state, items)
    found = [row for row in rows if row is not None]
    charges, reveals = _reveal_charges(state, found, [])
    credits = state.charge_all(request, [ChargeItem(API_SEARCH, len(found)), *charges], reveals=reveals)
    results = [
        _with_reference(
            item, {"error": NOT_FOUND} if row is None else company_enriched(row, state.dataset, [])
        )
        for item, row in zip(items, rows, strict=True)
    ]
    return lusha_json(
        {"requestId": request_id(request), "results": results, "billing": billing_json(credits, len(found))}
    )


ROUTES = [
    Route("/v3/companies/search", search_companies, methods=["POST"]),
    Route("/v3/companies/enrich", enrich_companies, methods=["POST"]),
    Route("/v3/companies/search-and-enrich", search_and_enrich_companies, methods=["POST"]),
]
