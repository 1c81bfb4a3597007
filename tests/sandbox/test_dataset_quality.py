"""The generated people and companies read like real B2B records (checked through prospecting)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from lusha_mcp.sandbox import catalog

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
