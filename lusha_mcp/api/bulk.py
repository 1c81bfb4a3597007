"""Bulk calls: split a list into batches, send them concurrently, merge back in input order.

`in_batches` is the one split-merge-progress loop of the client: batches run within the
transport's concurrency gate (and its pace), each batch's answer goes to `on_batch` as soon as it
arrives, progress is reported as items complete, and when a batch fails the merged answer of the
batches that succeeded (they were charged) rides on the error as `partial`.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar, cast

import anyio

from lusha_mcp.api.errors import LushaError
from lusha_mcp.api.models import (
    Billing,
    BuyingGroupResponse,
    LushaResponse,
    MeteredResponse,
    Pagination,
    SubscriptionBatchResult,
    SubscriptionOutcome,
)

__all__ = [
    "BATCH_LIMIT",
    "SMALL_BATCH_LIMIT",
    "BatchCallback",
    "Merge",
    "ProgressCallback",
    "in_batches",
    "merge_buying_group",
    "merge_results",
    "merge_subscription_batches",
]

ProgressCallback = Callable[[int, int], Awaitable[None] | None]
"""Called as on_progress(items_done, items_total) after each batch of a bulk call."""

BATCH_LIMIT = 100
"""Items per request of search, enrich, signals and signal scores."""
SMALL_BATCH_LIMIT = 25
"""Items per request of buying group and webhook subscriptions."""

ItemT = TypeVar("ItemT")
BatchT = TypeVar("BatchT", bound=LushaResponse)
MeteredT = TypeVar("MeteredT", bound=MeteredResponse)

BatchCallback = Callable[[BatchT], Awaitable[None]]
"""Called with each batch's response as soon as it arrives, before the bulk call ends (so a
caller keeps what was paid for even if a later batch fails or the process dies)."""

Merge = Callable[[list[BatchT], list[int]], BatchT]
"""Merges the answers of the batches (in input order) given the number of items in each."""


def _sum_billing(responses: Sequence[MeteredResponse]) -> Billing | None:
    bills = [r.billing for r in responses if r.billing is not None]
    if not bills:
        return None
    total = Billing()
    for bill in bills:
        total = total + bill
    return total


def merge_results(responses: Sequence[MeteredT], _sizes: Sequence[int] = ()) -> MeteredT:
    """One response from the batches of one call: results in batch order, billing summed."""
    first = responses[0]
    if len(responses) == 1:
        return first
    results: list[Any] = []
    for response in responses:
        results.extend(cast("list[Any]", getattr(response, "results", [])))
    request_ids = [rid for r in responses for rid in r.request_ids]
    return first.model_copy(
        update={"results": results, "billing": _sum_billing(responses), "request_ids": request_ids}
    )


def merge_buying_group(
    responses: Sequence[BuyingGroupResponse], _sizes: Sequence[int] = ()
) -> BuyingGroupResponse:
    """merge_results, with the pagination totals of the batches added up."""
    merged = merge_results(responses)
    pages = [r.pagination for r in responses if r.pagination is not None]
    if len(responses) > 1 and pages:
        total = sum(p.total or 0 for p in pages)
        merged = merged.model_copy(
            update={"pagination": Pagination(page=pages[0].page, size=pages[0].size, total=total)}
        )
    return merged


def merge_subscription_batches(
    responses: Sequence[SubscriptionBatchResult], sizes: Sequence[int]
) -> SubscriptionBatchResult:
    """Outcomes of the batches with their indexes made global (an index into the whole input)."""
    if len(responses) == 1:
        return responses[0]
    outcomes: list[SubscriptionOutcome] = []
    offset = 0
    for response, size in zip(responses, sizes, strict=True):
        outcomes.extend(o.model_copy(update={"index": o.index + offset}) for o in response.results)
        offset += size
    return responses[0].model_copy(
        update={
            "total": sum(r.total for r in responses),
            "successful": sum(r.successful for r in responses),
            "failed": sum(r.failed for r in responses),
            "results": outcomes,
        }
    )


async def _report(on_progress: ProgressCallback | None, done: int, total: int) -> None:
    if on_progress is None:
        return
    outcome = on_progress(done, total)
    if inspect.isawaitable(outcome):
        await outcome


async def in_batches(
    items: Sequence[ItemT],
    limit: int,
    send: Callable[[list[ItemT]], Awaitable[BatchT]],
    merge: Merge[BatchT],
    *,
    max_concurrency: int,
    on_progress: ProgressCallback | None = None,
    on_batch: BatchCallback[BatchT] | None = None,
) -> BatchT:
    """Send `items` in batches of `limit` concurrently (within the pace), merged in input order."""
    total = len(items)
    chunks = [list(items[start : start + limit]) for start in range(0, total, limit)]
    results: list[BatchT | None] = [None] * len(chunks)
    failures: list[LushaError] = []
    gate = anyio.CapacityLimiter(max_concurrency)
    done = 0

    async def run(index: int, chunk: list[ItemT]) -> None:
        nonlocal done
        async with gate:
            if failures:
                return
            try:
                results[index] = result = await send(chunk)
            except LushaError as exc:
                failures.append(exc)
                return
        if on_batch is not None:
            await on_batch(result)
        done += len(chunk)
        await _report(on_progress, done, total)

    if len(chunks) == 1:
        await run(0, chunks[0])
    else:
        async with anyio.create_task_group() as group:
            for index, chunk in enumerate(chunks):
                group.start_soon(run, index, chunk)
    completed = [(r, len(c)) for r, c in zip(results, chunks, strict=True) if r is not None]
    if failures:
        error = failures[0]
        if completed:
            error.partial = merge([r for r, _ in completed], [n for _, n in completed])
        raise error
    return merge([r for r, _ in completed], [n for _, n in completed])
