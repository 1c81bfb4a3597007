"""Companies search, enrich and search-and-enrich over HTTP."""

from __future__ import annotations

import httpx
import pytest

from lusha_mcp.settings import Settings
from tests.sandbox.dataset_picks import credits_charged, one

pytestmark = pytest.mark.anyio

RICH = (
    "SELECT * FROM companies WHERE it_spend IS NOT NULL AND website_visits IS NOT NULL "
    "AND competitors != '[]' AND intent_topics != '[]' ORDER BY seq LIMIT 1"
)


async def test_companies_are_found_by_id_domain_in_any_form_and_name(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    company = one(sandbox_settings, RICH)
    items = [
        {"id": company["id"]},
        {"domain": company["domain"]},
        {"domain": f"https://www.{company['domain']}/about"},
        {"name": company["name"].upper()},
        {"domain": "no-such-company.example", "clientReferenceId": "missing"},
    ]
    response = await http.post("/v3/companies/search", json={"companies": items})
    body = response.json()
    assert [result.get("id") for result in body["results"][:4]] == [company["id"]] * 4
    assert body["results"][4] == {
        "clientReferenceId": "missing",
        "error": {"code": "NOT_FOUND", "message": "Company not found"},
    }
    assert body["billing"] == {"creditsCharged": 1, "resultsReturned": 4}
    preview = body["results"][0]
    assert preview["employeeCount"]["exact"] == company["employees"]
    assert preview["location"]["countryIso2"] == company["country_code"]
    can_reveal = {item["field"]: item["credits"] for item in preview["canReveal"]}
    assert can_reveal["intent"] == 0
    assert can_reveal["competitors"] == 1


async def test_items_without_identifiers_are_refused(http: httpx.AsyncClient) -> None:
    response = await http.post("/v3/companies/search", json={"companies": [{"clientReferenceId": "x"}]})
    assert response.status_code == 400
    assert response.json()["errors"] == ["companies[0]: needs one identifier: id, domain, or name"]


async def test_enrich_charges_the_company_and_each_extra_then_nothing_on_repeat(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    company = one(sandbox_settings, RICH)
    reveal = [
        "employeesByDepartment",
        "employeesBySeniority",
        "competitors",
        "intent",
        "estimatedAnnualItSpend",
    ]
    first = await http.post("/v3/companies/enrich", json={"ids": [company["id"]], "reveal": reveal})
    body = first.json()
    [result] = body["results"]
    assert result["industry"] == company["industry"]
    assert result["subIndustry"] == company["sub_industry"]
    assert result["sicCodes"]
    assert result["naicsCodes"]
    assert result["technologies"]
    assert result["competitors"]
    assert all(item["id"] for item in result["competitors"])
    assert result["intent"]["topics"]
    assert result["estimatedAnnualItSpend"]["currency"] == "USD"
    assert sum(item["count"] for item in result["employeesBySeniority"]) >= 1
    assert body["billing"] == {"creditsCharged": 1 + 1 + 1 + 1 + 0 + 1, "resultsReturned": 1}
    again = await http.post("/v3/companies/enrich", json={"ids": [company["id"]], "reveal": reveal})
    assert again.json()["billing"] == {"creditsCharged": 0, "resultsReturned": 1}


async def test_unknown_company_ids_are_item_errors(http: httpx.AsyncClient) -> None:
    response = await http.post("/v3/companies/enrich", json={"ids": ["0"]})
    assert response.json()["results"] == [
        {"id": "0", "error": {"code": "NOT_FOUND", "message": "Company not found"}}
    ]
    assert response.json()["billing"] == {"creditsCharged": 0, "resultsReturned": 0}


async def test_unknown_reveal_fields_are_refused(http: httpx.AsyncClient) -> None:
    response = await http.post("/v3/companies/enrich", json={"ids": ["1"], "reveal": ["revenue"]})
    assert response.status_code == 400
    assert response.json()["errors"][0].startswith("reveal[0]: must be one of: employeesByDepartment")


async def test_search_and_enrich_charges_search_and_reveal(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    first, second = (one(sandbox_settings, "SELECT * FROM companies WHERE seq = ?", (seq,)) for seq in (1, 2))
    response = await http.post(
        "/v3/companies/search-and-enrich",
        json={"companies": [{"domain": first["domain"]}, {"id": second["id"], "clientReferenceId": "b"}]},
    )
    body = response.json()
    assert [result["name"] for result in body["results"]] == [first["name"], second["name"]]
    assert body["results"][1]["clientReferenceId"] == "b"
    assert body["billing"] == {"creditsCharged": 1 + 2, "resultsReturned": 2}
    assert await credits_charged(http) == 3
