"""The tool framework: how a tool is declared, registered, priced, approved, run and rendered."""

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
