"""POST /v3/contacts/prospecting and /v3/companies/prospecting.

Pagination: `page` 0-1000 and `size` 10-100 (V3PaginationRequest), and at most 50,000 results
per query, so the last reachable page is 50,000 / size - 1. Billing: `api_search` per result
returned (1 credit per 25, rounded up per call); when a signals filter is sent, plus
`showSignalsContact` / `showSignalsCompany` per matched signal type per result.
GDPR-blocked contacts never appear in prospecting results. With `tableId` the page is also saved
into that table (`tableWrite`; companies tables charge reveal_company per newly added company).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lusha_mcp.sandbox.account import ChargeItem
from lusha_mcp.sandbox.errors import bad_request
from lusha_mcp.sandbox.pricing import API_SEARCH
from lusha_mcp.sandbox.prospecting_query import compile_company_prospecting, compile_contact_prospecting
from lusha_mcp.sandbox.records import Row, company_preview, contact_preview, rows_by_id
from lusha_mcp.sandbox.signal_filters import matched_signal_types
from lusha_mcp.sandbox.state import billing_json, lusha_json, request_id, sandbox_state
from lusha_mcp.sandbox.tables.backend import tables_backend
from lusha_mcp.sandbox.validation import FieldCheck, JsonObject, read_json_object

MAX_PAGE = 1000
MIN_SIZE, MAX_SIZE = 10, 100
MAX_RESULTS = 50_000


def check_pagination(fields: FieldCheck, body: JsonObject) -> tuple[int, int]:
    pagination = fields.obj(body, "pagination", required=True)
    if pagination is None:
        return 0, 0
    fields.unknown_keys(pagination, ["page", "size"], at="pagination")
    page = fields.integer(pagination, "page", at="pagination", required=True, minimum=0, maximum=MAX_PAGE)
    size = fields.integer(
        pagination, "size", at="pagination", required=True, minimum=MIN_SIZE, maximum=MAX_SIZE
    )
    if page is None or size is None:
        return 0, 0
    if (page + 1) * size > MAX_RESULTS:
        fields.fail(
            "pagination.page",
            f"a query returns at most {MAX_RESULTS} results; with size {size} the last page is "
            f"{MAX_RESULTS // size - 1}. Narrow the filters instead",
        )
    return page, size


def _rows(conn: sqlite3.Connection, sql: str, params: list[Any]) -> list[Row]:
    cursor = conn.cursor()
    cursor.row_factory = sqlite3.Row
    return list(cursor.execute(sql, params))


def _page(
    conn: sqlite3.Connection, source: str, order: str, where: str, params: list[Any], page: int, size: int
) -> tuple[int, list[Row]]:
    """(total matches, the rows of one page); filters too large to combine are a 400."""
    try:
        total = int(conn.execute(f"SELECT COUNT(*) FROM {source} WHERE {where}", params).fetchone()[0])
        rows = _rows(
            conn,
            f"SELECT * FROM {source} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
            [*params, size, page * size],
        )
    except sqlite3.OperationalError as exc:
        if "too large" not in str(exc) and "too many" not in str(exc):
            raise
        bad_request(["filters: too many values to combine in one query; send fewer values per filter"])
    return total, rows


async def prospect_contacts(request: Request) -> Response:
    body = await read_json_object(request)
    fields = FieldCheck()
    fields.unknown_keys(body, ["pagination", "filters", "tableId", "options"])
    page, size = check_pagination(fields, body)
    filters = fields.obj(body, "filters", required=True)
    options = fields.obj(body, "options")
    exclude_dnc = False
    if options is not None:
        fields.unknown_keys(options, ["includePartialProfiles", "excludeDnc"], at="options")
        fields.boolean(options, "includePartialProfiles", at="options")
        exclude_dnc = bool(fields.boolean(options, "excludeDnc", at="options"))
    state = sandbox_state(request)
    query = compile_contact_prospecting(fields, state.dataset, filters) if filters is not None else None
    fields.raise_if_any()
    assert query is not None
    query.conditions.add("c.gdpr_blocked = 0")
    if exclude_dnc:
        query.conditions.add("c.do_not_call = 0")
    where, params = query.conditions.where(), query.conditions.params
    total, rows = _page(state.dataset, "contacts c", "c.seq", where, params, page, size)
    companies = rows_by_id(state.dataset, "companies", [row["company_id"] for row in rows])
    revealed = state.account.revealed_fields("contact", [row["id"] for row in rows])
    results: list[dict[str, Any]] = []
    signal_units = 0
    matched = (
        matched_signal_types(state.dataset, "contact", [row["id"] for row in rows], query.contact_signals)
        if query.contact_signals
        else {}
    )
    for row in rows:
        preview = contact_preview(row, companies.get(row["company_id"]), revealed.get(row["id"], set()))
        if query.contact_signals is not None:
            preview["signalTypes"] = matched.get(row["id"], [])
            signal_units += len(preview["signalTypes"])
        results.append(preview)
    charges = [ChargeItem(API_SEARCH, len(rows))]
    if signal_units:
        charges.append(ChargeItem("showSignalsContact", signal_units))
    write = tables_backend(request).prepare_write(
        "contacts", body.get("tableId"), [r["id"] for r in rows], [r["company_id"] for r in rows]
    )
    credits = state.charge_all(request, [*charges, *(write.charges if write else [])])
    return lusha_json(
        {
            "requestId": request_id(request),
            "results": results,
            "pagination": {"page": page, "size": size, "total": total},
            **({"tableWrite": write.apply()} if write else {}),
            "billing": billing_json(credits, len(rows)),
        }
    )


async def prospect_companies(request: Request) -> Response:
    body = await read_json_object(request)
    fields = FieldCheck()
    fields.unknown_keys(body, ["pagination", "filters", "tableId", "options"])
    page, size = check_pagination(fields, body)
    filters = fields.obj(body, "filters", required=True)
    options = fields.obj(body, "options")
    if options is not None:
        fields.unknown_keys(options, ["includePartialProfiles"], at="options")
        fields.boolean(options, "includePartialProfiles", at="options")
    state = sandbox_state(request)
    query = compile_company_prospecting(fields, state.dataset, filters) if filters is not None else None
    fields.raise_if_any()
    assert query is not None
    where, params = query.conditions.where(), query.conditions.params
    total, rows = _page(state.dataset, "companies co", "co.seq", where, params, page, size)
    revealed = state.account.revealed_fields("company", [row["id"] for row in rows])
    matched = (
        matched_signal_types(state.dataset, "company", [row["id"] for row in rows], query.company_signals)
        if query.company_signals
        else {}
    )
    results: list[dict[str, Any]] = []
    signal_units = 0
    for row in rows:
        preview = company_preview(row, revealed.get(row["id"], set()))
        if query.company_signals is not None:
            preview["signalTypes"] = matched.get(row["id"], [])
            signal_units += len(preview["signalTypes"])
        results.append(preview)
    charges = [ChargeItem(API_SEARCH, len(rows))]
    if signal_units:
        charges.append(ChargeItem("showSignalsCompany", signal_units))
    write = tables_backend(request).prepare_write("companies", body.get("tableId"), [r["id"] for r in rows])
    credits = state.charge_all(request, [*charges, *(write.charges if write else [])])
    return lusha_json(
        {
            "requestId": request_id(request),
            "results": results,
            "pagination": {"page": page, "size": size, "total": total},
            **({"tableWrite": write.apply()} if write else {}),
            "billing": billing_json(credits, len(rows)),
        }
    )


ROUTES = [
    Route("/v3/contacts/prospecting", prospect_contacts, methods=["POST"]),
    Route("/v3/companies/prospecting", prospect_companies, methods=["POST"]),
]
