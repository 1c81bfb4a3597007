"""Contacts search, enrich and search-and-enrich over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from lusha_mcp.settings import Settings
from tests.sandbox.dataset_picks import credits_charged, one

pytestmark = pytest.mark.anyio

PLAIN = "SELECT * FROM contacts WHERE gdpr_blocked = 0 AND has_work_email = 1 AND has_phone = 1 ORDER BY seq LIMIT 1"


async def test_search_returns_previews_with_has_and_can_reveal(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    contact = one(sandbox_settings, PLAIN)
    response = await http.post(
        "/v3/contacts/search", json={"contacts": [{"clientReferenceId": "ref-1", "id": contact["id"]}]}
    )
    assert response.status_code == 200
    body = response.json()
    [result] = body["results"]
    assert result["clientReferenceId"] == "ref-1"
    assert result["id"] == contact["id"]
    assert result["jobTitle"]["seniority"] == contact["seniority"]
    assert {"emails", "phones"} <= set(result["has"])
    assert "emails" not in result
    assert "phones" not in result
    assert {item["field"]: item["credits"] for item in result["canReveal"]} == {"emails": 1, "phones": 5}
    assert body["billing"] == {"creditsCharged": 1, "resultsReturned": 1}


async def test_every_identifier_kind_finds_the_same_contact(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    contact = one(sandbox_settings, PLAIN)
    company = one(sandbox_settings, "SELECT * FROM companies WHERE id = ?", (contact["company_id"],))
    email = one(sandbox_settings, "SELECT email FROM contact_emails WHERE contact_id = ?", (contact["id"],))[
        "email"
    ]
    items: list[dict[str, Any]] = [
        {"linkedinUrl": contact["linkedin_url"].replace("https://www.", "") + "/"},
        {"email": email.upper()},
        {
            "firstName": contact["first_name"],
            "lastName": contact["last_name"],
            "companyDomain": f"www.{company['domain']}",
        },
        {
            "firstName": contact["first_name"],
            "lastName": contact["last_name"],
            "companyName": company["name"],
        },
    ]
    response = await http.post("/v3/contacts/search", json={"contacts": items})
    assert [result.get("id") for result in response.json()["results"]] == [contact["id"]] * 4


async def test_unknown_contacts_get_item_errors_and_are_not_billed(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/v3/contacts/search", json={"contacts": [{"id": "0"}, {"email": "nobody@nowhere.example"}]}
    )
    body = response.json()
    assert [result["error"]["code"] for result in body["results"]] == ["NOT_FOUND", "NOT_FOUND"]
    assert body["billing"] == {"creditsCharged": 0, "resultsReturned": 0}
    assert await credits_charged(http) == 0


async def test_items_without_an_identifier_are_refused_naming_the_item(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/v3/contacts/search",
        json={"contacts": [{"id": "1"}, {"firstName": "Ann", "clientReferenceId": "x"}]},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["statusCode"] == 400
    assert any(error.startswith("contacts[1]: needs one identifier") for error in body["errors"])


async def test_more_than_100_contacts_are_refused(http: httpx.AsyncClient) -> None:
    response = await http.post("/v3/contacts/search", json={"contacts": [{"id": str(n)} for n in range(101)]})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        "contacts: must contain at most 100 items, got 101; split the request"
    ]


async def test_missing_and_malformed_bodies_are_refused(http: httpx.AsyncClient) -> None:
    missing = await http.post("/v3/contacts/enrich", json={"reveal": ["emails"]})
    assert missing.status_code == 400
    assert "ids: is required" in missing.json()["errors"]
    broken = await http.post(
        "/v3/contacts/enrich", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert broken.status_code == 400
    assert broken.json()["errors"][0].startswith("body: not valid JSON")
    wrong = await http.post("/v3/contacts/enrich", json={"ids": ["1"], "reveal": ["faxes"]})
    assert wrong.json()["errors"] == ["reveal[0]: must be one of: emails, phones"]


async def test_enrich_reveals_only_the_requested_fields_and_bills_each(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    contact = one(sandbox_settings, PLAIN)
    response = await http.post("/v3/contacts/enrich", json={"ids": [contact["id"]], "reveal": ["emails"]})
    body = response.json()
    [result] = body["results"]
    assert result["emails"]
    assert "phones" not in result
    assert result["emails"][0]["email"].endswith(
        one(sandbox_settings, "SELECT domain FROM companies WHERE id = ?", (contact["company_id"],))["domain"]
    )
    assert body["billing"] == {"creditsCharged": 1, "resultsReturned": 1}


async def test_a_repeat_reveal_is_free_and_search_shows_it_at_zero(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    contact = one(sandbox_settings, PLAIN)
    first = await http.post(
        "/v3/contacts/enrich", json={"ids": [contact["id"]], "reveal": ["emails", "phones"]}
    )
    assert first.json()["billing"]["creditsCharged"] == 6
    again = await http.post(
        "/v3/contacts/enrich", json={"ids": [contact["id"]], "reveal": ["emails", "phones"]}
    )
    assert again.json()["billing"] == {"creditsCharged": 0, "resultsReturned": 1}
    assert again.json()["results"][0]["emails"] == first.json()["results"][0]["emails"]
    preview = await http.post("/v3/contacts/search", json={"contacts": [{"id": contact["id"]}]})
    assert {item["credits"] for item in preview.json()["results"][0]["canReveal"]} == {0}
    assert await credits_charged(http) == 7


async def test_revealed_fields_survive_a_restart(sandbox_settings: Settings) -> None:
    from lusha_mcp.sandbox import SANDBOX_BASE_URL, SandboxConfig, create_app

    contact = one(sandbox_settings, PLAIN)
    body = {"ids": [contact["id"]], "reveal": ["emails"]}
    credits: list[int] = []
    for _ in range(2):
        app = create_app(SandboxConfig.from_settings(sandbox_settings))
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url=SANDBOX_BASE_URL,
            headers={"api_key": "lusha-sandbox"},
        ) as client:
            credits.append(
                (await client.post("/v3/contacts/enrich", json=body)).json()["billing"]["creditsCharged"]
            )
        app.state.sandbox.close()
    assert credits == [1, 0]


async def test_contacts_without_data_are_not_billed_for_it(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    contact = one(
        sandbox_settings,
        "SELECT * FROM contacts WHERE gdpr_blocked = 0 AND has_phone = 0 ORDER BY seq LIMIT 1",
    )
    response = await http.post("/v3/contacts/enrich", json={"ids": [contact["id"]], "reveal": ["phones"]})
    body = response.json()
    assert body["results"][0]["phones"] == []
    assert body["billing"] == {"creditsCharged": 0, "resultsReturned": 1}


async def test_gdpr_blocked_contacts_are_item_errors_in_a_batch(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    blocked = one(sandbox_settings, "SELECT * FROM contacts WHERE gdpr_blocked = 1 ORDER BY seq LIMIT 1")
    assert blocked["is_eu"] == 1
    other = one(sandbox_settings, PLAIN)
    response = await http.post(
        "/v3/contacts/enrich", json={"ids": [blocked["id"], other["id"]], "reveal": ["emails"]}
    )
    assert response.status_code == 200
    first, second = response.json()["results"]
    assert first == {
        "id": blocked["id"],
        "error": {
            "code": "COMPLIANCE_RESTRICTED",
            "message": "Contact is unavailable due to GDPR regulations",
        },
    }
    assert second["emails"]
    assert response.json()["billing"] == {"creditsCharged": 1, "resultsReturned": 1}


async def test_a_request_for_only_gdpr_blocked_contacts_is_451(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    blocked = one(sandbox_settings, "SELECT * FROM contacts WHERE gdpr_blocked = 1 ORDER BY seq LIMIT 1")
    for path, body in (
        ("/v3/contacts/enrich", {"ids": [blocked["id"]]}),
        ("/v3/contacts/search", {"contacts": [{"id": blocked["id"]}]}),
        ("/v3/contacts/search-and-enrich", {"contacts": [{"id": blocked["id"]}]}),
    ):
        response = await http.post(path, json=body)
        assert response.status_code == 451, path
        assert response.json()["statusCode"] == 451
    assert await credits_charged(http) == 0


async def test_search_and_enrich_charges_the_search_and_each_reveal(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    contact = one(sandbox_settings, PLAIN)
    response = await http.post(
        "/v3/contacts/search-and-enrich",
        json={
            "contacts": [{"id": contact["id"], "clientReferenceId": "r"}, {"id": "0"}],
            "reveal": ["emails", "phones"],
        },
    )
    body = response.json()
    assert body["results"][0]["clientReferenceId"] == "r"
    assert body["results"][0]["emails"]
    assert body["results"][0]["phones"]
    assert body["results"][1]["error"]["code"] == "NOT_FOUND"
    assert body["billing"] == {"creditsCharged": 1 + 1 + 5, "resultsReturned": 1}


async def test_do_not_call_phones_are_flagged(http: httpx.AsyncClient, sandbox_settings: Settings) -> None:
    contact = one(
        sandbox_settings,
        "SELECT * FROM contacts WHERE do_not_call = 1 AND gdpr_blocked = 0 ORDER BY seq LIMIT 1",
    )
    response = await http.post("/v3/contacts/enrich", json={"ids": [contact["id"]], "reveal": ["phones"]})
    phones = response.json()["results"][0]["phones"]
    assert phones
    assert all(
        phone["doNotCall"] is True and phone["type"] in {"mobile", "direct", "work"} for phone in phones
    )


async def test_a_signals_filter_narrows_search_and_bills_only_the_matches(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    promoted = one(
        sandbox_settings,
        "SELECT c.* FROM contacts c JOIN contact_signals s ON s.contact_id = c.id "
        "WHERE c.gdpr_blocked = 0 AND s.signal_type = 'promotion' AND s.days_ago BETWEEN 0 AND 60 "
        "ORDER BY c.seq LIMIT 1",
    )
    quiet = one(
        sandbox_settings,
        "SELECT * FROM contacts WHERE gdpr_blocked = 0 AND id NOT IN (SELECT contact_id FROM contact_signals) "
        "ORDER BY seq LIMIT 1",
    )
    response = await http.post(
        "/v3/contacts/search",
        json={
            "contacts": [{"id": promoted["id"], "clientReferenceId": "a"}, {"id": quiet["id"]}],
            "signals": {"types": ["promotion"]},
        },
    )
    assert response.status_code == 200, response.text
    matched, unmatched = response.json()["results"]
    assert matched["clientReferenceId"] == "a"
    assert matched["id"] == promoted["id"]
    assert matched["signalTypes"] == ["promotion"]
    assert unmatched == {
        "error": {"code": "NOT_FOUND", "message": "Contact has no signals of the requested types"}
    }
    assert response.json()["billing"] == {"creditsCharged": 1, "resultsReturned": 1}
