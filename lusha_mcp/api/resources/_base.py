"""The base of every resource: its transport, its operations, and the one bulk call."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar, cast
from urllib.parse import quote

from lusha_mcp.api.bulk import BATCH_LIMIT, BatchCallback, Merge, ProgressCallback, in_batches, merge_results
from lusha_mcp.api.errors import InvalidRequestError
from lusha_mcp.api.models import FilterValues, LushaRequest, LushaResponse
from lusha_mcp.api.spend import require_authorized_spend
from lusha_mcp.api.transport import Operation, Transport

__all__ = ["Resource", "check_choice", "check_query", "check_range", "path_id"]

ResponseT = TypeVar("ResponseT", bound=LushaResponse)


class Resource:
    """A group of Lusha operations (`client.contacts`, `client.webhooks`...) over one transport.

    A resource declares each endpoint once as an `Operation` (method, path, response model,
    metered or not) and sends it with `_send` (one request) or `_bulk` (a list split in batches).
    """

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._send = transport.send
        """One request of an operation: `await self._send(OPERATION, body=..., params=..., path_id=...)`."""

    async def _filter_values(
        self,
        operation: Operation[FilterValues],
        filter_type: str,
        choices: tuple[str, ...],
        query: str | None,
    ) -> FilterValues:
        """Values of one filter type (checked against `choices`), narrowed by an optional `query`."""
        kind = check_choice(filter_type, choices, "filter_type")
        return await self._send(operation, path_id=kind, params={"query": check_query(query)})

    async def _bulk(
        self,
        operation: Operation[ResponseT],
        request: LushaRequest,
        items: str,
        *,
        limit: int = BATCH_LIMIT,
        merge: Merge[ResponseT] | None = None,
        on_progress: ProgressCallback | None = None,
        on_batch: BatchCallback[ResponseT] | None = None,
    ) -> ResponseT:
        """Send `request` with its list field `items` split in batches of `limit`, merged in order
        (by default: results concatenated, billing summed)."""
        if operation.metered:
            require_authorized_spend(operation.name)

        async def send(chunk: list[Any]) -> ResponseT:
            return await self._send(operation, body=request.model_copy(update={items: chunk}))

        values: Sequence[Any] = getattr(request, items)
        return await in_batches(
            values,
            limit,
            send,
            merge or cast("Merge[ResponseT]", merge_results),
            max_concurrency=self._transport.max_concurrency,
            on_progress=on_progress,
            on_batch=on_batch,
        )


def check_choice(value: str, choices: tuple[str, ...], field: str) -> str:
    """`value` if it is one of `choices`, else InvalidRequestError naming them."""
    if value not in choices:
        raise InvalidRequestError(
            f"Invalid {field} {value!r}: send one of {', '.join(choices)}. Nothing was sent to Lusha.",
            field=field,
        )
    return value


def check_query(query: str | None) -> str | None:
    if query is None:
        return None
    query = query.strip()
    if not 2 <= len(query) <= 256:
        raise InvalidRequestError(
            "Invalid query: send 2 to 256 characters of search text. Nothing was sent to Lusha.",
            field="query",
        )
    return query


def check_range(value: int, low: int, high: int | None, field: str) -> int:
    if value < low or (high is not None and value > high):
        accepted = f"{low} to {high}" if high is not None else f"{low} or more"
        raise InvalidRequestError(
            f"Invalid {field} {value}: send {accepted}. Nothing was sent to Lusha.", field=field
        )
    return value


def path_id(value: str) -> str:
    """A subscription id made safe for a URL path; blank is refused."""
    value = value.strip()
    if not value:
        raise InvalidRequestError(
            "Invalid subscription_id: send a subscription id as returned by list_subscriptions. "
            "Nothing was sent to Lusha.",
            field="subscription_id",
        )
    return quote(value, safe="")
