"""The quote behind a view's "Reveal selected": priced by the tool itself, approved by a token.

`quote_for_approval` prices the call through `price_call`, the same path as `quote_only` and
estimate_plan (the tool's own Plan quote, the guard's own verdict), and issues the single-use
confirmation token bound to the exact arguments even where the policy would not ask: the user
approves in the card either way. Nothing is sent to a metered Lusha operation here; the spend
happens only when the view calls the tool with that token, through the normal metered pipeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent
from pydantic import ValidationError
from pydantic_core import to_jsonable_python

from lusha_mcp.tools.framework.arguments import invalid_arguments_message, refuse_unknown_arguments
from lusha_mcp.tools.framework.call import ToolCall
from lusha_mcp.tools.framework.errors import as_tool_errors
from lusha_mcp.tools.framework.pipeline import price_call
from lusha_mcp.tools.framework.register import LushaServer
from lusha_mcp.tools.framework.render import budget_sentence
from lusha_mcp.tools.state import LushaState


async def quote_for_approval(
    ctx: Context[Any, Any], tool: str, arguments: Mapping[str, Any], *, meta_key: str
) -> CallToolResult:
    server = ctx.mcp_server
    spec = server.specs.get(tool) if isinstance(server, LushaServer) else None
    if (
        not isinstance(server, LushaServer)
        or spec is None
        or tool not in server.arguments
        or not spec.metered
    ):
        raise ToolError(f"{tool} is not a metered tool enabled on this server; nothing to approve.")
    refuse_unknown_arguments(tool, arguments, server.own_arguments(tool))
    try:
        own = server.validate_own_arguments(tool, arguments)
    except ValidationError as exc:
        raise ToolError(invalid_arguments_message(tool, exc)) from exc
    with as_tool_errors(metered=False):
        priced = await price_call(spec, ToolCall(LushaState.of(ctx), ctx, tool), own, always_token=True)
    if priced.fit.would == "refuse" or priced.confirmation_token is None:
        raise ToolError(priced.fit.reason or f"{tool} would be refused with these arguments.")
    lines = [f"Quote for {spec.title}: up to {priced.quote.total_credits} credits.", priced.quote.describe()]
    if budget := budget_sentence(priced.budget_left):
        lines.append(budget)
    return CallToolResult(
        content=[TextContent(type="text", text="\n".join(lines))],
        structured_content={
            "status": "confirmation_required",
            "quote": priced.quote.model_dump(mode="json"),
            "budget_left": priced.budget_left.model_dump(mode="json", exclude_none=True),
            "expires_in_seconds": priced.expires_in_seconds,
        },
        _meta={
            meta_key: {
                "tool": tool,
                "arguments": to_jsonable_python(own),
                "token": priced.confirmation_token,
                "expires_in_seconds": priced.expires_in_seconds,
            }
        },
    )
