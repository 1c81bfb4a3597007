"""Prospecting filter discovery: GET /v3/{contacts,companies}/prospecting/filters[/{filterType}].

Values come from the dataset itself, so every discovered value matches some records. Filter
types marked `requiresQuery` need `query` (2-256 characters); the others accept it to narrow
the list. Value shapes: plain strings (departments, existingDataPoints, intentTopics,
technologies), {id, value} (seniority), {code, name} (countries), {code, description} (sics,
naics), {min, max} (sizes, revenues), {id, value, subIndustries} (industriesLabels),
{id, name, domain} (names) and location objects (locations).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lusha_mcp.sandbox import catalog
from lusha_mcp.sandbox.errors import bad_request
from lusha_mcp.sandbox.state import lusha_json, sandbox_state

MAX_VALUES = 50
Values = list[Any]


def _query_like(query: str | None) -> str:
    if not query:
        return "%"
    escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matches(query: str | None, *texts: str) -> bool:
    return not query or any(query.lower() in text.lower() for text in texts)


def _locations(conn: sqlite3.Connection, table: str, query: str | None) -> Values:
    pattern = _query_like(query)
    rows = conn.execute(
        f"SELECT city, state, country, country_code, continent, COUNT(*) AS n FROM {table} "
        "WHERE lower(city) LIKE ? ESCAPE '\\' OR lower(state) LIKE ? ESCAPE '\\' OR lower(country) LIKE ? ESCAPE '\\' "
        "GROUP BY city, state, country, country_code, continent ORDER BY n DESC, city LIMIT ?",
        (pattern, pattern, pattern, MAX_VALUES),
    ).fetchall()
    return [
        {"city": city, "state": state, "country": country, "countryIso2": code, "continent": continent}
        for city, state, country, code, continent, _ in rows
    ]


def _departments(conn: sqlite3.Connection, query: str | None) -> Values:
    return [name for name in catalog.DEPARTMENTS if _matches(query, name)]


def _seniority(conn: sqlite3.Connection, query: str | None) -> Values:
    present = {int(row[0]) for row in conn.execute("SELECT DISTINCT seniority_id FROM contacts")}
    return [
        {"id": sid, "value": name}
        for sid, name in catalog.SENIORITIES.items()
        if sid in present and _matches(query, name)
    ]


def _existing_data_points(conn: sqlite3.Connection, query: str | None) -> Values:
    return [name for name in catalog.EXISTING_DATA_POINTS if _matches(query, name)]


def _countries(conn: sqlite3.Connection, query: str | None) -> Values:
    rows = conn.execute("SELECT DISTINCT country_code, country FROM contacts ORDER BY country").fetchall()
    return [{"code": code, "name": name} for code, name in rows if _matches(query, code, name)]


def _contact_locations(conn: sqlite3.Connection, query: str | None) -> Values:
    return _locations(conn, "contacts", query)


def _company_locations(conn: sqlite3.Connection, query: str | None) -> Values:
    return _locations(conn, "companies", query)


def _names(conn: sqlite3.Connection, query: str | None) -> Values:
    pattern = _query_like(query)
    rows = conn.execute(
        "SELECT id, name, domain FROM companies WHERE name_lower LIKE ? ESCAPE '\\' OR domain LIKE ? ESCAPE '\\' "
        "ORDER BY name_lower LIMIT ?",
        (pattern, pattern, MAX_VALUES),
    ).fetchall()
    return [{"id": cid, "name": name, "domain": domain} for cid, name, domain in rows]


def _ranges(conn: sqlite3.Connection, column_min: str, column_max: str) -> Values:
    rows = conn.execute(
        f"SELECT DISTINCT {column_min}, {column_max} FROM companies ORDER BY {column_min}"
    ).fetchall()
    return [{"min": low, **({"max": high} if high is not None else {})} for low, high in rows]


def _sizes(conn: sqlite3.Connection, query: str | None) -> Values:
    return _ranges(conn, "size_min", "size_max")


def _revenues(conn: sqlite3.Connection, query: str | None) -> Values:
    return _ranges(conn, "revenue_min", "revenue_max")


def _codes(conn: sqlite3.Connection, table: str, attribute: str, query: str | None) -> Values:
    descriptions = {
        code: text for industry in catalog.INDUSTRIES for code, text in getattr(industry, attribute)
    }
    present = [str(row[0]) for row in conn.execute(f"SELECT DISTINCT code FROM {table} ORDER BY code")]
    return [
        {"code": code, "description": descriptions.get(code, "")}
        for code in present
        if _matches(query, code, descriptions.get(code, ""))
    ]


def _sics(conn: sqlite3.Connection, query: str | None) -> Values:
    return _codes(conn, "company_sic", "sic", query)


def _naics(conn: sqlite3.Connection, query: str | None) -> Values:
    return _codes(conn, "company_naics", "naics", query)


def _industries(conn: sqlite3.Connection, query: str | None) -> Values:
    rows = conn.execute(
        "SELECT DISTINCT industry_id, industry, sub_industry_id, sub_industry FROM companies ORDER BY industry_id, sub_industry_id"
    ).fetchall()
    grouped: dict[int, dict[str, Any]] = {}
    for industry_id, industry, sub_id, sub in rows:
        entry = grouped.setdefault(industry_id, {"id": industry_id, "value": industry, "subIndustries": []})
        entry["subIndustries"].append({"id": sub_id, "value": sub})
    return [
        entry
        for entry in grouped.values()
        if _matches(query, entry["value"], *(sub["value"] for sub in entry["subIndustries"]))
    ]


def _intent_topics(conn: sqlite3.Connection, query: str | None) -> Values:
    return [
        str(row[0])
        for row in conn.execute("SELECT DISTINCT topic FROM company_intent ORDER BY topic")
        if _matches(query, str(row[0]))
    ]


def _technologies(conn: sqlite3.Connection, query: str | None) -> Values:
    pattern = _query_like(query)
    return [
        str(row[0])
        for row in conn.execute(
            "SELECT technology FROM company_technologies WHERE lower(technology) LIKE ? ESCAPE '\\' "
            "GROUP BY technology ORDER BY COUNT(*) DESC, technology LIMIT ?",
            (pattern, MAX_VALUES),
        )
    ]


ValueSource = Callable[[sqlite3.Connection, str | None], Values]

CONTACT_FILTERS: dict[str, tuple[bool, ValueSource]] = {
    "locations": (True, _contact_locations),
    "departments": (False, _departments),
    "seniority": (False, _seniority),
    "countries": (False, _countries),
    "existingDataPoints": (False, _existing_data_points),
}
COMPANY_FILTERS: dict[str, tuple[bool, ValueSource]] = {
    "names": (True, _names),
    "technologies": (True, _technologies),
    "locations": (True, _company_locations),
    "industriesLabels": (False, _industries),
    "sizes": (False, _sizes),
    "revenues": (False, _revenues),
    "sics": (False, _sics),
    "naics": (False, _naics),
    "intentTopics": (False, _intent_topics),
}


def _types(catalogue: dict[str, tuple[bool, ValueSource]]) -> dict[str, Any]:
    return {
        "availableFilters": [
            {"filterType": name, "requiresQuery": requires} for name, (requires, _) in catalogue.items()
        ]
    }


def _values(request: Request, catalogue: dict[str, tuple[bool, ValueSource]], entity: str) -> Response:
    filter_type = request.path_params["filterType"]
    entry = catalogue.get(filter_type)
    if entry is None:
        bad_request(
            [f"filterType: unknown {entity} filter type {filter_type!r}; use one of: {', '.join(catalogue)}"],
            "Invalid filter type",
        )
    requires_query, source = entry
    query = request.query_params.get("query")
    if query is not None and not 2 <= len(query.strip()) <= 256:
        bad_request(["query: must be 2-256 characters"])
    if requires_query and not query:
        bad_request([f"query: required for {filter_type} (2-256 characters, e.g. ?query=san)"])
    values = source(sandbox_state(request).dataset, query.strip() if query else None)
    return lusha_json({"values": values})


async def contact_filter_types(request: Request) -> Response:
    return lusha_json(_types(CONTACT_FILTERS))


async def contact_filter_values(request: Request) -> Response:
    return _values(request, CONTACT_FILTERS, "contact")


async def company_filter_types(request: Request) -> Response:
    return lusha_json(_types(COMPANY_FILTERS))


async def company_filter_values(request: Request) -> Response:
    return _values(request, COMPANY_FILTERS, "company")


ROUTES = [
    Route("/v3/contacts/prospecting/filters", contact_filter_types, methods=["GET"]),
    Route("/v3/contacts/prospecting/filters/{filterType}", contact_filter_values, methods=["GET"]),
    Route("/v3/companies/prospecting/filters", company_filter_types, methods=["GET"]),
    Route("/v3/companies/prospecting/filters/{filterType}", company_filter_values, methods=["GET"]),
]
