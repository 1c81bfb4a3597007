"""The sandbox's immutable dataset: generated once (deterministic from the seed) into SQLite.

Generation writes a temp file in the target folder and renames it into place, so concurrent
first starts are safe; later starts open the stored file unchanged. Names come from the
shipped name pools (`lusha_mcp/sandbox/data/names.json`); every draw is from `random.Random(seed)`.

After the core tables are written, `lusha_mcp.sandbox.activity.generate_activity(conn, seed)`
(when that module exists) adds the activity tables inside one transaction.
"""

from __future__ import annotations

import bisect
import contextlib
import importlib
import json
import os
import random
import sqlite3
import uuid
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar, cast

from lusha_mcp.private import private_dir, private_file
from lusha_mcp.sandbox import catalog, progress
from lusha_mcp.sandbox.config import SandboxConfig

DATASET_VERSION = 6
"""Bump when the core schema or generation changes; stored files of another version are rebuilt."""

ACTIVITY_MODULE = "lusha_mcp.sandbox.activity"

CORE_DDL = """
CREATE TABLE companies (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    domain TEXT NOT NULL UNIQUE,
    industry TEXT NOT NULL,
    industry_id INTEGER NOT NULL,
    sub_industry TEXT NOT NULL,
    sub_industry_id INTEGER NOT NULL,
    size_min INTEGER NOT NULL,
    size_max INTEGER,
    employees INTEGER NOT NULL,
    revenue_min INTEGER NOT NULL,
    revenue_max INTEGER,
    country TEXT NOT NULL,
    country_code TEXT NOT NULL,
    city TEXT NOT NULL,
    state TEXT NOT NULL,
    continent TEXT NOT NULL,
    founded_year INTEGER NOT NULL,
    linkedin_url TEXT NOT NULL,
    technologies TEXT NOT NULL,
    intent_topics TEXT NOT NULL,
    sic_codes TEXT NOT NULL,
    naics_codes TEXT NOT NULL,
    funding TEXT,
    funding_total INTEGER NOT NULL,
    last_funding_round TEXT,
    last_funding_date TEXT,
    is_ipo INTEGER NOT NULL,
    description TEXT NOT NULL,
    company_type TEXT NOT NULL,
    business_models TEXT NOT NULL,
    keywords TEXT NOT NULL,
    linkedin_followers INTEGER NOT NULL,
    popularity_tier INTEGER NOT NULL,
    phone TEXT,
    email TEXT,
    competitors TEXT NOT NULL,
    it_spend INTEGER,
    website_visits INTEGER,
    previous_it_spend INTEGER,
    previous_website_visits INTEGER,
    headcount_growth REAL NOT NULL,
    web_interest REAL NOT NULL
);
CREATE TABLE company_technologies (company_id TEXT NOT NULL, technology TEXT NOT NULL);
CREATE TABLE company_intent (company_id TEXT NOT NULL, topic TEXT NOT NULL, score INTEGER NOT NULL);
CREATE TABLE company_sic (company_id TEXT NOT NULL, code TEXT NOT NULL);
CREATE TABLE company_naics (company_id TEXT NOT NULL, code TEXT NOT NULL);
CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    company_id TEXT NOT NULL REFERENCES companies(id),
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    full_name_lower TEXT NOT NULL,
    job_title TEXT NOT NULL,
    job_title_lower TEXT NOT NULL,
    seniority TEXT NOT NULL,
    seniority_id INTEGER NOT NULL,
    departments TEXT NOT NULL,
    department_mask INTEGER NOT NULL,
    country TEXT NOT NULL,
    country_code TEXT NOT NULL,
    city TEXT NOT NULL,
    state TEXT NOT NULL,
    continent TEXT NOT NULL,
    linkedin_url TEXT NOT NULL,
    emails TEXT NOT NULL,
    phones TEXT NOT NULL,
    is_eu INTEGER NOT NULL,
    gdpr_blocked INTEGER NOT NULL,
    do_not_call INTEGER NOT NULL,
    has_email INTEGER NOT NULL,
    has_work_email INTEGER NOT NULL,
    has_private_email INTEGER NOT NULL,
    has_phone INTEGER NOT NULL,
    has_mobile_phone INTEGER NOT NULL,
    has_direct_phone INTEGER NOT NULL,
    has_work_phone INTEGER NOT NULL,
    previous_employment TEXT NOT NULL,
    update_date TEXT NOT NULL
);
CREATE TABLE contact_emails (email TEXT PRIMARY KEY, contact_id TEXT NOT NULL) WITHOUT ROWID;
"""

_CONTACT_FILTER_COLUMNS = (
    "gdpr_blocked, do_not_call, department_mask, has_email, has_work_email, has_private_email, has_phone, "
    "has_mobile_phone, has_direct_phone, has_work_phone, company_id, seq, job_title_lower"
)
"""Carried by the contact indexes so prospecting counts and pages read narrow covering indexes."""

CORE_INDEXES = f"""
CREATE INDEX companies_name ON companies(name_lower);
CREATE INDEX companies_industry ON companies(industry_id, sub_industry_id);
CREATE INDEX companies_country ON companies(country_code);
CREATE INDEX companies_size ON companies(size_min);
CREATE INDEX company_technologies_tech ON company_technologies(technology, company_id);
CREATE INDEX company_technologies_company ON company_technologies(company_id);
CREATE INDEX company_intent_topic ON company_intent(topic, company_id);
CREATE INDEX company_sic_code ON company_sic(code, company_id);
CREATE INDEX company_naics_code ON company_naics(code, company_id);
CREATE INDEX contacts_company ON contacts(company_id, seniority_id, country_code, {_CONTACT_FILTER_COLUMNS});
CREATE INDEX contacts_seniority ON contacts(seniority_id, country_code, {_CONTACT_FILTER_COLUMNS});
CREATE INDEX contacts_country ON contacts(country_code, seniority_id, {_CONTACT_FILTER_COLUMNS});
CREATE INDEX contacts_scan ON contacts(seq, seniority_id, country_code, {_CONTACT_FILTER_COLUMNS});
CREATE INDEX contacts_linkedin ON contacts(linkedin_url);
CREATE INDEX contacts_name ON contacts(full_name_lower);
"""

T = TypeVar("T")

CONFIDENCES = ("A+", "A", "A", "B", "C")
_TODAY = date(2026, 4, 23)


def _activity_generator() -> tuple[Callable[[sqlite3.Connection, int], None] | None, int]:
    """The activity engineer's generator (if present) and its version."""
    try:
        module = importlib.import_module(ACTIVITY_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != ACTIVITY_MODULE:
            raise
        return None, 0
    generator = cast(Callable[[sqlite3.Connection, int], None], module.generate_activity)
    version = getattr(module, "ACTIVITY_VERSION", 0)
    return generator, (version if isinstance(version, int) else 0) + 1


def expected_user_version() -> int:
    _, activity_version = _activity_generator()
    return DATASET_VERSION * 1000 + activity_version


class _Pools:
    """Name pools per locale (from the shipped names file) and a slug cache."""

    def __init__(self) -> None:
        locales = sorted({place.locale for place in catalog.PLACES})
        self.first: dict[str, tuple[str, ...]] = {locale: catalog.first_names(locale) for locale in locales}
        self.last: dict[str, tuple[str, ...]] = {locale: catalog.last_names(locale) for locale in locales}
        self.company_surnames = [name for name in self.last["en_US"] if name.isalpha()]
        self.slugs: dict[str, str] = {}

    def slug(self, text: str) -> str:
        found = self.slugs.get(text)
        if found is None:
            found = self.slugs[text] = _slug(text)
        return found


def _company_name(rng: random.Random, pools: _Pools, industry: catalog.Industry, attempt: int) -> str:
    """A plausible name for a company of the industry: capitalised dictionary words, or surnames, and an ending."""
    suffix = rng.choice(catalog.INDUSTRY_NAME_SUFFIXES[industry.id])
    themed = catalog.INDUSTRY_NAME_WORDS[industry.id]
    style = rng.random() if attempt < 20 else 1.0
    if style < 0.3:
        return f"{rng.choice(pools.company_surnames)} {suffix}"
    if style < 0.65:
        return f"{rng.choice(themed if rng.random() < 0.5 else catalog.COMPANY_NAME_WORDS)} {suffix}"
    if style < 0.9:
        first = rng.choice(catalog.COMPANY_NAME_WORDS)
        second = rng.choice([word for word in themed if word != first] or themed)
        return f"{first} {second} {suffix}"
    partners = rng.sample(pools.company_surnames, 2)
    return f"{partners[0]} & {partners[1]} {suffix}"


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _pick_weighted(rng: random.Random, items: Sequence[T], cumulative: Sequence[float]) -> T:
    return items[bisect.bisect_right(cumulative, rng.random() * cumulative[-1])]


def _cumulative(weights: Sequence[int]) -> list[float]:
    total = 0.0
    result: list[float] = []
    for weight in weights:
        total += weight
        result.append(total)
    return result


def _phone(rng: random.Random, prefix: str) -> str:
    return f"{prefix} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"


HOT_INTEREST = 0.2
"""Companies whose interest in the tracked websites exceeds this never have falling website traffic."""


def _trajectory(rng: random.Random, employees: int) -> dict[str, Any]:
    """One company's course: monthly headcount growth, website traffic and IT spend now and a
    period ago, and its interest in the account's tracked websites (0-1, a long cold tail).

    A latent momentum drives all of them, so a growing company mostly also gains traffic and
    spends more on IT; a company keen on the tracked websites is never losing traffic.
    """
    momentum = rng.gauss(0.15, 1.0)
    roll = rng.random()
    if roll < 0.3:
        growth = 0.0
    else:
        # Small companies move faster in relative terms; rates stay within a few % a month.
        pace = 0.012 if employees < 200 else 0.007 if employees < 5_000 else 0.004
        growth = max(-0.04, min(0.06, pace * momentum + rng.gauss(0, pace / 3)))
    # A few keen accounts; the rest barely or mildly interested (a long cold tail).
    interest = 0.3 + 0.7 * rng.random() ** 2 if rng.random() < 0.025 else rng.random() ** 3 * 0.2
    traffic_change = max(-0.6, min(1.2, 0.12 * momentum + rng.gauss(0, 0.08)))
    if interest > HOT_INTEREST:
        traffic_change = abs(traffic_change)
    spend_change = max(-0.4, min(0.8, 0.07 * momentum + rng.gauss(0, 0.04)))
    visits = employees * rng.randint(20, 400) if rng.random() < 0.7 else None
    spend = employees * rng.randint(2_000, 12_000) if rng.random() < 0.7 else None
    return {
        "headcount_growth": round(growth, 5),
        "web_interest": round(interest, 5),
        "website_visits": visits,
        "previous_website_visits": None if visits is None else max(1, round(visits / (1 + traffic_change))),
        "it_spend": spend,
        "previous_it_spend": None if spend is None else max(1, round(spend / (1 + spend_change))),
    }


def _build_companies(rng: random.Random, pools: _Pools, count: int) -> list[dict[str, Any]]:
    ids = rng.sample(range(1_000_000, 90_000_000), count)
    place_cum = _cumulative([place.weight for place in catalog.PLACES])
    industry_cum = _cumulative(catalog.INDUSTRY_WEIGHTS)
    size_cum = _cumulative(catalog.SIZE_WEIGHTS)
    type_cum = _cumulative(catalog.COMPANY_TYPE_WEIGHTS)
    used_names: set[str] = set()
    used_slugs: set[str] = set()
    companies: list[dict[str, Any]] = []
    for seq in range(count):
        industry = _pick_weighted(rng, catalog.INDUSTRIES, industry_cum)
        attempt = 0
        name = _company_name(rng, pools, industry, attempt)
        while name.lower() in used_names:
            attempt += 1
            name = _company_name(rng, pools, industry, attempt)
            if attempt > 200:
                name = f"{name} {catalog.COMPANY_NAME_WORDS[seq % len(catalog.COMPANY_NAME_WORDS)]} Holdings"
        used_names.add(name.lower())
        place = _pick_weighted(rng, catalog.PLACES, place_cum)
        sub_id, sub_label = rng.choice(industry.sub_industries)
        size_index = catalog.SIZE_RANGES.index(_pick_weighted(rng, catalog.SIZE_RANGES, size_cum))
        size_min, size_max = catalog.SIZE_RANGES[size_index]
        employees = rng.randint(size_min, size_max if size_max is not None else 120_000)
        revenue_index = min(max(size_index + rng.choice((-1, 0, 0, 1)), 0), len(catalog.REVENUE_RANGES) - 1)
        revenue_min, revenue_max = catalog.REVENUE_RANGES[revenue_index]
        tld = (
            ".com"
            if place.country_code in {"US", "CA"} or rng.random() < 0.6
            else f".{place.country_code.lower()}"
        )
        slug = _slug(name)
        while slug in used_slugs:
            slug = f"{slug}{rng.randint(2, 99)}"
        used_slugs.add(slug)
        domain = f"{slug}{tld}"
        technologies = sorted(rng.sample(catalog.TECHNOLOGIES, rng.randint(3, 14)))
        intent = [
            {"topic": topic, "score": rng.randint(1, 100)}
            for topic in sorted(rng.sample(catalog.INTENT_TOPICS, rng.randint(0, 6)))
        ]
        sic = [
            {"code": code, "description": text}
            for code, text in rng.sample(industry.sic, rng.randint(1, len(industry.sic)))
        ]
        naics = [
            {"code": code, "description": text}
            for code, text in rng.sample(industry.naics, rng.randint(1, len(industry.naics)))
        ]
        founded = rng.randint(1950, 2023)
        funding: dict[str, Any] | None = None
        funding_total = 0
        last_round: str | None = None
        last_date: str | None = None
        is_ipo = 0
        company_type = _pick_weighted(rng, catalog.COMPANY_TYPES, type_cum)
        if company_type == "Public Company":
            is_ipo = 1
        if company_type in {"Private Company", "Public Company"} and rng.random() < 0.4:
            rounds: list[dict[str, Any]] = []
            day = date(max(founded, 2005), 1, 1) + timedelta(days=rng.randint(0, 700))
            for stage in catalog.FUNDING_ROUNDS[: rng.randint(1, len(catalog.FUNDING_ROUNDS))]:
                amount = rng.randint(5, 60) * 100_000 * (1 + catalog.FUNDING_ROUNDS.index(stage)) ** 2
                day = min(day + timedelta(days=rng.randint(200, 800)), _TODAY)
                rounds.append(
                    {
                        "roundType": catalog.FUNDING_ROUND_LABELS[stage],
                        "round": stage,
                        "name": rng.choice(catalog.FUNDING_NAMES[:2])
                        if stage in {"pre_seed", "seed"}
                        else "venture",
                        "roundAmount": amount,
                        "currency": "USD",
                        "roundDate": day.isoformat(),
                        "investors": sorted(rng.sample(catalog.INVESTORS, rng.randint(1, 3))),
                    }
                )
                funding_total += amount
            last_round, last_date = rounds[-1]["round"], rounds[-1]["roundDate"]
            funding = {
                "totalRounds": len(rounds),
                "totalRoundsAmount": funding_total,
                "currency": "USD",
                "isIpo": bool(is_ipo),
                "lastRoundType": rounds[-1]["roundType"],
                "lastRoundAmount": rounds[-1]["roundAmount"],
                "lastRoundDate": last_date,
                "rounds": rounds,
            }
        keywords = sorted(rng.sample(industry.keywords, rng.randint(1, len(industry.keywords))))
        models = sorted(rng.sample(catalog.BUSINESS_MODELS, rng.choice((1, 1, 1, 2))))
        companies.append(
            {
                "id": str(ids[seq]),
                "seq": seq,
                "name": name,
                "name_lower": name.lower(),
                "domain": domain,
                "industry": industry.label,
                "industry_id": industry.id,
                "sub_industry": sub_label,
                "sub_industry_id": sub_id,
                "size_min": size_min,
                "size_max": size_max,
                "employees": employees,
                "revenue_min": revenue_min,
                "revenue_max": revenue_max,
                "country": place.country,
                "country_code": place.country_code,
                "city": place.city,
                "state": place.state,
                "continent": place.continent,
                "founded_year": founded,
                "linkedin_url": f"https://www.linkedin.com/company/{slug}",
                "technologies": technologies,
                "intent_topics": intent,
                "sic_codes": sic,
                "naics_codes": naics,
                "funding": funding,
                "funding_total": funding_total,
                "last_funding_round": last_round,
                "last_funding_date": last_date,
                "is_ipo": is_ipo,
                "description": f"{name} builds {sub_label.lower()} products for {', '.join(keywords)} teams, headquartered in {place.city}.",
                "company_type": company_type,
                "business_models": models,
                "keywords": keywords,
                "linkedin_followers": employees * rng.randint(2, 30),
                "popularity_tier": rng.randint(1, 5),
                "phone": _phone(rng, place.phone_prefix) if rng.random() < 0.7 else None,
                "email": f"info@{domain}" if rng.random() < 0.5 else None,
                "place": place,
            }
            | _trajectory(rng, employees)
        )
    by_industry: dict[int, list[int]] = {}
    for index, company in enumerate(companies):
        by_industry.setdefault(company["industry_id"], []).append(index)
    for index, company in enumerate(companies):
        peers = [peer for peer in by_industry[company["industry_id"]] if peer != index]
        chosen = rng.sample(peers, min(len(peers), rng.randint(0, 4)))
        company["competitors"] = [companies[peer]["id"] for peer in sorted(chosen)]
    return companies


def _build_contacts(
    rng: random.Random, pools: _Pools, companies: list[dict[str, Any]], count: int
) -> list[tuple[Any, ...]]:
    ids = rng.sample(range(1_000_000_000, 9_000_000_000), count)
    seniority_names = list(catalog.SENIORITY_WEIGHTS)
    seniority_cum = _cumulative(list(catalog.SENIORITY_WEIGHTS.values()))
    department_names = list(catalog.DEPARTMENT_WEIGHTS)
    department_cum = _cumulative(list(catalog.DEPARTMENT_WEIGHTS.values()))
    company_cum = _cumulative([max(1, company["employees"]) ** 0.5 for company in companies])
    place_cum = _cumulative([place.weight for place in catalog.PLACES])
    used_emails: set[str] = set()
    used_linkedin: set[str] = set()
    rows: list[tuple[Any, ...]] = []
    for seq in range(count):
        company = companies[seq] if seq < len(companies) else _pick_weighted(rng, companies, company_cum)
        place: catalog.Place = (
            company["place"] if rng.random() < 0.8 else _pick_weighted(rng, catalog.PLACES, place_cum)
        )
        first = rng.choice(pools.first[place.locale])
        last = rng.choice(pools.last[place.locale])
        while last == first:
            last = rng.choice(pools.last[place.locale])
        seniority = _pick_weighted(rng, seniority_names, seniority_cum)
        if seniority in catalog.CROSS_ROLE_SENIORITIES and rng.random() < 0.12:
            role = rng.choice(catalog.CROSS_ROLES)
            departments = list(role.departments)
            title = catalog.cross_role_title(seniority, role, rng.randint(0, 5))
        else:
            departments = catalog.contact_departments(
                seniority, _pick_weighted(rng, department_names, department_cum)
            )
            title = catalog.job_title(seniority, departments[0], rng.randint(0, 5))
        department = departments[0]
        mask = 0
        for name in departments:
            mask |= catalog.DEPARTMENT_BITS[name]
        first_slug, last_slug = pools.slug(first), pools.slug(last)
        base_handle = f"{first_slug}-{last_slug}"
        handle = base_handle
        while handle in used_linkedin:
            handle = f"{base_handle}-{rng.randint(10, 99999):x}"
        used_linkedin.add(handle)
        update = (_TODAY - timedelta(days=rng.randint(0, 400))).isoformat()
        emails: list[dict[str, Any]] = []
        if rng.random() < 0.85:
            local = f"{first_slug}.{last_slug}" if rng.random() < 0.7 else f"{first_slug[:1]}{last_slug}"
            address = f"{local}@{company['domain']}"
            if address in used_emails:
                address = f"{local}{seq % 97}@{company['domain']}"
            used_emails.add(address)
            emails.append(
                {
                    "email": address,
                    "type": "work",
                    "confidence": rng.choice(CONFIDENCES),
                    "updateDate": update,
                }
            )
        if rng.random() < 0.2:
            address = f"{first_slug}.{last_slug}{seq % 1000}@{rng.choice(('gmail.com', 'outlook.com', 'yahoo.com'))}"
            if address not in used_emails:
                used_emails.add(address)
                emails.append(
                    {
                        "email": address,
                        "type": "private",
                        "confidence": rng.choice(CONFIDENCES),
                        "updateDate": update,
                    }
                )
        phones: list[dict[str, Any]] = []
        do_not_call = rng.random() < 0.05
        for phone_type, share in (("mobile", 0.4), ("direct", 0.25), ("work", 0.15)):
            if rng.random() < share:
                phones.append(
                    {
                        "number": _phone(rng, place.phone_prefix),
                        "type": phone_type,
                        "doNotCall": do_not_call,
                        "updateDate": update,
                    }
                )
        previous: list[dict[str, Any]] = []
        if rng.random() < 0.6:
            other = companies[rng.randrange(len(companies))]
            prev_seniority = seniority_names[max(seniority_names.index(seniority) - 1, 0)]
            prev_departments = catalog.contact_departments(prev_seniority, department)
            previous.append(
                {
                    "company": {"name": other["name"], "domain": other["domain"]},
                    "jobTitle": {
                        "title": catalog.job_title(prev_seniority, prev_departments[0], rng.randint(0, 5)),
                        "departments": prev_departments,
                        "seniority": prev_seniority,
                    },
                }
            )
        is_eu = place.is_eu
        gdpr_blocked = is_eu and rng.random() < 0.03
        types = {email["type"] for email in emails}
        phone_types = {phone["type"] for phone in phones}
        rows.append(
            (
                str(ids[seq]),
                seq,
                company["id"],
                first,
                last,
                f"{first} {last}".lower(),
                title,
                title.lower(),
                seniority,
                catalog.SENIORITY_IDS[seniority],
                json.dumps(departments),
                mask,
                place.country,
                place.country_code,
                place.city,
                place.state,
                place.continent,
                f"https://www.linkedin.com/in/{handle}",
                json.dumps(emails),
                json.dumps(phones),
                int(is_eu),
                int(gdpr_blocked),
                int(do_not_call and bool(phones)),
                int(bool(emails)),
                int("work" in types),
                int("private" in types),
                int(bool(phones)),
                int("mobile" in phone_types),
                int("direct" in phone_types),
                int("work" in phone_types),
                json.dumps(previous),
                update,
            )
        )
    return rows


def _write_core(
    conn: sqlite3.Connection,
    seed: int,
    contacts: int,
    companies_count: int,
    step: Callable[[float], None] = lambda share: None,
) -> None:
    rng = random.Random(seed)
    pools = _Pools()
    step(0.15)
    conn.executescript(CORE_DDL)
    conn.execute("BEGIN")
    companies = _build_companies(rng, pools, companies_count)
    company_columns = (
        "id",
        "seq",
        "name",
        "name_lower",
        "domain",
        "industry",
        "industry_id",
        "sub_industry",
        "sub_industry_id",
        "size_min",
        "size_max",
        "employees",
        "revenue_min",
        "revenue_max",
        "country",
        "country_code",
        "city",
        "state",
        "continent",
        "founded_year",
        "linkedin_url",
        "technologies",
        "intent_topics",
        "sic_codes",
        "naics_codes",
        "funding",
        "funding_total",
        "last_funding_round",
        "last_funding_date",
        "is_ipo",
        "description",
        "company_type",
        "business_models",
        "keywords",
        "linkedin_followers",
        "popularity_tier",
        "phone",
        "email",
        "competitors",
        "it_spend",
        "website_visits",
        "previous_it_spend",
        "previous_website_visits",
        "headcount_growth",
        "web_interest",
    )
    json_columns = {
        "technologies",
        "intent_topics",
        "sic_codes",
        "naics_codes",
        "business_models",
        "keywords",
        "competitors",
    }

    def company_row(company: dict[str, Any]) -> tuple[Any, ...]:
        values: list[Any] = []
        for column in company_columns:
            value = company[column]
            if column in json_columns or (column == "funding" and value is not None):
                value = json.dumps(value)
            values.append(value)
        return tuple(values)

    conn.executemany(
        f"INSERT INTO companies ({', '.join(company_columns)}) VALUES ({', '.join('?' * len(company_columns))})",
        [company_row(company) for company in companies],
    )
    conn.executemany(
        "INSERT INTO company_technologies VALUES (?, ?)",
        [(company["id"], tech) for company in companies for tech in company["technologies"]],
    )
    conn.executemany(
        "INSERT INTO company_intent VALUES (?, ?, ?)",
        [
            (company["id"], item["topic"], item["score"])
            for company in companies
            for item in company["intent_topics"]
        ],
    )
    conn.executemany(
        "INSERT INTO company_sic VALUES (?, ?)",
        [(company["id"], item["code"]) for company in companies for item in company["sic_codes"]],
    )
    conn.executemany(
        "INSERT INTO company_naics VALUES (?, ?)",
        [(company["id"], item["code"]) for company in companies for item in company["naics_codes"]],
    )
    step(0.25)
    rows = _build_contacts(rng, pools, companies, contacts)
    step(0.4)
    conn.executemany(f"INSERT INTO contacts VALUES ({', '.join('?' * len(rows[0]))})", rows)
    conn.executemany(
        "INSERT OR IGNORE INTO contact_emails VALUES (?, ?)",
        [
            (email["email"], row[0])
            for row in rows
            for email in cast(list[dict[str, Any]], json.loads(row[18]))
        ],
    )
    conn.execute("COMMIT")
    step(0.5)
    conn.executescript(CORE_INDEXES)


def generate_dataset(path: Path, *, seed: int, contacts: int, companies: int) -> None:
    """Write the dataset to `path` (atomically: temp file, then rename).

    When a concurrent start published a current dataset meanwhile, that one is kept. How far it
    has got is readable meanwhile with `progress.share(path)`.
    """
    progress.report(path, 0.0)
    private_dir(path.parent)
    tmp = private_file(path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp"))
    generator, activity_version = _activity_generator()
    try:
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=OFF")
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("PRAGMA page_size=8192")
            _write_core(
                conn,
                seed,
                contacts,
                max(1, min(companies, contacts)),
                lambda share: progress.report(path, share),
            )
            progress.report(path, 0.6)
            if generator is not None:
                conn.execute("BEGIN")
                generator(conn, seed)
                if conn.in_transaction:
                    conn.execute("COMMIT")
            progress.report(path, 0.92)
            conn.execute(f"PRAGMA user_version = {DATASET_VERSION * 1000 + activity_version}")
            conn.execute("ANALYZE")
        finally:
            conn.close()
        if not (path.exists() and _stored_version(path) == expected_user_version()):
            os.replace(tmp, path)
    finally:
        progress.report(path, 1.0)
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _stored_version(path: Path) -> int | None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def ensure_dataset(config: SandboxConfig) -> Path:
    """The dataset file for this config, generated first when missing or of another version."""
    path = config.dataset_path
    if not path.exists() or _stored_version(path) != expected_user_version():
        generate_dataset(path, seed=config.seed, contacts=config.contacts, companies=config.companies)
    return private_file(path)


def open_dataset(config: SandboxConfig) -> sqlite3.Connection:
    """A read-only connection to the (ensured) dataset, shared by the app's handlers."""
    path = ensure_dataset(config)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    conn.execute("PRAGMA query_only = ON")
    conn.execute("PRAGMA cache_size = -65536")
    conn.execute("PRAGMA mmap_size = 268435456")
    conn.execute("PRAGMA temp_store = MEMORY")
    return conn
