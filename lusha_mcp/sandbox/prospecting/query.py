"""Prospecting criteria (criteria.py, already validated) compiled to parameterised SQL.

Include criteria are ANDed; within one criterion the values are ORed (technologies and intent
topics may ask for AND). An exclude criterion removes every row matching any of its values.
Values always travel as parameters; only column names and fixed fragments are written into SQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lusha_mcp.sandbox import catalog
from lusha_mcp.sandbox.companies.backend import bare_domain
from lusha_mcp.sandbox.contacts.backend import linkedin_url
from lusha_mcp.sandbox.prospecting.criteria import (
    COUNTRY_GROUPINGS,
    CompanyCriteria,
    CompanyFilters,
    ContactCriteria,
    ContactFilters,
    ContactsOnCompanyCriteria,
    Funding,
    Location,
    Range,
)
from lusha_mcp.sandbox.signals.backend import SignalRequest, signal_subquery

BIG = 2**62
"""The upper bound of an open range."""


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


def _lowered(values: Sequence[str]) -> list[str]:
    return [value.strip().lower() for value in values]


def _locations(locations: Sequence[Location], alias: str, out: Conditions) -> None:
    options: list[str] = []
    params: list[Any] = []
    for location in locations:
        parts: list[str] = []
        for value, column in (
            (location.city, "city"),
            (location.state, "state"),
            (location.region, "state"),
            (location.country, "country"),
            (location.continent, "continent"),
        ):
            if value is not None:
                parts.append(f"lower({alias}.{column}) = ?")
                params.append(value.strip().lower())
        if location.country_iso2 is not None:
            parts.append(f"{alias}.country_code = ?")
            params.append(location.country_iso2.strip().upper())
        if location.country_grouping is not None:
            continents = COUNTRY_GROUPINGS[location.country_grouping.strip().upper()]
            parts.append(f"{alias}.continent IN ({_marks(continents)})")
            params.extend(continents)
        options.append(" AND ".join(parts))
    out.add(" OR ".join(f"({option})" for option in options), params)


def _bounds(ranges: Sequence[Range], high_default: int) -> list[int]:
    return [
        value
        for item in ranges
        for value in (item.min or 0, item.max if item.max is not None else high_default)
    ]


def contact_conditions(
    conn: sqlite3.Connection, criteria: ContactsOnCompanyCriteria, *, alias: str = "c"
) -> tuple[Conditions, SignalRequest | None]:
    """The conditions of one contact criteria object (the on-company subset or the whole)."""
    out = Conditions()
    full = criteria if isinstance(criteria, ContactCriteria) else None
    if full is not None and full.names:
        out.add(f"{alias}.full_name_lower IN ({_marks(full.names)})", _lowered(full.names))
    titles = [*(criteria.job_titles or []), *((full.normalized_job_titles or []) if full else [])]
    if titles:
        out.add(
            " OR ".join(f"{alias}.job_title_lower LIKE ? ESCAPE '\\'" for _ in titles),
            [_like(t) for t in titles],
        )
    if full is not None and full.job_titles_exact_match:
        exact = full.job_titles_exact_match
        out.add(f"{alias}.job_title_lower IN ({_marks(exact)})", _lowered(exact))
    if full is not None and full.search_text:
        pattern = _like(full.search_text.strip())
        out.add(
            f"{alias}.full_name_lower LIKE ? ESCAPE '\\' OR {alias}.job_title_lower LIKE ? ESCAPE '\\' OR "
            f"{alias}.company_id IN (SELECT id FROM companies WHERE name_lower LIKE ? ESCAPE '\\')",
            [pattern, pattern, pattern],
        )
    if full is not None and full.countries:
        codes = [code.strip().upper() for code in full.countries]
        out.add(f"{alias}.country_code IN ({_marks(codes)})", codes)
    if criteria.locations is not None:
        _locations(criteria.locations, alias, out)
    if criteria.seniority_ids:
        out.add(f"{alias}.seniority_id IN ({_marks(criteria.seniority_ids)})", criteria.seniority_ids)
    if criteria.departments:
        bits = {name.lower(): bit for name, bit in catalog.DEPARTMENT_BITS.items()}
        mask = 0
        for name in criteria.departments:
            mask |= bits[name.strip().lower()]
        out.add(f"({alias}.department_mask & ?) != 0", [mask])
    joiner = (full.existing_data_points_condition if full else None) or "or"
    if criteria.existing_data_points:
        columns = [
            f"{alias}.{catalog.EXISTING_DATA_POINTS[point]} = 1"
            for point in dict.fromkeys(criteria.existing_data_points)
        ]
        out.add(f" {joiner.upper()} ".join(columns))
    if full is None:
        return out, None
    if full.linkedin_urls:
        urls = full.linkedin_urls
        out.add(f"{alias}.linkedin_url IN ({_marks(urls)})", [linkedin_url(url) for url in urls])
    if full.emails:
        out.add(
            f"{alias}.id IN (SELECT contact_id FROM contact_emails WHERE email IN ({_marks(full.emails)}))",
            _lowered(full.emails),
        )
    if full.ids:
        out.add(f"{alias}.id IN ({_marks(full.ids)})", full.ids)
    signals = full.signals.request() if full.signals is not None else None
    if signals is not None:
        sql, params = signal_subquery(conn, "contact", signals)
        out.add(f"{alias}.id IN ({sql})", params)
    return out, signals


def _company_json_any(alias: str, column: str, values: Sequence[str]) -> str:
    return f"EXISTS (SELECT 1 FROM json_each({alias}.{column}) WHERE lower(value) IN ({_marks(values)}))"


def _canonical(values: Sequence[str], vocabulary: Sequence[str]) -> list[str]:
    """Values spelled as the vocabulary spells them (case-insensitive), each once."""
    canonical = {name.lower(): name for name in vocabulary}
    return list(dict.fromkeys(canonical.get(v.strip().lower(), v.strip()) for v in values))


def company_conditions(
    conn: sqlite3.Connection, criteria: CompanyCriteria, *, alias: str = "co"
) -> tuple[Conditions, SignalRequest | None]:
    out = Conditions()
    if criteria.names:
        out.add(f"{alias}.name_lower IN ({_marks(criteria.names)})", _lowered(criteria.names))
    if criteria.domains:
        domains = criteria.domains
        out.add(f"{alias}.domain IN ({_marks(domains)})", [bare_domain(domain) for domain in domains])
    if criteria.ids:
        out.add(f"{alias}.id IN ({_marks(criteria.ids)})", criteria.ids)
    if criteria.search_text:
        pattern = _like(criteria.search_text.strip())
        out.add(
            f"{alias}.name_lower LIKE ? ESCAPE '\\' OR {alias}.domain LIKE ? ESCAPE '\\' OR "
            f"lower({alias}.description) LIKE ? ESCAPE '\\'",
            [pattern, pattern, pattern],
        )
    if criteria.locations is not None:
        _locations(criteria.locations, alias, out)
    if criteria.sizes:
        out.add(
            " OR ".join(f"({alias}.employees >= ? AND {alias}.employees <= ?)" for _ in criteria.sizes),
            _bounds(criteria.sizes, BIG),
        )
    if criteria.revenues:
        out.add(
            " OR ".join(f"({alias}.revenue_min >= ? AND {alias}.revenue_min < ?)" for _ in criteria.revenues),
            _bounds(criteria.revenues, BIG),
        )
    if criteria.technologies:
        wanted = _canonical(criteria.technologies, catalog.TECHNOLOGIES)
        sub = f"SELECT company_id FROM company_technologies WHERE technology IN ({_marks(wanted)})"
        if (criteria.technologies_condition or "or") == "and":
            sub += " GROUP BY company_id HAVING COUNT(DISTINCT technology) = ?"
            out.add(f"{alias}.id IN ({sub})", [*wanted, len(wanted)])
        else:
            out.add(f"{alias}.id IN ({sub})", wanted)
    if criteria.industries_labels:
        lowered = _lowered(criteria.industries_labels)
        out.add(
            f"lower({alias}.industry) IN ({_marks(lowered)}) OR lower({alias}.sub_industry) IN ({_marks(lowered)})",
            [*lowered, *lowered],
        )
    for numbers, column in (
        (criteria.main_industries_ids, "industry_id"),
        (criteria.sub_industries_ids, "sub_industry_id"),
    ):
        if numbers:
            out.add(f"{alias}.{column} IN ({_marks(numbers)})", numbers)
    _intent(criteria, alias, out)
    for codes, table in ((criteria.sic_codes, "company_sic"), (criteria.naics_codes, "company_naics")):
        if codes:
            out.add(
                f"{alias}.id IN (SELECT company_id FROM {table} WHERE code IN ({_marks(codes)}))",
                [c.strip() for c in codes],
            )
    if criteria.funding is not None:
        _funding(criteria.funding, alias, out)
    if criteria.founded_year:
        out.add(
            " OR ".join(
                f"({alias}.founded_year >= ? AND {alias}.founded_year <= ?)" for _ in criteria.founded_year
            ),
            _bounds(criteria.founded_year, 9999),
        )
    if criteria.business_model:
        models = criteria.business_model
        out.add(_company_json_any(alias, "business_models", models), [m.lower() for m in models])
    if criteria.company_type:
        out.add(f"{alias}.company_type IN ({_marks(criteria.company_type)})", criteria.company_type)
    if criteria.linkedin_urls:
        urls = criteria.linkedin_urls
        out.add(f"{alias}.linkedin_url IN ({_marks(urls)})", [linkedin_url(url) for url in urls])
    if criteria.keywords:
        lowered = _lowered(criteria.keywords)
        out.add(_company_json_any(alias, "keywords", lowered), lowered)
    signals = criteria.signals.request() if criteria.signals is not None else None
    if signals is not None:
        sql, params = signal_subquery(conn, "company", signals)
        out.add(f"{alias}.id IN ({sql})", params)
    return out, signals


def _intent(criteria: CompanyCriteria, alias: str, out: Conditions) -> None:
    if not criteria.intent_topics:
        return
    wanted = _canonical(criteria.intent_topics, catalog.INTENT_TOPICS)
    sub = f"SELECT company_id FROM company_intent WHERE topic IN ({_marks(wanted)}) AND score >= ? AND score <= ?"
    params: list[Any] = [*wanted, criteria.intent_min_score or 1, criteria.intent_max_score or 100]
    if (criteria.intent_topics_operator or criteria.intent_topics_condition or "or") == "and":
        sub += " GROUP BY company_id HAVING COUNT(DISTINCT topic) = ?"
        params.append(len(wanted))
    out.add(f"{alias}.id IN ({sub})", params)


def _funding(funding: Funding, alias: str, out: Conditions) -> None:
    if funding.is_ipo is not None:
        out.add(f"{alias}.is_ipo = ?", [int(funding.is_ipo)])
    parts: list[str] = []
    params: list[Any] = []
    for item in funding.ranges or []:
        if (item.coverage or "total_funds") in {"total_funds", "any_round"}:
            column = f"{alias}.funding_total"
        else:
            column = f"COALESCE(json_extract({alias}.funding, '$.lastRoundAmount'), 0)"
        parts.append(f"({alias}.funding IS NOT NULL AND {column} >= ? AND {column} <= ?)")
        params.extend([item.min or 0, item.max if item.max is not None else BIG])
    if parts:
        out.add(" OR ".join(parts), params)
    if funding.when is not None:
        out.add(f"{alias}.last_funding_date >= ?", [funding.when.on.isoformat()])
    for attribute, choices in (
        ("round", [(item.coverage, item.round) for item in funding.rounds or []]),
        ("name", [(item.coverage, item.name) for item in funding.names or []]),
    ):
        options: list[str] = []
        for coverage in (coverage for coverage, _ in choices):
            if (coverage or "any_round") in {"last_funding", "last_round"}:
                options.append(f"json_extract({alias}.funding, '$.rounds[#-1].{attribute}') = ?")
            else:
                options.append(
                    f"EXISTS (SELECT 1 FROM json_each({alias}.funding, '$.rounds') WHERE json_extract(value, '$.{attribute}') = ?)"
                )
        if options:
            out.add(" OR ".join(f"({option})" for option in options), [value for _, value in choices])


def compile_contact_prospecting(conn: sqlite3.Connection, filters: ContactFilters) -> CompiledQuery:
    """WHERE conditions over `contacts c` for /v3/contacts/prospecting."""
    result = CompiledQuery(Conditions())
    if filters.contacts is not None:
        for mode, criteria in (("include", filters.contacts.include), ("exclude", filters.contacts.exclude)):
            if criteria is None:
                continue
            conditions, signals = contact_conditions(conn, criteria)
            if mode == "include":
                result.contact_signals = signals
            result.conditions.extend(conditions, negate=mode == "exclude")
    if filters.companies is not None:
        sides = (("include", filters.companies.include), ("exclude", filters.companies.exclude))
        for mode, company_criteria in sides:
            if company_criteria is None:
                continue
            conditions, signals = company_conditions(conn, company_criteria)
            if mode == "include":
                result.company_signals = signals
            if conditions.clauses:
                joiner = " AND " if mode == "include" else " OR "
                inner = joiner.join(f"({clause})" for clause in conditions.clauses)
                clause = f"c.company_id IN (SELECT co.id FROM companies co WHERE {inner})"
                result.conditions.add(f"NOT ({clause})" if mode == "exclude" else clause, conditions.params)
    return result


def compile_company_prospecting(conn: sqlite3.Connection, filters: CompanyFilters) -> CompiledQuery:
    """WHERE conditions over `companies co` for /v3/companies/prospecting."""
    result = CompiledQuery(Conditions())
    conditions, result.company_signals = company_conditions(conn, filters.companies.include)
    result.conditions.extend(conditions)
    if filters.companies.exclude is not None:
        conditions, _ = company_conditions(conn, filters.companies.exclude)
        if conditions.clauses:
            result.conditions.add(
                "NOT (" + " OR ".join(f"({c})" for c in conditions.clauses) + ")", conditions.params
            )
    if filters.contacts is not None:
        for mode, criteria in (("include", filters.contacts.include), ("exclude", filters.contacts.exclude)):
            if criteria is None:
                continue
            conditions, _ = contact_conditions(conn, criteria, alias="c")
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
