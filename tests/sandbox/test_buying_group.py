"""Buying group (decision makers) over HTTP: persona ranking, filters, limits, paging, billing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from lusha_mcp.settings import Settings
from tests.sandbox.activity_support import charges, dataset
from tests.sandbox.answers import assert_answer_parses

pytestmark = pytest.mark.anyio

JsonObject = dict[str, Any]

DECISION_MAKER_SENIORITIES = {"C-Suite", "Founder", "Partner", "Vice President", "Director"}


def _largest_companies(settings: Settings, count: int) -> list[tuple[str, str, int]]:
    """(id, domain, contact count) of the companies with the most contacts."""
    with dataset(settings) as conn:
        rows = conn.execute(
            "SELECT k.id, k.domain, COUNT(*) FROM companies k JOIN contacts c ON c.company_id = k.id "
            "GROUP BY k.id ORDER BY COUNT(*) DESC, k.id LIMIT ?",
            (count,),
        ).fetchall()
    return [(str(row[0]), str(row[1]), int(row[2])) for row in rows]


async def test_contacts_come_ranked_with_personas_and_free_previews(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    (company_id, domain, _), (other_id, _, _) = _largest_companies(sandbox_settings, 2)

    response = await http.post(
        "/v3/contacts/buying-group",
        json={"companies": [{"clientReferenceId": "first", "domain": domain}, {"id": other_id}]},
    )

    assert response.status_code == 200, response.text
    assert_answer_parses("POST", "/v3/contacts/buying-group", response)
    first, second = response.json()["results"]
    assert first["clientReferenceId"] == "first"
    assert first["companyId"] == company_id
    assert second["companyId"] == other_id
    contacts = first["contacts"]
    assert contacts
    scores = [contact["score"] for contact in contacts]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= score <= 1 for score in scores)
    for contact in contacts:
        assert contact["company"]["id"] == company_id
        assert contact["roles"]
        assert ("decision_maker" in contact["roles"]) == (
            contact["jobTitle"]["seniority"] in DECISION_MAKER_SENIORITIES
        )
        assert {item["field"] for item in contact["canReveal"]} <= {"emails", "phones"}
        assert "emails" not in contact
    returned = len(contacts) + len(second["contacts"])
    total = response.json()["pagination"]["total"]
    assert returned == min(100, total)
    assert response.json()["pagination"] == {"page": 0, "size": 100, "total": total}
    assert response.json()["billing"] == {"creditsCharged": returned, "resultsReturned": returned}


async def test_personas_and_contacts_limit_narrow_the_group(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    (_, domain, _), *_ = _largest_companies(sandbox_settings, 1)

    response = await http.post(
        "/v3/contacts/buying-group",
        json={"companies": [{"domain": domain}], "personas": ["decision_maker"], "contactsLimit": 2},
    )

    assert response.status_code == 200, response.text
    contacts = response.json()["results"][0]["contacts"]
    assert 1 <= len(contacts) <= 2
    assert all(contact["roles"] == ["decision_maker"] for contact in contacts)
    assert response.json()["billing"]["creditsCharged"] == len(contacts)


async def test_contacts_limit_defaults_to_sixty_per_company(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    for company_id, _, _ in _largest_companies(sandbox_settings, 2):
        body: JsonObject = {"companies": [{"id": company_id}]}
        default = await http.post("/v3/contacts/buying-group", json=body)
        everyone = await http.post("/v3/contacts/buying-group", json=body | {"contactsLimit": 1000})

        assert default.status_code == everyone.status_code == 200, default.text
        group = everyone.json()["results"][0]["contacts"]
        assert group
        assert default.json()["results"][0]["contacts"] == group[:60]


async def test_pages_split_the_ranked_contacts_without_overlap(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    companies = [{"id": company_id} for company_id, _, _ in _largest_companies(sandbox_settings, 5)]

    pages = [
        (
            await http.post(
                "/v3/contacts/buying-group",
                json={"companies": companies, "pagination": {"page": page, "size": 10}},
            )
        ).json()
        for page in (0, 1)
    ]

    ids = [
        [contact["id"] for result in page["results"] for contact in result.get("contacts", [])]
        for page in pages
    ]
    assert len(ids[0]) == len(ids[1]) == 10
    assert not set(ids[0]) & set(ids[1])
    assert pages[0]["pagination"]["total"] == pages[1]["pagination"]["total"] > 20
    assert (await charges(http))["totalCreditsCharged"] == 20


async def test_unknown_company_gets_a_not_found_entry_and_costs_nothing(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/v3/contacts/buying-group",
        json={"companies": [{"clientReferenceId": "x", "domain": "no-such-company.example"}]},
    )

    assert response.status_code == 200, response.text
    (result,) = response.json()["results"]
    assert result["clientReferenceId"] == "x"
    assert result["error"]["code"] == "NOT_FOUND"
    assert response.json()["billing"] == {"creditsCharged": 0, "resultsReturned": 0}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"companies": [{"domain": f"c{n}.com"} for n in range(26)]}, "companies"),
        ({"companies": []}, "companies"),
        ({"companies": [{"domain": "a.com", "id": "1"}]}, "companies[0]"),
        ({"companies": [{"domain": "a.com"}], "personas": ["buyer"]}, "personas[0]"),
        ({"companies": [{"domain": "a.com"}], "contactsLimit": 0}, "contactsLimit"),
        ({"companies": [{"domain": "a.com"}], "pagination": {"size": 5}}, "pagination.size"),
    ],
)
async def test_invalid_buying_group_requests_name_the_field(
    http: httpx.AsyncClient, body: JsonObject, field: str
) -> None:
    response = await http.post("/v3/contacts/buying-group", json=body)

    assert response.status_code == 400
    assert_answer_parses("POST", "/v3/contacts/buying-group", response)
    assert any(error.startswith(f"{field}:") for error in response.json()["errors"]), response.json()
