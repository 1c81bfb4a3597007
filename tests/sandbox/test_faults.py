"""Fault injection: per request (x-sandbox-fault) and process-wide (settings, /_sandbox/faults)."""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx
import pytest

from lusha_mcp.sandbox import SANDBOX_BASE_URL, sandbox_transport
from lusha_mcp.settings import Settings
from tests.sandbox.dataset_picks import credits_charged

pytestmark = pytest.mark.anyio

PROSPECT: dict[str, Any] = {"pagination": {"page": 0, "size": 10}, "filters": {"contacts": {"include": {}}}}
PATH = "/v3/contacts/prospecting"


def client_for(settings: Settings) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=sandbox_transport(settings), base_url=SANDBOX_BASE_URL, headers={"api_key": "lusha-sandbox"}
    )


@pytest.mark.parametrize(
    ("fault", "status"),
    [("status=503", 503), ("status=500", 500), ("rate_limit", 429), ("latency=5;status=502", 502)],
)
async def test_error_faults_answer_in_lushas_envelope_and_charge_nothing(
    http: httpx.AsyncClient, fault: str, status: int
) -> None:
    response = await http.post(PATH, json=PROSPECT, headers={"x-sandbox-fault": fault})
    assert response.status_code == status
    assert response.json()["statusCode"] == status
    assert "x-rate-limit-minute" in response.headers
    assert await credits_charged(http) == 0


async def test_a_malformed_body_is_not_json_and_charges_nothing(http: httpx.AsyncClient) -> None:
    response = await http.post(PATH, json=PROSPECT, headers={"x-sandbox-fault": "malformed"})
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert await credits_charged(http) == 0


async def test_a_reset_is_a_transport_error_and_charges_nothing(http: httpx.AsyncClient) -> None:
    with pytest.raises(httpx.TransportError):
        await http.post(PATH, json=PROSPECT, headers={"x-sandbox-fault": "reset"})
    assert await credits_charged(http) == 0


async def test_a_timeout_hangs_until_the_caller_gives_up(http: httpx.AsyncClient) -> None:
    with anyio.move_on_after(0.05) as scope:
        await http.post(PATH, json=PROSPECT, headers={"x-sandbox-fault": "timeout"})
    assert scope.cancelled_caught
    assert await credits_charged(http) == 0


async def test_a_timeout_outlasts_the_client_timeout_then_answers_504(sandbox_settings: Settings) -> None:
    async with client_for(sandbox_settings.model_copy(update={"timeout": 0.02})) as client:
        response = await client.post(PATH, json=PROSPECT, headers={"x-sandbox-fault": "timeout"})
        assert response.status_code == 504
        assert (await client.get("/_sandbox/charges")).json()["totalCreditsCharged"] == 0


async def test_a_lost_response_is_charged_and_then_the_connection_drops(sandbox_settings: Settings) -> None:
    async with client_for(sandbox_settings.model_copy(update={"timeout": 0.02})) as client:
        with pytest.raises(httpx.TransportError):
            await client.post(PATH, json=PROSPECT, headers={"x-sandbox-fault": "lost"})
        log = (await client.get("/_sandbox/charges")).json()
        assert log["totalCreditsCharged"] == 1
        assert log["calls"][0]["operation"] == "POST /v3/contacts/prospecting"


async def test_an_unknown_fault_is_refused_naming_the_header(http: httpx.AsyncClient) -> None:
    response = await http.post(PATH, json=PROSPECT, headers={"x-sandbox-fault": "explode"})
    assert response.status_code == 400
    assert response.json()["errors"][0].startswith("x-sandbox-fault: unknown fault 'explode'")


async def test_queued_faults_hit_the_next_requests_in_order(http: httpx.AsyncClient) -> None:
    configured = await http.post("/_sandbox/faults", json={"next": ["status=500", "rate_limit"]})
    assert configured.json()["queued"] == 2
    statuses = [(await http.post(PATH, json=PROSPECT)).status_code for _ in range(3)]
    assert statuses == [500, 429, 200]
    assert await credits_charged(http) == 1


async def test_a_rate_limit_burst_answers_429_that_many_times(http: httpx.AsyncClient) -> None:
    await http.post("/_sandbox/faults", json={"rateLimitBurst": 3})
    statuses = [(await http.post(PATH, json=PROSPECT)).status_code for _ in range(4)]
    assert statuses == [429, 429, 429, 200]


async def test_the_settings_fault_rate_makes_every_call_fail_at_one(sandbox_settings: Settings) -> None:
    async with client_for(sandbox_settings.model_copy(update={"sandbox_fault_rate": 1.0})) as client:
        statuses = {(await client.post(PATH, json=PROSPECT)).status_code for _ in range(5)}
        assert statuses == {503}
        assert (await client.get("/_sandbox/charges")).json()["totalCreditsCharged"] == 0


async def test_a_seeded_error_rate_is_reproducible(unthrottled_http: httpx.AsyncClient) -> None:
    patterns: list[list[int]] = []
    for _ in range(2):
        await unthrottled_http.post(
            "/_sandbox/faults", json={"errorRate": 0.5, "errorStatus": 502, "seed": 11}
        )
        patterns.append([(await unthrottled_http.post(PATH, json=PROSPECT)).status_code for _ in range(20)])
    assert patterns[0] == patterns[1]
    assert set(patterns[0]) == {200, 502}
    cleared = await unthrottled_http.post("/_sandbox/faults", json={"clear": True})
    assert cleared.json()["errorRate"] == 0.0


async def test_fault_settings_are_validated(http: httpx.AsyncClient) -> None:
    response = await http.post("/_sandbox/faults", json={"errorRate": 2, "latencyMs": -1, "mood": "bad"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {
        "errorRate: must be between 0 and 1",
        "latencyMs: must be at least 0",
        "mood: is not a known field; expected one of: clear, errorRate, errorStatus, latencyMs, next, rateLimitBurst, seed",
    }
