"""Generated activity of the sandbox dataset: signals and website visits.

`generate_activity(conn, seed)` runs after the core tables (companies, contacts) are written,
in the same transaction, and adds:

    contact_signals(contact_id, signal_type, signal_date, days_ago, payload)
    company_signals(company_id, signal_type, signal_date, days_ago, payload)
    website_visits(tracked_domain, company_id, days_ago, sessions, unique_visitors,
                   session_minutes, high_intent_pageviews, visitor_country)

Ages are kept as `days_ago` (days before *today*, whenever the dataset is read), so a dataset
generated once stays current: query by `days_ago`, not by `signal_date`, which only records the
date as seen on the day of generation. Everything is derived from the seed and the core tables.

Website visits are recorded for the sandbox account's tracked domains, `TRACKED_DOMAINS`:
lusha.com, acme-sandbox.com and acme-sandbox.io. Any other domain is not tracked.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, Literal

from lusha_mcp.sandbox import catalog

ACTIVITY_VERSION: Final = 3
"""Bump when the activity tables or their generation change (the stored dataset is rebuilt)."""

TRACKED_DOMAINS: Final[tuple[str, ...]] = ("lusha.com", "acme-sandbox.com", "acme-sandbox.io")
"""Domains the sandbox account tracks for website visits; any other domain answers 400."""

CONTACT_SIGNAL_TYPES: Final[tuple[str, ...]] = ("promotion", "companyChange")

HEADCOUNT_SIGNAL_TYPES: Final[tuple[str, ...]] = (
    "headcountIncrease1m",
    "headcountIncrease3m",
    "headcountIncrease6m",
    "headcountIncrease12m",
    "headcountDecrease1m",
    "headcountDecrease3m",
    "headcountDecrease6m",
    "headcountDecrease12m",
)
NEWS_EVENT_TYPES: Final[dict[str, tuple[str, ...]]] = {
    "riskNews": ("lawsuit", "data_breach", "regulatory_fine", "layoffs"),
    "commercialActivityNews": ("partnership", "new_customer", "contract_win", "expansion"),
    "corporateStrategyNews": ("acquisition", "merger", "restructuring", "new_market_entry"),
    "financialEventsNews": ("funding_round", "ipo", "earnings_report", "revenue_milestone"),
    "peopleNews": ("executive_hire", "executive_departure", "board_appointment", "award"),
    "marketIntelligenceNews": ("market_report", "industry_ranking", "analyst_coverage"),
    "productActivityNews": ("product_launch", "feature_release", "product_update", "patent_granted"),
}
COMPANY_SIGNAL_TYPES: Final[tuple[str, ...]] = (
    "linkedinActivityIntent",
    "websiteTrafficDecrease",
    "websiteTrafficIncrease",
    "itSpendIncrease",
    "itSpendDecrease",
    "surgeInHiring",
    *HEADCOUNT_SIGNAL_TYPES,
    "surgeInHiringByDepartment",
    "surgeInHiringByLocation",
    *NEWS_EVENT_TYPES,
)
HIRING_DEPARTMENTS: Final[tuple[str, ...]] = catalog.DEPARTMENTS
INTENT_CATEGORIES: Final[dict[str, tuple[str, ...]]] = {
    "Technology": ("Cloud Security", "Data Warehousing", "Kubernetes", "Zero Trust"),
    "Business": ("Sales Enablement", "Revenue Operations", "Customer Retention"),
    "Marketing": ("Account Based Marketing", "Marketing Automation", "Content Syndication"),
    "Finance": ("Spend Management", "Procurement Software", "Payroll Outsourcing"),
    "Human Resources": ("Talent Acquisition", "Employee Engagement", "Remote Work"),
}
VISITOR_COUNTRIES: Final[tuple[str, ...]] = ("US", "GB", "DE", "FR", "IL", "CA", "NL", "IN", "AU", "ES")

HISTORY_DAYS: Final = 400
"""Signals and visits reach this many days back from today."""

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS contact_signals (
    contact_id TEXT NOT NULL, signal_type TEXT NOT NULL, signal_date TEXT NOT NULL,
    days_ago INTEGER NOT NULL, payload TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS contact_signals_by_contact ON contact_signals(contact_id, signal_type, days_ago);
CREATE INDEX IF NOT EXISTS contact_signals_by_type ON contact_signals(signal_type, days_ago);
CREATE TABLE IF NOT EXISTS company_signals (
    company_id TEXT NOT NULL, signal_type TEXT NOT NULL, signal_date TEXT NOT NULL,
    days_ago INTEGER NOT NULL, payload TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS company_signals_by_company ON company_signals(company_id, signal_type, days_ago);
CREATE INDEX IF NOT EXISTS company_signals_by_type ON company_signals(signal_type, days_ago);
CREATE TABLE IF NOT EXISTS website_visits (
    tracked_domain TEXT NOT NULL, company_id TEXT NOT NULL, days_ago INTEGER NOT NULL,
    sessions INTEGER NOT NULL, unique_visitors INTEGER NOT NULL, session_minutes REAL NOT NULL,
    high_intent_pageviews INTEGER NOT NULL, visitor_country TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS website_visits_by_window ON website_visits(tracked_domain, days_ago);
"""


def today() -> date:
    """The sandbox's notion of today (UTC); ages in the activity tables count back from it."""
    return datetime.now(UTC).date()


def date_of(days_ago: int, reference: date | None = None) -> str:
    """The ISO date `days_ago` days before `reference` (default: today)."""
    return ((reference or today()) - timedelta(days=days_ago)).isoformat()


def days_before(day: date, reference: date | None = None) -> int:
    """How many days `day` lies before `reference` (negative for future days)."""
    return ((reference or today()) - day).days


def signal_types_since(
    conn: sqlite3.Connection,
    entity: Literal["contact", "company"],
    ids: Sequence[str],
    max_days_ago: int,
) -> dict[str, list[str]]:
    """Distinct signal types each entity had in the last `max_days_ago` days, by id."""
    table, column = (
        ("contact_signals", "contact_id") if entity == "contact" else ("company_signals", "company_id")
    )
    found: dict[str, list[str]] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT DISTINCT {column}, signal_type FROM {table} "
            f"WHERE {column} IN ({marks}) AND days_ago <= ? ORDER BY {column}, signal_type",
            [*chunk, max_days_ago],
        ).fetchall()
        for entity_id, signal_type in rows:
            found.setdefault(str(entity_id), []).append(str(signal_type))
    return found


def generate_activity(conn: sqlite3.Connection, seed: int) -> None:
    """Create and fill the activity tables from the core tables, deterministically from `seed`."""
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("DELETE FROM contact_signals")
    conn.execute("DELETE FROM company_signals")
    conn.execute("DELETE FROM website_visits")
    generated_on = today()
    companies = _load_companies(conn)
    _generate_company_signals(conn, random.Random(seed * 7919 + 1), companies, generated_on)
    _generate_contact_signals(conn, random.Random(seed * 7919 + 2), companies, generated_on)
    _generate_website_visits(conn, random.Random(seed * 7919 + 3), companies)


class _Company:
    __slots__ = (
        "city",
        "country",
        "country_code",
        "domain",
        "employees",
        "id",
        "industry",
        "linkedin",
        "name",
    )

    def __init__(self, row: sqlite3.Row | tuple[Any, ...]) -> None:
        (
            self.id,
            self.name,
            self.domain,
            self.industry,
            self.employees,
            self.country,
            self.country_code,
            self.city,
            self.linkedin,
        ) = (
            str(row[0]),
            str(row[1] or ""),
            str(row[2] or ""),
            str(row[3] or ""),
            int(row[4] or 0),
            str(row[5] or ""),
            str(row[6] or ""),
            str(row[7] or ""),
            str(row[8] or ""),
        )


def _load_companies(conn: sqlite3.Connection) -> list[_Company]:
    rows = conn.execute(
        "SELECT id, name, domain, industry, employees, country, country_code, city, linkedin_url "
        "FROM companies ORDER BY id"
    ).fetchall()
    return [_Company(row) for row in rows]


def _age(rng: random.Random) -> int:
    """A signal age in days, skewed towards recent activity."""
    return min(HISTORY_DAYS - 1, int(rng.expovariate(1 / 120)))


def _pct(rng: random.Random, low: float, high: float) -> float:
    return round(rng.uniform(low, high), 1)


def _linkedin(company: _Company) -> dict[str, str]:
    return {"linkedinUrl": company.linkedin} if company.linkedin else {}


def _company_payload(
    rng: random.Random, signal_type: str, company: _Company, days_ago: int, on: str, others: list[_Company]
) -> dict[str, Any]:
    base: dict[str, Any] = {"signalDate": on}
    employees = max(company.employees, 5)
    if signal_type in HEADCOUNT_SIGNAL_TYPES:
        months = int(
            signal_type.removeprefix("headcountIncrease").removeprefix("headcountDecrease").removesuffix("m")
        )
        change = _pct(rng, 3, 25 + months * 2)
        previous = (
            max(1, round(employees / (1 + change / 100)))
            if "Increase" in signal_type
            else round(employees * (1 + change / 100))
        )
        return base | {
            "periodMonths": months,
            "previousHeadcount": previous,
            "currentHeadcount": employees,
            "changePercentage": change if "Increase" in signal_type else -change,
        }
    if signal_type == "surgeInHiring":
        openings = rng.randint(3, max(4, employees // 20))
        return base | {"openPositions": openings, "increasePercentage": _pct(rng, 20, 180)}
    if signal_type == "surgeInHiringByDepartment":
        return base | {
            "department": rng.choice(HIRING_DEPARTMENTS),
            "openPositions": rng.randint(2, 40),
            "increasePercentage": _pct(rng, 20, 200),
        }
    if signal_type == "surgeInHiringByLocation":
        return base | {
            "location": {
                "country": company.country,
                "countryIso2": company.country_code,
                "city": company.city,
            },
            "openPositions": rng.randint(2, 40),
            "increasePercentage": _pct(rng, 20, 200),
        }
    if signal_type.startswith("websiteTraffic"):
        visits = rng.randint(2_000, 2_000_000)
        change = _pct(rng, 10, 90)
        factor = 1 + change / 100 if signal_type.endswith("Increase") else 1 - change / 100
        return base | {
            "monthlyVisits": visits,
            "previousMonthlyVisits": round(visits / factor),
            "changePercentage": change if signal_type.endswith("Increase") else -change,
        }
    if signal_type.startswith("itSpend"):
        spend = rng.randint(50, 50_000) * 1_000
        change = _pct(rng, 5, 60)
        factor = 1 + change / 100 if signal_type.endswith("Increase") else 1 - change / 100
        return base | {
            "estimatedAnnualItSpend": spend,
            "previousEstimatedAnnualItSpend": round(spend / factor),
            "changePercentage": change if signal_type.endswith("Increase") else -change,
        }
    if signal_type == "linkedinActivityIntent":
        category = rng.choice(sorted(INTENT_CATEGORIES))
        topics = rng.sample(INTENT_CATEGORIES[category], k=min(2, len(INTENT_CATEGORIES[category])))
        mentioned = rng.choice(others) if others else company
        return {
            "companyId": int(company.id) if company.id.isdigit() else company.id,
            "activityPublicationDate": on,
            "signalCategory": rng.choice(
                ("Technology or Stack Discussion", "Hiring Announcement", "Vendor Evaluation")
            ),
            "intentTopics": [{"topic": topic, "category": category} for topic in topics],
            "author": {"id": None, "fullName": f"{company.name} Team"},
            "contactsMentioned": [],
            "companiesMentioned": [{"id": mentioned.id, "name": mentioned.name} | _linkedin(mentioned)],
            "activityUrl": f"https://www.linkedin.com/feed/update/urn:li:activity:{rng.randint(10**18, 10**19 - 1)}",
            "activitySummary": f"Discusses {topics[0].lower()} plans at {company.name}.",
            "activityLikes": rng.randint(0, 400),
            "activityComments": rng.randint(0, 60),
            "activityShares": rng.randint(0, 40),
            "activityType": "post",
        }
    event_type = rng.choice(NEWS_EVENT_TYPES[signal_type])
    label = event_type.replace("_", " ")
    effective = date.fromisoformat(on) - timedelta(days=rng.randint(0, 10))
    return base | {
        "signalId": str(rng.randint(1_000_000, 9_999_999)),
        "eventType": event_type,
        "eventSummary": f"News about {company.name}: {label}.",
        "articlePublishedDate": on,
        "articleTitle": f"{company.name}: {label.title()}",
        "articleHighlight": f"Coverage of the {label} at {company.name} ({company.industry or 'its industry'}).",
        "eventEffectiveDate": effective.isoformat(),
        "articleUrl": f"https://news.example.com/{company.domain or company.id}/{event_type}-{days_ago}",
    }


def _generate_company_signals(
    conn: sqlite3.Connection, rng: random.Random, companies: list[_Company], generated_on: date
) -> None:
    rows: list[tuple[str, str, str, int, str]] = []
    for company in companies:
        if rng.random() < 0.08:
            continue
        for _ in range(rng.randint(1, 9)):
            signal_type = rng.choice(COMPANY_SIGNAL_TYPES)
            days_ago = _age(rng)
            if signal_type == "linkedinActivityIntent":
                days_ago = rng.randint(0, 120)
            on = date_of(days_ago, generated_on)
            payload = _company_payload(rng, signal_type, company, days_ago, on, companies[:50])
            rows.append((company.id, signal_type, on, days_ago, json.dumps(payload, separators=(",", ":"))))
    conn.executemany("INSERT INTO company_signals VALUES (?, ?, ?, ?, ?)", rows)


_PROMOTION_LADDER: Final[dict[str, str]] = {
    "Manager": "Senior Manager",
    "Senior": "Lead",
    "Director": "Senior Director",
    "Vice President": "Senior Vice President",
}


def _generate_contact_signals(
    conn: sqlite3.Connection, rng: random.Random, companies: list[_Company], generated_on: date
) -> None:
    by_id = {company.id: company for company in companies}
    rows: list[tuple[str, str, str, int, str]] = []
    contacts = conn.execute(
        "SELECT id, company_id, job_title, seniority FROM contacts ORDER BY id"
    ).fetchall()
    for contact_id, company_id, job_title, seniority in contacts:
        if rng.random() >= 0.3:
            continue
        company = by_id.get(str(company_id))
        for _ in range(rng.choice((1, 1, 1, 2))):
            days_ago = _age(rng)
            on = date_of(days_ago, generated_on)
            title = str(job_title or "Specialist")
            if rng.random() < 0.5:
                previous_title = (
                    title.replace("Senior ", "").replace("Head of", "Manager,")
                    if title.startswith(("Senior", "Head"))
                    else f"Associate {title}"
                )
                payload: dict[str, Any] = {
                    "id": str(contact_id),
                    "signalDate": on,
                    "previousTitle": previous_title,
                    "currentTitle": title,
                    "currentSeniority": str(seniority or ""),
                    "previousSeniority": _PROMOTION_LADDER.get(str(seniority or ""), str(seniority or "")),
                    "companyName": company.name if company else "",
                }
                signal_type = "promotion"
            else:
                previous = rng.choice(companies) if companies else None
                payload = {
                    "id": str(contact_id),
                    "signalDate": on,
                    "previousCompany": previous.name if previous else "",
                    "previousCompanyDomain": previous.domain if previous else "",
                    "newCompany": company.name if company else "",
                    "newCompanyDomain": company.domain if company else "",
                    "currentTitle": title,
                }
                signal_type = "companyChange"
            rows.append(
                (str(contact_id), signal_type, on, days_ago, json.dumps(payload, separators=(",", ":")))
            )
    conn.executemany("INSERT INTO contact_signals VALUES (?, ?, ?, ?, ?)", rows)


def _generate_website_visits(conn: sqlite3.Connection, rng: random.Random, companies: list[_Company]) -> None:
    rows: list[tuple[str, str, int, int, int, float, int, str]] = []
    for domain in TRACKED_DOMAINS:
        for company in companies:
            if rng.random() >= 0.35:
                continue
            interest = rng.random() ** 2
            home = company.country_code if company.country_code else rng.choice(VISITOR_COUNTRIES)
            days = rng.sample(range(HISTORY_DAYS), k=1 + int(interest * 30))
            for days_ago in sorted(days):
                sessions = 1 + int(rng.random() * (1 + interest * 6))
                visitors = rng.randint(1, max(1, min(sessions, 4)))
                minutes = round(sessions * rng.uniform(0.5, 2 + interest * 8), 1)
                high_intent = int(rng.random() * sessions * (1 + interest * 3))
                country = home if rng.random() < 0.8 else rng.choice(VISITOR_COUNTRIES)
                rows.append((domain, company.id, days_ago, sessions, visitors, minutes, high_intent, country))
    conn.executemany("INSERT INTO website_visits VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
