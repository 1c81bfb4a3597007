"""Prospecting filters (include / exclude criteria) compiled to parameterised SQL.

Include criteria are ANDed; within one criterion the values are ORed (technologies and intent
topics may ask for AND). An exclude criterion removes every row matching any of its values.
Values always travel as parameters; only column names and fixed fragments are written into SQL.
Documented filters the sandbox does not emulate are refused with a 400 naming them, never ignored.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lusha_mcp.sandbox import catalog
from lusha_mcp.sandbox.lookup import bare_domain, linkedin_url
from lusha_mcp.sandbox.signal_filters import (
    COMPANY_SIGNAL_CHOICES,
    CONTACT_SIGNAL_CHOICES,
    SignalRequest,
    check_signal_request,
    signal_subquery,
)
from lusha_mcp.sandbox.validation import FieldCheck, JsonObject

CONTACT_CRITERIA = (
    "names",
    "jobTitles",
    "jobTitlesExactMatch",
    "normalizedJobTitles",
    "searchText",
    "countries",
    "locations",
    "seniorityIds",
    "departments",
    "linkedinUrls",
    "existingDataPoints",
    "existingDataPointsCondition",
    "signals",
    "emails",
    "ids",
)
CONTACT_UNSUPPORTED = (
    "previousEmails",
    "previousJobTitle",
    "skills",
    "certifications",
    "awards",
    "jobChangedAfterDate",
    "jobChangedLastViewDate",
    "education",
    "score",
    "geographicDetails",
)
COMPANY_CRITERIA = (
    "names",
    "domains",
    "ids",
    "searchText",
    "locations",
    "sizes",
    "revenues",
    "technologies",
    "technologiesCondition",
    "industriesLabels",
    "mainIndustriesIds",
    "subIndustriesIds",
    "intentTopics",
    "intentTopicsCondition",
    "intentTopicsOperator",
    "intentMinScore",
    "intentMaxScore",
    "sicCodes",
    "naicsCodes",
    "funding",
    "foundedYear",
    "businessModel",
    "companyType",
    "linkedinUrls",
    "keywords",
    "signals",
)
COMPANY_UNSUPPORTED = (
    "topicCountThreshold",
    "specialities",
    "exactSpecialities",
    "exactKeywords",
    "keywordsSearchFields",
    "previousCompanyDomains",
    "previousCompanyNames",
    "geographicDetails",
    "locationsZipcodes",
    "headquarterZipcodes",
)
CONTACTS_ON_COMPANY_CRITERIA = ("jobTitles", "departments", "seniorityIds", "locations", "existingDataPoints")
CONTACTS_ON_COMPANY_UNSUPPORTED = ("skills",)

COUNTRY_GROUPINGS: dict[str, tuple[str, ...]] = {
    "EMEA": ("Europe", "Africa"),
    "NA": ("North America",),
    "NAM": ("North America",),
    "APAC": ("Asia", "Oceania"),
    "LATAM": ("South America",),
}
FUNDING_COVERAGES = ("last_funding", "any_round", "total_funds", "last_round")
FUNDING_ROUND_VALUES = (*catalog.FUNDING_ROUNDS, "series_f", "series_g", "series_h", "other")
FUNDING_NAME_VALUES = (
    "angel",
    "venture",
    "private_equity",
    "crowdfunding",
    "grant",
    "debt_financing",
    "other",
)


@dataclass(slots=True)
class Conditions:
    """SQL conditions over one table alias, with their parameters."""

    clauses: list[str] = field(default_factory=lambda: list[str]())
    params: list[Any] = field(default_factory=lambda: list[Any]())

    def add(self, clause: str, params: Sequence[Any] = ()) -> None:
        self.clauses.append(clause)
        self.params.extend(params)

    def extend(self, other: Conditions, *, negate: bool = False) -> None:
        for clause in other.clauses:
            self.clauses.append(f"NOT ({clause})" if negate else clause)
        self.params.extend(other.params)

    def where(self) -> str:
        return " AND ".join(f"({clause})" for clause in self.clauses) if self.clauses else "1"


@dataclass(slots=True)
class CompiledQuery:
    conditions: Conditions
    contact_signals: SignalRequest | None = None
    company_signals: SignalRequest | None = None


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


def _like(value: str) -> str:
    escaped = value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _refuse_unsupported(
    fields: FieldCheck, criteria: JsonObject, unsupported: Sequence[str], at: str
) -> None:
    for key in unsupported:
        if criteria.get(key) is not None:
            fields.fail(f"{at}.{key}", "is not supported by the sandbox; remove it or use another filter")


def _locations(fields: FieldCheck, criteria: JsonObject, at: str, alias: str, out: Conditions) -> None:
    items = fields.array(criteria, "locations", at=at, min_items=1)
    options: list[str] = []
    params: list[Any] = []
    columns = {
        "city": "city",
        "state": "state",
        "region": "state",
        "country": "country",
        "continent": "continent",
    }
    for index, location in fields.objects(items, at=f"{at}.locations"):
        path = f"{at}.locations[{index}]"
        fields.unknown_keys(location, [*columns, "countryIso2", "countryGrouping"], at=path)
        parts: list[str] = []
        for key, column in columns.items():
            value = fields.string(location, key, at=path)
            if value is not None:
                parts.append(f"lower({alias}.{column}) = ?")
                params.append(value.strip().lower())
        code = fields.string(location, "countryIso2", at=path)
        if code is not None:
            parts.append(f"{alias}.country_code = ?")
            params.append(code.strip().upper())
        grouping = fields.string(location, "countryGrouping", at=path)
        if grouping is not None:
            continents = COUNTRY_GROUPINGS.get(grouping.strip().upper())
            if continents is None:
                fields.fail(f"{path}.countryGrouping", f"must be one of: {', '.join(COUNTRY_GROUPINGS)}")
                continue
            parts.append(f"{alias}.continent IN ({_marks(continents)})")
            params.extend(continents)
        if not parts:
            fields.fail(
                path, "needs at least one of city, state, country, continent, countryIso2, countryGrouping"
            )
            continue
        options.append(" AND ".join(parts))
    if options:
        out.add(" OR ".join(f"({option})" for option in options), params)


def _ranges(
    fields: FieldCheck, criteria: JsonObject, key: str, at: str
) -> list[tuple[int | None, int | None]]:
    items = fields.array(criteria, key, at=at, min_items=1)
    ranges: list[tuple[int | None, int | None]] = []
    for index, item in fields.objects(items, at=f"{at}.{key}"):
        path = f"{at}.{key}[{index}]"
        fields.unknown_keys(item, ["min", "max"], at=path)
        low = fields.integer(item, "min", at=path, minimum=0)
        high = fields.integer(item, "max", at=path, minimum=0)
        if low is None and high is None:
            fields.fail(path, "needs min, max or both")
            continue
        if low is not None and high is not None and high < low:
            fields.fail(path, "max must not be below min")
            continue
        ranges.append((low, high))
    return ranges


def _condition(fields: FieldCheck, criteria: JsonObject, key: str, at: str) -> str | None:
    value = fields.string(criteria, key, at=at)
    if value is None:
        return None
    normalized = {"any": "or", "all": "and"}.get(value.lower(), value.lower())
    if normalized not in {"or", "and"}:
        fields.fail(
            f"{at}.{key}", "must be one of: or, and" + (", any, all" if key == "intentTopicsOperator" else "")
        )
        return None
    return normalized


def contact_conditions(
    fields: FieldCheck,
    conn: sqlite3.Connection,
    criteria: JsonObject,
    at: str,
    *,
    alias: str = "c",
    allowed: Sequence[str] = CONTACT_CRITERIA,
    unsupported: Sequence[str] = CONTACT_UNSUPPORTED,
) -> tuple[Conditions, SignalRequest | None]:
    out = Conditions()
    fields.unknown_keys(criteria, [*allowed, *unsupported], at=at)
    _refuse_unsupported(fields, criteria, unsupported, at)
    names = fields.strings(criteria, "names", at=at, min_items=1)
    if names:
        out.add(f"{alias}.full_name_lower IN ({_marks(names)})", [name.strip().lower() for name in names])
    titles = [
        *(fields.strings(criteria, "jobTitles", at=at, min_items=1) or []),
        *(fields.strings(criteria, "normalizedJobTitles", at=at, min_items=1) or []),
    ]
    if titles:
        out.add(
            " OR ".join(f"{alias}.job_title_lower LIKE ? ESCAPE '\\'" for _ in titles),
            [_like(t) for t in titles],
        )
    exact = fields.strings(criteria, "jobTitlesExactMatch", at=at, min_items=1)
    if exact:
        out.add(f"{alias}.job_title_lower IN ({_marks(exact)})", [title.strip().lower() for title in exact])
    text = fields.string(criteria, "searchText", at=at, max_length=200)
    if text:
        pattern = _like(text.strip())
        out.add(
            f"{alias}.full_name_lower LIKE ? ESCAPE '\\' OR {alias}.job_title_lower LIKE ? ESCAPE '\\' OR "
            f"{alias}.company_id IN (SELECT id FROM companies WHERE name_lower LIKE ? ESCAPE '\\')",
            [pattern, pattern, pattern],
        )
    countries = fields.strings(criteria, "countries", at=at, min_items=1)
    if countries:
        codes = [code.strip().upper() for code in countries]
        out.add(f"{alias}.country_code IN ({_marks(codes)})", codes)
    if criteria.get("locations") is not None:
        _locations(fields, criteria, at, alias, out)
    seniority = fields.array(criteria, "seniorityIds", at=at, min_items=1)
    if seniority is not None:
        ids: list[int] = []
        for index, value in enumerate(seniority):
            if isinstance(value, bool) or not isinstance(value, int) or value not in catalog.SENIORITIES:
                fields.fail(
                    f"{at}.seniorityIds[{index}]",
                    f"must be a seniority id ({', '.join(f'{k}={v}' for k, v in catalog.SENIORITIES.items())})",
                )
            else:
                ids.append(value)
        if ids:
            out.add(f"{alias}.seniority_id IN ({_marks(ids)})", ids)
    departments = fields.strings(criteria, "departments", at=at, min_items=1)
    if departments:
        mask = 0
        lookup = {name.lower(): bit for name, bit in catalog.DEPARTMENT_BITS.items()}
        for index, name in enumerate(departments):
            bit = lookup.get(name.strip().lower())
            if bit is None:
                fields.fail(
                    f"{at}.departments[{index}]",
                    f"unknown department {name!r}; see GET /v3/contacts/prospecting/filters/departments",
                )
            else:
                mask |= bit
        if mask:
            out.add(f"({alias}.department_mask & ?) != 0", [mask])
    points = fields.strings(
        criteria, "existingDataPoints", at=at, min_items=1, choices=list(catalog.EXISTING_DATA_POINTS)
    )
    joiner = _condition(fields, criteria, "existingDataPointsCondition", at) or "or"
    if points:
        columns = [f"{alias}.{catalog.EXISTING_DATA_POINTS[point]} = 1" for point in dict.fromkeys(points)]
        out.add(f" {joiner.upper()} ".join(columns))
    urls = fields.strings(criteria, "linkedinUrls", at=at, min_items=1)
    if urls:
        out.add(f"{alias}.linkedin_url IN ({_marks(urls)})", [linkedin_url(url) for url in urls])
    emails = fields.strings(criteria, "emails", at=at, min_items=1)
    if emails:
        out.add(
            f"{alias}.id IN (SELECT contact_id FROM contact_emails WHERE email IN ({_marks(emails)}))",
            [email.strip().lower() for email in emails],
        )
    contact_ids = fields.strings(criteria, "ids", at=at, min_items=1)
    if contact_ids:
        out.add(f"{alias}.id IN ({_marks(contact_ids)})", contact_ids)
    signals = None
    if "signals" in allowed:
        signals = check_signal_request(fields, criteria, "signals", CONTACT_SIGNAL_CHOICES, at=at)
        if signals is not None:
            sql, params = signal_subquery(conn, "contact", signals)
            out.add(f"{alias}.id IN ({sql})", params)
    return out, signals


def _company_json_any(alias: str, column: str, values: Sequence[str]) -> str:
    return f"EXISTS (SELECT 1 FROM json_each({alias}.{column}) WHERE lower(value) IN ({_marks(values)}))"


def company_conditions(
    fields: FieldCheck, conn: sqlite3.Connection, criteria: JsonObject, at: str, *, alias: str = "co"
) -> tuple[Conditions, SignalRequest | None]:
    out = Conditions()
    fields.unknown_keys(criteria, [*COMPANY_CRITERIA, *COMPANY_UNSUPPORTED], at=at)
    _refuse_unsupported(fields, criteria, COMPANY_UNSUPPORTED, at)
    names = fields.strings(criteria, "names", at=at, min_items=1)
    if names:
        out.add(f"{alias}.name_lower IN ({_marks(names)})", [name.strip().lower() for name in names])
    domains = fields.strings(criteria, "domains", at=at, min_items=1)
    if domains:
        out.add(f"{alias}.domain IN ({_marks(domains)})", [bare_domain(domain) for domain in domains])
    ids = fields.strings(criteria, "ids", at=at, min_items=1)
    if ids:
        out.add(f"{alias}.id IN ({_marks(ids)})", ids)
    text = fields.string(criteria, "searchText", at=at, max_length=200)
    if text:
        pattern = _like(text.strip())
        out.add(
            f"{alias}.name_lower LIKE ? ESCAPE '\\' OR {alias}.domain LIKE ? ESCAPE '\\' OR "
            f"lower({alias}.description) LIKE ? ESCAPE '\\'",
            [pattern, pattern, pattern],
        )
    if criteria.get("locations") is not None:
        _locations(fields, criteria, at, alias, out)
    sizes = _ranges(fields, criteria, "sizes", at) if criteria.get("sizes") is not None else []
    if sizes:
        parts: list[str] = []
        params: list[Any] = []
        for low, high in sizes:
            parts.append(f"({alias}.employees >= ? AND {alias}.employees <= ?)")
            params.extend([low or 0, high if high is not None else 2**62])
        out.add(" OR ".join(parts), params)
    revenues = _ranges(fields, criteria, "revenues", at) if criteria.get("revenues") is not None else []
    if revenues:
        parts = []
        params = []
        for low, high in revenues:
            parts.append(f"({alias}.revenue_min >= ? AND {alias}.revenue_min < ?)")
            params.extend([low or 0, high if high is not None else 2**62])
        out.add(" OR ".join(parts), params)
    technologies = fields.strings(criteria, "technologies", at=at, min_items=1)
    tech_join = _condition(fields, criteria, "technologiesCondition", at) or "or"
    if technologies:
        canonical = {name.lower(): name for name in catalog.TECHNOLOGIES}
        wanted = list(dict.fromkeys(canonical.get(t.strip().lower(), t.strip()) for t in technologies))
        sub = f"SELECT company_id FROM company_technologies WHERE technology IN ({_marks(wanted)})"
        if tech_join == "and":
            sub += " GROUP BY company_id HAVING COUNT(DISTINCT technology) = ?"
            out.add(f"{alias}.id IN ({sub})", [*wanted, len(wanted)])
        else:
            out.add(f"{alias}.id IN ({sub})", wanted)
    labels = fields.strings(criteria, "industriesLabels", at=at, min_items=1)
    if labels:
        lowered = [label.strip().lower() for label in labels]
        out.add(
            f"lower({alias}.industry) IN ({_marks(lowered)}) OR lower({alias}.sub_industry) IN ({_marks(lowered)})",
            [*lowered, *lowered],
        )
    for key, column in (("mainIndustriesIds", "industry_id"), ("subIndustriesIds", "sub_industry_id")):
        values = fields.array(criteria, key, at=at, min_items=1)
        if values is not None:
            numbers = [value for value in values if isinstance(value, int) and not isinstance(value, bool)]
            if len(numbers) != len(values):
                fields.fail(f"{at}.{key}", "must be a list of integer ids")
            elif numbers:
                out.add(f"{alias}.{column} IN ({_marks(numbers)})", numbers)
    _intent(fields, criteria, at, alias, out)
    for key, table in (("sicCodes", "company_sic"), ("naicsCodes", "company_naics")):
        codes = fields.strings(criteria, key, at=at, min_items=1)
        if codes:
            out.add(
                f"{alias}.id IN (SELECT company_id FROM {table} WHERE code IN ({_marks(codes)}))",
                [c.strip() for c in codes],
            )
    if criteria.get("funding") is not None:
        _funding(fields, criteria, at, alias, out)
    years = _ranges(fields, criteria, "foundedYear", at) if criteria.get("foundedYear") is not None else []
    if years:
        out.add(
            " OR ".join(f"({alias}.founded_year >= ? AND {alias}.founded_year <= ?)" for _ in years),
            [value for low, high in years for value in (low or 0, high if high is not None else 9999)],
        )
    models = fields.strings(criteria, "businessModel", at=at, min_items=1, choices=catalog.BUSINESS_MODELS)
    if models:
        out.add(_company_json_any(alias, "business_models", models), [m.lower() for m in models])
    types = fields.strings(criteria, "companyType", at=at, min_items=1, choices=catalog.COMPANY_TYPES)
    if types:
        out.add(f"{alias}.company_type IN ({_marks(types)})", types)
    urls = fields.strings(criteria, "linkedinUrls", at=at, min_items=1)
    if urls:
        out.add(f"{alias}.linkedin_url IN ({_marks(urls)})", [linkedin_url(url) for url in urls])
    keywords = fields.strings(criteria, "keywords", at=at, min_items=1)
    if keywords:
        lowered = [keyword.strip().lower() for keyword in keywords]
        out.add(_company_json_any(alias, "keywords", lowered), lowered)
    signals = check_signal_request(fields, criteria, "signals", COMPANY_SIGNAL_CHOICES, at=at)
    if signals is not None:
        sql, params = signal_subquery(conn, "company", signals)
        out.add(f"{alias}.id IN ({sql})", params)
    return out, signals


def _intent(fields: FieldCheck, criteria: JsonObject, at: str, alias: str, out: Conditions) -> None:
    topics = fields.strings(criteria, "intentTopics", at=at, min_items=1)
    condition = _condition(fields, criteria, "intentTopicsCondition", at)
    operator = _condition(fields, criteria, "intentTopicsOperator", at)
    low = fields.integer(criteria, "intentMinScore", at=at, minimum=1, maximum=100)
    high = fields.integer(criteria, "intentMaxScore", at=at, minimum=1, maximum=100)
    if not topics:
        if low is not None or high is not None:
            fields.fail(f"{at}.intentMinScore", "needs intentTopics")
        return
    canonical = {name.lower(): name for name in catalog.INTENT_TOPICS}
    wanted = list(dict.fromkeys(canonical.get(t.strip().lower(), t.strip()) for t in topics))
    sub = f"SELECT company_id FROM company_intent WHERE topic IN ({_marks(wanted)}) AND score >= ? AND score <= ?"
    params: list[Any] = [*wanted, low or 1, high or 100]
    if (operator or condition or "or") == "and":
        sub += " GROUP BY company_id HAVING COUNT(DISTINCT topic) = ?"
        params.append(len(wanted))
    out.add(f"{alias}.id IN ({sub})", params)


def _funding(fields: FieldCheck, criteria: JsonObject, at: str, alias: str, out: Conditions) -> None:
    funding = fields.obj(criteria, "funding", at=at)
    if funding is None:
        return
    path = f"{at}.funding"
    fields.unknown_keys(
        funding, ["isIpo", "ranges", "date", "rounds", "names", "investors", "types"], at=path
    )
    ipo = fields.boolean(funding, "isIpo", at=path)
    if ipo is not None:
        out.add(f"{alias}.is_ipo = ?", [int(ipo)])
    ranges = fields.array(funding, "ranges", at=path, min_items=1)
    parts: list[str] = []
    params: list[Any] = []
    for index, item in fields.objects(ranges, at=f"{path}.ranges"):
        at_item = f"{path}.ranges[{index}]"
        coverage = fields.string(item, "coverage", at=at_item, choices=FUNDING_COVERAGES) or "total_funds"
        low = fields.integer(item, "min", at=at_item, minimum=0)
        high = fields.integer(item, "max", at=at_item, minimum=0)
        if coverage in {"total_funds", "any_round"}:
            column = f"{alias}.funding_total"
        else:
            column = f"COALESCE(json_extract({alias}.funding, '$.lastRoundAmount'), 0)"
        parts.append(f"({alias}.funding IS NOT NULL AND {column} >= ? AND {column} <= ?)")
        params.extend([low or 0, high if high is not None else 2**62])
    if parts:
        out.add(" OR ".join(parts), params)
    when = fields.obj(funding, "date", at=path)
    if when is not None:
        fields.string(when, "coverage", at=f"{path}.date", choices=FUNDING_COVERAGES)
        day = fields.string(when, "date", at=f"{path}.date", required=True)
        if day is not None:
            try:
                date.fromisoformat(day)
                out.add(f"{alias}.last_funding_date >= ?", [day])
            except ValueError:
                fields.fail(f"{path}.date.date", "must be a date like 2024-01-31")
    for key, attribute, choices in (
        ("rounds", "round", FUNDING_ROUND_VALUES),
        ("names", "name", FUNDING_NAME_VALUES),
    ):
        items = fields.array(funding, key, at=path, min_items=1)
        options: list[str] = []
        option_params: list[Any] = []
        for index, item in fields.objects(items, at=f"{path}.{key}"):
            at_item = f"{path}.{key}[{index}]"
            coverage = fields.string(item, "coverage", at=at_item, choices=FUNDING_COVERAGES) or "any_round"
            value = fields.string(item, attribute, at=at_item, required=True, choices=choices)
            if value is None:
                continue
            if coverage in {"last_funding", "last_round"}:
                options.append(f"json_extract({alias}.funding, '$.rounds[#-1].{attribute}') = ?")
            else:
                options.append(
                    f"EXISTS (SELECT 1 FROM json_each({alias}.funding, '$.rounds') WHERE json_extract(value, '$.{attribute}') = ?)"
                )
            option_params.append(value)
        if options:
            out.add(" OR ".join(f"({option})" for option in options), option_params)
    fields.strings(funding, "investors", at=path)
    fields.strings(funding, "types", at=path)


def compile_contact_prospecting(
    fields: FieldCheck, conn: sqlite3.Connection, filters: JsonObject
) -> CompiledQuery:
    """WHERE conditions over `contacts c` for /v3/contacts/prospecting."""
    result = CompiledQuery(Conditions())
    fields.unknown_keys(filters, ["contacts", "companies"], at="filters")
    for side in ("contacts", "companies"):
        group = fields.obj(filters, side, at="filters")
        if group is None:
            continue
        fields.unknown_keys(group, ["include", "exclude"], at=f"filters.{side}")
        for mode in ("include", "exclude"):
            criteria = fields.obj(group, mode, at=f"filters.{side}")
            if criteria is None:
                continue
            at = f"filters.{side}.{mode}"
            if side == "contacts":
                conditions, signals = contact_conditions(fields, conn, criteria, at)
                if mode == "include":
                    result.contact_signals = signals
                result.conditions.extend(conditions, negate=mode == "exclude")
            else:
                conditions, signals = company_conditions(fields, conn, criteria, at)
                if mode == "include":
                    result.company_signals = signals
                if conditions.clauses:
                    joiner = " AND " if mode == "include" else " OR "
                    inner = joiner.join(f"({clause})" for clause in conditions.clauses)
                    clause = f"c.company_id IN (SELECT co.id FROM companies co WHERE {inner})"
                    result.conditions.add(
                        f"NOT ({clause})" if mode == "exclude" else clause, conditions.params
                    )
    return result


def compile_company_prospecting(
    fields: FieldCheck, conn: sqlite3.Connection, filters: JsonObject
) -> CompiledQuery:
    """WHERE conditions over `companies co` for /v3/companies/prospecting."""
    result = CompiledQuery(Conditions())
    fields.unknown_keys(filters, ["companies", "contacts"], at="filters")
    companies = fields.obj(filters, "companies", at="filters", required=True)
    if companies is not None:
        fields.unknown_keys(companies, ["include", "exclude"], at="filters.companies")
        include = fields.obj(companies, "include", at="filters.companies", required=True)
        if include is not None:
            conditions, result.company_signals = company_conditions(
                fields, conn, include, "filters.companies.include"
            )
            result.conditions.extend(conditions)
        exclude = fields.obj(companies, "exclude", at="filters.companies")
        if exclude is not None:
            conditions, _ = company_conditions(fields, conn, exclude, "filters.companies.exclude")
            if conditions.clauses:
                result.conditions.add(
                    "NOT (" + " OR ".join(f"({c})" for c in conditions.clauses) + ")", conditions.params
                )
    contacts = fields.obj(filters, "contacts", at="filters")
    if contacts is not None:
        fields.unknown_keys(contacts, ["include", "exclude"], at="filters.contacts")
        include = companies.get("include") if companies is not None else None
        if isinstance(include, dict):
            for key in ("searchText", "signals", "intentTopics", "technologies"):
                if include.get(key) is not None:  # pyright: ignore[reportUnknownMemberType]
                    fields.fail(
                        "filters.contacts",
                        f"cannot be combined with filters.companies.include.{key}; send them in separate requests",
                    )
        for mode in ("include", "exclude"):
            criteria = fields.obj(contacts, mode, at="filters.contacts")
            if criteria is None:
                continue
            conditions, _ = contact_conditions(
                fields,
                conn,
                criteria,
                f"filters.contacts.{mode}",
                alias="c",
                allowed=CONTACTS_ON_COMPANY_CRITERIA,
                unsupported=CONTACTS_ON_COMPANY_UNSUPPORTED,
            )
            if not conditions.clauses:
                continue
            joiner = " AND " if mode == "include" else " OR "
            clause = (
                "co.id IN (SELECT c.company_id FROM contacts c WHERE "
                + joiner.join(f"({c})" for c in conditions.clauses)
                + ")"
            )
            result.conditions.add(f"NOT ({clause})" if mode == "exclude" else clause, conditions.params)
    return result
