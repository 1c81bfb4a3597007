"""Webhooks over HTTP: account secret, subscriptions, signed deliveries to a local receiver,
retries that disable a subscription, reactivation, test deliveries, opt-out, audit logs."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lusha_mcp.sandbox import sandbox_app
from lusha_mcp.settings import Settings
from tests.sandbox.activity_support import charges, dataset
from tests.sandbox.answers import assert_answer_parses

pytestmark = pytest.mark.anyio

JsonObject = dict[str, Any]
HOOK_URL = "https://receiver.test/hook"


@dataclass
class Receiver:
    """A subscriber endpoint: records every delivery; fails the next `failures` ones with 503."""

    failures: int = 0
    deliveries: list[tuple[dict[str, str], bytes]] = field(default_factory=list[tuple[dict[str, str], bytes]])

    async def hook(self, request: Request) -> JSONResponse:
        body = await request.body()
        self.deliveries.append((dict(request.headers), body))
        if self.failures:
            self.failures -= 1
            return JSONResponse({"error": "unavailable"}, status_code=503)
        payload = json.loads(body)
        ack = {"received": True, "timestamp": "2026-01-01T00:00:00.000Z", "webhookId": payload["id"]}
        return JSONResponse(ack, status_code=201)

    def payloads(self) -> list[JsonObject]:
        return [json.loads(body) for _, body in self.deliveries]


@pytest.fixture
def receiver(sandbox_settings: Settings) -> Iterator[Receiver]:
    """A receiver wired in as the sandbox's delivery transport, with a near-zero retry backoff."""
    target = Receiver()
    app = sandbox_app(sandbox_settings)
    app.state.webhook_transport = httpx.ASGITransport(
        app=Starlette(routes=[Route("/hook", target.hook, methods=["POST"])])
    )
    app.state.webhook_backoff_s = 0.001
    yield target
    app.state.webhook_transport = None
    app.state.webhook_backoff_s = None


def _entities(settings: Settings, table: str, count: int) -> list[str]:
    with dataset(settings) as conn:
        return [str(row[0]) for row in conn.execute(f"SELECT id FROM {table} ORDER BY seq LIMIT ?", (count,))]


async def _secret(http: httpx.AsyncClient) -> str:
    response = await http.post("/api/account/secret/regenerate")
    assert response.status_code == 200, response.text
    return str(response.json()["secret"])


async def _subscribe(
    http: httpx.AsyncClient, entity_type: str, entity_id: str, signals: list[str]
) -> JsonObject:
    response = await http.post(
        "/api/subscriptions",
        json={
            "defaults": {"url": HOOK_URL, "entityType": entity_type, "signalTypes": signals},
            "subscriptions": [{"entityId": entity_id}],
        },
    )
    assert response.status_code == 201, response.text
    result = response.json()["results"][0]
    assert result["success"], result
    return dict(result["subscription"])


async def test_account_secret_is_404_until_generated_and_regeneration_replaces_it(
    http: httpx.AsyncClient,
) -> None:
    missing = await http.get("/api/account/secret")
    first = await _secret(http)
    shown = await http.get("/api/account/secret")
    second = await _secret(http)

    assert missing.status_code == 404
    assert_answer_parses("GET", "/api/account/secret", missing)
    assert shown.json() == {"secret": first}
    assert_answer_parses("GET", "/api/account/secret", shown)
    assert second != first
    assert (await http.get("/api/account/secret")).json() == {"secret": second}


async def test_subscribing_needs_an_account_secret(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    (contact_id,) = _entities(sandbox_settings, "contacts", 1)

    response = await http.post(
        "/api/subscriptions",
        json={
            "defaults": {
                "url": "http://127.0.0.1:9/hook",
                "entityType": "contact",
                "signalTypes": ["promotion"],
            },
            "subscriptions": [{"entityId": contact_id}],
        },
    )

    assert response.status_code == 400
    assert "regenerate" in response.json()["message"]


async def test_bulk_create_reports_each_item(
    http: httpx.AsyncClient, sandbox_settings: Settings, receiver: Receiver
) -> None:
    await _secret(http)
    contact_a, contact_b = _entities(sandbox_settings, "contacts", 2)
    (company_id,) = _entities(sandbox_settings, "companies", 1)

    response = await http.post(
        "/api/subscriptions",
        json={
            "defaults": {
                "url": HOOK_URL,
                "signalTypes": ["promotion", "companyChange"],
                "entityType": "contact",
            },
            "subscriptions": [
                {"entityId": contact_a, "name": "A"},
                {"entityId": contact_a},
                {"entityType": "company", "entityId": company_id},
                {
                    "entityType": "company",
                    "entityId": company_id,
                    "signalTypes": ["surgeInHiring", "riskNews"],
                },
                {"entityId": "123456"},
                {"entityId": contact_b, "signalTypes": ["allSignals"]},
            ],
        },
    )

    assert response.status_code == 201, response.text
    assert_answer_parses("POST", "/api/subscriptions", response)
    body = response.json()
    assert (body["total"], body["successful"], body["failed"]) == (6, 4, 2)
    outcome = [result["success"] or result["error"]["code"] for result in body["results"]]
    # An id the sandbox dataset does not hold is subscribed all the same, as Lusha's own examples are.
    assert outcome == [True, "DUPLICATE_SUBSCRIPTION", "VALIDATION_ERROR", True, True, True]
    created = body["results"][0]["subscription"]
    assert created["name"] == "A"
    assert created["isActive"] is True
    assert "secret" not in created
    assert "promotion" in body["results"][2]["error"]["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"defaults": {"url": HOOK_URL}, "subscriptions": [{"entityId": str(n)} for n in range(26)]},
            "subscriptions",
        ),
        ({"subscriptions": [{"entityId": "1"}]}, "defaults"),
        (
            {"defaults": {"url": HOOK_URL, "entityType": "person"}, "subscriptions": [{"entityId": "1"}]},
            "defaults.entityType",
        ),
        ({"defaults": {"url": "ftp://x.test/hook"}, "subscriptions": [{"entityId": "1"}]}, "defaults.url"),
    ],
)
async def test_invalid_create_requests_name_the_field(
    http: httpx.AsyncClient, receiver: Receiver, body: JsonObject, field: str
) -> None:
    await _secret(http)

    response = await http.post("/api/subscriptions", json=body)

    assert response.status_code == 400
    assert_answer_parses("POST", "/api/subscriptions", response)
    assert any(error.startswith(f"{field}") for error in response.json()["errors"]), response.json()


async def test_any_https_url_is_accepted_but_only_loopback_receivers_get_deliveries(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    await _secret(http)
    contact_id, other_id, third_id = _entities(sandbox_settings, "contacts", 3)
    defaults = {"entityType": "contact", "signalTypes": ["promotion"]}

    def body(url: str, entity_id: str) -> JsonObject:
        return {"defaults": defaults | {"url": url}, "subscriptions": [{"entityId": entity_id}]}

    remote = await http.post(
        "/api/subscriptions", json=body("https://example.com/webhooks/lusha", contact_id)
    )
    local = await http.post("/api/subscriptions", json=body("http://127.0.0.1:9/hook", other_id))
    plain = await http.post("/api/subscriptions", json=body("http://example.com/webhooks/lusha", third_id))

    assert remote.status_code == local.status_code == 201, remote.text
    assert remote.json()["successful"] == local.json()["successful"] == 1
    assert plain.status_code == 400
    assert "https" in plain.json()["errors"][0]
    subscription_id = remote.json()["results"][0]["subscription"]["id"]

    fired = await http.post("/_sandbox/webhooks/deliver", json={"subscriptionId": subscription_id})
    tested = await http.post(f"/api/subscriptions/{subscription_id}/test")
    logs = await http.get("/api/audit-logs", params={"subscriptionId": subscription_id})

    assert fired.status_code == 200, fired.text
    assert fired.json()["delivered"] is False
    assert fired.json()["attempts"] == 0
    assert fired.json()["creditsCharged"] == 0
    assert fired.json()["subscription"]["isActive"] is True
    assert tested.status_code == 200, tested.text
    assert tested.json()["isSuccess"] is False
    assert_answer_parses("GET", "/api/audit-logs", logs)
    rows = logs.json()["data"]
    assert len(rows) == 2
    for row in rows:
        assert row["status"] == "failed"
        assert "loopback" in row["error"]
        assert "example.com" in row["error"]
    assert (await charges(http))["totalCreditsCharged"] == 0


async def test_list_is_newest_first_and_paginated(
    http: httpx.AsyncClient, sandbox_settings: Settings, receiver: Receiver
) -> None:
    await _secret(http)
    ids = _entities(sandbox_settings, "contacts", 5)
    created = await http.post(
        "/api/subscriptions",
        json={
            "defaults": {"url": HOOK_URL, "entityType": "contact", "signalTypes": ["promotion"]},
            "subscriptions": [{"entityId": entity_id} for entity_id in ids],
        },
    )
    assert created.json()["successful"] == 5

    page = await http.get("/api/subscriptions", params={"limit": 2, "offset": 1})
    too_big = await http.get("/api/subscriptions", params={"limit": 101})

    assert page.status_code == 200
    assert_answer_parses("GET", "/api/subscriptions", page)
    assert [item["entityId"] for item in page.json()["data"]] == [ids[3], ids[2]]
    pagination = page.json()["pagination"]
    assert (pagination["total"], pagination["limit"], pagination["offset"], pagination["hasMore"]) == (
        5,
        2,
        1,
        True,
    )
    assert too_big.status_code == 400
    assert too_big.json()["errors"][0].startswith("limit:")


async def test_get_update_and_bulk_delete(
    http: httpx.AsyncClient, sandbox_settings: Settings, receiver: Receiver
) -> None:
    await _secret(http)
    (contact_id,) = _entities(sandbox_settings, "contacts", 1)
    subscription = await _subscribe(http, "contact", contact_id, ["promotion"])
    path = f"/api/subscriptions/{subscription['id']}"

    updated = await http.patch(
        path, json={"signalTypes": ["companyChange"], "name": "Renamed", "isActive": False}
    )
    fetched = await http.get(path)
    wrong_type = await http.patch(path, json={"signalTypes": ["surgeInHiring"]})
    deleted = await http.post(
        "/api/subscriptions/delete", json={"ids": [subscription["id"], subscription["id"], "nope"]}
    )
    gone = await http.get(path)

    assert updated.status_code == 200, updated.text
    assert_answer_parses("PATCH", "/api/subscriptions/{id}", updated)
    assert_answer_parses("GET", "/api/subscriptions/{id}", fetched)
    assert fetched.json()["signalTypes"] == ["companyChange"]
    assert fetched.json()["name"] == "Renamed"
    assert fetched.json()["isActive"] is False
    assert wrong_type.status_code == 400
    assert wrong_type.json()["errors"][0].startswith("signalTypes[0]:")
    assert deleted.status_code == 200
    assert_answer_parses("POST", "/api/subscriptions/delete", deleted)
    assert [result["success"] for result in deleted.json()["results"]] == [True, False]
    assert deleted.json()["results"][1]["error"]["code"] == "NOT_FOUND"
    assert gone.status_code == 404


async def test_signal_delivery_is_signed_with_the_account_secret_and_charged_once(
    http: httpx.AsyncClient, sandbox_settings: Settings, receiver: Receiver
) -> None:
    secret = await _secret(http)
    with dataset(sandbox_settings) as conn:
        contact_id = str(
            conn.execute("SELECT contact_id FROM contact_signals ORDER BY days_ago LIMIT 1").fetchone()[0]
        )
    subscription = await _subscribe(http, "contact", contact_id, ["allSignals"])

    fired = await http.post("/_sandbox/webhooks/deliver", json={"subscriptionId": subscription["id"]})

    assert fired.status_code == 200, fired.text
    assert fired.json()["delivered"] is True
    assert fired.json()["attempts"] == 1
    ((headers, body),) = receiver.deliveries
    expected = hmac.new(
        secret.encode(), headers["x-lusha-timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(headers["x-lusha-signature"], expected)
    assert headers["user-agent"] == "Lusha-Webhooks/1.0"
    assert headers["content-type"] == "application/json"
    payload = json.loads(body)
    assert body == json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    assert payload["type"] in {"promotion", "companyChange"}
    assert (payload["entityType"], payload["entityId"], payload["subscriptionId"]) == (
        "contact",
        contact_id,
        subscription["id"],
    )
    assert payload["data"]["personId"] == contact_id
    assert payload["billing"] == {"creditsCharged": 1}
    assert (await charges(http))["totalCreditsCharged"] == 1


async def test_a_failing_endpoint_is_retried_three_times_then_the_subscription_is_disabled(
    http: httpx.AsyncClient, sandbox_settings: Settings, receiver: Receiver
) -> None:
    await _secret(http)
    (company_id,) = _entities(sandbox_settings, "companies", 1)
    subscription = await _subscribe(http, "company", company_id, ["allSignals"])
    receiver.failures = 10

    fired = await http.post("/_sandbox/webhooks/deliver", json={"subscriptionId": subscription["id"]})

    assert fired.json()["delivered"] is False
    assert fired.json()["attempts"] == 4
    assert len(receiver.deliveries) == 4
    assert len({payload["id"] for payload in receiver.payloads()}) == 1
    disabled = (await http.get(f"/api/subscriptions/{subscription['id']}")).json()
    assert disabled["isActive"] is False
    assert disabled["blockReason"] == "Max retries exceeded"
    assert disabled["blockedAt"]
    logs = await http.get("/api/audit-logs", params={"subscriptionId": subscription["id"]})
    assert_answer_parses("GET", "/api/audit-logs", logs)
    assert [entry["status"] for entry in logs.json()["data"]] == [
        "permanent_failure",
        "failed",
        "failed",
        "failed",
    ]
    assert all(entry["statusCode"] == 503 for entry in logs.json()["data"])
    stats = await http.get("/api/audit-logs/stats")
    assert_answer_parses("GET", "/api/audit-logs/stats", stats)
    assert stats.json() == {"total": 4, "success": 0, "failed": 4, "successRate": "0.00%"}
    assert (await charges(http))["totalCreditsCharged"] == 1
    refused = await http.post("/_sandbox/webhooks/deliver", json={"subscriptionId": subscription["id"]})
    assert refused.status_code == 400


async def test_reactivating_a_disabled_subscription_clears_the_block(
    http: httpx.AsyncClient, sandbox_settings: Settings, receiver: Receiver
) -> None:
    await _secret(http)
    (company_id,) = _entities(sandbox_settings, "companies", 1)
    subscription = await _subscribe(http, "company", company_id, ["allSignals"])
    receiver.failures = 4
    await http.post("/_sandbox/webhooks/deliver", json={"subscriptionId": subscription["id"]})

    reactivated = await http.patch(f"/api/subscriptions/{subscription['id']}", json={"isActive": True})
    again = await http.post("/_sandbox/webhooks/deliver", json={"subscriptionId": subscription["id"]})

    assert reactivated.json()["isActive"] is True
    assert reactivated.json()["blockReason"] is None
    assert reactivated.json()["blockedAt"] is None
    assert again.json()["delivered"] is True
    stats = (await http.get("/api/audit-logs/stats", params={"subscriptionId": subscription["id"]})).json()
    assert stats == {"total": 5, "success": 1, "failed": 4, "successRate": "20.00%"}


async def test_test_delivery_costs_nothing_and_reports_the_flow(
    http: httpx.AsyncClient, sandbox_settings: Settings, receiver: Receiver
) -> None:
    await _secret(http)
    (contact_id,) = _entities(sandbox_settings, "contacts", 1)
    subscription = await _subscribe(http, "contact", contact_id, ["promotion"])

    response = await http.post(f"/api/subscriptions/{subscription['id']}/test", params={"mode": "direct"})
    bad_mode = await http.post(f"/api/subscriptions/{subscription['id']}/test", params={"mode": "smoke"})

    assert response.status_code == 200, response.text
    assert_answer_parses("POST", "/api/subscriptions/{id}/test", response)
    body = response.json()
    assert body["isSuccess"] is True
    assert body["flowCheck"]["statusCode"] == 201
    assert body["mode"] == "direct"
    assert receiver.payloads()[0]["billing"] == {"creditsCharged": 0}
    assert (await charges(http))["totalCreditsCharged"] == 0
    assert bad_mode.status_code == 400


async def test_opt_out_subscription_is_one_per_account_and_receives_removals(
    http: httpx.AsyncClient, sandbox_settings: Settings, receiver: Receiver
) -> None:
    await _secret(http)
    with dataset(sandbox_settings) as conn:
        contact_id, emails = conn.execute(
            "SELECT id, emails FROM contacts WHERE has_email = 1 ORDER BY seq LIMIT 1"
        ).fetchone()
    body = {"entityType": "contact", "url": HOOK_URL, "name": "Opt-outs"}

    created = await http.post("/api/subscriptions/opt-out", json=body)
    duplicate = await http.post("/api/subscriptions/opt-out", json=body)
    fired = await http.post("/_sandbox/webhooks/opt-out", json={"contactId": contact_id})

    assert created.status_code == 201, created.text
    assert_answer_parses("POST", "/api/subscriptions/opt-out", created)
    assert created.json()["signalTypes"] == ["optOut"]
    assert duplicate.status_code == 403
    assert fired.json()["delivered"] is True
    (payload,) = receiver.payloads()
    assert payload["contactId"] == contact_id
    removed = {item["datapointId"] for item in payload["datapoints"] if item["datapointType"] == "email"}
    assert removed == {item["email"] for item in json.loads(emails)}
    assert (await charges(http))["totalCreditsCharged"] == 0


async def test_the_webhooks_api_allows_100_requests_a_minute(http: httpx.AsyncClient) -> None:
    statuses = [(await http.get("/api/audit-logs/stats")).status_code for _ in range(101)]

    assert statuses[:100] == [200] * 100
    assert statuses[100] == 429


async def test_deliveries_reach_a_real_server_on_loopback(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    secret = await _secret(http)
    target = Receiver()
    server = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Route("/hook", target.hook, methods=["POST"])]),
            log_level="error",
            lifespan="off",
        )
    )
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    (contact_id,) = _entities(sandbox_settings, "contacts", 1)
    sandbox_app(sandbox_settings).state.webhook_backoff_s = 0.001
    fired: httpx.Response | None = None
    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(server.serve, [listener])
            created = await http.post(
                "/api/subscriptions",
                json={
                    "defaults": {
                        "url": f"http://127.0.0.1:{port}/hook",
                        "entityType": "contact",
                        "signalTypes": ["promotion"],
                    },
                    "subscriptions": [{"entityId": contact_id}],
                },
            )
            subscription_id = created.json()["results"][0]["subscription"]["id"]
            fired = await http.post("/_sandbox/webhooks/deliver", json={"subscriptionId": subscription_id})
            server.should_exit = True
    finally:
        listener.close()
        sandbox_app(sandbox_settings).state.webhook_backoff_s = None

    assert fired is not None
    assert fired.json()["delivered"] is True, fired.json()
    ((headers, body),) = target.deliveries
    expected = hmac.new(
        secret.encode(), headers["x-lusha-timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert headers["x-lusha-signature"] == expected


async def test_regenerating_the_secret_through_an_update_signs_later_deliveries_with_it(
    http: httpx.AsyncClient, sandbox_settings: Settings, receiver: Receiver
) -> None:
    old = await _secret(http)
    (contact_id,) = _entities(sandbox_settings, "contacts", 1)
    subscription = await _subscribe(http, "contact", contact_id, ["promotion"])

    updated = await http.patch(f"/api/subscriptions/{subscription['id']}", json={"regenerateSecret": True})
    await http.post(f"/api/subscriptions/{subscription['id']}/test")

    new = updated.json()["secret"]
    assert new != old
    assert (await http.get("/api/account/secret")).json() == {"secret": new}
    ((headers, body),) = receiver.deliveries
    expected = hmac.new(
        new.encode(), headers["x-lusha-timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert headers["x-lusha-signature"] == expected


async def test_shared_default_signal_types_may_mix_contact_and_company_types(
    http: httpx.AsyncClient, sandbox_settings: Settings, receiver: Receiver
) -> None:
    await _secret(http)
    (contact_id,) = _entities(sandbox_settings, "contacts", 1)
    (company_id,) = _entities(sandbox_settings, "companies", 1)

    response = await http.post(
        "/api/subscriptions",
        json={
            "defaults": {"signalTypes": ["promotion", "itSpendIncrease"], "url": HOOK_URL},
            "subscriptions": [
                {"entityType": "contact", "entityId": contact_id},
                {"entityType": "company", "entityId": company_id},
            ],
        },
    )

    assert response.status_code == 201, response.text
    created = [result["subscription"]["signalTypes"] for result in response.json()["results"]]
    assert created == [["promotion"], ["itSpendIncrease"]]
