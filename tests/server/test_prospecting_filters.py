"""Typed prospecting arguments: each narrows the sandbox's results as documented; bad values name the field."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest
from mcp import Client

from lusha_mcp.sandbox import sandbox_app
from lusha_mcp.server import build_server
from lusha_mcp.settings import Settings
from tests.server.harness import call, charged_calls, structured, text_of

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(sandbox_settings: Settings) -> Settings:
    return sandbox_settings.model_copy(update={"auto_approve": True})


def dataset(settings: Settings, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    sandbox_app(settings)
    with sqlite3.connect(settings.sandbox_db_path()) as db:
        return db.execute(sql, params).fetchall()


def company_of_contacts(settings: Settings, contact_ids: list[str]) -> dict[str, tuple[Any, ...]]:
    marks = ",".join("?" * len(contact_ids))
    rows = dataset(
        settings,
        "SELECT c.id, co.domain, co.employees, co.industry FROM contacts c "
        f"JOIN companies co ON co.id = c.company_id WHERE c.id IN ({marks})",
        tuple(contact_ids),
    )
    return {str(row[0]): row[1:] for row in rows}


def technologies_of(settings: Settings, domains: list[str]) -> dict[str, set[str]]:
    marks = ",".join("?" * len(domains))
    rows = dataset(
        settings, f"SELECT domain, technologies FROM companies WHERE domain IN ({marks})", tuple(domains)
    )
    return {str(domain): set(json.loads(techs or "[]")) for domain, techs in rows}


async def prospect(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    return structured(await call(client, tool, **arguments))


async def test_departments_and_seniority_names_or_ids_narrow_contacts(settings: Settings) -> None:
    async with Client(build_server(settings)) as client:
        body = await prospect(
            client, "prospect_contacts", departments=["sales"], seniority=["Director", "5"], size=100
        )

    contacts = body["contacts"]
    assert body["status"] == "ok"
    assert contacts
    assert all("Sales" in contact["departments"] for contact in contacts)
    assert {contact["seniority"] for contact in contacts} <= {"Director", "Vice President"}


async def test_company_size_bands_narrow_contacts_and_companies(settings: Settings) -> None:
    async with Client(build_server(settings)) as client:
        people = await prospect(client, "prospect_contacts", company_sizes=["51-200", "10001+"], size=100)
        companies = await prospect(client, "prospect_companies", sizes=["51-200"], size=100)

    employees = [
        row[1] for row in company_of_contacts(settings, [c["id"] for c in people["contacts"]]).values()
    ]
    assert employees
    assert all(51 <= count <= 200 or count >= 10001 for count in employees)
    assert companies["companies"]
    for company in companies["companies"]:
        (count,) = dataset(settings, "SELECT employees FROM companies WHERE id = ?", (company["id"],))[0]
        assert 51 <= count <= 200


async def test_revenue_bands_with_suffixes_reach_the_api_as_ranges(settings: Settings) -> None:
    async with Client(build_server(settings)) as client:
        body = await prospect(client, "prospect_companies", revenues=["1M-10M"], size=100)

    assert body["companies"]
    for company in body["companies"]:
        (low,) = dataset(settings, "SELECT revenue_min FROM companies WHERE id = ?", (company["id"],))[0]
        assert 1_000_000 <= low < 10_000_000


async def test_excluded_domains_leave_the_results(settings: Settings) -> None:
    async with Client(build_server(settings)) as client:
        first = await prospect(client, "prospect_companies", sizes=["11-50"], size=10)
        dropped = first["companies"][0]["domain"]
        second = await prospect(
            client, "prospect_companies", sizes=["11-50"], exclude_domains=[dropped], size=100
        )
        people = await prospect(client, "prospect_contacts", company_domains=[dropped], size=10)
        without = await prospect(
            client, "prospect_contacts", departments=["Sales"], exclude_company_domains=[dropped], size=100
        )

    assert second["pagination"]["total"] == first["pagination"]["total"] - 1
    assert dropped not in {company["domain"] for company in second["companies"]}
    assert people["contacts"]
    assert dropped not in {
        row[0] for row in company_of_contacts(settings, [c["id"] for c in without["contacts"]]).values()
    }


async def test_all_technologies_requires_every_one_and_any_requires_one(settings: Settings) -> None:
    rows = dataset(
        settings,
        "SELECT technology FROM company_technologies GROUP BY technology ORDER BY COUNT(*) DESC LIMIT 2",
    )
    wanted = [str(row[0]) for row in rows]
    async with Client(build_server(settings)) as client:
        any_of = await prospect(client, "prospect_companies", technologies=wanted, size=100)
        all_of = await prospect(
            client, "prospect_companies", technologies=wanted, all_technologies=True, size=100
        )

    assert 0 < all_of["pagination"]["total"] < any_of["pagination"]["total"]
    used = technologies_of(settings, [company["domain"] for company in any_of["companies"]])
    assert all(used[domain] & set(wanted) for domain in used)
    used = technologies_of(settings, [company["domain"] for company in all_of["companies"]])
    assert all(set(wanted) <= techs for techs in used.values())


async def test_industry_names_resolve_to_ids(settings: Settings) -> None:
    (industry,) = dataset(
        settings, "SELECT industry FROM companies GROUP BY industry ORDER BY COUNT(*) DESC LIMIT 1"
    )[0]
    async with Client(build_server(settings)) as client:
        body = await prospect(
            client, "prospect_companies", industries=[industry.upper()], countries=["us"], size=100
        )

    assert body["companies"]
    assert {company["industry"] for company in body["companies"]} == {industry}
    assert {company["location"]["countryIso2"] for company in body["companies"]} == {"US"}


async def test_raw_filters_are_merged_with_the_typed_ones(settings: Settings) -> None:
    async with Client(build_server(settings)) as client:
        body = await prospect(
            client,
            "prospect_companies",
            sizes=["1-50"],
            raw_filters={"companies": {"include": {"foundedYear": [{"min": 2015}]}}},
            size=100,
        )

    assert body["companies"]
    for company in body["companies"]:
        founded, employees = dataset(
            settings, "SELECT founded_year, employees FROM companies WHERE id = ?", (company["id"],)
        )[0]
        assert founded >= 2015
        assert employees <= 50


@pytest.mark.parametrize(
    ("tool", "arguments", "field", "advice"),
    [
        ("prospect_contacts", {"seniority": ["Wizard"]}, "seniority", "Director (4)"),
        ("prospect_contacts", {"departments": ["Sales", "Astrology"]}, "departments", "Marketing"),
        ("prospect_contacts", {"countries": ["USA"]}, "countries", "ISO2"),
        ("prospect_contacts", {"company_sizes": ["big"]}, "company_sizes", '"51-200"'),
        ("prospect_contacts", {"company_sizes": ["200-51"]}, "company_sizes", "ends below its start"),
        ("prospect_contacts", {"company_industries": ["Knitting"]}, "company_industries", "industriesLabels"),
        ("prospect_contacts", {}, "job_titles", "at least one filter"),
        (
            "prospect_contacts",
            {"raw_filters": {"contacts": {"include": {"titlez": ["x"]}}}},
            "raw_filters",
            "titlez",
        ),
        ("prospect_companies", {"signals": ["rumours"]}, "signals", "surgeInHiring"),
        ("prospect_companies", {"revenues": ["lots"]}, "revenues", '"1M-10M"'),
        (
            "prospect_companies",
            {"exclude_industries": ["Knitting"]},
            "exclude_industries",
            "industriesLabels",
        ),
        ("prospect_companies", {}, "industries", "at least one filter"),
    ],
)
async def test_bad_values_name_the_field_and_what_to_send(
    settings: Settings, tool: str, arguments: dict[str, Any], field: str, advice: str
) -> None:
    async with Client(build_server(settings)) as client:
        result = await call(client, tool, **arguments)

    assert result.is_error
    assert f"'{field}'" in text_of(result)
    assert advice in text_of(result)
    assert await charged_calls(settings) == []


async def test_signal_filters_reach_the_api(settings: Settings) -> None:
    async with Client(build_server(settings)) as client:
        people = await prospect(client, "prospect_contacts", signals=["promotion", "companyChange"], size=10)
        companies = await prospect(client, "prospect_companies", signals=["surgeInHiring"], size=10)
        data = await prospect(
            client, "prospect_contacts", has_data=["mobile_phone"], departments=["Sales"], size=10
        )

    assert people["status"] == companies["status"] == data["status"] == "ok"
    assert people["pagination"]["total"] > 0
    assert companies["pagination"]["total"] > 0
    assert data["contacts"]
    assert all("phones" in contact["can_reveal"] for contact in data["contacts"])


async def test_listed_size_bands_are_the_format_prospecting_takes(settings: Settings) -> None:
    async with Client(build_server(settings)) as client:
        listed = await call(client, "list_filter_values", scope="companies", filter_type="sizes")
        body = await prospect(client, "prospect_companies", sizes=["51-200", "10001+"], size=10)

    assert "| 51-200 |" in text_of(listed)
    assert "| 10001+ |" in text_of(listed)
    assert body["companies"]
