"""Fixed vocabularies of the sandbox dataset: seniorities, departments, titles, industries,
locations, company sizes and revenues, technologies and intent topics, and name pools.

The values live in `lusha_mcp/sandbox/data/catalog.json` and `names.json`; this module gives
them their types. Prospecting filters and the filter-discovery endpoints both read these, so
the values a caller discovers are exactly the ones the data holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from lusha_mcp.sandbox.data import load

_DATA = load("catalog")


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(item) for item in cast(list[Any], value))


def _pairs(value: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(first), str(second)) for first, second in cast(list[list[Any]], value))


def _weights(value: Any) -> dict[str, int]:
    return {str(key): int(weight) for key, weight in cast(dict[str, Any], value).items()}


SENIORITIES: dict[int, str] = {int(key): str(name) for key, name in _DATA["seniorities"].items()}
SENIORITY_IDS: dict[str, int] = {name: sid for sid, name in SENIORITIES.items()}

DEPARTMENTS: tuple[str, ...] = _strings(_DATA["departments"])
DEPARTMENT_BITS: dict[str, int] = {name: 1 << index for index, name in enumerate(DEPARTMENTS)}

DEPARTMENT_TITLES: dict[str, tuple[str, tuple[str, ...]]] = {
    str(department): (str(entry["area"]), _strings(entry["individual"]))
    for department, entry in cast(dict[str, dict[str, Any]], _DATA["department_titles"]).items()
}
"""department -> (short name used in leadership titles, individual-contributor titles)."""

C_SUITE_TITLES: dict[str, str] = {str(key): str(value) for key, value in _DATA["c_suite_titles"].items()}
"""Departments without a C-level role of their own (Consulting) are led by General Management."""


@dataclass(frozen=True, slots=True)
class CrossRole:
    """A role spanning two departments; its titles name both."""

    departments: tuple[str, str]
    area: str
    individual: tuple[str, ...]


CROSS_ROLES: tuple[CrossRole, ...] = tuple(
    CrossRole(
        (str(entry["departments"][0]), str(entry["departments"][1])),
        str(entry["area"]),
        _strings(entry["individual"]),
    )
    for entry in cast(list[dict[str, Any]], _DATA["cross_roles"])
)
"""Roles of contacts with two departments. Only individual contributors up to vice presidents hold one."""

CROSS_ROLE_SENIORITIES = frozenset(_strings(_DATA["cross_role_seniorities"]))
SINGLE_DEPARTMENT_SENIORITIES: dict[str, str] = {
    str(key): str(value) for key, value in _DATA["single_department_seniorities"].items()
}
"""Seniorities that always belong to one fixed department."""


def _leadership_title(seniority: str, area: str, individual: tuple[str, ...], variant: int) -> str:
    if seniority == "Non-Manager":
        return individual[variant % len(individual)]
    if seniority == "Senior":
        return f"Senior {individual[variant % len(individual)]}"
    if seniority == "Manager":
        manager = f"{area} Manager"
        if manager in individual or variant % 2 == 0:
            return f"Head of {area}"
        return manager
    if seniority == "Director":
        return f"Director of {area}" if variant % 2 else f"Senior Director of {area}"
    return f"VP of {area}" if variant % 2 else f"Vice President of {area}"


def job_title(seniority: str, department: str, variant: int) -> str:
    """A title consistent with the seniority and department (the same title never means two seniorities)."""
    if seniority == "C-Suite":
        return C_SUITE_TITLES.get(department, C_SUITE_TITLES["General Management"])
    if seniority == "Founder":
        return "Co-Founder" if variant % 2 else "Founder & CEO"
    if seniority == "Partner":
        return "Managing Partner" if variant % 2 else "Partner"
    short, individual = DEPARTMENT_TITLES[department]
    return _leadership_title(seniority, short, individual, variant)


def cross_role_title(seniority: str, role: CrossRole, variant: int) -> str:
    """A title for a two-department role at a seniority in CROSS_ROLE_SENIORITIES."""
    return _leadership_title(seniority, role.area, role.individual, variant)


def contact_departments(seniority: str, department: str) -> list[str]:
    """The departments a single-department contact of this seniority belongs to."""
    fixed = SINGLE_DEPARTMENT_SENIORITIES.get(seniority)
    if fixed is not None:
        return [fixed]
    if seniority == "C-Suite" and department not in C_SUITE_TITLES:
        return ["General Management"]
    return [department]


SENIORITY_WEIGHTS: dict[str, int] = _weights(_DATA["seniority_weights"])
DEPARTMENT_WEIGHTS: dict[str, int] = _weights(_DATA["department_weights"])


@dataclass(frozen=True, slots=True)
class Place:
    city: str
    state: str
    country: str
    country_code: str
    continent: str
    locale: str
    phone_prefix: str
    weight: int

    @property
    def is_eu(self) -> bool:
        return self.country_code in EU_COUNTRY_CODES


EU_COUNTRY_CODES = frozenset(_strings(_DATA["eu_country_codes"]))

PLACES: tuple[Place, ...] = tuple(
    Place(
        str(entry["city"]),
        str(entry["state"]),
        str(entry["country"]),
        str(entry["country_code"]),
        str(entry["continent"]),
        str(entry["locale"]),
        str(entry["phone_prefix"]),
        int(entry["weight"]),
    )
    for entry in cast(list[dict[str, Any]], _DATA["places"])
)

COUNTRIES: dict[str, str] = {place.country_code: place.country for place in PLACES}


@dataclass(frozen=True, slots=True)
class Industry:
    id: int
    label: str
    sub_industries: tuple[tuple[int, str], ...]
    sic: tuple[tuple[str, str], ...]
    naics: tuple[tuple[str, str], ...]
    keywords: tuple[str, ...]


_INDUSTRY_DATA = cast(list[dict[str, Any]], _DATA["industries"])
INDUSTRIES: tuple[Industry, ...] = tuple(
    Industry(
        int(entry["id"]),
        str(entry["label"]),
        tuple((int(sid), str(label)) for sid, label in cast(list[list[Any]], entry["sub_industries"])),
        _pairs(entry["sic"]),
        _pairs(entry["naics"]),
        _strings(entry["keywords"]),
    )
    for entry in _INDUSTRY_DATA
)
INDUSTRY_NAME_SUFFIXES: dict[int, tuple[str, ...]] = {
    int(entry["id"]): _strings(entry["name_suffixes"]) for entry in _INDUSTRY_DATA
}
COMPANY_NAME_WORDS: tuple[str, ...] = _strings(_DATA["company_name_words"])
INDUSTRY_NAME_WORDS: dict[int, tuple[str, ...]] = {
    int(entry["id"]): _strings(entry["name_words"]) for entry in _INDUSTRY_DATA
}
"""Name words that suggest each industry."""

INDUSTRY_BY_LABEL: dict[str, Industry] = {industry.label: industry for industry in INDUSTRIES}
INDUSTRY_WEIGHTS: tuple[int, ...] = tuple(int(entry["weight"]) for entry in _INDUSTRY_DATA)

_SIZES = cast(list[dict[str, Any]], _DATA["sizes"])
SIZE_RANGES: tuple[tuple[int, int | None], ...] = tuple(
    (int(entry["min"]), None if entry["max"] is None else int(entry["max"])) for entry in _SIZES
)
SIZE_WEIGHTS: tuple[int, ...] = tuple(int(entry["weight"]) for entry in _SIZES)

REVENUE_RANGES: tuple[tuple[int, int | None], ...] = tuple(
    (int(low), None if high is None else int(high))
    for low, high in cast(list[list[Any]], _DATA["revenue_ranges"])
)

TECHNOLOGIES: tuple[str, ...] = _strings(_DATA["technologies"])
INTENT_TOPICS: tuple[str, ...] = _strings(_DATA["intent_topics"])

_TYPES = cast(list[dict[str, Any]], _DATA["company_types"])
COMPANY_TYPES: tuple[str, ...] = tuple(str(entry["name"]) for entry in _TYPES)
COMPANY_TYPE_WEIGHTS: tuple[int, ...] = tuple(int(entry["weight"]) for entry in _TYPES)
BUSINESS_MODELS: tuple[str, ...] = _strings(_DATA["business_models"])

_ROUNDS = cast(list[dict[str, Any]], _DATA["funding_rounds"])
FUNDING_ROUNDS: tuple[str, ...] = tuple(str(entry["id"]) for entry in _ROUNDS)
FUNDING_ROUND_LABELS: dict[str, str] = {str(entry["id"]): str(entry["label"]) for entry in _ROUNDS}
FUNDING_NAMES: tuple[str, ...] = _strings(_DATA["funding_names"])
INVESTORS: tuple[str, ...] = _strings(_DATA["investors"])

EXISTING_DATA_POINTS: dict[str, str] = {
    str(key): str(value) for key, value in _DATA["existing_data_points"].items()
}
"""existingDataPoints filter values -> the contacts column that records them."""

_NAMES = load("names")
_NAME_BORROW: dict[str, str] = {str(key): str(value) for key, value in _NAMES["borrow"].items()}
_NAME_POOLS = cast(dict[str, dict[str, list[str]]], _NAMES["locales"])


def first_names(locale: str) -> tuple[str, ...]:
    """First names of people of the locale (a neighbour's when it has no Latin-script list)."""
    return tuple(_NAME_POOLS[_NAME_BORROW.get(locale, locale)]["first"])


def last_names(locale: str) -> tuple[str, ...]:
    """Last names of people of the locale (a neighbour's when it has no Latin-script list)."""
    return tuple(_NAME_POOLS[_NAME_BORROW.get(locale, locale)]["last"])
