"""Webhook subscriptions under the credit guard, against the sandbox (which delivers and charges
each delivered signal): no-spend refuses them and nothing is created or charged; otherwise they
need a confirmation that names the per-delivery estimate; deliveries show up in the ledger; and
for the real API receiver URLs must be public https."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lusha_mcp.guard import Ledger
from lusha_mcp.sandbox import sandbox_app
from lusha_mcp.server import build_server
from lusha_mcp.settings import Settings, Toolset
from lusha_mcp.tools.webhook_spend import DELIVERY_TOOL
from tests.server.harness import call, charged_total, sandbox_control, structured, text_of
from tests.server.test_activity_tools import RECEIVER, dataset

pytestmark = pytest.mark.anyio

CONTACT_TYPES = 2  # promotion, companyChange: what allSignals delivers for a contact


@pytest.fixture
def receiver(sandbox_settings: Settings) -> Iterator[list[Any]]:
    """A loopback receiver wired in as the sandbox's delivery transport: acknowledges everything."""
    received: list[Any] = []

    async def hook(request: Request) -> JSONResponse:
        payload = await request.json()
        received.append(payload)
        return JSONResponse(
            {"received": True, "timestamp": "2026-01-01T00:00:00.000Z", "webhookId": payload["id"]}
        )

    app = sandbox_app(sandbox_settings)
    app.state.webhook_transport = httpx.ASGITransport(
        app=Starlette(routes=[Route("/lusha-webhooks", hook, methods=["POST"])])
    )
    yield received
    app.state.webhook_transport = None


def webhook_settings(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(update={"toolsets": [Toolset.core, Toolset.webhooks], **changes})


def contacts(settings: Settings, count: int) -> list[str]:
    return [str(i) for i in dataset(settings, "SELECT id FROM contacts ORDER BY id LIMIT ?", count)]


def ledger_rows(data_dir: Path) -> list[Any]:
    ledger = Ledger(data_dir)
    try:
        return ledger.entries()
    finally:
        ledger.close()


async def sandbox_subscriptions(settings: Settings) -> list[Any]:
    return list((await sandbox_control(settings, "GET", "/api/subscriptions?limit=100"))["data"])


async def test_no_spend_hides_and_refuses_subscriptions_and_nothing_is_created_or_charged(
    sandbox_settings: Settings,
) -> None:
    settings = webhook_settings(sandbox_settings, no_spend=True, daily_budget=0)
    ids = contacts(settings, 19)
    async with Client(build_server(settings)) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        await call(client, "regenerate_webhook_secret", confirm=True)
        refused = await call(
            client, "create_webhook_subscriptions", url=RECEIVER, entity_type="contact", entity_ids=ids
        )
        opted = await call(client, "create_webhook_subscriptions", url=RECEIVER, opt_out=True)
    assert "create_webhook_subscriptions" not in listed
    assert "list_webhook_subscriptions" in listed
    for result in (refused, opted):
        assert result.is_error
        assert "no-spend" in text_of(result)
        assert "per delivered signal" in text_of(result)
    assert await sandbox_subscriptions(settings) == []
    assert await charged_total(settings) == 0


async def test_no_spend_refuses_reactivating_a_subscription_but_lets_it_be_paused(
    sandbox_settings: Settings,
) -> None:
    open_settings = webhook_settings(sandbox_settings, auto_approve=True)
    ids = contacts(open_settings, 1)
    async with Client(build_server(open_settings)) as client:
        await call(client, "regenerate_webhook_secret", confirm=True)
        created = structured(
            await call(
                client, "create_webhook_subscriptions", url=RECEIVER, entity_type="contact", entity_ids=ids
            )
        )
    subscription = created["subscriptions"][0]["id"]
    async with Client(build_server(webhook_settings(sandbox_settings, no_spend=True))) as client:
        paused = await call(client, "update_webhook_subscription", subscription_id=subscription, active=False)
        again = await call(client, "update_webhook_subscription", subscription_id=subscription, active=True)
    assert not paused.is_error, text_of(paused)
    assert again.is_error
    assert "no-spend" in text_of(again)
    assert [s["isActive"] for s in await sandbox_subscriptions(open_settings)] == [False]


async def test_a_subscription_needs_confirmation_naming_the_per_delivery_estimate_and_deliveries_reach_the_ledger(
    sandbox_settings: Settings, receiver: list[Any]
) -> None:
    settings = webhook_settings(sandbox_settings, daily_budget=100)
    ids = contacts(settings, 3)
    arguments = {"url": RECEIVER, "entity_type": "contact", "entity_ids": ids}
    async with Client(build_server(settings)) as client:
        await call(client, "regenerate_webhook_secret", confirm=True)
        asked = await call(client, "create_webhook_subscriptions", **arguments)
        assert await sandbox_subscriptions(settings) == []
        token = structured(asked)["confirmation_token"]
        created = structured(
            await call(client, "create_webhook_subscriptions", **arguments, confirmation_token=token)
        )
        replayed = await call(client, "create_webhook_subscriptions", **arguments, confirmation_token=token)
        subscriptions = [s["id"] for s in created["subscriptions"]]
        for subscription in [*subscriptions, subscriptions[0]]:
            await sandbox_control(
                settings, "POST", "/_sandbox/webhooks/deliver", {"subscriptionId": subscription}
            )
        delivered = await charged_total(settings)
        deliveries = await call(client, "get_webhook_deliveries")
        usage = structured(await call(client, "get_account_usage"))
        tested = await call(
            client, "test_webhook_subscription", subscription_id=subscriptions[0], mode="direct"
        )
        await call(client, "get_webhook_deliveries")

    estimate = len(ids) * CONTACT_TYPES
    text = text_of(asked)
    assert structured(asked)["status"] == "confirmation_required"
    assert structured(asked)["estimate_per_delivery_round"] == estimate
    assert f"up to {estimate} credits per delivery round" in text
    assert "not a one-off ceiling" in text
    assert created["succeeded"] == len(ids)
    assert replayed.is_error
    assert not deliveries.is_error, text_of(deliveries)
    assert not tested.is_error, text_of(tested)
    assert delivered == 4, "the sandbox did not charge the deliveries: the test proves nothing"
    assert len([p for p in receiver if p.get("billing", {}).get("creditsCharged")]) == 4
    rows = ledger_rows(settings.data_dir)
    charged = [row for row in rows if row.tool == DELIVERY_TOOL and row.charged]
    assert len(charged) == 4
    assert sum(row.charged or 0 for row in rows) == await charged_total(settings) == delivered
    assert len({row.request_id for row in rows if row.tool == DELIVERY_TOOL}) == len(
        [row for row in rows if row.tool == DELIVERY_TOOL]
    ), "a delivery was recorded twice"
    assert usage["server"]["spent_today"] == delivered
    assert any(
        row.tool == "create_webhook_subscriptions" and "commitment" in (row.note or "") for row in rows
    )


async def test_a_daily_budget_that_cannot_hold_one_delivery_round_refuses_the_subscription(
    sandbox_settings: Settings,
) -> None:
    settings = webhook_settings(sandbox_settings, daily_budget=3, auto_approve=True)
    ids = contacts(settings, 2)
    async with Client(build_server(settings)) as client:
        await call(client, "regenerate_webhook_secret", confirm=True)
        refused = await call(
            client, "create_webhook_subscriptions", url=RECEIVER, entity_type="contact", entity_ids=ids
        )
    assert refused.is_error
    assert "daily budget" in text_of(refused)
    assert await sandbox_subscriptions(settings) == []


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://hooks.example.com/lusha", "https"),
        ("https://127.0.0.1/hook", "loopback"),
        ("https://localhost:8443/hook", "this machine"),
        ("https://[::1]/hook", "loopback"),
        ("https://10.1.2.3/hook", "private"),
        ("https://192.168.0.7/hook", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://metadata.google.internal/hook", "internal"),
        ("https://[::ffff:127.0.0.1]/hook", "loopback"),
    ],
)
async def test_the_real_api_refuses_receivers_that_are_not_public_https(
    sandbox_settings: Settings, url: str, problem: str
) -> None:
    settings = webhook_settings(
        sandbox_settings,
        sandbox=False,
        api_key=SecretStr("real-key-0123456789"),
        base_url="http://127.0.0.1:9",
        auto_approve=True,
        max_retries=0,
    )
    async with Client(build_server(settings)) as client:
        created = await call(
            client, "create_webhook_subscriptions", url=url, entity_type="contact", entity_ids=["1"]
        )
        updated = await call(client, "update_webhook_subscription", subscription_id="s-1", url=url)
    for result in (created, updated):
        assert result.is_error
        assert "url" in text_of(result)
        assert problem in text_of(result), text_of(result)
