"""The client paces itself under Lusha's per-endpoint limit, so a bulk run provokes no 429."""

from __future__ import annotations

import json

import anyio
import httpx
import pytest

from tests.api.conftest import LushaStandIn, make_client, spend_authorised

pytestmark = pytest.mark.anyio


async def test_a_10000_id_run_at_25_requests_per_second_gets_no_429(lusha: LushaStandIn) -> None:
    lusha.per_endpoint_per_second = 25

    def handler(request: httpx.Request) -> httpx.Response:
        ids: list[str] = json.loads(request.content)["ids"]
        return httpx.Response(
            200,
            json={
                "results": [{"id": i} for i in ids],
                "billing": {"creditsCharged": len(ids), "resultsReturned": len(ids)},
            },
        )

    lusha.fallback = handler
    ids = [str(n) for n in range(10_000)]
    async with make_client(lusha, max_concurrency=50) as client, spend_authorised():
        result = await client.contacts.enrich(ids, reveal=["emails"])

    assert lusha.rejected_for_rate == 0
    assert len(lusha.seen) == 100
    assert [r.id for r in result.results] == ids
    assert result.billing is not None
    assert result.billing.credits_charged == 10_000


async def test_a_sixth_account_usage_call_within_a_minute_is_held_back(lusha: LushaStandIn) -> None:
    async with make_client(lusha) as client:
        for _ in range(5):
            await client.account.usage()
        with anyio.move_on_after(0.3) as scope:
            await client.account.usage()

    assert scope.cancelled_caught
    assert len(lusha.seen) == 5


async def test_webhook_calls_share_one_100_per_minute_budget(lusha: LushaStandIn) -> None:
    async with make_client(lusha) as client:
        for n in range(100):
            if n % 2:
                await client.webhooks.audit_log_stats()
            else:
                await client.webhooks.list()
        with anyio.move_on_after(0.3) as scope:
            await client.webhooks.get_secret()

    assert scope.cancelled_caught
    assert len(lusha.seen) == 100
