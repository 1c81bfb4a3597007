"""Bulk lists are split at the endpoint's batch limit, sent within the pace, and merged in input order."""

from __future__ import annotations

import json
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest

from lusha_mcp.api.errors import InsufficientCreditsError
from lusha_mcp.api.models import (
    BuyingGroupRequest,
    ContactsEnrichResponse,
    CreateSubscriptionsRequest,
)
from tests.api.conftest import LushaStandIn, make_client, spend_authorised

pytestmark = pytest.mark.anyio


def _echo_enrich(lusha: LushaStandIn, *, slow_first: bool = False, fail_batch: int | None = None) -> Any:
    """Answers /v3/contacts/enrich with one result per requested id (after validating the request)."""
    batches = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal batches
        body = json.loads(request.content)
        batch, batches = batches, batches + 1
        if slow_first:
            await anyio.sleep(0.05 if batch == 0 else 0)
        if batch == fail_batch:
            return httpx.Response(402, json={"statusCode": 402, "message": "Insufficient credits"})
        ids: list[str] = body["ids"]
        results = [
            {"id": i} if not i.endswith("7") else {"id": i, "error": {"code": "NOT_FOUND"}} for i in ids
        ]
        found = sum(1 for r in results if "error" not in r)
        return httpx.Response(
            200,
            json={
                "requestId": f"req-{batch}",
                "results": results,
                "billing": {"creditsCharged": found, "resultsReturned": found},
            },
        )

    return handler


async def test_250_ids_become_3_requests_whose_results_come_back_in_order(lusha: LushaStandIn) -> None:
    lusha.fallback = _echo_enrich(lusha, slow_first=True)
    ids = [str(n) for n in range(250)]
    progress: list[tuple[int, int]] = []
    async with make_client(lusha) as client, spend_authorised():
        result = await client.contacts.enrich(
            ids, reveal=["emails"], on_progress=lambda d, t: progress.append((d, t))
        )

    assert [len(s.body["ids"]) for s in lusha.seen] == [100, 100, 50]
    assert [r.id for r in result.results] == ids
    assert [r.error.code for r in result.results if r.error] == ["NOT_FOUND"] * 25
    assert result.billing is not None
    assert (result.billing.credits_charged, result.billing.results_returned) == (225, 225)
    assert sorted(result.request_ids) == ["req-0", "req-1", "req-2"]
    assert progress[-1] == (250, 250)
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)


async def test_progress_callback_may_be_async(lusha: LushaStandIn) -> None:
    lusha.fallback = _echo_enrich(lusha)
    reported: list[int] = []

    async def on_progress(done: int, total: int) -> None:
        await anyio.lowlevel.checkpoint()
        reported.append(done * 1000 // total)

    async with make_client(lusha) as client, spend_authorised():
        await client.contacts.enrich([str(n) for n in range(120)], reveal=["phones"], on_progress=on_progress)

    assert sorted(reported)[-1] == 1000
    assert len(reported) == 2


async def test_a_failed_batch_keeps_what_the_other_batches_returned_and_cost(lusha: LushaStandIn) -> None:
    lusha.fallback = _echo_enrich(lusha, fail_batch=1)
    async with make_client(lusha, max_concurrency=1) as client, spend_authorised():
        with pytest.raises(InsufficientCreditsError) as caught:
            await client.contacts.enrich([str(n) for n in range(300)], reveal=["emails"])

    partial = caught.value.partial
    assert isinstance(partial, ContactsEnrichResponse)
    assert [r.id for r in partial.results] == [str(n) for n in range(100)]
    assert partial.billing is not None
    assert partial.billing.credits_charged == 90
    assert len(lusha.seen) == 2


async def test_buying_group_batches_25_companies_per_request(lusha: LushaStandIn) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        results: list[dict[str, Any]] = [
            {"clientReferenceId": c["clientReferenceId"], "contacts": []} for c in body["companies"]
        ]
        return httpx.Response(
            200,
            json={
                "results": results,
                "pagination": {"page": 0, "size": 100, "total": len(results)},
                "billing": {"creditsCharged": 1, "resultsReturned": len(results)},
            },
        )

    lusha.fallback = handler
    companies = [{"domain": f"c{n}.com", "clientReferenceId": str(n)} for n in range(30)]
    async with make_client(lusha) as client, spend_authorised():
        result = await client.contacts.buying_group(
            BuyingGroupRequest.model_validate({"companies": companies})
        )

    assert [len(s.body["companies"]) for s in lusha.seen] == [25, 5]
    assert [r.client_reference_id for r in result.results] == [str(n) for n in range(30)]
    assert result.billing is not None
    assert result.billing.credits_charged == 2
    assert result.pagination is not None
    assert result.pagination.total == 30


async def test_subscriptions_are_created_25_per_request_with_indexes_of_the_whole_list(
    lusha: LushaStandIn,
) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        outcomes = [
            {"index": i, "success": False, "error": {"code": "DUPLICATE_SUBSCRIPTION", "message": "exists"}}
            if s["entityId"] == "e3"
            else {
                "index": i,
                "success": True,
                "subscription": {
                    "id": f"sub-{s['entityId']}",
                    "entityType": "contact",
                    "entityId": s["entityId"],
                    "signalTypes": ["promotion"],
                    "url": "https://hooks.acme.com/lusha",
                    "isActive": True,
                    "createdAt": "2025-01-01T00:00:00Z",
                    "updatedAt": "2025-01-01T00:00:00Z",
                },
            }
            for i, s in enumerate(body["subscriptions"])
        ]
        failed = sum(1 for o in outcomes if not o["success"])
        return httpx.Response(
            201,
            json={
                "total": len(outcomes),
                "successful": len(outcomes) - failed,
                "failed": failed,
                "results": outcomes,
            },
        )

    lusha.fallback = handler
    request = CreateSubscriptionsRequest.model_validate(
        {
            "defaults": {
                "url": "https://hooks.acme.com/lusha",
                "entityType": "contact",
                "signalTypes": ["promotion"],
            },
            "subscriptions": [{"entityId": f"e{n}"} for n in range(30)],
        }
    )
    async with make_client(lusha) as client:
        result = await client.webhooks.create(request)

    assert [len(s.body["subscriptions"]) for s in lusha.seen] == [25, 5]
    assert [o.index for o in result.results] == list(range(30))
    assert (result.total, result.successful, result.failed) == (30, 29, 1)
    failed = [o for o in result.results if not o.success]
    assert failed[0].index == 3
    assert failed[0].error is not None
    assert failed[0].error.code == "DUPLICATE_SUBSCRIPTION"
    assert result.results[29].subscription is not None
    assert result.results[29].subscription.entity_id == "e29"


async def test_deleting_26_subscriptions_takes_2_requests(lusha: LushaStandIn) -> None:
    async with make_client(lusha) as client:
        await client.webhooks.delete([f"sub-{n}" for n in range(26)])

    assert [len(s.body["ids"]) for s in lusha.seen] == [25, 1]
