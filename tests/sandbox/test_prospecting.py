"""Contacts and companies prospecting: filters, exclusions, pagination, billing."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from lusha_mcp.sandbox import SANDBOX_BASE_URL, sandbox_app, sandbox_transport
from lusha_mcp.sandbox.activity import days_before
from lusha_mcp.sandbox.signals.backend import default_start_date
from lusha_mcp.settings import SANDBOX_API_KEY, Settings
from tests.sandbox.dataset_picks import rows

pytestmark = pytest.mark.anyio

JsonObject = dict[str, Any]


def contacts_query(
    include: JsonObject | None = None, *, size: int = 100, page: int = 0, **extra: Any
) -> JsonObject:
    filters: JsonObject = {"contacts": {"include": include or {}}}
    filters.update(extra)
    return {"pagination": {"page": page, "size": size}, "filters": filters}


async def prospect(http: httpx.AsyncClient, path: str, body: JsonObject) -> JsonObject:
    response = await http.post(path, json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def test_contact_filters_select_only_matching_contacts(http: httpx.AsyncClient) -> None:
    body = await prospect(
        http,
        "/v3/contacts/prospecting",
        contacts_query(
            {
                "departments": ["Sales"],
                "seniorityIds": [4, 5],
                "countries": ["US"],
                "existingDataPoints": ["work_email"],
            }
        ),
    )
    assert body["results"]
    for result in body["results"]:
        assert "Sales" in result["jobTitle"]["departments"]
        assert result["jobTitle"]["seniority"] in {"Director", "Vice President"}
        assert result["location"]["country"] == "United States"
        assert "emails" in result["has"]
    assert body["pagination"]["total"] >= len(body["results"])


async def test_job_titles_and_search_text_match_parts_of_titles(http: httpx.AsyncClient) -> None:
    body = await prospect(http, "/v3/contacts/prospecting", contacts_query({"jobTitles": ["engineer"]}))
    assert body["results"]
    assert all("engineer" in result["jobTitle"]["title"].lower() for result in body["results"])
    text = await prospect(http, "/v3/contacts/prospecting", contacts_query({"searchText": "VP of Sales"}))
    assert text["results"]
    assert all("vp of sales" in result["jobTitle"]["title"].lower() for result in text["results"])


async def test_exclusions_remove_what_they_name(http: httpx.AsyncClient) -> None:
    everyone = await prospect(http, "/v3/contacts/prospecting", contacts_query({"seniorityIds": [6]}))
    query = contacts_query({"seniorityIds": [6]})
    query["filters"]["contacts"]["exclude"] = {"countries": ["US", "GB"], "departments": ["Finance"]}
    narrowed = await prospect(http, "/v3/contacts/prospecting", query)
    assert 0 < narrowed["pagination"]["total"] < everyone["pagination"]["total"]
    for result in narrowed["results"]:
        assert result["location"]["country"] not in {"United States", "United Kingdom"}
        assert "Finance" not in result["jobTitle"]["departments"]


async def test_company_criteria_filter_contacts_by_their_company(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    query = contacts_query(
        companies={
            "include": {"sizes": [{"min": 51, "max": 500}], "industriesLabels": ["Financial Services"]}
        }
    )
    body = await prospect(http, "/v3/contacts/prospecting", query)
    assert body["results"]
    ids = tuple({result["company"]["id"] for result in body["results"]})
    found = rows(sandbox_settings, f"SELECT * FROM companies WHERE id IN ({','.join('?' * len(ids))})", ids)
    assert len(found) == len(ids)
    assert all(51 <= row["employees"] <= 500 and row["industry"] == "Financial Services" for row in found)


async def test_technologies_and_needs_all_or_needs_any(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    def companies(technologies: list[str], condition: str) -> JsonObject:
        return {
            "pagination": {"page": 0, "size": 100},
            "filters": {
                "companies": {"include": {"technologies": technologies, "technologiesCondition": condition}}
            },
        }

    any_of = await prospect(http, "/v3/companies/prospecting", companies(["AWS", "Snowflake"], "or"))
    all_of = await prospect(http, "/v3/companies/prospecting", companies(["aws", "snowflake"], "and"))
    assert 0 < all_of["pagination"]["total"] < any_of["pagination"]["total"]
    ids = tuple(result["id"] for result in all_of["results"])
    for row in rows(
        sandbox_settings, f"SELECT technologies FROM companies WHERE id IN ({','.join('?' * len(ids))})", ids
    ):
        assert {"AWS", "Snowflake"} <= set(json.loads(row["technologies"]))


async def test_company_prospecting_by_intent_sic_and_funding(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    include: JsonObject = {
        "intentTopics": ["Cloud Migration"],
        "intentMinScore": 20,
        "funding": {"rounds": [{"coverage": "any_round", "round": "seed"}]},
        "locations": [{"continent": "North America"}],
    }
    body = await prospect(
        http,
        "/v3/companies/prospecting",
        {"pagination": {"page": 0, "size": 50}, "filters": {"companies": {"include": include}}},
    )
    assert body["results"]
    ids = tuple(result["id"] for result in body["results"])
    for row in rows(
        sandbox_settings, f"SELECT * FROM companies WHERE id IN ({','.join('?' * len(ids))})", ids
    ):
        topics = {item["topic"]: item["score"] for item in json.loads(row["intent_topics"])}
        assert topics.get("Cloud Migration", 0) >= 20
        assert any(item["round"] == "seed" for item in json.loads(row["funding"])["rounds"])
        assert row["continent"] == "North America"
    code = rows(sandbox_settings, "SELECT code FROM company_sic ORDER BY code LIMIT 1")[0]["code"]
    by_sic = await prospect(
        http,
        "/v3/companies/prospecting",
        {"pagination": {"page": 0, "size": 10}, "filters": {"companies": {"include": {"sicCodes": [code]}}}},
    )
    assert by_sic["pagination"]["total"] == len(
        rows(sandbox_settings, "SELECT DISTINCT company_id FROM company_sic WHERE code = ?", (code,))
    )


async def test_pages_are_disjoint_and_totals_stable(http: httpx.AsyncClient) -> None:
    first = await prospect(
        http, "/v3/contacts/prospecting", contacts_query({"countries": ["US"]}, size=10, page=0)
    )
    second = await prospect(
        http, "/v3/contacts/prospecting", contacts_query({"countries": ["US"]}, size=10, page=1)
    )
    assert first["pagination"] == {"page": 0, "size": 10, "total": second["pagination"]["total"]}
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}
    beyond = await prospect(
        http, "/v3/contacts/prospecting", contacts_query({"countries": ["US"]}, size=100, page=400)
    )
    assert beyond["results"] == []
    assert beyond["billing"] == {"creditsCharged": 0, "resultsReturned": 0}


@pytest.mark.parametrize(
    ("pagination", "error"),
    [
        ({"page": 0, "size": 5}, "pagination.size: must be at least 10"),
        ({"page": 0, "size": 101}, "pagination.size: must be at most 100"),
        ({"page": 1001, "size": 10}, "pagination.page: must be at most 1000"),
        ({"page": -1, "size": 10}, "pagination.page: must be at least 0"),
        ({"size": 10}, "pagination.page: is required"),
    ],
)
async def test_pagination_outside_the_documented_range_is_refused(
    http: httpx.AsyncClient, pagination: JsonObject, error: str
) -> None:
    response = await http.post("/v3/contacts/prospecting", json={"pagination": pagination, "filters": {}})
    assert response.status_code == 400
    assert response.json()["errors"] == [error]


async def test_results_beyond_fifty_thousand_are_refused(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/v3/companies/prospecting",
        json={"pagination": {"page": 500, "size": 100}, "filters": {"companies": {"include": {}}}},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0].startswith("pagination.page: a query returns at most 50000 results")


async def test_unknown_and_unsupported_filters_are_named(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/v3/contacts/prospecting",
        json=contacts_query(
            {"departments": ["Astrology"], "skills": ["Python"], "colour": ["red"], "seniorityIds": [99]}
        ),
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert any(error.startswith("filters.contacts.include.colour: is not a known field") for error in errors)
    assert (
        "filters.contacts.include.skills: is not supported by the sandbox; remove it or use another filter"
        in errors
    )
    assert any(
        error.startswith("filters.contacts.include.departments[0]: unknown department 'Astrology'")
        for error in errors
    )
    assert any(
        error.startswith("filters.contacts.include.seniorityIds[0]: must be a seniority id")
        for error in errors
    )


async def test_contact_filters_cannot_be_combined_with_company_technologies(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/v3/companies/prospecting",
        json={
            "pagination": {"page": 0, "size": 10},
            "filters": {
                "companies": {"include": {"technologies": ["AWS"]}},
                "contacts": {"include": {"departments": ["Sales"]}},
            },
        },
    )
    assert response.status_code == 400
    assert response.json()["errors"][0].startswith(
        "filters.contacts: cannot be combined with filters.companies.include.technologies"
    )


async def test_company_prospecting_by_its_contacts(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    body = await prospect(
        http,
        "/v3/companies/prospecting",
        {
            "pagination": {"page": 0, "size": 20},
            "filters": {
                "companies": {"include": {"sizes": [{"min": 1, "max": 200}]}},
                "contacts": {"include": {"seniorityIds": [6]}},
            },
        },
    )
    assert body["results"]
    for result in body["results"]:
        assert rows(
            sandbox_settings,
            "SELECT 1 FROM contacts WHERE company_id = ? AND seniority_id = 6",
            (result["id"],),
        )


async def test_prospecting_bills_one_credit_per_25_results(http: httpx.AsyncClient) -> None:
    for size, credits in ((10, 1), (25, 1), (26, 2), (100, 4)):
        body = await prospect(http, "/v3/contacts/prospecting", contacts_query(size=size))
        assert body["billing"] == {"creditsCharged": credits, "resultsReturned": size}


async def test_gdpr_blocked_and_do_not_call_contacts_can_be_left_out(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    blocked = {row["id"] for row in rows(sandbox_settings, "SELECT id FROM contacts WHERE gdpr_blocked = 1")}
    body = await prospect(
        http, "/v3/contacts/prospecting", contacts_query({"countries": ["DE", "FR", "ES", "IT", "NL"]})
    )
    everyone = body["pagination"]["total"]
    assert not blocked & {result["id"] for result in body["results"]}
    query = contacts_query({"countries": ["DE", "FR", "ES", "IT", "NL"]})
    query["options"] = {"excludeDnc": True}
    without_dnc = await prospect(http, "/v3/contacts/prospecting", query)
    assert without_dnc["pagination"]["total"] < everyone


async def test_signal_filters_use_the_activity_data(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    max_days_ago = days_before(date.fromisoformat(default_start_date()))
    body = await prospect(
        http, "/v3/contacts/prospecting", contacts_query({"signals": {"types": ["promotion"]}}, size=10)
    )
    expected = promoted_contacts(sandbox_settings, max_days_ago)
    assert expected > 0
    assert body["pagination"]["total"] == expected
    assert all(result["signalTypes"] == ["promotion"] for result in body["results"])
    assert body["billing"]["creditsCharged"] == 1 + len(body["results"])
    older = await prospect(
        http,
        "/v3/contacts/prospecting",
        contacts_query({"signals": {"types": ["promotion"], "startDate": "2000-01-01"}}, size=10),
    )
    assert older["pagination"]["total"] >= expected


def promoted_contacts(settings: Settings, max_days_ago: int) -> int:
    """Contacts (not GDPR-blocked) promoted at most `max_days_ago` days ago, by the rows' own age."""
    return int(
        rows(
            settings,
            "SELECT COUNT(DISTINCT s.contact_id) AS n FROM contact_signals s JOIN contacts c ON c.id = s.contact_id "
            "WHERE s.signal_type = 'promotion' AND s.days_ago BETWEEN 0 AND ? AND c.gdpr_blocked = 0",
            (max_days_ago,),
        )[0]["n"]
    )


async def test_signal_filters_agree_with_the_signals_endpoint_on_a_dataset_generated_long_ago(
    sandbox_settings: Settings, tmp_path: Path
) -> None:
    sandbox_app(sandbox_settings)
    stale = sandbox_settings.model_copy(
        update={"sandbox_dataset_dir": tmp_path / "generated-long-ago", "sandbox_rate_limits": False}
    )
    stale.sandbox_db_path().parent.mkdir()
    source = sqlite3.connect(sandbox_settings.sandbox_db_path())
    target = sqlite3.connect(stale.sandbox_db_path())
    try:
        source.backup(target)
        for table in ("contact_signals", "company_signals"):
            target.execute(f"UPDATE {table} SET signal_date = date(signal_date, '-400 days')")
        target.commit()
    finally:
        source.close()
        target.close()
    since = (datetime.now(UTC).date() - timedelta(days=90)).isoformat()
    async with httpx.AsyncClient(
        transport=sandbox_transport(stale), base_url=SANDBOX_BASE_URL, headers={"api_key": SANDBOX_API_KEY}
    ) as http:
        body = await prospect(
            http,
            "/v3/contacts/prospecting",
            contacts_query({"signals": {"types": ["promotion"], "startDate": since}}, size=10),
        )
        assert body["pagination"]["total"] == promoted_contacts(stale, days_before(date.fromisoformat(since)))
        assert body["results"], "the recent promotions were not found by the prospecting signals filter"
        signals = await http.post(
            "/v3/contacts/signals",
            json={
                "ids": [result["id"] for result in body["results"]],
                "signalTypes": ["promotion"],
                "startDate": since,
            },
        )
    assert signals.status_code == 200, signals.text
    for result in signals.json()["results"]:
        assert result["promotion"], (
            f"contact {result['id']} matched the filter but has no promotion since {since}"
        )


def test_the_default_signal_window_is_six_calendar_months() -> None:
    assert default_start_date(date(2026, 8, 31)) == "2026-02-28"
    assert default_start_date(date(2026, 3, 15)) == "2025-09-15"
