"""Website visits over HTTP: tracked domains, the 3-month window, filters, sorting, paging."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from lusha_mcp.sandbox.activity import TRACKED_DOMAINS
from tests.sandbox.activity_support import charges
from tests.sandbox.answers import assert_answer_parses

pytestmark = pytest.mark.anyio

JsonObject = dict[str, Any]
PATH = "/v3/companies/website-visits"


def _window(days: int = 80) -> tuple[str, str]:
    today = datetime.now(UTC).date()
    return (today - timedelta(days=days)).isoformat(), today.isoformat()


def _request(**extra: Any) -> JsonObject:
    start, end = _window()
    return {
        "domains": ["lusha.com"],
        "startDate": start,
        "endDate": end,
        "pagination": {"page": 0, "size": 150},
    } | extra


async def test_visits_are_company_previews_with_metrics_sorted_by_score(http: httpx.AsyncClient) -> None:
    response = await http.post(PATH, json=_request())

    assert response.status_code == 200, response.text
    assert_answer_parses("POST", PATH, response)
    body = response.json()
    results = body["results"]
    assert results
    assert body["pagination"]["total"] >= len(results)
    scores = [item["score"] for item in results]
    assert scores == sorted(scores, reverse=True)
    start, end = _window()
    for item in results:
        assert item["name"]
        assert item["domain"]
        assert 1 <= item["score"] <= 100
        band = "hot" if item["score"] >= 70 else "warm" if item["score"] >= 40 else "cold"
        assert item["scoreBand"] == band
        assert start <= item["lastVisit"] <= end
        assert item["uniqueVisitors"] <= item["totalSessions"]
        assert item["daysVisited"] >= 1
    assert body["billing"] == {"creditsCharged": 0, "resultsReturned": len(results)}
    assert (await charges(http))["totalCreditsCharged"] == 0


async def test_pages_follow_the_requested_sort_without_overlap(http: httpx.AsyncClient) -> None:
    sort = {"by": "totalSessions", "order": "asc"}

    everything = (await http.post(PATH, json=_request(sort=sort))).json()
    pages = [
        (await http.post(PATH, json=_request(sort=sort, pagination={"page": page, "size": 7}))).json()
        for page in (0, 1)
    ]

    first, second = ([item["id"] for item in page["results"]] for page in pages)
    assert first + second == [item["id"] for item in everything["results"][:14]]
    sessions = [item["totalSessions"] for item in everything["results"]]
    assert sessions == sorted(sessions)
    assert pages[0]["pagination"] == {"size": 7, "page": 0, "total": everything["pagination"]["total"]}


async def test_filters_narrow_by_band_score_sessions_and_country(http: httpx.AsyncClient) -> None:
    everything = (await http.post(PATH, json=_request())).json()["results"]

    warm = (
        await http.post(PATH, json=_request(filters={"scoreBands": ["warm", "hot"], "score": {"min": 50}}))
    ).json()
    busy = (await http.post(PATH, json=_request(filters={"totalSessions": {"min": 5, "max": 40}}))).json()
    us_only = (await http.post(PATH, json=_request(filters={"visitorCountries": {"include": ["US"]}}))).json()
    not_us = (await http.post(PATH, json=_request(filters={"visitorCountries": {"exclude": ["US"]}}))).json()

    assert all(item["score"] >= 50 and item["scoreBand"] in {"warm", "hot"} for item in warm["results"])
    assert len(warm["results"]) < len(everything)
    assert all(5 <= item["totalSessions"] <= 40 for item in busy["results"])
    assert us_only["results"]
    assert all(item["visitorCountry"] == "US" for item in us_only["results"])
    assert all(item["visitorCountry"] != "US" for item in not_us["results"])


async def test_every_tracked_domain_answers_and_www_is_ignored(http: httpx.AsyncClient) -> None:
    for domain in TRACKED_DOMAINS:
        response = await http.post(PATH, json=_request(domains=[f"https://www.{domain}"]))
        assert response.status_code == 200, response.text


async def test_an_untracked_domain_fails_the_whole_request(http: httpx.AsyncClient) -> None:
    response = await http.post(PATH, json=_request(domains=["lusha.com", "example.org"]))

    assert response.status_code == 400
    assert_answer_parses("POST", PATH, response)
    (error,) = response.json()["errors"]
    assert error.startswith("domains[1]:")
    assert "lusha.com" in error


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"startDate": "2026-01-01", "endDate": "2026-04-02"}, "endDate"),
        ({"startDate": "2026-03-01", "endDate": "2026-02-01"}, "startDate"),
        ({"startDate": "yesterday"}, "startDate"),
        ({"pagination": {"page": 0, "size": 151}}, "pagination.size"),
        ({"pagination": None}, "pagination"),
        ({"sort": {"by": "revenue"}}, "sort.by"),
        ({"filters": {"score": {"min": 0}}}, "filters.score.min"),
        ({"filters": {"scoreBands": ["lukewarm"]}}, "filters.scoreBands[0]"),
        ({"filters": {"visitorCountries": {"include": ["USA"]}}}, "filters.visitorCountries.include[0]"),
        ({"filters": {"daysVisited": {"min": 5, "max": 2}}}, "filters.daysVisited"),
    ],
)
async def test_invalid_requests_name_the_field(
    http: httpx.AsyncClient, change: JsonObject, field: str
) -> None:
    body = {key: value for key, value in (_request() | change).items() if value is not None}

    response = await http.post(PATH, json=body)

    assert response.status_code == 400
    assert any(error.startswith(f"{field}:") for error in response.json()["errors"]), response.json()


async def test_a_three_month_window_is_accepted(http: httpx.AsyncClient) -> None:
    end = datetime.now(UTC).date()
    start = date(end.year if end.month > 3 else end.year - 1, (end.month - 4) % 12 + 1, min(end.day, 28))

    response = await http.post(PATH, json=_request(startDate=start.isoformat(), endDate=end.isoformat()))

    assert response.status_code == 200, response.text
