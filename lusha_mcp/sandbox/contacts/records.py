"""Contact rows rendered as Lusha's V3 shapes: previews (search, prospecting) and enriched
records (enrich, search-and-enrich).

Previews carry `has` (data points held) and `canReveal` (what Enrich would unlock and its
credits for this account: 0 when already revealed).
"""

from __future__ import annotations

from collections.abc import Iterable

from lusha_mcp.sandbox.pricing import CONTACT_REVEAL_ACTIONS, PRICING
from lusha_mcp.sandbox.rows import JsonObject, Row, json_list

CONTACT_REVEAL_FIELDS: tuple[str, ...] = ("emails", "phones")


# --- contacts --------------------------------------------------------------------------------


def contact_has(row: Row) -> list[str]:
    has = ["firstName", "lastName", "jobTitle", "location", "socialLinks"]
    if row["has_email"]:
        has.append("emails")
    if row["has_phone"]:
        has.append("phones")
    return has


def contact_can_reveal(row: Row, revealed: set[str]) -> list[JsonObject]:
    result: list[JsonObject] = []
    for field in CONTACT_REVEAL_FIELDS:
        if row["has_email" if field == "emails" else "has_phone"]:
            credits = 0 if field in revealed else PRICING[CONTACT_REVEAL_ACTIONS[field]].credits
            result.append({"field": field, "credits": credits})
    return result


def _job_title(row: Row) -> JsonObject:
    return {
        "title": row["job_title"],
        "departments": json_list(row["departments"]),
        "seniority": row["seniority"],
    }


def _employer(company: Row) -> JsonObject:
    """The contact's company as contact records embed it."""
    return {
        "id": company["id"],
        "name": company["name"],
        "domain": company["domain"],
        "industry": company["industry"],
    }


def contact_preview(row: Row, company: Row | None, revealed: set[str]) -> JsonObject:
    preview: JsonObject = {
        "id": row["id"],
        "firstName": row["first_name"],
        "lastName": row["last_name"],
        "jobTitle": _job_title(row),
    }
    if company is not None:
        preview["company"] = _employer(company)
    preview["location"] = {"country": row["country"], "state": row["state"], "city": row["city"]}
    preview["socialLinks"] = {"linkedin": row["linkedin_url"]}
    preview["has"] = contact_has(row)
    preview["canReveal"] = contact_can_reveal(row, revealed)
    return preview


def contact_enriched(row: Row, company: Row | None, reveal: Iterable[str]) -> JsonObject:
    fields = set(reveal)
    result: JsonObject = {
        "id": row["id"],
        "firstName": row["first_name"],
        "lastName": row["last_name"],
        "fullName": f"{row['first_name']} {row['last_name']}",
        "jobTitle": _job_title(row),
        "location": {
            "country": row["country"],
            "countryIso2": row["country_code"],
            "state": row["state"],
            "city": row["city"],
            "continent": row["continent"],
            "isEuContact": bool(row["is_eu"]),
        },
        "tags": [],
    }
    if "emails" in fields:
        result["emails"] = json_list(row["emails"])
    if "phones" in fields:
        result["phones"] = json_list(row["phones"])
    if company is not None:
        result["company"] = _employer(company)
    result["socialLinks"] = {"linkedin": row["linkedin_url"]}
    result["previousEmployment"] = json_list(row["previous_employment"])
    result["updateDate"] = row["update_date"]
    return result


def contact_payable_fields(row: Row, reveal: Iterable[str]) -> list[str]:
    """Requested reveal fields this contact holds data for (only those are charged)."""
    return [field for field in reveal if row["has_email" if field == "emails" else "has_phone"]]
