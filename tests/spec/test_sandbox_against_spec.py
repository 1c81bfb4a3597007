"""Every response of every operation the sandbox core serves validates against the V3 spec."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from lusha_mcp.settings import Settings
from tests.sandbox.dataset_picks import one, rows
from tests.spec.sandbox_schema import assert_response_matches_spec

pytestmark = pytest.mark.anyio

JsonObject = dict[str, Any]


async def test_contacts_operations_match_the_spec(
    unthrottled_http: httpx.AsyncClient, spec: JsonObject, sandbox_settings: Settings
) -> None:
    http = unthrottled_http
    contact = one(
        sandbox_settings,
        "SELECT * FROM contacts WHERE gdpr_blocked = 0 AND has_email = 1 AND has_phone = 1 LIMIT 1",
    )
    blocked = one(sandbox_settings, "SELECT * FROM contacts WHERE gdpr_blocked = 1 LIMIT 1")
    items = [{"id": contact["id"], "clientReferenceId": "a"}, {"id": "0"}, {"id": blocked["id"]}]
    calls: list[tuple[str, JsonObject]] = [
        ("/v3/contacts/search", {"contacts": items}),
        ("/v3/contacts/search", {"contacts": items, "signals": {"types": ["allSignals"]}}),
        ("/v3/contacts/enrich", {"ids": [contact["id"], "0", blocked["id"]], "reveal": ["emails", "phones"]}),
        ("/v3/contacts/search-and-enrich", {"contacts": items, "reveal": ["emails"]}),
        ("/v3/contacts/search", {"contacts": []}),
        ("/v3/contacts/enrich", {}),
    ]
    for path, body in calls:
        response = await http.post(path, json=body)
        assert response.status_code in {200, 400}
        assert_response_matches_spec(spec, "POST", path, response)


async def test_companies_operations_match_the_spec(
    unthrottled_http: httpx.AsyncClient, spec: JsonObject, sandbox_settings: Settings
) -> None:
    http = unthrottled_http
    company = one(
        sandbox_settings, "SELECT * FROM companies WHERE funding IS NOT NULL AND it_spend IS NOT NULL LIMIT 1"
    )
    items = [{"domain": company["domain"], "clientReferenceId": "a"}, {"name": "no such company"}]
    reveal = [
        "employeesByDepartment",
        "employeesByLocation",
        "employeesBySeniority",
        "competitors",
        "intent",
        "estimatedAnnualItSpend",
        "monthlyWebsiteTraffic",
    ]
    calls: list[tuple[str, JsonObject]] = [
        ("/v3/companies/search", {"companies": items}),
        ("/v3/companies/enrich", {"ids": [company["id"], "0"], "reveal": reveal}),
        ("/v3/companies/search-and-enrich", {"companies": items}),
        ("/v3/companies/search", {"companies": [{}]}),
    ]
    for path, body in calls:
        response = await http.post(path, json=body)
        assert response.status_code in {200, 400}
        assert_response_matches_spec(spec, "POST", path, response)


async def test_prospecting_matches_the_spec(unthrottled_http: httpx.AsyncClient, spec: JsonObject) -> None:
    http = unthrottled_http
    calls: list[tuple[str, JsonObject]] = [
        (
            "/v3/contacts/prospecting",
            {
                "pagination": {"page": 0, "size": 25},
                "filters": {"contacts": {"include": {"departments": ["Sales"]}}},
            },
        ),
        (
            "/v3/contacts/prospecting",
            {
                "pagination": {"page": 0, "size": 10},
                "filters": {"contacts": {"include": {"signals": {"types": ["promotion"]}}}},
            },
        ),
        (
            "/v3/companies/prospecting",
            {
                "pagination": {"page": 0, "size": 25},
                "filters": {"companies": {"include": {"sizes": [{"min": 11, "max": 200}]}}},
            },
        ),
        (
            "/v3/companies/prospecting",
            {"pagination": {"page": 2000, "size": 25}, "filters": {"companies": {"include": {}}}},
        ),
    ]
    for path, body in calls:
        response = await http.post(path, json=body)
        assert_response_matches_spec(spec, "POST", path, response)


async def test_filter_discovery_matches_the_spec(
    unthrottled_http: httpx.AsyncClient, spec: JsonObject
) -> None:
    http = unthrottled_http
    for entity in ("contacts", "companies"):
        types = await http.get(f"/v3/{entity}/prospecting/filters")
        assert_response_matches_spec(spec, "GET", f"/v3/{entity}/prospecting/filters", types)
        for item in types.json()["availableFilters"]:
            params = {"query": "sa"} if item["requiresQuery"] else {}
            response = await http.get(f"/v3/{entity}/prospecting/filters/{item['filterType']}", params=params)
            assert response.status_code == 200
            assert_response_matches_spec(
                spec, "GET", f"/v3/{entity}/prospecting/filters/{{filterType}}", response
            )
        missing_query = await http.get(f"/v3/{entity}/prospecting/filters/locations")
        assert_response_matches_spec(
            spec, "GET", f"/v3/{entity}/prospecting/filters/{{filterType}}", missing_query
        )


async def test_account_usage_and_its_errors_match_the_spec(
    http: httpx.AsyncClient, spec: JsonObject, sandbox_settings: Settings
) -> None:
    failing = await http.get("/v3/account/usage", headers={"x-sandbox-fault": "status=500"})
    assert failing.status_code == 500
    assert_response_matches_spec(spec, "GET", "/v3/account/usage", failing)
    for _ in range(4):
        usage = await http.get("/v3/account/usage")
        assert usage.status_code == 200
        assert_response_matches_spec(spec, "GET", "/v3/account/usage", usage)
    limited = await http.get("/v3/account/usage")
    assert limited.status_code == 429
    assert_response_matches_spec(spec, "GET", "/v3/account/usage", limited)
    unauthorized = await http.get("/v3/account/usage", headers={"api_key": "wrong"})
    assert_response_matches_spec(spec, "GET", "/v3/account/usage", unauthorized)
    await http.post("/_sandbox/credits", json={"remaining": 0})
    contact = one(sandbox_settings, "SELECT * FROM contacts WHERE gdpr_blocked = 0 AND has_email = 1 LIMIT 1")
    unpaid = await http.post("/v3/contacts/enrich", json={"ids": [contact["id"]]})
    assert unpaid.status_code == 402
    assert_response_matches_spec(spec, "POST", "/v3/contacts/enrich", unpaid)


async def test_signals_lookalikes_buying_group_and_webhooks_match_the_spec(
    unthrottled_http: httpx.AsyncClient, spec: JsonObject, sandbox_settings: Settings
) -> None:
    http = unthrottled_http
    contact = one(sandbox_settings, "SELECT * FROM contacts WHERE gdpr_blocked = 0 AND has_email = 1 LIMIT 1")
    company = one(sandbox_settings, "SELECT * FROM companies ORDER BY employees DESC LIMIT 1")
    seeds = [str(row["id"]) for row in rows(sandbox_settings, "SELECT id FROM contacts ORDER BY id LIMIT 5")]
    seed_domains = [
        str(row["domain"]) for row in rows(sandbox_settings, "SELECT domain FROM companies LIMIT 5")
    ]
    posts: list[tuple[str, JsonObject]] = [
        ("/v3/contacts/signals", {"ids": [contact["id"]], "signalTypes": ["allSignals"]}),
        ("/v3/companies/signals", {"ids": [company["id"]], "signalTypes": ["allSignals"]}),
        ("/v3/contacts/signal-score", {"contacts": [{"clientReferenceId": "a", "id": contact["id"]}]}),
        (
            "/v3/companies/signal-score",
            {"companies": [{"clientReferenceId": "a", "domain": company["domain"]}]},
        ),
        ("/v3/contacts/lookalike", {"seeds": {"ids": seeds}, "limit": 5}),
        ("/v3/companies/lookalike", {"seeds": {"domains": seed_domains}, "limit": 5}),
        (
            "/v3/contacts/buying-group",
            {"companies": [{"clientReferenceId": "a", "domain": company["domain"]}]},
        ),
    ]
    for path, body in posts:
        response = await http.post(path, json=body)
        assert response.status_code == 200, (path, response.text)
        assert_response_matches_spec(spec, "POST", path, response)
    for path in (
        "/v3/contacts/signals/types",
        "/v3/companies/signals/types",
        "/v3/companies/signals/filters",
    ):
        response = await http.get(path)
        assert_response_matches_spec(spec, "GET", path, response)

    missing_secret = await http.get("/api/account/secret")
    assert_response_matches_spec(spec, "GET", "/api/account/secret", missing_secret)
    await http.post("/api/account/secret/regenerate")
    secret = await http.get("/api/account/secret")
    assert_response_matches_spec(spec, "GET", "/api/account/secret", secret)
    created = await http.post(
        "/api/subscriptions",
        json={
            "defaults": {
                "url": "http://127.0.0.1:9/hook",
                "entityType": "contact",
                "signalTypes": ["promotion"],
            },
            "subscriptions": [{"entityId": contact["id"]}],
        },
    )
    assert created.status_code == 201, created.text
    assert_response_matches_spec(spec, "POST", "/api/subscriptions", created)
    subscription_id = created.json()["results"][0]["subscription"]["id"]
    listed = await http.get("/api/subscriptions")
    assert_response_matches_spec(spec, "GET", "/api/subscriptions", listed)
    fetched = await http.get(f"/api/subscriptions/{subscription_id}")
    assert_response_matches_spec(spec, "GET", "/api/subscriptions/{id}", fetched)
    for path in ("/api/audit-logs", "/api/audit-logs/stats"):
        assert_response_matches_spec(spec, "GET", path, await http.get(path))
    deleted = await http.post("/api/subscriptions/delete", json={"ids": [subscription_id]})
    assert_response_matches_spec(spec, "POST", "/api/subscriptions/delete", deleted)


async def test_website_visits_match_the_spec(http: httpx.AsyncClient, spec: JsonObject) -> None:
    """The spec contradicts itself here: V3CanRevealItem.field allows only emails/phones, while its
    own website-visits example lists company extras such as competitors. The sandbox follows the
    example, so those canReveal entries are left out; the rest of the body is checked."""
    today = datetime.now(UTC).date()
    response = await http.post(
        "/v3/companies/website-visits",
        json={
            "domains": ["lusha.com"],
            "startDate": (today - timedelta(days=80)).isoformat(),
            "endDate": today.isoformat(),
            "pagination": {"page": 0, "size": 50},
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    for item in body["results"]:
        item["canReveal"] = [entry for entry in item["canReveal"] if entry["field"] in ("emails", "phones")]
    assert_response_matches_spec(spec, "POST", "/v3/companies/website-visits", httpx.Response(200, json=body))
