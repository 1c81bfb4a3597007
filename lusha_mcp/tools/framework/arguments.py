"""A tool's arguments: the framework's own two, the signature MCPServer sees, and the messages for
an unknown or invalid argument (what was wrong and what to send instead)."""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import ValidationError

from lusha_mcp.settings import Toolset

# The two arguments every metered tool takes carry no description in its schema (it would repeat
# on every metered tool, ~140 tokens of the 4,000-token catalogue): the server instructions
# explain both once, and a confirmation_required result says how to pass its token.
ConfirmationTokenArg = str | None
QuoteOnlyArg = bool | None
FRAMEWORK_ARGUMENTS = ("confirmation_token", "quote_only")


def mcp_parameters(fn: Callable[..., Any], *, metered: bool) -> list[inspect.Parameter]:
    """The parameters MCPServer sees for a tool function: ctx, the tool's own arguments (all after
    its `call: ToolCall`), and for metered tools the confirmation_token and quote_only arguments."""
    signature = inspect.signature(fn, eval_str=True)
    own = [
        parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY)
        for parameter in list(signature.parameters.values())[1:]
    ]
    parameters = [inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context), *own]
    if metered:
        parameters += [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
            for name, annotation in (
                ("confirmation_token", ConfirmationTokenArg),
                ("quote_only", QuoteOnlyArg),
            )
        ]
    return parameters


def closest_names(key: str, valid: Iterable[str]) -> list[str]:
    """`valid` ranked by likeness to `key` (difflib), or of a compound key's last word when that
    is closer (page_size -> size)."""

    low = key.lower()
    head = low.rsplit("_", 1)[-1] if "_" in low else None

    def likeness(name: str) -> float:
        score = difflib.SequenceMatcher(None, low, name.lower()).ratio()
        if head is None:
            return score
        return max(score, 0.9 * difflib.SequenceMatcher(None, head, name.lower()).ratio())

    return sorted(valid, key=lambda name: -likeness(name))


def unknown_arguments_message(tool: str, unknown: list[str], accepted: Iterable[str]) -> str:
    """Names each unknown argument and lists the valid ones, the closest match first."""
    valid = list(accepted)
    parts: list[str] = []
    for key in unknown:
        if not valid:
            parts.append(f"{key!r}: {tool} takes no arguments")
            continue
        ranked = closest_names(key, valid)
        parts.append(
            f"{key!r} is not an argument of {tool}; did you mean {ranked[0]}? Valid: {', '.join(ranked)}"
        )
    return "Unknown argument " + "; ".join(parts) + ". Nothing was run; call again with valid names."


def refuse_unknown_arguments(tool: str, arguments: Iterable[str], accepted: Iterable[str]) -> None:
    """ToolError naming every argument `tool` does not accept (nothing is run or priced)."""
    valid = tuple(accepted)
    unknown = [key for key in arguments if key not in valid]
    if unknown:
        raise ToolError(unknown_arguments_message(tool, unknown, valid))


def invalid_arguments_message(tool: str, error: ValidationError) -> str:
    """Which arguments are wrong and what each accepts, without pydantic's boilerplate."""
    problems: list[str] = []
    for entry in error.errors(include_url=False):
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in entry["loc"]).lstrip(
            "."
        )
        problems.append(f"{where or 'arguments'}: {entry['msg']}")
    shown = "; ".join(problems[:5]) + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")
    return f"Invalid arguments for {tool}: {shown}. Fix them and call again (see the tool's input schema)."


@dataclass(frozen=True, slots=True)
class OfferedWith:
    """Marks an argument that only makes sense with another toolset's tools (saving into a table
    needs the table tools): `Annotated[str | None, Field(...), OfferedWith(Toolset.tables)]` is
    offered, and accepted, only when that toolset is enabled."""

    toolset: Toolset


def toolset_arguments(hints: Mapping[str, Any]) -> dict[str, Toolset]:
    """The arguments among a tool function's type hints (extras kept) that are `OfferedWith` a toolset."""
    return {
        name: marker.toolset
        for name, hint in hints.items()
        if name != "return"
        for marker in getattr(hint, "__metadata__", ())
        if isinstance(marker, OfferedWith)
    }


def without_arguments_of_other_toolsets(
    schema: dict[str, Any], offered_with: Mapping[str, Toolset], enabled: frozenset[Toolset]
) -> dict[str, Any]:
    properties = cast(dict[str, Any], schema.get("properties", {}))
    dropped = {
        name for name, toolset in offered_with.items() if name in properties and toolset not in enabled
    }
    if not dropped:
        return schema
    return {
        **schema,
        "properties": {name: value for name, value in properties.items() if name not in dropped},
    }
