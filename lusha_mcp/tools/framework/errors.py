"""Failures as the model sees them: what went wrong, whether credits were spent, what to do next.

Anything the caller can act on (bad arguments, a guard refusal, 4xx from Lusha, rate limits)
becomes a tool error with that advice. Anything else is our bug or Lusha's outage: masked by
the SDK as a generic tool error and logged to stderr.
"""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager

from mcp.server.mcpserver.exceptions import ToolError

from lusha_mcp.api.errors import (
    APIConnectionError,
    APIStatusError,
    GDPRBlockedError,
    InsufficientCreditsError,
    InvalidRequestError,
    LushaError,
    RateLimitError,
    ResponseLostError,
    ServerError,
)
from lusha_mcp.guard import GuardRefusal, UnknownPriceError


class ArgumentError(ToolError):
    """An argument the tool cannot use; the message names the field and what is accepted."""

    def __init__(self, field: str, problem: str, accepted: str) -> None:
        super().__init__(f"Invalid argument '{field}': {problem.rstrip('.')}. Send {accepted}.")
        self.field = field


def tool_error(exc: Exception, *, metered: bool) -> ToolError | None:
    """The tool error for an exception the model can act on; None for a crash (masked and logged)."""
    if isinstance(exc, ToolError):
        return exc
    if isinstance(exc, GuardRefusal):
        return ToolError(exc.message)
    if isinstance(exc, UnknownPriceError):
        return ToolError(str(exc))
    if isinstance(exc, InvalidRequestError):
        return ToolError(f"{exc.message} Fix the argument and call again.")
    spent = " Nothing was charged." if metered else ""
    if isinstance(exc, InsufficientCreditsError):
        return ToolError(
            f"{exc.message}{spent} Lower the request (fewer records or fields) or top up the Lusha plan; "
            "get_account_usage shows the balance."
        )
    if isinstance(exc, RateLimitError):
        wait = f"Retry in {exc.retry_after:g} s." if exc.retry_after is not None else "Retry in a minute."
        return ToolError(f"{exc.message}{spent} {wait}")
    if isinstance(exc, GDPRBlockedError):
        return ToolError(
            f"{exc.message}{spent} The contact cannot be processed under GDPR; drop it and continue."
        )
    if isinstance(exc, ResponseLostError):
        return ToolError(
            f"{exc.message} The request reached Lusha but its answer was lost, so it may have been "
            "charged; the ledger counts it at its quote. Do not repeat it blindly: check "
            "get_account_usage first."
        )
    if isinstance(exc, ServerError | APIConnectionError):
        return ToolError(f"{exc.message}{spent} Lusha is unreachable or failing; try again later.")
    if isinstance(exc, APIStatusError | LushaError):
        return ToolError(f"{exc.message}{spent}")
    return None


@contextmanager
def as_tool_errors(*, metered: bool) -> Generator[None]:
    """Within the block, what the model can act on is raised as its tool error (`tool_error`);
    anything else goes through unchanged (the SDK masks it and logs it)."""
    try:
        yield
    except Exception as exc:
        mapped = tool_error(exc, metered=metered)
        if mapped is None:
            raise
        raise mapped from exc
