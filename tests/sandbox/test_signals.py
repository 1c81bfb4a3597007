"""Signals over HTTP: events by id, types, sub-filters, discovery endpoints, signal scores, billing."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from lusha_mcp.sandbox.activity import generate_activity, months_back
from lusha_mcp.settings import Settings
from tests.sandbox.activity_support import charges, dataset
from tests.sandbox.answers import assert_answer_parses

pytestmark = pytest.mark.anyio

JsonObject = dict[str, Any]


def _today() -> date:
    return datetime.now(UTC).date()


def _contacts_with_recent_signals(settings: Settings, count: int) -> list[str]:
    with dataset(settings) as conn:
        rows = conn.execute(
            "SELECT DISTINCT contact_id FROM contact_signals WHERE days_ago <= 150 ORDER BY contact_id LIMIT ?",
            (count,),
        ).fetchall()
    return [str(row[0]) for row in rows]


def _matched_types(results: list[JsonObject], types: list[str]) -> int:
    return sum(1 for result in results for kind in types if result[kind])


async def test_contact_signals_return_events_since_start_date_billed_per_matched_type(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    ids = _contacts_with_recent_signals(sandbox_settings, 10)
    start = months_back(_today(), 3).isoformat()

    response = await http.post(
        "/v3/contacts/signals", json={"ids": ids, "signalTypes": ["allSignals"], "startDate": start}
    )

    assert response.status_code == 200, response.text
    assert_answer_parses("POST", "/v3/contacts/signals", response)
    body = response.json()
    assert [result["id"] for result in body["results"]] == ids
    events = [
        event
        for result in body["results"]
        for kind in ("promotion", "companyChange")
        for event in result[kind]
    ]
    assert events, "contacts chosen for recent signals must show some"
    assert all(start <= event["signalDate"] <= _today().isoformat() for event in events)
    matched = _matched_types(body["results"], ["promotion", "companyChange"])
    assert body["billing"] == {"creditsCharged": matched, "resultsReturned": len(ids)}
    ledger = await charges(http)
    assert ledger["totalCreditsCharged"] == matched
    assert {item["action"] for call in ledger["calls"] for item in call["items"]} == {"showSignalsContact"}


async def test_start_date_defaults_to_six_months_back(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    ids = _contacts_with_recent_signals(sandbox_settings, 3)

    response = await http.post("/v3/contacts/signals", json={"ids": ids, "signalTypes": ["promotion"]})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["startDate"] == months_back(_today(), 6).isoformat()
    assert body["endDate"] == _today().isoformat()
    assert all(set(result) == {"id", "promotion"} for result in body["results"])


async def test_max_results_per_signal_caps_each_type_newest_first(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    with dataset(sandbox_settings) as conn:
        row = conn.execute(
            "SELECT company_id, signal_type FROM company_signals WHERE days_ago <= 150 "
            "AND signal_type != 'linkedinActivityIntent' GROUP BY company_id, signal_type "
            "HAVING COUNT(*) >= 2 ORDER BY company_id LIMIT 1"
        ).fetchone()
    company_id, signal_type = str(row[0]), str(row[1])

    uncapped = await http.post(
        "/v3/companies/signals", json={"ids": [company_id], "signalTypes": [signal_type]}
    )
    capped = await http.post(
        "/v3/companies/signals",
        json={"ids": [company_id], "signalTypes": [signal_type], "maxResultsPerSignal": 1},
    )

    assert capped.status_code == 200, capped.text
    assert_answer_parses("POST", "/v3/companies/signals", capped)
    all_events = uncapped.json()["results"][0][signal_type]
    assert len(all_events) >= 2
    assert all_events == sorted(all_events, key=lambda event: event["signalDate"], reverse=True)
    assert capped.json()["results"][0][signal_type] == all_events[:1]


async def test_company_sub_filters_keep_only_matching_news_and_hiring(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    with dataset(sandbox_settings) as conn:
        rows = conn.execute(
            "SELECT DISTINCT company_id FROM company_signals WHERE signal_type IN "
            "('commercialActivityNews', 'surgeInHiringByDepartment') AND days_ago <= 150 ORDER BY company_id LIMIT 40"
        ).fetchall()
    ids = [str(row[0]) for row in rows]
    types = ["commercialActivityNews", "surgeInHiringByDepartment"]

    unfiltered = (await http.post("/v3/companies/signals", json={"ids": ids, "signalTypes": types})).json()
    filtered_response = await http.post(
        "/v3/companies/signals",
        json={
            "ids": ids,
            "signalTypes": types,
            "filters": {"include": {"newsEventTypes": ["partnership"], "hiringByDepartments": ["Sales"]}},
        },
    )

    assert filtered_response.status_code == 200, filtered_response.text
    filtered = filtered_response.json()
    news = [event for result in filtered["results"] for event in result["commercialActivityNews"]]
    hiring = [event for result in filtered["results"] for event in result["surgeInHiringByDepartment"]]
    assert all(event["eventType"] == "partnership" for event in news)
    assert all(event["department"] == "Sales" for event in hiring)
    before = sum(len(result[kind]) for result in unfiltered["results"] for kind in types)
    assert len(news) + len(hiring) < before
    assert filtered["billing"]["creditsCharged"] == _matched_types(filtered["results"], types)


async def test_unknown_ids_are_left_out_and_cost_nothing(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/v3/contacts/signals", json={"ids": ["no-such-contact"], "signalTypes": ["allSignals"]}
    )

    assert response.status_code == 200, response.text
    assert response.json()["results"] == []
    assert response.json()["billing"] == {"creditsCharged": 0, "resultsReturned": 0}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ids": ["1"], "signalTypes": ["promoted"]}, "signalTypes[0]"),
        ({"ids": [str(n) for n in range(101)], "signalTypes": ["allSignals"]}, "ids"),
        ({"signalTypes": ["allSignals"]}, "ids"),
        ({"ids": ["1"], "signalTypes": ["allSignals"], "startDate": "01/02/2026"}, "startDate"),
        ({"ids": ["1"], "signalTypes": ["allSignals"], "maxResultsPerSignal": 0}, "maxResultsPerSignal"),
        ({"ids": ["1"], "signalTypes": ["allSignals"], "tableId": "482910"}, "tableId"),
    ],
)
async def test_invalid_contact_signal_requests_name_the_field(
    http: httpx.AsyncClient, body: JsonObject, field: str
) -> None:
    response = await http.post("/v3/contacts/signals", json=body)

    assert response.status_code == 400
    assert_answer_parses("POST", "/v3/contacts/signals", response)
    assert any(error.startswith(f"{field}:") for error in response.json()["errors"]), response.json()


async def test_company_sub_filter_values_must_be_known(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/v3/companies/signals",
        json={
            "ids": ["1"],
            "signalTypes": ["allSignals"],
            "filters": {"include": {"newsEventTypes": ["gossip"]}},
        },
    )

    assert response.status_code == 400
    assert response.json()["errors"][0].startswith("filters.include.newsEventTypes[0]:")


async def test_signal_type_and_filter_discovery(http: httpx.AsyncClient) -> None:
    contact_types = await http.get("/v3/contacts/signals/types")
    company_types = await http.get("/v3/companies/signals/types")
    filters = await http.get("/v3/companies/signals/filters")
    news = await http.get("/v3/companies/signals/filters/newsEventTypes")
    locations = await http.get("/v3/companies/signals/filters/hiringByLocations", params={"query": "united"})

    assert_answer_parses("GET", "/v3/contacts/signals/types", contact_types)
    assert_answer_parses("GET", "/v3/companies/signals/types", company_types)
    assert_answer_parses("GET", "/v3/companies/signals/filters", filters)
    assert_answer_parses("GET", "/v3/companies/signals/filters/{filterType}", news)
    assert contact_types.json()["signalTypes"] == ["allSignals", "promotion", "companyChange"]
    assert len(company_types.json()["signalTypes"]) == 24
    assert {"filterType": "hiringByLocations", "requiresQuery": True} in filters.json()["availableFilters"]
    assert {
        "value": "partnership",
        "label": "Partnership",
        "signalType": "commercialActivityNews",
    } in news.json()["values"]
    assert locations.status_code == 200
    assert all("united" in item["value"].lower() for item in locations.json()["values"])


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v3/companies/signals/filters/hiringByLocations", "query"),
        ("/v3/companies/signals/filters/intentCategories?query=tech", "query"),
        ("/v3/companies/signals/filters/colours", "filterType"),
    ],
)
async def test_filter_value_requests_that_cannot_be_answered_are_400(
    http: httpx.AsyncClient, path: str, field: str
) -> None:
    response = await http.get(path)

    assert response.status_code == 400
    assert response.json()["errors"][0].startswith(f"{field}:")


async def test_company_signal_scores_mark_not_found_and_no_score_and_bill_scored_rows_only(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    with dataset(sandbox_settings) as conn:
        active_id, active_domain = conn.execute(
            "SELECT k.id, k.domain FROM companies k JOIN company_signals s ON s.company_id = k.id "
            "WHERE s.days_ago <= 60 ORDER BY k.id LIMIT 1"
        ).fetchone()
        silent_id = conn.execute(
            "SELECT id FROM companies WHERE id NOT IN (SELECT company_id FROM company_signals) ORDER BY id LIMIT 1"
        ).fetchone()[0]

    response = await http.post(
        "/v3/companies/signal-score",
        json={
            "companies": [
                {"clientReferenceId": "a", "domain": f"www.{active_domain}"},
                {"clientReferenceId": "b", "id": silent_id},
                {"clientReferenceId": "c", "email": "someone@nope-xyz.com"},
            ]
        },
    )

    assert response.status_code == 200, response.text
    assert_answer_parses("POST", "/v3/companies/signal-score", response)
    scored, silent, missing = response.json()["results"]
    assert scored["clientReferenceId"] == "a"
    assert scored["id"] == active_id
    assert 0 < scored["signalScore"] <= 1
    assert scored["noActiveSignals"] is False
    assert scored["signalTypes"]
    assert silent["error"]["code"] == "NO_SCORE"
    assert "signalScore" not in silent
    assert missing == {
        "clientReferenceId": "c",
        "id": "nope-xyz.com",
        "error": {"code": "NOT_FOUND", "message": "Company not found"},
    }
    assert response.json()["billing"] == {"creditsCharged": 1, "resultsReturned": 1}


async def test_contact_signal_scores_resolve_identifiers(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    with dataset(sandbox_settings) as conn:
        contact_id, linkedin = conn.execute(
            "SELECT c.id, c.linkedin_url FROM contacts c JOIN contact_signals s ON s.contact_id = c.id "
            "WHERE s.days_ago <= 60 ORDER BY c.id LIMIT 1"
        ).fetchone()

    response = await http.post(
        "/v3/contacts/signal-score",
        json={"contacts": [{"linkedinUrl": linkedin}, {"id": "404404"}]},
    )

    assert response.status_code == 200, response.text
    assert_answer_parses("POST", "/v3/contacts/signal-score", response)
    found, missing = response.json()["results"]
    assert found["id"] == contact_id
    assert found["signalScore"] > 0
    assert {"promotion", "companyChange"} & set(found["signalTypes"])
    assert missing == {"id": "404404", "error": {"code": "NOT_FOUND", "message": "Contact not found"}}


async def test_signal_score_items_need_exactly_one_identifier(http: httpx.AsyncClient) -> None:
    companies = await http.post(
        "/v3/companies/signal-score", json={"companies": [{"id": "1", "domain": "a.com"}]}
    )
    contacts = await http.post("/v3/contacts/signal-score", json={"contacts": [{"firstName": "Ann"}]})

    assert companies.status_code == 400
    assert companies.json()["errors"][0].startswith("companies[0]:")
    assert contacts.status_code == 400
    assert contacts.json()["errors"][0].startswith("contacts[0]:")


async def test_every_problem_of_a_signals_request_is_named_at_once(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/v3/contacts/signals",
        json={"ids": ["1", 2], "signalTypes": ["promoted"], "startDate": "2026-13-01", "colour": "red"},
    )
    scores = await http.post(
        "/v3/companies/signal-score", json={"companies": [{"clientReferenceId": "r" * 257, "id": "1"}]}
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        "ids[1]: must be a string, got number",
        "startDate: must be a date as YYYY-MM-DD, got '2026-13-01'",
        "signalTypes[0]: must be one of: allSignals, promotion, companyChange",
        "colour: is not a known field; expected one of: ids, maxResultsPerSignal, signalTypes, startDate, tableId",
    ]
    assert scores.json()["errors"] == ["companies[0].clientReferenceId: must be at most 256 characters"]
    assert (await charges(http))["totalCreditsCharged"] == 0


def _activity_rows(path: Path, seed: int) -> list[list[tuple[object, ...]]]:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        generate_activity(conn, seed)
        conn.execute("COMMIT")
        return [
            conn.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
            for table in ("contact_signals", "company_signals", "website_visits")
        ]
    finally:
        conn.close()


async def test_activity_is_deterministic_for_a_seed(
    http: httpx.AsyncClient, sandbox_settings: Settings, tmp_path: Path
) -> None:
    assert (await http.get("/v3/contacts/signals/types")).status_code == 200
    copies = [tmp_path / f"copy{n}.sqlite" for n in range(3)]
    for copy in copies:
        shutil.copyfile(sandbox_settings.sandbox_db_path(), copy)

    first, again, other = (
        _activity_rows(copies[0], 7),
        _activity_rows(copies[1], 7),
        _activity_rows(copies[2], 8),
    )

    assert first == again
    assert all(first)
    assert first != other


async def test_all_company_signal_types_parse_and_intent_stays_within_ninety_days(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    with dataset(sandbox_settings) as conn:
        ids = [
            str(row[0])
            for row in conn.execute(
                "SELECT DISTINCT company_id FROM company_signals WHERE signal_type = 'linkedinActivityIntent' "
                "ORDER BY company_id LIMIT 30"
            )
        ]

    response = await http.post(
        "/v3/companies/signals",
        json={"ids": ids, "signalTypes": ["allSignals"], "startDate": months_back(_today(), 12).isoformat()},
    )

    assert response.status_code == 200, response.text
    assert_answer_parses("POST", "/v3/companies/signals", response)
    intent = [item for result in response.json()["results"] for item in result["linkedinActivityIntent"]]
    assert intent
    oldest = (_today() - timedelta(days=90)).isoformat()
    assert all(item["activityPublicationDate"] >= oldest for item in intent)
