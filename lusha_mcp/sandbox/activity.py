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

Company signals follow each company's one trajectory (core columns `headcount_growth`,
`website_visits` / `previous_website_visits`, `it_spend` / `previous_it_spend`):

- headcount: one signal per window (1, 3, 6, 12 months) at most, read off a constant monthly
  growth, so a company grows, stays flat or shrinks in every window alike; the figures are the
  headcounts then and now and `changePercentage` is (current - previous) / previous in percent,
  to one decimal (`rows.change_percentage`); a change under `HEADCOUNT_WINDOWS`' threshold
  is no signal. Website traffic and IT spend likewise (one signal each, at most).
- hiring surges only at growing companies of 20+ people, open positions sized to the headcount,
  departments the company's contacts work in; news events only of kinds that fit the company's
  size, industry, type and course (`data/activity.json`, `NEWS_EVENT_RULES`).
- a company keen on the tracked websites (`web_interest` above `dataset.HOT_INTEREST`) never
  has falling website traffic.

Website visits are recorded for the sandbox account's tracked domains, `TRACKED_DOMAINS`:
lusha.com, google.com, acme-sandbox.com and acme-sandbox.io. Any other domain is not tracked.
"""

from __future__ import annotations

import calendar
import json
import random
import sqlite3
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, cast

from lusha_mcp.sandbox import catalog
from lusha_mcp.sandbox.data import load
from lusha_mcp.sandbox.rows import change_percentage

ACTIVITY_VERSION: Final = 4
"""Bump when the activity tables or their generation change (the stored dataset is rebuilt)."""

TRACKED_DOMAINS: Final[tuple[str, ...]] = ("lusha.com", "google.com", "acme-sandbox.com", "acme-sandbox.io")
"""Domains the sandbox account tracks for website visits (those of Lusha's own example request
among them); any other domain answers 400, as Lusha documents."""

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

_DATA: Final = load("activity")
NEWS_EVENT_RULES: Final[dict[str, tuple[dict[str, Any], ...]]] = {
    str(signal_type): tuple(cast(list[dict[str, Any]], rules))
    for signal_type, rules in cast(dict[str, Any], _DATA["news_events"]).items()
}
"""News signal type -> its event types, each with who it can happen to: `min_employees`, and
optionally `course` (growing / shrinking headcount), `industries` (ids), `company_types`, `funded`."""
NEWS_EVENT_TYPES: Final[dict[str, tuple[str, ...]]] = {
    signal_type: tuple(str(rule["event"]) for rule in rules)
    for signal_type, rules in NEWS_EVENT_RULES.items()
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
    str(category): tuple(str(topic) for topic in cast(list[Any], topics))
    for category, topics in cast(dict[str, Any], _DATA["intent_categories"]).items()
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


def months_back(day: date, months: int) -> date:
    """`day` moved back by whole calendar months (forward when negative), clamped to the month's
    last day: 2026-08-31 six months back is 2026-02-28."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


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


HEADCOUNT_WINDOWS: Final[dict[int, float]] = {1: 2.0, 3: 3.0, 6: 4.0, 12: 5.0}
"""Headcount window (months) -> the smallest change (percent, either way) that is a signal."""
TRAFFIC_THRESHOLD: Final = 10.0
"""Smallest month-over-month website-traffic change (percent, either way) that is a signal."""
IT_SPEND_THRESHOLD: Final = 5.0
"""Smallest change of the estimated annual IT spend (percent, either way) that is a signal."""
RECENT_DAYS: Final = 30
"""Trend signals (headcount, traffic, IT spend) describe the current window: detected this month."""


class _Company:
    __slots__ = (
        "city",
        "company_type",
        "country",
        "country_code",
        "departments",
        "domain",
        "employees",
        "funded",
        "growth",
        "id",
        "industry",
        "industry_id",
        "interest",
        "it_spend",
        "linkedin",
        "name",
        "previous_it_spend",
        "previous_visits",
        "visits",
    )

    def __init__(self, row: tuple[Any, ...]) -> None:
        self.id = str(row[0])
        self.name, self.domain, self.industry = str(row[1]), str(row[2]), str(row[3])
        self.employees = int(row[4])
        self.country, self.country_code, self.city, self.linkedin = (str(value) for value in row[5:9])
        self.industry_id, self.company_type, self.funded = int(row[9]), str(row[10]), bool(row[11])
        self.growth, self.interest = float(row[12]), float(row[13])
        self.visits: int | None = row[14]
        self.previous_visits: int | None = row[15]
        self.it_spend: int | None = row[16]
        self.previous_it_spend: int | None = row[17]
        self.departments: list[str] = []

    @property
    def course(self) -> str:
        return "growing" if self.growth > 0 else "shrinking" if self.growth < 0 else "flat"

    def headcount_ago(self, months: int) -> int:
        """Headcount `months` ago on the company's trajectory (constant monthly growth)."""
        return max(1, round(self.employees / (1 + self.growth) ** months))


def _load_companies(conn: sqlite3.Connection) -> list[_Company]:
    rows = conn.execute(
        "SELECT id, name, domain, industry, employees, country, country_code, city, linkedin_url, "
        "industry_id, company_type, funding_total, headcount_growth, web_interest, website_visits, "
        "previous_website_visits, it_spend, previous_it_spend FROM companies ORDER BY id"
    ).fetchall()
    companies = [_Company(row) for row in rows]
    by_id = {company.id: company for company in companies}
    for company_id, departments in conn.execute(
        "SELECT company_id, json_extract(departments, '$[0]') AS department FROM contacts "
        "GROUP BY company_id, department ORDER BY company_id, COUNT(*) DESC, department"
    ):
        by_id[str(company_id)].departments.append(str(departments))
    return companies


def _age(rng: random.Random) -> int:
    """A signal age in days, skewed towards recent activity."""
    return min(HISTORY_DAYS - 1, int(rng.expovariate(1 / 120)))


def _pct(rng: random.Random, low: float, high: float) -> float:
    return round(rng.uniform(low, high), 1)


def _linkedin(company: _Company) -> dict[str, str]:
    return {"linkedinUrl": company.linkedin} if company.linkedin else {}


def _change(kind: str, previous: int, current: int, threshold: float) -> tuple[str, float] | None:
    """(signal type, changePercentage) when the change from previous to current is a signal."""
    percentage = change_percentage(previous, current)
    if abs(percentage) < threshold:
        return None
    return f"{kind}{'Increase' if percentage > 0 else 'Decrease'}", percentage


def _trend_signals(rng: random.Random, company: _Company) -> list[tuple[str, int, dict[str, Any]]]:
    """The company's headcount, website-traffic and IT-spend signals: one per window at most,
    all read off its one trajectory (so never an increase and a decrease in one window)."""
    found: list[tuple[str, int, dict[str, Any]]] = []
    for months, threshold in HEADCOUNT_WINDOWS.items():
        previous = company.headcount_ago(months)
        change = _change("headcount", previous, company.employees, threshold)
        if change is not None:
            found.append(
                (
                    f"{change[0]}{months}m",
                    rng.randint(0, RECENT_DAYS - 1),
                    {
                        "periodMonths": months,
                        "previousHeadcount": previous,
                        "currentHeadcount": company.employees,
                        "changePercentage": change[1],
                    },
                )
            )
    for kind, current, previous, threshold, current_key, previous_key in (
        (
            "websiteTraffic",
            company.visits,
            company.previous_visits,
            TRAFFIC_THRESHOLD,
            "monthlyVisits",
            "previousMonthlyVisits",
        ),
        (
            "itSpend",
            company.it_spend,
            company.previous_it_spend,
            IT_SPEND_THRESHOLD,
            "estimatedAnnualItSpend",
            "previousEstimatedAnnualItSpend",
        ),
    ):
        change = None if current is None or previous is None else _change(kind, previous, current, threshold)
        if change is not None:
            payload = {current_key: current, previous_key: previous, "changePercentage": change[1]}
            found.append((change[0], rng.randint(0, RECENT_DAYS - 1), payload))
    return found


def _hiring_signals(rng: random.Random, company: _Company) -> list[tuple[str, int, dict[str, Any]]]:
    """Hiring surges of a growing company of 20+ people, sized to its headcount."""
    if company.growth <= 0 or company.employees < 20:
        return []
    found: list[tuple[str, int, dict[str, Any]]] = []
    cap = max(3, round(company.employees * min(0.15, company.growth * 4)))
    if rng.random() < 0.7:
        found.append(
            (
                "surgeInHiring",
                _age(rng) % 180,
                {"openPositions": rng.randint(3, max(3, cap)), "increasePercentage": _pct(rng, 20, 150)},
            )
        )
    for department in company.departments[: rng.randint(0, 2)]:
        found.append(
            (
                "surgeInHiringByDepartment",
                _age(rng) % 180,
                {
                    "department": department,
                    "openPositions": rng.randint(2, max(2, cap // 2)),
                    "increasePercentage": _pct(rng, 20, 150),
                },
            )
        )
    if rng.random() < 0.4:
        location = {"country": company.country, "countryIso2": company.country_code, "city": company.city}
        found.append(
            (
                "surgeInHiringByLocation",
                _age(rng) % 180,
                {
                    "location": location,
                    "openPositions": rng.randint(2, max(2, cap // 2)),
                    "increasePercentage": _pct(rng, 20, 150),
                },
            )
        )
    return found


def news_event_fits(
    rule: dict[str, Any], company_type: str, employees: int, industry_id: int, course: str, funded: bool
) -> bool:
    """Whether a news event of this rule can happen to such a company."""
    if employees < int(rule.get("min_employees", 1)):
        return False
    if "course" in rule and rule["course"] != course:
        return False
    if "industries" in rule and industry_id not in rule["industries"]:
        return False
    if "company_types" in rule and company_type not in rule["company_types"]:
        return False
    return not rule.get("funded") or funded


def _news_signals(
    rng: random.Random, company: _Company, generated_on: date
) -> list[tuple[str, int, dict[str, Any]]]:
    """News that fits the company: more of it for bigger companies, each event a kind that can
    happen to a company of its size, industry, type and course."""
    fitting = [
        (signal_type, str(rule["event"]))
        for signal_type, rules in NEWS_EVENT_RULES.items()
        for rule in rules
        if news_event_fits(
            rule, company.company_type, company.employees, company.industry_id, company.course, company.funded
        )
    ]
    if not fitting:
        return []
    count = min(8, int(rng.expovariate(1 / (0.4 + len(str(company.employees)) * 0.5))))
    found: list[tuple[str, int, dict[str, Any]]] = []
    for signal_type, event_type in (fitting[rng.randrange(len(fitting))] for _ in range(count)):
        days_ago = _age(rng)
        on = date_of(days_ago, generated_on)
        label = event_type.replace("_", " ")
        effective = date.fromisoformat(on) - timedelta(days=rng.randint(0, 10))
        found.append(
            (
                signal_type,
                days_ago,
                {
                    "signalId": str(rng.randint(1_000_000, 9_999_999)),
                    "eventType": event_type,
                    "eventSummary": f"News about {company.name}: {label}.",
                    "articlePublishedDate": on,
                    "articleTitle": f"{company.name}: {label.title()}",
                    "articleHighlight": f"Coverage of the {label} at {company.name} ({company.industry}).",
                    "eventEffectiveDate": effective.isoformat(),
                    "articleUrl": f"https://news.example.com/{company.domain}/{event_type}-{days_ago}",
                },
            )
        )
    return found


def _intent_signals(
    rng: random.Random, company: _Company, others: list[_Company]
) -> list[tuple[str, int, dict[str, Any]]]:
    if rng.random() >= 0.25:
        return []
    found: list[tuple[str, int, dict[str, Any]]] = []
    for _ in range(rng.randint(1, 3)):
        category = rng.choice(sorted(INTENT_CATEGORIES))
        topics = rng.sample(INTENT_CATEGORIES[category], k=min(2, len(INTENT_CATEGORIES[category])))
        mentioned = rng.choice(others) if others else company
        payload = {
            "companyId": int(company.id) if company.id.isdigit() else company.id,
            "activityPublicationDate": "",
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
        found.append(("linkedinActivityIntent", rng.randint(0, 120), payload))
    return found


def _generate_company_signals(
    conn: sqlite3.Connection, rng: random.Random, companies: list[_Company], generated_on: date
) -> None:
    rows: list[tuple[str, str, str, int, str]] = []
    others = companies[:50]
    for company in companies:
        events = [
            *_trend_signals(rng, company),
            *_hiring_signals(rng, company),
            *_news_signals(rng, company, generated_on),
            *_intent_signals(rng, company, others),
        ]
        for signal_type, days_ago, payload in events:
            on = date_of(days_ago, generated_on)
            dated = (
                payload | {"activityPublicationDate": on}
                if signal_type == "linkedinActivityIntent"
                else {"signalDate": on} | payload
            )
            rows.append((company.id, signal_type, on, days_ago, json.dumps(dated, separators=(",", ":"))))
    conn.executemany("INSERT INTO company_signals VALUES (?, ?, ?, ?, ?)", rows)


def _generate_contact_signals(
    conn: sqlite3.Connection, rng: random.Random, companies: list[_Company], generated_on: date
) -> None:
    """Promotions (from the seniority below, same department) and company changes (from the
    contact's previous employer)."""
    by_id = {company.id: company for company in companies}
    ladder = [catalog.SENIORITIES[key] for key in sorted(catalog.SENIORITIES) if key <= 6]
    rows: list[tuple[str, str, str, int, str]] = []
    contacts = conn.execute(
        "SELECT id, company_id, job_title, seniority, departments, previous_employment FROM contacts ORDER BY id"
    ).fetchall()
    for contact_id, company_id, job_title, seniority, departments, previous_json in contacts:
        if rng.random() >= 0.3:
            continue
        company = by_id[str(company_id)]
        previous_jobs = cast(list[dict[str, Any]], json.loads(previous_json))
        days_ago = _age(rng)
        on = date_of(days_ago, generated_on)
        title = str(job_title)
        if seniority in ladder[1:] and (not previous_jobs or rng.random() < 0.5):
            below = ladder[ladder.index(seniority) - 1]
            department = cast(list[str], json.loads(departments))[0]
            payload: dict[str, Any] = {
                "id": str(contact_id),
                "signalDate": on,
                "previousTitle": catalog.job_title(below, department, rng.randint(0, 5)),
                "currentTitle": title,
                "currentSeniority": str(seniority),
                "previousSeniority": below,
                "companyName": company.name,
            }
            signal_type = "promotion"
        elif previous_jobs:
            previous = cast(dict[str, Any], previous_jobs[0]["company"])
            payload = {
                "id": str(contact_id),
                "signalDate": on,
                "previousCompany": str(previous["name"]),
                "previousCompanyDomain": str(previous["domain"]),
                "newCompany": company.name,
                "newCompanyDomain": company.domain,
                "currentTitle": title,
            }
            signal_type = "companyChange"
        else:
            continue
        rows.append((str(contact_id), signal_type, on, days_ago, json.dumps(payload, separators=(",", ":"))))
    conn.executemany("INSERT INTO contact_signals VALUES (?, ?, ?, ?, ?)", rows)


def _generate_website_visits(conn: sqlite3.Connection, rng: random.Random, companies: list[_Company]) -> None:
    """Visits to the tracked domains: most companies never visit, a long tail visits now and
    then, a few keen accounts (high `web_interest`) visit often and recently."""
    rows: list[tuple[str, str, int, int, int, float, int, str]] = []
    for index, domain in enumerate(TRACKED_DOMAINS):
        for company in companies:
            # Each domain sees the company's interest or less (so the keen never lose traffic).
            interest = company.interest * (1.0 if index == 0 else rng.uniform(0.3, 1.0))
            if rng.random() >= 0.3 + interest:
                continue
            home = company.country_code or rng.choice(VISITOR_COUNTRIES)
            span = 20 + (1 - interest) * 300
            visit_days = 1 + int(rng.random() * (2 + interest * 45))
            days = sorted({min(HISTORY_DAYS - 1, int(rng.expovariate(1 / span))) for _ in range(visit_days)})
            for days_ago in days:
                sessions = 1 + int(rng.expovariate(1 / (0.3 + interest * 3)))
                visitors = rng.randint(1, max(1, min(sessions, 4)))
                minutes = round(sessions * rng.uniform(0.5, 2 + interest * 8), 1)
                high_intent = int(rng.random() * sessions * (0.3 + interest * 3))
                country = home if rng.random() < 0.8 else rng.choice(VISITOR_COUNTRIES)
                rows.append((domain, company.id, days_ago, sessions, visitors, minutes, high_intent, country))
    conn.executemany("INSERT INTO website_visits VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
