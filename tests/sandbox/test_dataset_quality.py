"""The generated dataset reads like real B2B data: people, companies, signals, visits, buying groups."""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

import httpx
import pytest

from lusha_mcp.sandbox import SANDBOX_BASE_URL, catalog, sandbox_transport
from lusha_mcp.sandbox.activity import TRACKED_DOMAINS
from lusha_mcp.sandbox.website_visits.backend import TIE_BREAKS
from lusha_mcp.settings import SANDBOX_API_KEY, Settings
from tests.conftest import TEST_COMPANIES, TEST_CONTACTS

pytestmark = pytest.mark.anyio

JsonObject = dict[str, Any]

DEPARTMENT_TITLE_WORDS: dict[str, re.Pattern[str]] = {
    "Sales": re.compile(r"\b(Sales|Account|Revenue)\b"),
    "Marketing": re.compile(r"\b(Marketing|Demand Generation)\b"),
    "Engineering & Technical": re.compile(r"\b(Engineer|Engineering|Developer|QA|Technology)\b"),
    "Business Development": re.compile(r"\b(Business Development|Partnerships)\b"),
    "Product": re.compile(r"\bProduct\b"),
    "Finance": re.compile(r"\b(Finance|Financial)\b"),
    "Human Resources": re.compile(r"\b(People|HR|Recruiter|Talent)\b"),
    "Operations": re.compile(r"\b(Operations|Operating|Supply Chain)\b"),
    "Customer Service": re.compile(r"\bCustomer\b"),
    "Legal": re.compile(r"\b(Legal|Paralegal|Counsel)\b"),
    "Information Technology": re.compile(r"\b(IT|Information)\b"),
    "Consulting": re.compile(r"\b(Consultant|Consulting)\b"),
    "General Management": re.compile(r"\b(Strategy|Executive|Founder|CEO|Partner)\b"),
    "Other": re.compile(r"\b(Administration|Administrative|Administrator|Office)\b"),
}
"""Words a title of each department contains (a department a title does not mention is incoherent)."""

SENIORITY_TITLES: dict[int, re.Pattern[str]] = {
    1: re.compile(
        r"(?!Senior |Head of |Director |VP |Vice President |Chief |Co-Founder|Founder|Partner\b|Managing )(?!.*Officer$).+"
    ),
    2: re.compile(r"Senior (?!Director).+"),
    3: re.compile(r"Head of .+|.+ (Manager|Team Lead)"),
    4: re.compile(r"(Senior )?Director of .+"),
    5: re.compile(r"(VP|Vice President) of .+"),
    6: re.compile(r"Chief .+ Officer|General Counsel"),
    7: re.compile(r"Co-Founder|Founder & CEO"),
    8: re.compile(r"(Managing )?Partner"),
}

NAME_PART = re.compile(r"[A-Za-z]+(?:['\- ][A-Za-z]+)*")
COMPANY_WORD = re.compile(r"[A-Z][a-z]+|[A-Z]{2}|&")


async def prospect_contacts(http: httpx.AsyncClient, include: JsonObject) -> list[JsonObject]:
    response = await http.post(
        "/v3/contacts/prospecting",
        json={"pagination": {"page": 0, "size": 100}, "filters": {"contacts": {"include": include}}},
    )
    assert response.status_code == 200, response.text
    results: list[JsonObject] = response.json()["results"]
    assert results, f"no contacts for {include}"
    return results


async def test_every_name_part_is_a_real_name_and_first_differs_from_last(
    unthrottled_http: httpx.AsyncClient,
) -> None:
    for department in catalog.DEPARTMENTS:
        for contact in await prospect_contacts(unthrottled_http, {"departments": [department]}):
            first, last = contact["firstName"], contact["lastName"]
            for part in (first, last):
                assert NAME_PART.fullmatch(part), f"{part!r} is not a name"
                assert sum(ch.isalpha() for ch in part) >= 2, f"{part!r} is shorter than two letters"
            assert first.lower() != last.lower(), f"{first} {last}: first name equals last name"


async def test_department_filter_returns_only_that_department_with_titles_naming_every_department(
    unthrottled_http: httpx.AsyncClient,
) -> None:
    for department in catalog.DEPARTMENTS:
        for contact in await prospect_contacts(unthrottled_http, {"departments": [department]}):
            title = contact["jobTitle"]["title"]
            departments: list[str] = contact["jobTitle"]["departments"]
            assert department in departments, f"{title} ({departments}) returned for {department}"
            for held in departments:
                assert DEPARTMENT_TITLE_WORDS[held].search(title), f"{title!r} does not fit {held}"


async def test_each_title_belongs_to_one_seniority_that_its_wording_shows(
    unthrottled_http: httpx.AsyncClient,
) -> None:
    seniority_of_title: dict[str, str] = {}
    for seniority_id, wording in SENIORITY_TITLES.items():
        for contact in await prospect_contacts(unthrottled_http, {"seniorityIds": [seniority_id]}):
            title, seniority = contact["jobTitle"]["title"], contact["jobTitle"]["seniority"]
            assert seniority == catalog.SENIORITIES[seniority_id]
            assert wording.fullmatch(title), f"{title!r} does not read as {seniority}"
            assert seniority_of_title.setdefault(title, seniority) == seniority, (
                f"{title!r} is both {seniority_of_title[title]} and {seniority}"
            )


async def test_company_names_are_unique_words_from_business_vocabularies(
    unthrottled_http: httpx.AsyncClient,
) -> None:
    surnames = set(catalog.last_names("en_US"))
    vocabulary = set(catalog.COMPANY_NAME_WORDS) | {"&"}
    for words in catalog.INDUSTRY_NAME_WORDS.values():
        vocabulary.update(words)
    seen: set[str] = set()
    page = 0
    while True:
        response = await unthrottled_http.post(
            "/v3/companies/prospecting",
            json={"pagination": {"page": page, "size": 100}, "filters": {"companies": {"include": {}}}},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        for company in body["results"]:
            name: str = company["name"]
            assert name.lower() not in seen, f"{name!r} names two companies"
            seen.add(name.lower())
            *stem, ending = name.split(" ")
            industry = catalog.INDUSTRY_BY_LABEL[company["industry"]]
            assert ending in catalog.INDUSTRY_NAME_SUFFIXES[industry.id], (
                f"{name!r} ends oddly for {industry.label}"
            )
            assert stem, f"{name!r} is only an ending"
            for word in stem:
                assert COMPANY_WORD.fullmatch(word), f"{word!r} in {name!r} is not a capitalised word"
                assert word in vocabulary or word in surnames, f"{word!r} in {name!r} is not a known word"
        page += 1
        if page * 100 >= body["pagination"]["total"]:
            break
    assert len(seen) == body["pagination"]["total"]


# --- invariants of the whole generated dataset --------------------------------------------------
#
# Checked through the API over every company of the dataset (no samples) for the default seed at
# the default size and for two other seeds at the test size. The invariants:
#
# - signals: a company has one course per window: never both an increase and a decrease of its
#   headcount (in any window, since one trajectory drives them all), website traffic or IT spend;
#   every changePercentage is (current - previous) / previous in percent, to one decimal; the
#   current headcount is the company's employee count; older windows start further off.
# - hiring surges only at companies not shrinking, with open positions within 15% of the headcount
#   (3 at least); news only of kinds that fit the company's size, industry and course.
# - website visits: a company hot on a tracked website is not losing website traffic; scores are
#   spread (the top score is shared by at most 3 companies, few of the top 25 are tied on score
#   and every tie-break metric, the median account is cold, at most a fifth are hot); the band
#   follows the score and the band filter returns exactly the accounts of that band.
# - buying groups: for each product category the account may sell, champions and end users work
#   in the departments that use such a product, decision makers hold sign-off seniority there or
#   in general management.

QUALITY_SEEDS: list[tuple[int, int, int]] = [
    (7, 50_000, 5_000),
    (11, TEST_CONTACTS, TEST_COMPANIES),
    (23, TEST_CONTACTS, TEST_COMPANIES),
]
"""(seed, contacts, companies): the default dataset, then two other seeds at the test size."""

WINDOWS = ("1m", "3m", "6m", "12m")
GROWING_ONLY_NEWS = {"expansion", "acquisition", "new_market_entry", "revenue_milestone"}
SHRINKING_ONLY_NEWS = {"layoffs", "restructuring"}
LARGE_COMPANY_NEWS = {"ipo", "merger", "analyst_coverage"}
"""News of companies of 500+ people only."""
NO_PRODUCT_INDUSTRIES = {
    "Education",
    "Real Estate & Construction",
    "Transportation & Logistics",
    "Professional Services",
}
"""Industries whose companies do not launch or patent products."""
DECISION_SENIORITIES = {"C-Suite", "Founder", "Partner", "Vice President", "Director"}
CATEGORY_USERS: dict[str, set[str]] = {
    "sales": {"Sales", "Business Development"},
    "marketing": {"Marketing"},
    "engineering": {"Engineering & Technical", "Product"},
    "it_security": {"Information Technology"},
    "finance": {"Finance"},
    "hr": {"Human Resources"},
    "customer_service": {"Customer Service"},
}
"""Product category -> departments its champions and end users work in."""
CATEGORY_SIGN_OFF: dict[str, set[str]] = {
    "engineering": {"Engineering & Technical", "Information Technology"},
    "it_security": {"Information Technology", "Engineering & Technical"},
    "customer_service": {"Customer Service", "Operations"},
}
"""Departments beyond the users' (and general management) whose leaders sign off a purchase."""


@dataclass
class Whole:
    """One whole generated dataset behind an HTTP client, and what the checks read from it."""

    http: httpx.AsyncClient
    companies: dict[str, JsonObject]
    signals: dict[str, JsonObject]


@pytest.fixture(scope="module", params=QUALITY_SEEDS, ids=lambda item: f"seed{item[0]}-{item[2]}companies")
async def whole(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Whole]:
    seed, contacts, companies = cast(tuple[int, int, int], request.param)
    folder = tmp_path_factory.mktemp(f"quality-{seed}")
    settings = Settings(
        sandbox=True,
        data_dir=folder,
        sandbox_seed=seed,
        sandbox_contacts=contacts,
        sandbox_companies=companies,
        sandbox_rate_limits=False,
    )
    async with httpx.AsyncClient(
        transport=sandbox_transport(settings), base_url=SANDBOX_BASE_URL, headers={"api_key": SANDBOX_API_KEY}
    ) as http:
        assert (await http.post("/_sandbox/credits", json={"remaining": 10**9})).status_code == 200
        listed: dict[str, JsonObject] = {}
        page = 0
        while True:
            response = await http.post(
                "/v3/companies/prospecting",
                json={"pagination": {"page": page, "size": 100}, "filters": {"companies": {"include": {}}}},
            )
            assert response.status_code == 200, response.text
            listed |= {item["id"]: item for item in response.json()["results"]}
            page += 1
            if page * 100 >= response.json()["pagination"]["total"]:
                break
        assert len(listed) == companies
        ids = sorted(listed)
        start = (date.today() - timedelta(days=400)).isoformat()
        signals: dict[str, JsonObject] = {}
        for index in range(0, len(ids), 100):
            response = await http.post(
                "/v3/companies/signals",
                json={
                    "ids": ids[index : index + 100],
                    "signalTypes": ["allSignals"],
                    "startDate": start,
                    "maxResultsPerSignal": 100,
                },
            )
            assert response.status_code == 200, response.text
            signals |= {item["id"]: item for item in response.json()["results"]}
        yield Whole(http, listed, signals)


def _figures(counts: dict[str, int]) -> str:
    return ", ".join(f"{name}: {count:,}" for name, count in counts.items())


async def test_no_company_has_contradictory_signals_and_every_percentage_is_derived(whole: Whole) -> None:
    counts = {
        "both headcount increase and decrease in one window": 0,
        "headcount increase in one window, decrease in another": 0,
        "both website traffic increase and decrease": 0,
        "both IT spend increase and decrease": 0,
        "changePercentage not (current - previous) / previous": 0,
        "currentHeadcount not the employee count": 0,
        "older window not further off": 0,
    }
    checked = 0
    for company_id, events in whole.signals.items():
        exact = whole.companies[company_id]["employeeCount"]["exact"]
        rising = {window for window in WINDOWS if events[f"headcountIncrease{window}"]}
        falling = {window for window in WINDOWS if events[f"headcountDecrease{window}"]}
        counts["both headcount increase and decrease in one window"] += bool(rising & falling)
        counts["headcount increase in one window, decrease in another"] += bool(rising and falling)
        for kind, name in (("websiteTraffic", "website traffic"), ("itSpend", "IT spend")):
            counts[f"both {name} increase and decrease"] += bool(
                events[f"{kind}Increase"] and events[f"{kind}Decrease"]
            )
        previous_by_window: list[int] = []
        for signal_type, items in events.items():
            if not isinstance(items, list):
                continue
            for item in cast(list[JsonObject], items):
                if "changePercentage" not in item:
                    continue
                if signal_type.startswith("headcount"):
                    current, previous = item["currentHeadcount"], item["previousHeadcount"]
                    counts["currentHeadcount not the employee count"] += current != exact
                elif signal_type.startswith("websiteTraffic"):
                    current, previous = item["monthlyVisits"], item["previousMonthlyVisits"]
                else:
                    current, previous = item["estimatedAnnualItSpend"], item["previousEstimatedAnnualItSpend"]
                checked += 1
                expected = round((current - previous) / previous * 100, 1)
                counts["changePercentage not (current - previous) / previous"] += item[
                    "changePercentage"
                ] != expected or (expected > 0) != ("Increase" in signal_type)
        for window in WINDOWS:
            for item in events[f"headcountIncrease{window}"] + events[f"headcountDecrease{window}"]:
                previous_by_window.append(item["previousHeadcount"])
        distances = [abs(previous - exact) for previous in previous_by_window]
        counts["older window not further off"] += distances != sorted(distances)
    assert checked > len(whole.companies) / 2
    counts["enriched monthly traffic differs from the traffic signal"] = await _traffic_mismatches(whole)
    assert not any(counts.values()), _figures(counts)


async def _traffic_mismatches(whole: Whole) -> int:
    """Companies whose enriched monthlyWebsiteTraffic (visits, momChangePercent) is not their
    website-traffic signal's (monthlyVisits, changePercentage)."""
    signalled = {
        company_id: item
        for company_id, events in whole.signals.items()
        for item in events["websiteTrafficIncrease"] + events["websiteTrafficDecrease"]
    }
    ids = sorted(signalled)
    assert ids
    mismatches = 0
    for index in range(0, len(ids), 100):
        response = await whole.http.post(
            "/v3/companies/enrich",
            json={"ids": ids[index : index + 100], "reveal": ["monthlyWebsiteTraffic"]},
        )
        assert response.status_code == 200, response.text
        for company in response.json()["results"]:
            traffic, signal = company["monthlyWebsiteTraffic"], signalled[company["id"]]
            mismatches += (traffic["visits"], traffic["momChangePercent"]) != (
                signal["monthlyVisits"],
                signal["changePercentage"],
            )
    return mismatches


async def test_hiring_and_news_fit_the_company(whole: Whole) -> None:
    counts = {
        "hiring surge at a shrinking company": 0,
        "open positions beyond 15% of the headcount": 0,
        "growth news at a shrinking company": 0,
        "layoff or restructuring news at a growing company": 0,
        "IPO, merger or analyst news under 500 people": 0,
        "product news in an industry without products": 0,
    }
    news = 0
    for company_id, events in whole.signals.items():
        company = whole.companies[company_id]
        exact = company["employeeCount"]["exact"]
        growing = any(events[f"headcountIncrease{window}"] for window in WINDOWS)
        shrinking = any(events[f"headcountDecrease{window}"] for window in WINDOWS)
        for signal_type in ("surgeInHiring", "surgeInHiringByDepartment", "surgeInHiringByLocation"):
            for item in events[signal_type]:
                counts["hiring surge at a shrinking company"] += shrinking
                counts["open positions beyond 15% of the headcount"] += item["openPositions"] > max(
                    3, 0.15 * exact
                )
        for signal_type, items in events.items():
            if not signal_type.endswith("News"):
                continue
            for item in cast(list[JsonObject], items):
                news += 1
                event = item["eventType"]
                counts["growth news at a shrinking company"] += shrinking and event in GROWING_ONLY_NEWS
                counts["layoff or restructuring news at a growing company"] += (
                    growing and event in SHRINKING_ONLY_NEWS
                )
                counts["IPO, merger or analyst news under 500 people"] += (
                    event in LARGE_COMPANY_NEWS and exact < 500
                )
                counts["product news in an industry without products"] += (
                    signal_type == "productActivityNews" and company["industry"] in NO_PRODUCT_INDUSTRIES
                )
    assert news > len(whole.companies) / 2
    assert not any(counts.values()), _figures(counts)


async def _visits(http: httpx.AsyncClient, domain: str, days: int, **extra: Any) -> list[JsonObject]:
    today = date.today()
    found: list[JsonObject] = []
    page = 0
    while True:
        response = await http.post(
            "/v3/companies/website-visits",
            json={
                "domains": [domain],
                "startDate": (today - timedelta(days=days)).isoformat(),
                "endDate": today.isoformat(),
                "pagination": {"page": page, "size": 150},
            }
            | extra,
        )
        assert response.status_code == 200, response.text
        found += response.json()["results"]
        page += 1
        if page * 150 >= response.json()["pagination"]["total"]:
            return found


async def test_website_visit_scores_are_spread_and_agree_with_traffic_signals(whole: Whole) -> None:
    counts: dict[str, int] = {}
    for domain in TRACKED_DOMAINS:
        for days in (30, 90):
            where = f"{domain} {days}d"
            ranked = await _visits(whole.http, domain, days)
            assert ranked, where
            scores = [item["score"] for item in ranked]
            keys = [tuple(item[key] for key in TIE_BREAKS) for item in ranked]
            top = keys[:25]
            hot = [item for item in ranked if item["scoreBand"] == "hot"]
            counts |= {
                f"{where}: companies sharing the top score (at most 3)": scores.count(scores[0]),
                f"{where}: top 25 tied on score and every tie-break": sum(top.count(key) > 1 for key in top),
                f"{where}: median score (cold: under 40)": sorted(scores)[len(scores) // 2],
                f"{where}: hot share in % (at most 20)": round(100 * len(hot) / len(ranked)),
                f"{where}: out of tie-break order": sum(a < b for a, b in itertools.pairwise(keys)),
                f"{where}: band not that of the score": sum(
                    item["scoreBand"] != ("hot" if s >= 70 else "warm" if s >= 40 else "cold")
                    for item, s in zip(ranked, scores, strict=True)
                ),
                f"{where}: hot while losing website traffic": sum(
                    bool(whole.signals[item["id"]]["websiteTrafficDecrease"]) for item in hot
                ),
            }
            filtered = await _visits(whole.http, domain, days, filters={"scoreBands": ["hot"]})
            counts[f"{where}: band filter differs from the bands"] = len(
                {item["id"] for item in filtered} ^ {item["id"] for item in hot}
            )
    limits = {"(at most 3)": 3, "(cold: under 40)": 39, "(at most 20)": 20, "every tie-break": 2}
    over = {
        name: count
        for name, count in counts.items()
        if count > next((limit for mark, limit in limits.items() if mark in name), 0)
    }
    assert not over, _figures(over)


async def test_buying_group_personas_fit_the_product_category(whole: Whole) -> None:
    categories = list(CATEGORY_USERS) if len(whole.companies) < 5_000 else ["sales", "engineering"]
    ids = sorted(whole.companies)
    counts: dict[str, int] = {}
    for category in categories:
        chosen = await whole.http.post("/_sandbox/buying-group", json={"productCategory": category})
        assert chosen.status_code == 200, chosen.text
        users, sign_off = (
            CATEGORY_USERS[category],
            CATEGORY_USERS[category] | CATEGORY_SIGN_OFF.get(category, set()),
        )
        misfits = {"decision_maker": 0, "potential_champion": 0, "end_user": 0}
        returned = 0
        for index in range(0, len(ids), 25):
            response = await whole.http.post(
                "/v3/contacts/buying-group",
                json={
                    "companies": [{"id": company_id} for company_id in ids[index : index + 25]],
                    "contactsLimit": 1000,
                },
            )
            assert response.status_code == 200, response.text
            for result in response.json()["results"]:
                for contact in result["contacts"]:
                    returned += 1
                    departments = set(contact["jobTitle"]["departments"])
                    seniority = contact["jobTitle"]["seniority"]
                    for role in contact["roles"]:
                        fits = (
                            seniority in DECISION_SENIORITIES
                            and bool(departments & (sign_off | {"General Management"}))
                            if role == "decision_maker"
                            else bool(departments & users)
                        )
                        misfits[role] += not fits
        assert returned > len(ids) / 4, category
        counts |= {f"{category}: {role} outside the category": count for role, count in misfits.items()}
    assert not any(counts.values()), _figures(counts)
    await whole.http.post("/_sandbox/buying-group", json={"productCategory": "sales"})
