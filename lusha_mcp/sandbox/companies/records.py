"""Company rows rendered as Lusha's V3 shapes: previews (search, prospecting) and enriched
records (enrich, search-and-enrich).

Previews carry `has` (data points held) and `canReveal` (what Enrich would unlock and its
credits for this account: 0 when already revealed).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from lusha_mcp.sandbox.pricing import COMPANY_EXTRA_ACTIONS, PRICING
from lusha_mcp.sandbox.rows import JsonObject, Row, change_percentage, json_list, rows_in_order

COMPANY_REVEAL_FIELDS: tuple[str, ...] = (
    "employeesByDepartment",
    "employeesByLocation",
    "employeesBySeniority",
    "competitors",
    "intent",
    "estimatedAnnualItSpend",
    "monthlyWebsiteTraffic",
)
COMPANY_BASE_FIELD = "company"
"""The revealed-set marker for a company's base reveal (reveal_company)."""


def _employee_count(row: Row) -> JsonObject:
    count: JsonObject = {"exact": row["employees"], "min": row["size_min"]}
    if row["size_max"] is not None:
        count["max"] = row["size_max"]
    return count


def _company_location(row: Row) -> JsonObject:
    return {
        "city": row["city"],
        "state": row["state"],
        "country": row["country"],
        "countryIso2": row["country_code"],
        "continent": row["continent"],
    }


def company_has(row: Row) -> list[str]:
    has = [
        "alternativeName",
        "description",
        "companyType",
        "yearFounded",
        "subIndustry",
        "sicCodes",
        "naicsCodes",
        "linkedinFollowers",
        "revenueRange",
        "technologies",
        "popularityTier",
        "logoUrl",
        "employeesByDepartment",
        "employeesByLocation",
        "employeesBySeniority",
        "businessModel",
        "keywords",
        "socialLinks",
    ]
    if json_list(row["intent_topics"]):
        has.append("intent")
    if row["funding"]:
        has.append("funding")
    if json_list(row["competitors"]):
        has.append("competitors")
    if row["phone"]:
        has.append("phones")
    if row["email"]:
        has.append("emails")
    if row["it_spend"] is not None:
        has.append("estimatedAnnualItSpend")
    if row["website_visits"] is not None:
        has.append("monthlyWebsiteTraffic")
    return has


def company_extra_available(row: Row, field: str) -> bool:
    if field == "competitors":
        return bool(json_list(row["competitors"]))
    if field == "intent":
        return bool(json_list(row["intent_topics"]))
    if field == "estimatedAnnualItSpend":
        return row["it_spend"] is not None
    if field == "monthlyWebsiteTraffic":
        return row["website_visits"] is not None
    return True


def company_can_reveal(row: Row, revealed: set[str]) -> list[JsonObject]:
    result: list[JsonObject] = []
    for field in COMPANY_REVEAL_FIELDS:
        if company_extra_available(row, field):
            credits = 0 if field in revealed else PRICING[COMPANY_EXTRA_ACTIONS[field]].credits
            result.append({"field": field, "credits": credits})
    return result


def company_preview(row: Row, revealed: set[str]) -> JsonObject:
    return {
        "id": row["id"],
        "name": row["name"],
        "domain": row["domain"],
        "employeeCount": _employee_count(row),
        "industry": row["industry"],
        "location": _company_location(row),
        "socialLinks": {"linkedin": row["linkedin_url"]},
        "has": company_has(row),
        "canReveal": company_can_reveal(row, revealed),
    }


def _breakdown(row: Row, conn: sqlite3.Connection, column: str) -> list[tuple[Any, ...]]:
    return conn.execute(
        f"SELECT {column}, COUNT(*) FROM contacts WHERE company_id = ? GROUP BY {column} ORDER BY COUNT(*) DESC, {column}",
        (row["id"],),
    ).fetchall()


def _scaled(rows: list[tuple[Any, ...]], employees: int) -> list[tuple[Any, int]]:
    """Sample counts scaled to the company's headcount."""
    sample = sum(int(count) for *_, count in rows) or 1
    return [(key, max(1, round(int(count) * employees / sample))) for *key, count in rows]


def _industry_codes(text: str) -> list[JsonObject]:
    """SIC / NAICS entries as the spec types them: integer code, description."""
    return [
        {"code": int(item["code"]), "description": item["description"]}
        for item in cast(list[dict[str, Any]], json_list(text))
    ]


def company_enriched(row: Row, conn: sqlite3.Connection, reveal: Iterable[str]) -> JsonObject:
    fields = set(reveal)
    alternative = row["domain"].rsplit(".", 1)[0]
    result: JsonObject = {
        "id": row["id"],
        "name": row["name"],
        "alternativeName": row["name"].lower(),
        "domain": row["domain"],
        "alternativeDomains": [f"www.{row['domain']}", f"{alternative}.io"],
        "description": row["description"],
        "companyType": row["company_type"],
        "yearFounded": row["founded_year"],
        "employeeCount": _employee_count(row),
        "industry": row["industry"],
        "subIndustry": row["sub_industry"],
        "specialities": json_list(row["keywords"]),
        "sicCodes": _industry_codes(row["sic_codes"]),
        "naicsCodes": _industry_codes(row["naics_codes"]),
        "emailDomain": row["domain"],
        "location": _company_location(row),
        "additionalLocations": [],
        "socialLinks": {"linkedin": row["linkedin_url"]},
        "linkedinFollowers": row["linkedin_followers"],
        "revenueRange": {
            key: value
            for key, value in (("min", row["revenue_min"]), ("max", row["revenue_max"]))
            if value is not None
        },
        "technologies": json_list(row["technologies"]),
        "popularityTier": row["popularity_tier"],
        "logoUrl": f"https://logo.sandbox.lusha.invalid/{row['domain']}.png",
        "businessModel": json_list(row["business_models"]),
        "keywords": json_list(row["keywords"]),
    }
    if row["funding"]:
        result["funding"] = json.loads(row["funding"])
    if row["phone"]:
        result["phone"] = row["phone"]
    if row["email"]:
        result["email"] = row["email"]
    employees = int(row["employees"])
    if "employeesByDepartment" in fields:
        by_department: dict[str, int] = {}
        for (departments,), count in _scaled(_breakdown(row, conn, "departments"), employees):
            for department in cast(list[str], json.loads(departments))[:1]:
                by_department[department] = by_department.get(department, 0) + count
        result["employeesByDepartment"] = [
            {"department": name, "count": count}
            for name, count in sorted(by_department.items(), key=lambda item: (-item[1], item[0]))
        ]
    if "employeesBySeniority" in fields:
        result["employeesBySeniority"] = [
            {"seniority": seniority, "count": count}
            for (seniority,), count in _scaled(_breakdown(row, conn, "seniority"), employees)
        ]
    if "employeesByLocation" in fields:
        rows = conn.execute(
            "SELECT country, state, COUNT(*) FROM contacts WHERE company_id = ? GROUP BY country, state "
            "ORDER BY COUNT(*) DESC, country, state",
            (row["id"],),
        ).fetchall()
        result["employeesByLocation"] = [
            {"country": country, "state": state, "count": count}
            for (country, state), count in _scaled(rows, employees)
        ]
    if "competitors" in fields:
        competitors = rows_in_order(conn, "companies", json_list(row["competitors"]))
        result["competitors"] = [
            {"id": other["id"], "name": other["name"], "domain": other["domain"]} for other in competitors
        ]
    if "intent" in fields:
        result["intent"] = {
            "topics": [
                {"topic": item["topic"], "score": item["score"]}
                for item in cast(list[dict[str, Any]], json_list(row["intent_topics"]))
            ]
        }
    if "estimatedAnnualItSpend" in fields:
        spend = row["it_spend"]
        result["estimatedAnnualItSpend"] = (
            None if spend is None else {"value": spend, "currency": "USD", "valueUsd": spend}
        )
    if "monthlyWebsiteTraffic" in fields:
        visits = row["website_visits"]
        result["monthlyWebsiteTraffic"] = (
            None
            if visits is None
            else {
                "visits": visits,
                "momChangePercent": change_percentage(row["previous_website_visits"], visits),
                "month": _last_month(),
            }
        )
    return result


def _last_month() -> str:
    """The last complete calendar month (UTC), as YYYY-MM: the month monthly traffic describes."""
    first = datetime.now(UTC).date().replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")
