"""The quote behind a view's "Reveal selected": priced by the tool itself, approved by a token.

`quote_for_approval` builds the tool's own Plan (the one pricing code path), runs the guard's
checks (no-spend, allowlist, per-call cap, budgets) and issues the single-use confirmation token
bound to the exact arguments. Nothing is sent to a metered Lusha operation here; the spend happens
only when the view calls the tool with that token, through the normal metered pipeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent
from pydantic import ValidationError
from pydantic_core import to_jsonable_python

from lusha_mcp.guard import Quote
from lusha_mcp.tools.catalog import LushaServer, Plan, ToolCall, invalid_arguments_message
from lusha_mcp.tools.errors import tool_error
from lusha_mcp.tools.results import budget_line
from lusha_mcp.tools.state import LushaState

FRAMEWORK_ARGUMENTS = frozenset({"confirmation_token", "quote_only"})
"""Arguments the metered pipeline adds to every metered tool; not part of what a token binds."""


async def quote_for_approval(
    ctx: Context[Any, Any], tool: str, arguments: Mapping[str, Any], *, meta_key: str
) -> CallToolResult:
    server = ctx.mcp_server
    spec = server.specs.get(tool) if isinstance(server, LushaServer) else None
    if spec is None or not spec.metered:
        raise ToolError(f"{tool} is not a metered tool of this server; nothing to approve.")
    # The SDK's own argument model of the registered tool, so the arguments a token binds are
    # validated and defaulted exactly as when the tool runs (MCPServer has no public accessor).
    registered = server._tool_manager.get_tool(tool)
    if registered is None:
        raise ToolError(f"{tool} is not enabled on this server.")
    unknown = set(arguments) - set(registered.fn_metadata.arg_model.model_fields) - FRAMEWORK_ARGUMENTS
    if unknown:
        raise ToolError(f"Unknown arguments for {tool}: {', '.join(sorted(unknown))}.")
    try:
        validated = registered.fn_metadata.validate_arguments(dict(arguments))
    except ValidationError as exc:
        raise ToolError(invalid_arguments_message(tool, exc)) from exc
    own = {key: value for key, value in validated.items() if key not in FRAMEWORK_ARGUMENTS}
    state = LushaState.of(ctx)
    guard = state.client_guard()
    try:
        guard.refuse_if_no_spend(tool)
        outcome = await spec.fn(ToolCall(state, ctx, tool), **own)
        quote = cast(Plan[Any], outcome).quote if isinstance(outcome, Plan) else Quote.free()
        request = await guard.request_confirmation(
            tool=tool, arguments_hash=guard.arguments_hash(tool, to_jsonable_python(own)), quote=quote
        )
    except Exception as exc:
        mapped = tool_error(exc, metered=False)
        if mapped is None:
            raise
        raise mapped from exc
    lines = [f"Quote for {spec.title}: up to {quote.total_credits} credits.", quote.describe()]
    budget = budget_line(request.budget_left)
    if budget:
        lines.append(budget.capitalize() + ".")
    return CallToolResult(
        content=[TextContent(type="text", text="\n".join(lines))],
        structured_content={
            "status": "confirmation_required",
            "quote": quote.model_dump(mode="json"),
            "budget_left": request.budget_left.model_dump(mode="json", exclude_none=True),
            "expires_in_seconds": request.expires_in_seconds,
        },
        _meta={
            meta_key: {
                "tool": tool,
                "arguments": to_jsonable_python(own),
                "token": request.confirmation_token,
                "expires_in_seconds": request.expires_in_seconds,
            }
        },
    )
