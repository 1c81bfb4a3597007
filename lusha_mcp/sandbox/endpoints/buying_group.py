"""Buying group (the Decision Makers capability): POST /v3/contacts/buying-group.

Up to 25 companies, each named by exactly one of `domain` or Lusha `id`. Lusha's model picks
the buying group for what the account sells; Lusha's request carries no product category, so
the sandbox account has one (default `sales`: it sells a sales tool), which tests and demos
switch through the control surface (not Lusha's API; same api_key):

    GET /_sandbox/buying-group                      -> {"productCategory": ..., "categories": {...}}
    POST /_sandbox/buying-group {"productCategory": "engineering"}

The categories and the departments of each persona live in `data/activity.json`
(`product_categories`). A contact holds a persona when its seniority fits the persona and one of
its departments is among the category's departments for it:

    decision_maker      C-Suite, Founder, Partner, Vice President, Director
    potential_champion  Director, Manager, Senior
    end_user            Senior, Non-Manager

(for a sales tool: decision makers in Sales, General Management or Business Development;
champions and end users in Sales or Business Development, which includes revenue operations
and sales engineering). The 0-1 relevance score is the seniority weight, a bonus when the
contact's first department is the category's first (its home department), and a small stable
per-contact spread.

`personas` keeps only contacts holding one of the requested roles (roles outside it are not
listed); contacts are ranked by score, at most `contactsLimit` (default 60) per company, then
`pagination` (page, size 10-100, default 0/100) pages the flattened list. Results are free
previews (the search-result shape, with has / canReveal). Billing: one `buyingGroupContact` unit per contact returned.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from typing import Any, Final, cast

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lusha_mcp.sandbox.data import load
from lusha_mcp.sandbox.identity import find_company
from lusha_mcp.sandbox.records import contact_preview, rows_by_id
from lusha_mcp.sandbox.state import billing_json, lusha_json, request_id, sandbox_state
from lusha_mcp.sandbox.validation import FieldCheck, read_json_object

PERSONAS: Final = ("decision_maker", "potential_champion", "end_user")
DEFAULT_CONTACTS_LIMIT: Final = 60
MAX_COMPANIES: Final = 25

ROLE_WEIGHTS: Final[dict[str, dict[str, float]]] = {
    "decision_maker": {
        "C-Suite": 0.95,
        "Founder": 0.93,
        "Partner": 0.9,
        "Vice President": 0.86,
        "Director": 0.76,
    },
    "potential_champion": {"Director": 0.8, "Manager": 0.84, "Senior": 0.72},
    "end_user": {"Senior": 0.7, "Non-Manager": 0.82},
}
"""Persona -> seniority -> base relevance."""

_DATA: Final = load("activity")
PRODUCT_CATEGORIES: Final[dict[str, dict[str, frozenset[str]]]] = {
    str(name): {persona: frozenset(str(item) for item in entry[persona]) for persona in PERSONAS}
    for name, entry in cast(dict[str, dict[str, list[Any]]], _DATA["product_categories"]).items()
}
"""Product category -> persona -> the departments a contact of that persona works in."""
CATEGORY_LABELS: Final[dict[str, str]] = {
    str(name): str(entry["label"])
    for name, entry in cast(dict[str, dict[str, Any]], _DATA["product_categories"]).items()
}
HOME_DEPARTMENTS: Final[dict[str, str]] = {
    str(name): str(entry["end_user"][0])
    for name, entry in cast(dict[str, dict[str, Any]], _DATA["product_categories"]).items()
}
"""Product category -> the department that uses the product most (a score bonus)."""
DEFAULT_PRODUCT_CATEGORY: Final = str(_DATA["default_product_category"])


def _spread(contact_id: str) -> float:
    """A stable value in [-0.05, 0.05) from the contact id."""
    digest = hashlib.blake2b(contact_id.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") / 2**32 / 10 - 0.05


def persona_scores(
    contact_id: str, seniority: str, departments: Sequence[str], category: str = DEFAULT_PRODUCT_CATEGORY
) -> dict[str, float]:
    """Persona -> relevance score (0-1) of one contact for a product of `category`; personas it
    does not fit are absent."""
    fits = PRODUCT_CATEGORIES[category]
    bonus = 0.04 if departments and departments[0] == HOME_DEPARTMENTS[category] else 0.0
    scores: dict[str, float] = {}
    for persona, weights in ROLE_WEIGHTS.items():
        base = weights.get(seniority)
        if base is not None and fits[persona].intersection(departments):
            scores[persona] = round(min(1.0, max(0.0, base + bonus + _spread(contact_id))), 4)
    return scores


def product_category(request: Request) -> str:
    """The product category the sandbox account sells (what its buying groups are for)."""
    return str(getattr(request.app.state, "product_category", DEFAULT_PRODUCT_CATEGORY))


_CONTACT_SELECT: Final = "SELECT id, departments, seniority FROM contacts WHERE company_id = ? ORDER BY seq"


def _ranked_contacts(
    conn: sqlite3.Connection, company: Sequence[Any], personas: Sequence[str], limit: int, category: str
) -> list[tuple[Sequence[Any], list[str], float]]:
    ranked: list[tuple[Sequence[Any], list[str], float]] = []
    for row in conn.execute(_CONTACT_SELECT, (company[0],)):
        departments: list[Any] = json.loads(row[1]) if row[1] else []
        scores = persona_scores(str(row[0]), str(row[2]), [str(item) for item in departments], category)
        roles = [persona for persona in PERSONAS if persona in scores and persona in personas]
        if roles:
            ranked.append((row, roles, max(scores[role] for role in roles)))
    ranked.sort(key=lambda item: (-item[2], str(item[0][0])))
    return ranked[:limit]


async def buying_group(request: Request) -> JSONResponse:
    body = await read_json_object(request)
    check = FieldCheck()
    check.unknown_keys(body, ("companies", "personas", "contactsLimit", "pagination"))
    items = check.objects(
        check.array(body, "companies", required=True, min_items=1, max_items=MAX_COMPANIES), at="companies"
    )
    targets: list[tuple[str | None, str, str]] = []
    for index, item in items:
        at = f"companies[{index}]"
        check.unknown_keys(item, ("clientReferenceId", "domain", "id"), at=at)
        reference = check.string(item, "clientReferenceId", at=at)
        given = [key for key in ("domain", "id") if item.get(key) is not None]
        if len(given) != 1:
            check.fail(at, f"must contain exactly one of domain or id (got {len(given)})")
            continue
        value = check.string(item, given[0], at=at)
        if value is not None:
            targets.append((reference, given[0], value))
    personas = check.strings(body, "personas", min_items=1, choices=PERSONAS) or list(PERSONAS)
    limit = check.integer(body, "contactsLimit", minimum=1) or DEFAULT_CONTACTS_LIMIT
    pagination = check.obj(body, "pagination") or {}
    page = check.integer(pagination, "page", at="pagination", minimum=0)
    size = check.integer(pagination, "size", at="pagination", minimum=10, maximum=100)
    if pagination:
        check.unknown_keys(pagination, ("page", "size"), at="pagination")
    check.raise_if_any()
    page = page or 0
    size = size or 100
    state = sandbox_state(request)
    conn = state.dataset
    category = product_category(request)

    groups: list[
        tuple[dict[str, Any], Sequence[Any] | None, list[tuple[Sequence[Any], list[str], float]]]
    ] = []
    for reference, key, value in targets:
        head: dict[str, Any] = {} if reference is None else {"clientReferenceId": reference}
        company = find_company(conn, key, value)
        if company is None:
            head["error"] = {"code": "NOT_FOUND", "message": f"Company not found for {key} '{value}'"}
            groups.append((head, None, []))
            continue
        head["companyId"] = str(company[0])
        groups.append((head, company, _ranked_contacts(conn, company, personas, limit, category)))

    flat = [(index, entry) for index, (_, _, ranked) in enumerate(groups) for entry in ranked]
    window = flat[page * size : (page + 1) * size]
    shown_ids = [str(row[0]) for _, (row, _, _) in window]
    revealed = state.account.revealed_fields("contact", shown_ids)
    contacts = rows_by_id(conn, "contacts", shown_ids)
    companies = rows_by_id(conn, "companies", [str(group[1][0]) for group in groups if group[1] is not None])
    per_group: dict[int, list[dict[str, Any]]] = {}
    for index, (row, roles, score) in window:
        contact = contacts[str(row[0])]
        preview = contact_preview(contact, companies[contact["company_id"]], revealed.get(str(row[0]), set()))
        preview |= {"roles": roles, "score": score}
        per_group.setdefault(index, []).append(preview)
    results: list[dict[str, Any]] = []
    for index, (head, company, _) in enumerate(groups):
        result = dict(head)
        if company is not None:
            result["contacts"] = per_group.get(index, [])
        results.append(result)
    credits = state.charge(request, "buyingGroupContact", len(window))
    return lusha_json(
        {
            "requestId": request_id(request),
            "results": results,
            "pagination": {"page": page, "size": size, "total": len(flat)},
            "billing": billing_json(credits, len(window)),
        }
    )


async def buying_group_control(request: Request) -> JSONResponse:
    """GET: the account's product category and the known ones; POST {"productCategory": ...}: set it."""
    if request.method == "POST":
        body = await read_json_object(request)
        check = FieldCheck()
        check.unknown_keys(body, ("productCategory",))
        chosen = check.string(body, "productCategory", required=True, choices=tuple(PRODUCT_CATEGORIES))
        check.raise_if_any()
        request.app.state.product_category = chosen
    return lusha_json({"productCategory": product_category(request), "categories": CATEGORY_LABELS})


ROUTES: list[Route] = [
    Route("/v3/contacts/buying-group", buying_group, methods=["POST"]),
    Route("/_sandbox/buying-group", buying_group_control, methods=["GET", "POST"]),
]
