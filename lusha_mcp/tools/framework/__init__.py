"""The tool framework: what every capability module (`tools/contacts.py` ... `tools/tables.py`)
declares its tools with, and the one path a call takes from the model to Lusha.

    tool call --> register.py   LushaServer: unknown arguments refused, the client session bound
              --> pipeline.py   the tool body builds its Plan (quote + run), free work only
              --> confirm.py    the user approves by elicitation, where the client can
              --> guard         lusha_mcp.guard: no-spend, cap, budgets, token; reserves the quote
                                (or answers confirmation_required with a single-use token)
              --> client        plan.run() inside authorized_spend: lusha_mcp.api sends metered calls
              --> Lusha, or the sandbox (lusha_mcp.sandbox) --> the guard settles what was charged
              --> render.py     the text the model reads beside the structured result (results.py)

One concern per module:
- declare.py    ToolGroup.tool(...) -> ToolSpec; the annotation presets (FREE_READ, METERED_SEARCH...)
- call.py       what a tool body codes against: ToolCall, Plan, Billed, billed, until_failure
- arguments.py  confirmation_token and quote_only, the signature MCPServer sees, argument messages
- schemas.py    the input and output schemas a client reads, trimmed
- register.py   LushaServer and register_tools: each declared tool added to the MCP server
- pipeline.py   run_call: free call, quote_only (price_call) or the metered pipeline
- confirm.py    asking the user to approve a spend (mid-call or InputRequiredResult)
- approval.py   a view's Approve button: the quote and a single-use token (views/)
- results.py    ToolResult, MeteredResult (status, credits charged, budget left, quote), Fit
- render.py     tables, page pointer, budget line, and the framework's own texts
- errors.py     ArgumentError, and the tool error (with the next step) for each failure

The framework knows no capability: a capability hooks in by declaration (`OfferedWith`,
`ToolGroup(before_metered=...)`, `commits_spend=`). See `lusha_mcp.tools` for adding a tool.
"""

from lusha_mcp.tools.framework.arguments import ConfirmationTokenArg, OfferedWith, invalid_arguments_message
from lusha_mcp.tools.framework.call import Billed, Plan, ToolCall, billed, until_failure
from lusha_mcp.tools.framework.declare import (
    FREE_DELETE,
    FREE_READ,
    FREE_WRITE,
    METERED_REVEAL,
    METERED_SEARCH,
    ToolGroup,
    ToolSpec,
)
from lusha_mcp.tools.framework.errors import ArgumentError, tool_error
from lusha_mcp.tools.framework.pipeline import price_call
from lusha_mcp.tools.framework.register import LushaServer, ToolsetState
from lusha_mcp.tools.framework.render import budget_line, page_heading, table
from lusha_mcp.tools.framework.results import MeteredResult, ToolResult, compact

__all__ = [
    "FREE_DELETE",
    "FREE_READ",
    "FREE_WRITE",
    "METERED_REVEAL",
    "METERED_SEARCH",
    "ArgumentError",
    "Billed",
    "ConfirmationTokenArg",
    "LushaServer",
    "MeteredResult",
    "OfferedWith",
    "Plan",
    "ToolCall",
    "ToolGroup",
    "ToolResult",
    "ToolSpec",
    "ToolsetState",
    "billed",
    "budget_line",
    "compact",
    "invalid_arguments_message",
    "page_heading",
    "price_call",
    "table",
    "tool_error",
    "until_failure",
]
