"""Auth, account usage, credit balance and 402, rate limits and their headers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from lusha_mcp.sandbox import SANDBOX_BASE_URL, sandbox_transport
from lusha_mcp.settings import Settings
from tests.sandbox.dataset_picks import credits_charged, one, remaining_credits

pytestmark = pytest.mark.anyio

RATE_LIMIT_HEADERS = (
    "x-rate-limit-daily",
    "x-daily-requests-left",
    "x-daily-usage",
    "x-rate-limit-hourly",
    "x-hourly-requests-left",
    "x-hourly-usage",
    "x-rate-limit-minute",
    "x-minute-requests-left",
    "x-minute-usage",
)
PROSPECT: dict[str, Any] = {"pagination": {"page": 0, "size": 10}, "filters": {"contacts": {"include": {}}}}


@pytest.mark.parametrize(
    "headers", [{"api_key": "lk_live_real_key"}, {}, {"Authorization": "Bearer lusha-sandbox"}]
)
async def test_any_key_but_the_sandbox_key_is_401(
    sandbox_settings: Settings, headers: dict[str, str]
) -> None:
    async with httpx.AsyncClient(
        transport=sandbox_transport(sandbox_settings), base_url=SANDBOX_BASE_URL
    ) as client:
        for path in ("/v3/account/usage", "/_sandbox/charges"):
            response = await client.get(path, headers=headers)
            assert response.status_code == 401
            assert response.json()["statusCode"] == 401
            assert all(header in response.headers for header in RATE_LIMIT_HEADERS)
            assert "lk_live_real_key" not in response.text


async def test_unknown_paths_and_methods_answer_in_lushas_envelope(http: httpx.AsyncClient) -> None:
    missing = await http.get("/v3/contacts/everything")
    assert missing.status_code == 404
    assert missing.json() == {"statusCode": 404, "message": "Endpoint not found: GET /v3/contacts/everything"}
    wrong = await http.get("/v3/contacts/search")
    assert wrong.status_code == 405
    assert wrong.json()["statusCode"] == 405


async def test_account_usage_reports_credits_limits_plan_and_pricing(http: httpx.AsyncClient) -> None:
    await http.post("/v3/contacts/prospecting", json=PROSPECT)
    body = (await http.get("/v3/account/usage")).json()
    assert body["credits"] == {"total": 10_000, "used": 1, "remaining": 9_999}
    assert body["pricing"]["api_search"] == {"credits": 1, "perQuantity": 25}
    assert body["pricing"]["revealEmail"] == {"credits": 1, "perQuantity": 1}
    assert body["pricing"]["revealPhone"] == {"credits": 5, "perQuantity": 1}
    assert body["pricing"]["reveal_company"] == {"credits": 1, "perQuantity": 1}
    assert body["rateLimits"]["minute"]["used"] == 2
    assert body["plan"]["category"] == "sandbox"


async def test_the_initial_balance_comes_from_settings(sandbox_settings: Settings) -> None:
    settings = sandbox_settings.model_copy(update={"sandbox_credits": 42})
    async with httpx.AsyncClient(
        transport=sandbox_transport(settings), base_url=SANDBOX_BASE_URL, headers={"api_key": "lusha-sandbox"}
    ) as client:
        assert (await client.get("/v3/account/usage")).json()["credits"]["remaining"] == 42


async def test_a_call_the_balance_cannot_pay_is_402_and_charges_nothing(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    contact = one(
        sandbox_settings,
        "SELECT * FROM contacts WHERE gdpr_blocked = 0 AND has_phone = 1 ORDER BY seq LIMIT 1",
    )
    assert (await http.post("/_sandbox/credits", json={"remaining": 4})).json()["remaining"] == 4
    response = await http.post("/v3/contacts/enrich", json={"ids": [contact["id"]], "reveal": ["phones"]})
    assert response.status_code == 402
    assert response.json()["statusCode"] == 402
    assert "costs 5 credits and 4 remain" in response.json()["message"]
    assert await remaining_credits(http) == 4
    assert await credits_charged(http) == 0
    later = await http.post("/v3/contacts/enrich", json={"ids": [contact["id"]], "reveal": ["phones"]})
    assert later.status_code == 402, "a refused reveal must not be recorded as revealed"


async def test_the_balance_goes_down_by_what_responses_report(http: httpx.AsyncClient) -> None:
    reported = 0
    for size in (10, 30, 100):
        response = await http.post(
            "/v3/contacts/prospecting", json={**PROSPECT, "pagination": {"page": 0, "size": size}}
        )
        reported += response.json()["billing"]["creditsCharged"]
    log = (await http.get("/_sandbox/charges")).json()
    assert log["totalCreditsCharged"] == reported == 1 + 2 + 4
    assert log["creditsRemaining"] == 10_000 - reported
    assert [call["operation"] for call in log["calls"]] == ["POST /v3/contacts/prospecting"] * 3
    assert log["calls"][1]["items"] == [{"action": "api_search", "quantity": 30, "credits": 2}]


async def test_set_credits_validates_its_body(http: httpx.AsyncClient) -> None:
    response = await http.post("/_sandbox/credits", json={"remaining": -1})
    assert response.status_code == 400
    assert response.json()["errors"] == ["remaining: must be at least 0"]


async def test_every_response_carries_the_nine_rate_limit_headers(http: httpx.AsyncClient) -> None:
    for response in (
        await http.get("/v3/account/usage"),
        await http.post("/v3/contacts/prospecting", json=PROSPECT),
        await http.post("/v3/contacts/search", json={"contacts": []}),
    ):
        assert all(header in response.headers for header in RATE_LIMIT_HEADERS), response.headers
        assert response.headers["x-request-id"]
    last = await http.post("/v3/contacts/prospecting", json=PROSPECT)
    assert int(last.headers["x-minute-usage"]) == 4
    assert int(last.headers["x-daily-requests-left"]) == int(last.headers["x-rate-limit-daily"]) - 4


async def test_account_usage_allows_five_calls_a_minute(http: httpx.AsyncClient) -> None:
    statuses = [(await http.get("/v3/account/usage")).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    refused = await http.get("/v3/account/usage")
    assert refused.json() == {
        "statusCode": 429,
        "message": "Too many requests. This endpoint allows 5 requests per minute; please wait before making another request.",
    }
    assert refused.headers["x-rate-limit-minute"] == "5"
    assert refused.headers["x-minute-requests-left"] == "0"
    assert (await http.post("/v3/contacts/prospecting", json=PROSPECT)).status_code == 200
    assert (await http.get("/_sandbox/requests")).json() == {
        "admitted": 6,
        "rateLimited": 2,
        "byBucket": {
            "/v3/contacts/prospecting": {"admitted": 1, "rateLimited": 0},
            "account-usage": {"admitted": 5, "rateLimited": 2},
        },
    }


async def test_the_minute_quota_is_enforced_and_refusals_cost_nothing(sandbox_settings: Settings) -> None:
    settings = sandbox_settings.model_copy(update={"sandbox_minute_quota": 3})
    async with httpx.AsyncClient(
        transport=sandbox_transport(settings), base_url=SANDBOX_BASE_URL, headers={"api_key": "lusha-sandbox"}
    ) as client:
        statuses = [
            (await client.post("/v3/contacts/prospecting", json=PROSPECT)).status_code for _ in range(4)
        ]
        assert statuses == [200, 200, 200, 429]
        assert (await client.get("/_sandbox/charges")).json()["totalCreditsCharged"] == 3


async def test_enforcement_can_be_switched_off(unthrottled_http: httpx.AsyncClient) -> None:
    statuses = {(await unthrottled_http.get("/v3/account/usage")).status_code for _ in range(12)}
    assert statuses == {200}


async def test_the_webhooks_api_shares_one_100_a_minute_bucket(http: httpx.AsyncClient) -> None:
    statuses = [(await http.get("/api/subscriptions")).status_code for _ in range(60)]
    statuses += [(await http.get("/api/account/secret")).status_code for _ in range(41)]
    assert statuses.count(429) == 1
    assert statuses[-1] == 429
    assert (await http.post("/v3/contacts/prospecting", json=PROSPECT)).status_code == 200
