"""Registering the declared tools on the MCP server: `LushaServer` (MCPServer that hides a tool from
tools/list with a refusal, refuses unknown arguments and binds each call to its client session) and
`register_tools`, which hands MCPServer the function it calls for each tool: the tool's own
arguments plus ctx and, for metered tools, confirmation_token and quote_only, dispatched to the
pipeline. The input schema it derives is trimmed (schemas.py) and each output schema derived once.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, cast

from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata
from mcp_types import CallToolResult, InputRequiredResult
from mcp_types import Tool as MCPTool
from pydantic import AnyUrl, ValidationError

from lusha_mcp.client_sessions import bound_client
from lusha_mcp.settings import Settings, Toolset
from lusha_mcp.tools.framework.arguments import (
    FRAMEWORK_ARGUMENTS,
    invalid_arguments_message,
    mcp_parameters,
    refuse_unknown_arguments,
    without_arguments_of_other_toolsets,
)
from lusha_mcp.tools.framework.call import ToolCall
from lusha_mcp.tools.framework.pipeline import BeforeMetered, run_call
from lusha_mcp.tools.framework.results import ToolResult
from lusha_mcp.tools.framework.schemas import compact_schema, inline_definitions, slim_output_schema
from lusha_mcp.tools.state import LushaState

if TYPE_CHECKING:
    from lusha_mcp.tools.framework.declare import ToolSpec


@dataclass(frozen=True, slots=True)
class ToolsetState:
    """Which toolsets this server exposes, and whether metered tools are off (no-spend)."""

    enabled: frozenset[Toolset]
    no_spend: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> ToolsetState:
        return cls(enabled=frozenset(settings.effective_toolsets), no_spend=settings.no_spend)


class LushaServer(MCPServer[LushaState]):
    """MCPServer that can keep a registered tool out of tools/list and refuse it with a reason."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._refusals: dict[str, str] = {}
        self.specs: dict[str, ToolSpec] = {}
        self.output_schemas: dict[type[ToolResult], dict[str, Any]] = {}
        """Output schema per result model, derived once and shared by the tools returning it."""
        self.argument_names: dict[str, tuple[str, ...]] = {}
        """The arguments each tool accepts (its input schema's properties); others are refused."""
        self.arguments: dict[str, FuncMetadata] = {}
        """Each tool's argument model, so estimate_plan validates a step as the call would."""
        self.before_metered: list[BeforeMetered] = []
        """What runs before every metered call (a capability's `ToolGroup(before_metered=...)`)."""

    def own_arguments(self, tool: str) -> tuple[str, ...]:
        """What `tool` itself accepts, as its input schema offers it, less the framework's arguments."""
        return tuple(name for name in self.argument_names.get(tool, ()) if name not in FRAMEWORK_ARGUMENTS)

    def validate_own_arguments(self, tool: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """`arguments` validated and defaulted by the tool's own argument model, exactly as when it
        runs (so a token issued for them binds the same hash), the framework's arguments left out.
        Raises ValidationError; the caller has already refused names not in `own_arguments`."""
        validated = self.arguments[tool].validate_arguments(dict(arguments))
        return {name: value for name, value in validated.items() if name not in FRAMEWORK_ARGUMENTS}

    def hide_tool(self, name: str, refusal: str) -> None:
        self._refusals[name] = refusal

    async def list_tools(self) -> list[MCPTool]:
        return [tool for tool in await super().list_tools() if tool.name not in self._refusals]

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[LushaState, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        refusal = self._refusals.get(name)
        if refusal is not None and arguments.get("quote_only") is not True:
            raise ToolError(refusal)
        # The SDK's generated argument model ignores unknown keys and MCPServer has no option to
        # forbid them; a misspelt argument must not be dropped silently (page_size=100 would
        # return the default 25 rows), so this public override refuses it before any resolver
        # (elicitation) or the tool runs.
        accepted = self.argument_names.get(name)
        if accepted is not None:
            refuse_unknown_arguments(name, arguments, accepted)
        try:
            with bound_client(context):
                return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError):
                raise ToolError(invalid_arguments_message(name, exc.__cause__)) from exc
            raise

    async def read_resource(
        self, uri: AnyUrl | str, context: Context[LushaState, Any] | None = None
    ) -> Iterable[ReadResourceContents] | InputRequiredResult:
        with bound_client(context):
            return await super().read_resource(uri, context)


def register_tools(server: LushaServer, specs: Iterable[ToolSpec], toolsets: ToolsetState) -> None:
    """Add each spec of an enabled toolset to `server` (and hide the spending ones in no-spend mode)."""
    for spec in specs:
        if spec.toolset not in toolsets.enabled:
            continue
        known_schema = server.output_schemas.get(spec.output)
        server.add_tool(
            _mcp_function(spec, server.before_metered, derive_output_schema=known_schema is None),
            name=spec.name,
            title=spec.title,
            description=spec.description,
            annotations=spec.annotations,
            meta={"toolset": spec.toolset.value, "metered": spec.metered},
        )
        server.specs[spec.name] = spec
        # The one private surface: MCPServer.add_tool returns nothing and MCPServer has no public
        # getter for a registered Tool, yet its input schema must be trimmed (and unknown arguments
        # forbidden) and its output schema shared, on the Tool's own public fields. Built Tools are
        # accepted publicly only by the constructor (`tools=`), which runs before the capability
        # modules register (and would move the Apps extension's tool in tools/list).
        registered = server._tool_manager.get_tool(spec.name)
        if registered is not None:
            server.arguments[spec.name] = registered.fn_metadata
            registered.parameters = without_arguments_of_other_toolsets(
                {
                    **compact_schema(inline_definitions(registered.parameters)),
                    "additionalProperties": False,
                },
                spec.offered_with,
                toolsets.enabled,
            )
            server.argument_names[spec.name] = tuple(registered.parameters.get("properties", {}))
            metadata = registered.fn_metadata
            if known_schema is not None:
                metadata.output_model = spec.output
                metadata.output_schema = copy.deepcopy(known_schema)
            elif metadata.output_schema is not None:
                metadata.output_schema = slim_output_schema(metadata.output_schema)
                server.output_schemas[spec.output] = metadata.output_schema
        if spec.metered and toolsets.no_spend:
            server.hide_tool(
                spec.name,
                f"{spec.name} spends Lusha credits and this server runs in no-spend mode "
                "(LUSHA_NO_SPEND / --no-spend): only free tools run. Ask the user to restart "
                "the server without no-spend mode to use it.",
            )
        elif spec.commits_spend and toolsets.no_spend:
            server.hide_tool(
                spec.name,
                f"{spec.name} commits the account to {spec.commits_spend} and this "
                "server runs in no-spend mode (LUSHA_NO_SPEND / --no-spend): nothing was changed. "
                "Ask the user to restart the server without no-spend mode to use it.",
            )


def _mcp_function(
    spec: ToolSpec, before_metered: Sequence[BeforeMetered], *, derive_output_schema: bool = True
) -> Callable[..., Awaitable[CallToolResult | InputRequiredResult]]:
    """The function MCPServer sees: the tool's own arguments plus ctx, and for metered tools the
    confirmation_token and quote_only arguments. Its return annotation names the output model
    when MCPServer is to derive the output schema from it."""
    parameters = mcp_parameters(spec.fn, metered=spec.metered)
    data = Annotated[CallToolResult, spec.output] if derive_output_schema else CallToolResult
    returns = data | InputRequiredResult

    async def call(**kwargs: Any) -> CallToolResult | InputRequiredResult:
        ctx = cast(Context[Any, Any], kwargs.pop("ctx"))
        # A metered tool's token is the framework's; a free tool may take its own (webhooks).
        token = cast(str | None, kwargs.pop("confirmation_token", None)) if spec.metered else None
        quote_only = kwargs.pop("quote_only", None) is True
        state = LushaState.of(ctx)
        tool_call = ToolCall(state, ctx, spec.name)
        return await run_call(
            spec, tool_call, kwargs, token=token, quote_only=quote_only, before_metered=before_metered
        )

    # inspect.signature (and so MCPServer) reads __signature__, which function types do not declare.
    call.__signature__ = inspect.Signature(parameters, return_annotation=returns)  # type: ignore[attr-defined]
    call.__annotations__ = {parameter.name: parameter.annotation for parameter in parameters} | {
        "return": returns
    }
    call.__name__ = call.__qualname__ = spec.name
    return call
