"""The webhook requests as declared over HTTP: every problem named by its field path, a bad item of
a bulk create failing alone, and query strings and control bodies refusing what they do not know."""

from __future__ import annotations

import httpx
import pytest

from tests.sandbox.answers import assert_answer_parses

pytestmark = pytest.mark.anyio

HOOK_URL = "https://receiver.test/hook"


async def test_a_bulk_create_reports_each_bad_item_in_its_result_and_creates_the_others(
    http: httpx.AsyncClient,
) -> None:
    assert (await http.post("/api/account/secret/regenerate")).status_code == 200

    response = await http.post(
        "/api/subscriptions",
        json={
            "defaults": {"url": HOOK_URL, "signalTypes": ["promotion"]},
            "subscriptions": [
                {"entityId": "1", "entityType": None},
                {"entityId": "2", "entityType": "company", "signalTypes": [7, "riskNews"]},
                {"entityType": "contact", "colour": "red"},
                {"entityId": "3", "entityType": "contact", "name": "x" * 101},
                {"entityId": "4", "entityType": "contact"},
            ],
        },
    )

    assert response.status_code == 201, response.text
    assert_answer_parses("POST", "/api/subscriptions", response)
    results = response.json()["results"]
    messages = [result["error"]["message"] for result in results[:4]]
    assert messages == [
        "subscriptions[0].entityType: is required (here or in defaults.entityType): contact or company",
        "subscriptions[1].signalTypes[0]: must be a string, got number",
        "subscriptions[2].entityId: is required; subscriptions[2].colour: is not a known field; "
        "expected one of: entityId, entityType, name, signalTypes",
        "subscriptions[3].name: must be at most 100 characters",
    ]
    assert {result["error"]["code"] for result in results[:4]} == {"VALIDATION_ERROR"}
    assert results[4]["success"] is True
    assert results[4]["subscription"]["signalTypes"] == ["promotion"]


async def test_problems_of_the_whole_request_are_answered_at_once_before_any_item_is_created(
    http: httpx.AsyncClient,
) -> None:
    await http.post("/api/account/secret/regenerate")

    fields = await http.post(
        "/api/subscriptions",
        json={"defaults": {"url": "http://example.com/hook"}, "subscriptions": [], "name": "n" * 101},
    )
    mismatch = await http.post(
        "/api/subscriptions",
        json={
            "defaults": {"url": HOOK_URL, "entityType": "contact", "signalTypes": ["promotion", "riskNews"]},
            "subscriptions": [{"entityId": "1"}],
        },
    )
    listed = await http.get("/api/subscriptions")

    assert fields.status_code == 400
    assert fields.json()["errors"] == [
        "defaults.url: must use https (http is accepted only for a loopback receiver such as "
        "http://127.0.0.1:8080/webhooks)",
        "subscriptions: must contain at least 1 item",
        "name: must be at most 100 characters",
    ]
    assert mismatch.status_code == 400
    (problem,) = mismatch.json()["errors"]
    assert problem.startswith(
        "defaults.signalTypes[1]: 'riskNews' is not a contact signal type; use one of: "
    )
    assert listed.json()["data"] == []


@pytest.mark.parametrize(
    ("path", "params", "problem"),
    [
        ("/api/subscriptions", {"page": "2"}, "page: is not a known field; expected one of: limit, offset"),
        ("/api/subscriptions", {"limit": "ten"}, "limit: must be an integer, got 'ten'"),
        ("/api/audit-logs", {"status": "lost"}, "status: must be one of: success, failed, permanent_failure"),
        ("/api/audit-logs", {"offset": "-1"}, "offset: must be at least 0"),
        ("/api/audit-logs/stats", {"subscriptionId": " "}, "subscriptionId: must not be empty"),
    ],
)
async def test_query_strings_refuse_what_they_do_not_know(
    http: httpx.AsyncClient, path: str, params: dict[str, str], problem: str
) -> None:
    response = await http.get(path, params=params)

    assert response.status_code == 400
    assert response.json()["errors"] == [problem]


async def test_the_delivery_controls_declare_their_bodies(http: httpx.AsyncClient) -> None:
    signal = await http.post("/_sandbox/webhooks/deliver", json={"signalType": "promotion", "at": "now"})
    opt_out = await http.post("/_sandbox/webhooks/opt-out", json={"contactId": 5})

    assert signal.status_code == 400
    assert signal.json()["errors"] == [
        "subscriptionId: is required",
        "at: is not a known field; expected one of: signalType, subscriptionId",
    ]
    assert opt_out.status_code == 400
    assert opt_out.json()["errors"] == ["contactId: must be a string, got number"]
