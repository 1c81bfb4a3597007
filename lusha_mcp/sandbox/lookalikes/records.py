"""The records of lookalikes: the candidate rows a ranking reads, and their Lusha JSON previews.

`CONTACT_SELECT` / `COMPANY_SELECT` fix the columns of a candidate row; `contact_profile`,
`technologies` and `size_band` read the features the ranking compares, `contact_json` /
`company_json` give the preview a result shows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

JsonObject = dict[str, Any]

CONTACT_SELECT: Final = (
    "SELECT c.id, c.seniority, c.departments, k.industry, k.size_min, c.country, c.first_name, c.last_name, "
    "c.linkedin_url, k.id, k.name, k.domain, c.job_title, c.state, c.city FROM contacts c "
    "LEFT JOIN companies k ON k.id = c.company_id "
)
COMPANY_SELECT: Final = (
    "SELECT id, name, domain, industry, sub_industry, size_min, country, continent, technologies, "
    "employees, state, city, linkedin_url FROM companies "
)


def size_band(size_min: Any) -> int:
    return int(size_min or 0)


@dataclass(frozen=True, slots=True)
class ContactProfile:
    """What the ranking compares of a contact."""

    id: str
    seniority: str
    departments: frozenset[str]
    industry: str
    size_band: int
    country: str


def _departments(raw: Any) -> list[str]:
    values: list[Any] = json.loads(raw) if raw else []
    return [str(item) for item in values]


def contact_profile(row: Sequence[Any]) -> ContactProfile:
    return ContactProfile(
        id=str(row[0]),
        seniority=str(row[1] or ""),
        departments=frozenset(_departments(row[2])),
        industry=str(row[3] or ""),
        size_band=size_band(row[4]),
        country=str(row[5] or ""),
    )


def technologies(raw: Any) -> frozenset[str]:
    """The names of a company's technologies (stored as names or {name, ...} objects)."""
    if not raw:
        return frozenset()
    values: list[Any] = json.loads(raw)
    names: set[str] = set()
    for item in values:
        names.add(str(cast(dict[str, Any], item).get("name")) if isinstance(item, dict) else str(item))
    return frozenset(names)


def _location(country: Any, state: Any, city: Any) -> JsonObject:
    return {key: value for key, value in (("country", country), ("state", state), ("city", city)) if value}


def contact_json(row: Sequence[Any]) -> JsonObject:
    result: JsonObject = {"id": str(row[0]), "firstName": row[6], "lastName": row[7]}
    if row[8]:
        result["socialLinks"] = {"linkedin": row[8]}
    if row[9] is not None:
        result["company"] = {"id": str(row[9]), "name": row[10], "domain": row[11]}
    result["jobTitle"] = {"title": row[12], "departments": _departments(row[2]), "seniority": row[1]}
    location = _location(row[5], row[13], row[14])
    if location:
        result["location"] = location
    return result


def company_json(row: Sequence[Any]) -> JsonObject:
    result: JsonObject = {"id": str(row[0]), "name": row[1], "domain": row[2]}
    if row[9] is not None:
        result["employeeCount"] = {"exact": int(row[9])}
    if row[3]:
        result["industry"] = row[3]
    location = _location(row[6], row[10], row[11])
    if location:
        result["location"] = location
    if row[12]:
        result["socialLinks"] = {"linkedin": row[12]}
    return result
