"""Prospecting filter discovery: the filter types of each entity and their values.

Values come from the dataset itself, so every discovered value matches some records. Filter
types marked `requiresQuery` need a query; the others accept one to narrow the list. Value
shapes: plain strings (departments, existingDataPoints, intentTopics, technologies), {id, value}
(seniority), {code, name} (countries), {code, description} (sics, naics), {min, max} (sizes,
revenues), {id, value, subIndustries} (industriesLabels), {id, name, domain} (names) and
location objects (locations).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from lusha_mcp.sandbox import catalog

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


Entity = Literal["contact", "company"]
CATALOGUES: dict[Entity, dict[str, tuple[bool, ValueSource]]] = {
    "contact": CONTACT_FILTERS,
    "company": COMPANY_FILTERS,
}


@dataclass(frozen=True, slots=True)
class FiltersBackend:
    """Filter discovery over one sandbox's dataset."""

    dataset: sqlite3.Connection

    @staticmethod
    def types(entity: Entity) -> list[dict[str, Any]]:
        return [
            {"filterType": name, "requiresQuery": requires}
            for name, (requires, _) in CATALOGUES[entity].items()
        ]

    @staticmethod
    def requires_query(entity: Entity, filter_type: str) -> bool | None:
        """Whether `filter_type` needs a query (None: no such filter type)."""
        entry = CATALOGUES[entity].get(filter_type)
        return None if entry is None else entry[0]

    def values(self, entity: Entity, filter_type: str, query: str | None) -> Values:
        return CATALOGUES[entity][filter_type][1](self.dataset, query)
