"""What a tool body codes against: the `ToolCall` it receives first, and for a metered tool the
`Plan` it returns (a quote and a `run` coroutine) and the `Billed` result `run` returns."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from mcp.server.mcpserver import Context

from lusha_mcp.api.client import LushaClient
from lusha_mcp.api.errors import LushaError
from lusha_mcp.api.models import MeteredResponse
from lusha_mcp.guard import CreditGuard, Quote
from lusha_mcp.settings import Settings
from lusha_mcp.tools.framework.errors import tool_error
from lusha_mcp.tools.framework.results import MeteredResult
from lusha_mcp.tools.state import LushaState

M = TypeVar("M", bound=MeteredResult)


class ToolCall:
    """What a tool function receives first: the shared state and this request."""

    def __init__(self, state: LushaState, ctx: Context[Any, Any], tool: str) -> None:
        self.state = state
        self.ctx = ctx
        self.tool = tool

    @property
    def client(self) -> LushaClient:
        return self.state.client

    @property
    def guard(self) -> CreditGuard:
        """The credit guard as this request's client session sees it."""
        return self.state.client_guard()

    @property
    def settings(self) -> Settings:
        return self.state.settings

    async def progress(self, done: float, total: float | None = None, message: str | None = None) -> None:
        """Report progress of a long call (a no-op when the client did not ask for it)."""
        await self.ctx.report_progress(done, total, message)


@dataclass(frozen=True, slots=True)
class Billed(Generic[M]):
    """What a metered call returned and what Lusha charged for it."""

    result: M
    credits_charged: int
    request_id: str | None = None
    stopped: LushaError | None = None
    """The error that cut a split call short (its result is partial)."""


ResponseT = TypeVar("ResponseT", bound=MeteredResponse)


async def until_failure(request: Awaitable[ResponseT]) -> tuple[ResponseT, LushaError | None]:
    """The response of a call split into batches, or, when a batch fails after others were
    charged, the merged response of those (paid for, so kept) and the error that stopped it."""
    try:
        return await request, None
    except LushaError as exc:
        if isinstance(exc.partial, MeteredResponse):
            return cast(ResponseT, exc.partial), exc
        raise


def billed(result: M, response: MeteredResponse, stopped: LushaError | None = None) -> Billed[M]:
    """`result` with the credits charged and the requestId of the Lusha response it came from;
    `stopped`: the error that cut a split call short (the result is then marked partial)."""
    billing = response.billing
    if stopped is not None:
        result.status = "partial"
        reason = tool_error(stopped, metered=False)
        result.notes.append(
            f"Stopped early, only part of the request was answered: {reason or stopped.message} "
            "The results here were charged and are kept; send the missing items again for the rest."
        )
    return Billed(result, billing.credits_charged if billing else 0, response.request_id, stopped)


@dataclass(frozen=True, slots=True)
class Plan(Generic[M]):
    """A metered call priced but not yet run: the guard decides whether `run` may go."""

    quote: Quote
    run: Callable[[], Awaitable[Billed[M]]]
    notes: tuple[str, ...] = ()
