"""Declaring a tool: `ToolGroup.tool(...)` turns a documented async function into a `ToolSpec`
(toolset, title, the four annotations, metered or not, its output model); the presets below are the
annotations every tool picks from."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mcp_types import ToolAnnotations

from lusha_mcp.settings import Toolset
from lusha_mcp.tools.framework.arguments import toolset_arguments
from lusha_mcp.tools.framework.call import Plan
from lusha_mcp.tools.framework.register import BeforeMetered, LushaServer, ToolsetState, register_tools
from lusha_mcp.tools.framework.results import MeteredResult, ToolResult

# --- annotations: every tool picks one of these (or spells all four out) --------------------
FREE_READ = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True
)
"""Reads Lusha data without spending credits."""

METERED_SEARCH = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
)
"""Spends credits each time it runs (searches, prospecting): not read-only, not idempotent."""

METERED_REVEAL = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True
)
"""Spends credits once per record revealed; a repeat is served from the cache at 0 credits."""

FREE_WRITE = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
)
"""Changes account configuration (webhooks) without spending credits."""

FREE_DELETE = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True
)
"""Deletes account configuration without spending credits."""


ToolFunction = Callable[..., Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class ToolSpec:
    name: str
    toolset: Toolset
    title: str
    annotations: ToolAnnotations
    metered: bool
    description: str
    fn: ToolFunction
    output: type[ToolResult]
    commits_spend: str | None = None
    """Free itself, but commits the account to later charges: what to (named when no-spend mode
    refuses it)."""
    offered_with: Mapping[str, Toolset] = field(default_factory=dict[str, Toolset])
    """Arguments offered only when another toolset is enabled (`OfferedWith`)."""


class ToolGroup:
    """The tools of one capability module: decorate with `.tool(...)`, expose `register = group.register`."""

    def __init__(self, *, before_metered: Iterable[BeforeMetered] = ()) -> None:
        self.specs: list[ToolSpec] = []
        self.before_metered = tuple(before_metered)
        """Run before every metered call of the server, whatever toolsets are enabled."""

    def tool(
        self,
        *,
        toolset: Toolset,
        title: str,
        annotations: ToolAnnotations,
        metered: bool,
        name: str | None = None,
        commits_spend: str | None = None,
    ) -> Callable[[ToolFunction], ToolFunction]:
        if None in (
            annotations.read_only_hint,
            annotations.destructive_hint,
            annotations.idempotent_hint,
            annotations.open_world_hint,
        ):
            raise ValueError("set all four annotations explicitly")
        if metered and annotations.read_only_hint:
            raise ValueError("a metered tool spends credits: it cannot be read-only")

        def decorate(fn: ToolFunction) -> ToolFunction:
            hints = typing.get_type_hints(fn, include_extras=True)
            spec = ToolSpec(
                name=name or fn.__name__,
                toolset=toolset,
                title=title,
                annotations=annotations.model_copy(update={"title": title}),
                metered=metered,
                description=inspect.cleandoc(fn.__doc__ or ""),
                fn=fn,
                output=_output_model(fn, hints.get("return"), metered),
                commits_spend=commits_spend,
                offered_with=toolset_arguments(hints),
            )
            if not spec.description:
                raise ValueError(f"tool {spec.name} needs a docstring: it is the description the model reads")
            self.specs.append(spec)
            return fn

        return decorate

    def register(self, server: LushaServer, toolsets: ToolsetState) -> None:
        server.before_metered.extend(self.before_metered)
        register_tools(server, self.specs, toolsets)


def _output_model(fn: ToolFunction, returned: Any, metered: bool) -> type[ToolResult]:
    if typing.get_origin(returned) is Plan or typing.get_origin(returned) in (typing.Union, _UnionType):
        candidates = [
            arg for arg in _flatten(returned) if isinstance(arg, type) and issubclass(arg, ToolResult)
        ]
    else:
        candidates = [returned] if isinstance(returned, type) and issubclass(returned, ToolResult) else []
    if len(set(candidates)) != 1:
        raise TypeError(f"{fn.__name__} must return a ToolResult subclass (or Plan[...] of one)")
    output: type[ToolResult] = candidates[0]
    if metered and not issubclass(output, MeteredResult):
        raise TypeError(f"{fn.__name__} is metered: its result must subclass MeteredResult")
    return output


_UnionType = type(int | str)


def _flatten(annotation: Any) -> Iterable[Any]:
    origin = typing.get_origin(annotation)
    if origin is Plan:
        yield from typing.get_args(annotation)
    elif origin in (typing.Union, _UnionType):
        for arg in typing.get_args(annotation):
            yield from _flatten(arg)
    else:
        yield annotation
