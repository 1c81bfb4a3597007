"""The tool framework: declare a tool once (toolset, annotations, metered), the catalog does the rest.

See the docstring of `lusha_mcp.tools` for how to add a tool.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import inspect
import json
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar, cast

import anyio
from mcp.server.elicitation import AcceptedElicitation, render_elicitation_schema
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata
from mcp_types import (
    CallToolResult,
    ElicitRequest,
    ElicitRequestFormParams,
    ElicitResult,
    InputRequiredResult,
    TextContent,
    ToolAnnotations,
)
from mcp_types import Tool as MCPTool
from mcp_types.version import is_version_at_least
from pydantic import AnyUrl, BaseModel, Field, ValidationError
from pydantic_core import to_jsonable_python

from lusha_mcp.api.client import LushaClient
from lusha_mcp.api.errors import APIStatusError, InvalidRequestError, LushaError, ResponseLostError
from lusha_mcp.api.models import MeteredResponse
from lusha_mcp.api.spend import authorized_spend
from lusha_mcp.client_sessions import bound_client
from lusha_mcp.guard import BudgetLeft, ConfirmationRequest, CreditGuard, GuardRefusal, Quote
from lusha_mcp.settings import Settings, Toolset
from lusha_mcp.tools.errors import ArgumentError, tool_error
from lusha_mcp.tools.results import Fit, MeteredResult, ToolResult, budget_line
from lusha_mcp.tools.state import LushaState
from lusha_mcp.tools.webhook_spend import reconcile_deliveries

M = TypeVar("M", bound=MeteredResult)

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

# The two arguments every metered tool takes carry no description in its schema (it would repeat
# on every metered tool, ~140 tokens of the 4,000-token catalogue): the server instructions
# explain both once, and a confirmation_required result says how to pass its token.
ConfirmationTokenArg = str | None
QuoteOnlyArg = bool | None
FRAMEWORK_ARGUMENTS = ("confirmation_token", "quote_only")


class SpendApproval(BaseModel):
    """What the user answers when asked through elicitation."""

    approve: bool = Field(
        default=True, title="Spend these credits", description="Run the call and spend the credits."
    )


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
    commits_spend: bool = False
    """Free itself, but commits the account to later charges (webhook subscriptions)."""


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
            unknown = [key for key in arguments if key not in accepted]
            if unknown:
                raise ToolError(unknown_arguments_message(name, unknown, accepted))
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


class ToolGroup:
    """The tools of one capability module: decorate with `.tool(...)`, expose `register = group.register`."""

    def __init__(self) -> None:
        self.specs: list[ToolSpec] = []

    def tool(
        self,
        *,
        toolset: Toolset,
        title: str,
        annotations: ToolAnnotations,
        metered: bool,
        name: str | None = None,
        commits_spend: bool = False,
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
            spec = ToolSpec(
                name=name or fn.__name__,
                toolset=toolset,
                title=title,
                annotations=annotations.model_copy(update={"title": title}),
                metered=metered,
                description=inspect.cleandoc(fn.__doc__ or ""),
                fn=fn,
                output=_output_model(fn, metered),
                commits_spend=commits_spend,
            )
            if not spec.description:
                raise ValueError(f"tool {spec.name} needs a docstring: it is the description the model reads")
            self.specs.append(spec)
            return fn

        return decorate

    def register(self, server: LushaServer, toolsets: ToolsetState) -> None:
        for spec in self.specs:
            if spec.toolset not in toolsets.enabled:
                continue
            known_schema = server.output_schemas.get(spec.output)
            server.add_tool(
                _mcp_function(spec, derive_output_schema=known_schema is None),
                name=spec.name,
                title=spec.title,
                description=spec.description,
                annotations=spec.annotations,
                meta={"toolset": spec.toolset.value, "metered": spec.metered},
            )
            server.specs[spec.name] = spec
            registered = server._tool_manager.get_tool(spec.name)
            if registered is not None:
                server.arguments[spec.name] = registered.fn_metadata
                registered.parameters = without_arguments_of_other_toolsets(
                    {
                        **compact_schema(inline_definitions(registered.parameters)),
                        "additionalProperties": False,
                    },
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
                    f"{spec.name} commits the account to Lusha charges per delivered signal and this "
                    "server runs in no-spend mode (LUSHA_NO_SPEND / --no-spend): nothing was changed. "
                    "Ask the user to restart the server without no-spend mode to use it.",
                )


def inline_definitions(schema: dict[str, Any]) -> dict[str, Any]:
    """Put each `$defs` model in place of its `$ref` (fewer tokens for the model to read); a model
    that refers to itself keeps its definition."""
    definitions = cast(dict[str, Any], schema.get("$defs") or {})

    def inline(value: Any, seen: frozenset[str]) -> Any:
        if isinstance(value, list):
            return [inline(item, seen) for item in cast(list[Any], value)]
        if not isinstance(value, dict):
            return value
        node = cast(dict[str, Any], value)
        ref = node.get("$ref")
        name = ref.removeprefix("#/$defs/") if isinstance(ref, str) else None
        if name is not None and name in definitions and name not in seen:
            siblings = {key: item for key, item in node.items() if key != "$ref"}
            return {**inline(definitions[name], seen | {name}), **inline(siblings, seen)}
        return {key: inline(item, seen) for key, item in node.items()}

    body = {key: value for key, value in schema.items() if key != "$defs"}
    inlined = cast(dict[str, Any], inline(body, frozenset()))
    if "#/$defs/" in json.dumps(inlined):
        return schema
    return inlined


TOOLSET_ARGUMENTS: Mapping[str, Toolset] = {"table_id": Toolset.tables}
"""Arguments that only make sense with another toolset's tools (saving into a table needs the
table tools): offered, and accepted, only when that toolset is enabled."""


def without_arguments_of_other_toolsets(
    schema: dict[str, Any], enabled: frozenset[Toolset]
) -> dict[str, Any]:
    properties = cast(dict[str, Any], schema.get("properties", {}))
    dropped = {
        name for name, toolset in TOOLSET_ARGUMENTS.items() if name in properties and toolset not in enabled
    }
    if not dropped:
        return schema
    return {
        **schema,
        "properties": {name: value for name, value in properties.items() if name not in dropped},
    }


def compact_schema(schema: Any, *, in_properties: bool = False) -> Any:
    """Trim what the model reads: titles, `default: null`, and the null arm of optional arguments.

    Validation is unaffected (it runs on the pydantic argument model, which still accepts null).
    """
    if isinstance(schema, list):
        return [compact_schema(item) for item in cast(list[Any], schema)]
    if not isinstance(schema, dict):
        return schema
    source = cast(dict[str, Any], schema)
    if in_properties:
        return {name: compact_schema(value) for name, value in source.items()}
    out: dict[str, Any] = {}
    for key, value in source.items():
        if key == "title" or (key == "default" and value is None):
            continue
        out[key] = compact_schema(value, in_properties=key in ("properties", "$defs"))
    arms = out.get("anyOf")
    if isinstance(arms, list):
        kept = [arm for arm in cast(list[Any], arms) if arm != {"type": "null"}]
        if len(kept) == 1 and len(kept) < len(cast(list[Any], arms)):
            del out["anyOf"]
            out = {**cast(dict[str, Any], kept[0]), **out}
    return out


SMALL_DEF = 4
"""A nested definition with at most this many properties and no nesting of its own is kept whole."""


def slim_output_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The output schema a client validates structuredContent against, without the bulk.

    Structured content drops nulls and empty lists, so no null arms and no defaults are needed.
    The result's own fields and the rows of its lists are described property by property; an
    object nested deeper (or a single object field such as quote or budget_left) is described
    as an object with its description, unless it is a small leaf (an email, a phone). Each tool's
    schema stands alone in tools/list, so this is what keeps every tool from repeating the large
    nested definitions of the records. The server still validates against the full model.
    """
    slim = cast(dict[str, Any], compact_schema(schema))
    definitions = cast(dict[str, dict[str, Any]], slim.pop("$defs", {}))
    kept: dict[str, dict[str, Any]] = {}

    def leaf(definition: dict[str, Any]) -> bool:
        properties = cast(dict[str, Any], definition.get("properties", {}))
        return len(properties) <= SMALL_DEF and "$ref" not in str(properties)

    def loose(name: str, description: object) -> dict[str, Any]:
        definition = definitions[name]
        if leaf(definition) and "properties" in definition:
            kept[name] = _without_defaults(definition)
            return {"$ref": f"#/$defs/{name}"}
        shape = "object" if definition.get("type", "object") == "object" else definition.get("type")
        out: dict[str, Any] = {"type": shape} if shape else {}
        for key in ("enum", "items"):
            if key in definition:
                out[key] = definition[key]
        text = description or definition.get("description")
        return {**out, "description": text} if text else out

    def shallow(node: Any, description: object = None) -> Any:
        """Every $ref in `node` becomes a loose object (or a kept small leaf)."""
        if isinstance(node, list):
            return [shallow(item) for item in cast(list[Any], node)]
        if not isinstance(node, dict):
            return node
        source = cast(dict[str, Any], node)
        ref = source.get("$ref")
        if isinstance(ref, str):
            return {**loose(ref.rsplit("/", 1)[-1], source.get("description") or description)}
        return {key: shallow(value, source.get("description")) for key, value in source.items()}

    def row(node: Any) -> Any:
        """Top-level property: a list (or map) of records keeps the records' properties."""
        if not isinstance(node, dict):
            return node
        source = cast(dict[str, Any], node)
        for key in ("items", "additionalProperties"):
            inner = source.get(key)
            if isinstance(inner, dict) and "$ref" in inner:
                name = str(cast(dict[str, Any], inner)["$ref"]).rsplit("/", 1)[-1]
                if name not in kept:
                    kept[name] = {}
                    kept[name] = shallow(_without_defaults(definitions[name]))
                return {**source, key: {"$ref": f"#/$defs/{name}"}}
        return shallow(source)

    properties = cast(dict[str, Any], slim.get("properties", {}))
    slim["properties"] = {name: row(_without_defaults(value)) for name, value in properties.items()}
    if kept:
        slim["$defs"] = kept
    return _without_defaults(slim)


def _without_defaults(schema: dict[str, Any]) -> dict[str, Any]:
    out = {key: value for key, value in schema.items() if key != "default"}
    properties = out.get("properties")
    if isinstance(properties, dict):
        out["properties"] = {
            name: _without_defaults(cast(dict[str, Any], value)) if isinstance(value, dict) else value
            for name, value in cast(dict[str, Any], properties).items()
        }
    return out


def _output_model(fn: ToolFunction, metered: bool) -> type[ToolResult]:
    hints = typing.get_type_hints(fn)
    returned = hints.get("return")
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


def _can_elicit(ctx: Context[Any, Any]) -> bool:
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def _approval_message(spec: ToolSpec, quote: Quote, left: BudgetLeft) -> str:
    lines = [f"{spec.title}: spend up to {quote.total_credits} Lusha credits?"]
    if quote.reveals:
        lines.append(f"This reveals personal data: {', '.join(quote.reveals)}.")
    lines.append(quote.describe())
    budget = budget_line(left)
    if budget:
        lines.append(budget.capitalize() + ".")
    return "\n".join(lines)


APPROVAL_KEY = "lusha_spend_approval"
"""The key of the approval question in a 2026-07-28 `InputRequiredResult`."""

_INPUT_REQUIRED_VERSION = "2026-07-28"
"""From this protocol revision on, elicitation rides `InputRequiredResult` and the client's retry."""


async def _ask_approval(ctx: Context[Any, Any], message: str) -> bool | InputRequiredResult:
    """Ask the user to approve a spend, once the Plan is built (so the tool body runs once per call).

    Up to 2025-11-25 this is a mid-call `elicitation/create` (`ctx.elicit`). From 2026-07-28 the call
    returns the question as an `InputRequiredResult` and the client retries the same call with the
    answer: an answer counts only for the exact question it answered (the message holds the quote),
    which `request_state` pins (the SDK seals it, so a client cannot forge it).
    """
    if ctx.protocol_version is None or not is_version_at_least(ctx.protocol_version, _INPUT_REQUIRED_VERSION):
        try:
            outcome = await ctx.elicit(message, SpendApproval)
        except ValueError as exc:
            raise ToolError(
                "The client's answer to the spending question was not valid; nothing was spent. Call again."
            ) from exc
        return isinstance(outcome, AcceptedElicitation) and outcome.data.approve
    params = ElicitRequestFormParams(
        message=message, requested_schema=render_elicitation_schema(SpendApproval)
    )
    rendered = params.model_dump_json(by_alias=True, exclude_none=True)
    asked = f"{APPROVAL_KEY}:{hashlib.sha256(rendered.encode()).hexdigest()[:32]}"
    answer = (ctx.input_responses or {}).get(APPROVAL_KEY)
    if ctx.request_state == asked and isinstance(answer, ElicitResult):
        if answer.action != "accept":
            return False
        try:
            return SpendApproval.model_validate(answer.content).approve
        except ValidationError as exc:
            raise ToolError(
                "The client's answer to the spending question did not match it; nothing was spent. Call again."
            ) from exc
    return InputRequiredResult(
        input_requests={APPROVAL_KEY: ElicitRequest(params=params)}, request_state=asked
    )


def _mcp_function(
    spec: ToolSpec, *, derive_output_schema: bool = True
) -> Callable[..., Awaitable[CallToolResult | InputRequiredResult]]:
    """The function MCPServer sees: the tool's own arguments plus ctx, and for metered tools the
    confirmation_token and quote_only arguments. Its return annotation names the output model
    when MCPServer is to derive the output schema from it."""
    signature = inspect.signature(spec.fn, eval_str=True)
    own = [
        parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY)
        for parameter in list(signature.parameters.values())[1:]
    ]
    parameters = [inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context), *own]
    if spec.metered:
        parameters += [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
            for name, annotation in (
                ("confirmation_token", ConfirmationTokenArg),
                ("quote_only", QuoteOnlyArg),
            )
        ]
    data = Annotated[CallToolResult, spec.output] if derive_output_schema else CallToolResult
    returns = data | InputRequiredResult

    async def call(**kwargs: Any) -> CallToolResult | InputRequiredResult:
        ctx = cast(Context[Any, Any], kwargs.pop("ctx"))
        # A metered tool's token is the framework's; a free tool may take its own (webhooks).
        token = cast(str | None, kwargs.pop("confirmation_token", None)) if spec.metered else None
        quote_only = kwargs.pop("quote_only", None) is True
        state = LushaState.of(ctx)
        tool_call = ToolCall(state, ctx, spec.name)
        try:
            if spec.metered and quote_only:
                return await _quote_only(spec, tool_call, kwargs, token)
            if spec.metered:
                return await _run_metered(spec, tool_call, kwargs, token)
            result = cast(ToolResult, await spec.fn(tool_call, **kwargs))
            return _render(result, result.render())
        except Exception as exc:
            mapped = tool_error(exc, metered=spec.metered)
            if mapped is None:
                raise
            raise mapped from exc

    call.__signature__ = inspect.Signature(parameters, return_annotation=returns)  # type: ignore[attr-defined]
    call.__annotations__ = {parameter.name: parameter.annotation for parameter in parameters} | {
        "return": returns
    }
    call.__name__ = call.__qualname__ = spec.name
    return call


def _render(result: ToolResult, text: str) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=result.structured()
    )


@dataclass(frozen=True, slots=True)
class Priced:
    """A metered call priced without running it: what `quote_only` and estimate_plan report."""

    quote: Quote
    fit: Fit
    budget_left: BudgetLeft
    notes: tuple[str, ...] = ()
    confirmation_token: str | None = None
    expires_in_seconds: int | None = None


async def price_call(
    spec: ToolSpec,
    call: ToolCall,
    arguments: Mapping[str, Any],
    *,
    drawn: int = 0,
    with_token: bool = True,
    always_token: bool = False,
) -> Priced:
    """Build the call's Plan (free lookups only: pricing, filter values, the caches) and say what the
    guard would do with its quote; `drawn`: credits earlier steps of a plan would already have spent.

    The quote is the Plan's own, the one the guard reserves when the call runs (one pricing path).
    With `with_token`, a call that would need confirmation gets a token for exactly these arguments;
    with `always_token`, so does one that would run without it (a view's Approve button).
    """
    guard = call.guard
    outcome = await spec.fn(call, **arguments)
    if isinstance(outcome, Plan):
        plan = cast(Plan[MeteredResult], outcome)
        quote, notes = plan.quote, plan.notes
    else:
        quote, notes = Quote.free(), tuple(cast(MeteredResult, outcome).notes)
    left = await guard.budget_left()
    fit = _fit(guard, spec.name, quote, left, drawn)
    wants_token = fit.would == "confirm" or (always_token and fit.would == "run")
    if not wants_token or not with_token:
        return Priced(quote=quote, fit=fit, budget_left=left, notes=notes)
    arguments_hash = guard.arguments_hash(spec.name, to_jsonable_python(arguments))
    token, _ = guard.tokens.issue(spec.name, arguments_hash, quote.total_credits, holder=guard.holder)
    return Priced(
        quote=quote,
        fit=fit,
        budget_left=left,
        notes=notes,
        confirmation_token=token,
        expires_in_seconds=guard.tokens.ttl_seconds,
    )


def _fit(guard: CreditGuard, tool: str, quote: Quote, left: BudgetLeft, drawn: int) -> Fit:
    """run, confirm or refuse (with the guard's own reason), after `drawn` credits already spent."""
    before = _left_after(left, drawn)
    after = _left_after(left, drawn + quote.total_credits)
    try:
        guard.refuse_if_no_spend(tool)
        guard.policy.check(quote)
        refusal = before.refusal(quote.total_credits)
        if refusal is not None:
            raise refusal
    except GuardRefusal as refusal:
        return Fit(would="refuse", reason=refusal.message, budget_left_after=after)
    if guard.needs_confirmation(quote):
        why = (
            "it reveals personal data"
            if quote.reveals and guard.policy.confirm_reveals
            else (f"it may cost more than {guard.policy.confirm_above} credits")
        )
        return Fit(would="confirm", reason=f"The user must confirm: {why}.", budget_left_after=after)
    return Fit(would="run", budget_left_after=after)


def _left_after(left: BudgetLeft, spend: int) -> BudgetLeft:
    return left.model_copy(
        update={
            "session": None if left.session is None else max(left.session - spend, 0),
            "today": None if left.today is None else max(left.today - spend, 0),
            "spent_session": left.spent_session + spend,
            "spent_today": left.spent_today + spend,
        }
    )


async def _quote_only(
    spec: ToolSpec, call: ToolCall, arguments: Mapping[str, Any], token: str | None
) -> CallToolResult:
    """quote_only=true: the itemised quote, cache hits and the budget verdict; nothing sent to spend."""
    if token is not None:
        raise ArgumentError(
            "confirmation_token",
            "a quote_only call spends nothing, so it takes no token",
            "quote_only=true to price the call, or confirmation_token without quote_only to run it",
        )
    priced = await price_call(spec, call, arguments)
    quoted = _metered_output(spec)(
        status="quoted",
        credits_charged=0,
        quote=priced.quote,
        budget_left=priced.budget_left,
        fit=priced.fit,
        confirmation_token=priced.confirmation_token,
        expires_in_seconds=priced.expires_in_seconds,
        notes=list(priced.notes),
    )
    return _render(quoted, _quoted_text(spec, priced))


def _quoted_text(spec: ToolSpec, priced: Priced) -> str:
    verdict = {
        "run": "It would run now: within the per-call cap, the budgets and the reveal allowlist.",
        "confirm": "It would need the user's confirmation first.",
        "refuse": "It would be refused.",
    }[priced.fit.would]
    lines = [
        f"Quote only: nothing was spent. {spec.title} would cost at most {priced.quote.total_credits} credits.",
        priced.quote.describe(),
        *priced.notes,
        " ".join(part for part in (verdict, priced.fit.reason) if part),
    ]
    after = budget_line(priced.fit.budget_left_after)
    if after:
        lines.append(f"After it, {after}.")
    if priced.confirmation_token:
        lines.append(
            f"If the user agrees, call {spec.name} with the same arguments, without quote_only, and "
            f'confirmation_token="{priced.confirmation_token}" (valid {priced.expires_in_seconds} s, once).'
        )
    return "\n".join(lines)


def _partial_billing(exc: BaseException) -> tuple[int, str | None]:
    """Credits and requestId of the batches of a split call that succeeded before `exc`."""
    partial = exc.partial if isinstance(exc, LushaError) else None
    if isinstance(partial, MeteredResponse) and partial.billing is not None:
        return partial.billing.credits_charged, partial.request_id
    return 0, None


def _may_have_been_charged(exc: BaseException) -> bool:
    if isinstance(exc, ResponseLostError):
        return True
    return not isinstance(exc, APIStatusError | InvalidRequestError | LushaError)


async def _approval(
    spec: ToolSpec, call: ToolCall, quote: Quote, token: str | None
) -> bool | InputRequiredResult | None:
    """True: the user approved by elicitation; False: declined or cancelled; None: not asked (a token
    was given, the client cannot elicit, auto-approve, or the quote needs no confirmation)."""
    guard = call.guard
    if token is not None or guard.policy.auto_approve or not _can_elicit(call.ctx):
        return None
    left = await guard.preflight(quote)
    if not guard.needs_confirmation(quote):
        return None
    return await _ask_approval(call.ctx, _approval_message(spec, quote, left))


async def _run_metered(
    spec: ToolSpec, call: ToolCall, arguments: Mapping[str, Any], token: str | None
) -> CallToolResult | InputRequiredResult:
    guard = call.guard
    guard.refuse_if_no_spend(spec.name)
    await reconcile_deliveries(call.state)  # delivered webhook signals count before this call
    outcome = await spec.fn(call, **arguments)
    arguments_hash = guard.arguments_hash(spec.name, to_jsonable_python(arguments))
    if not isinstance(outcome, Plan):
        result = cast(MeteredResult, outcome)
        if token is not None:
            await guard.redeem_unspent(token, tool=spec.name, arguments_hash=arguments_hash)
        if result.status == "cached":
            await guard.record_cached(
                tool=spec.name, arguments_hash=arguments_hash, note="; ".join(result.notes)
            )
        result.credits_charged = 0
        result.budget_left = await guard.budget_left()
        return _render(result, _metered_text(result))
    plan = cast(Plan[MeteredResult], outcome)
    decision = await _approval(spec, call, plan.quote, token)
    if isinstance(decision, InputRequiredResult):
        return decision
    if decision is False:
        declined = _metered_output(spec)(
            status="declined",
            credits_charged=0,
            quote=plan.quote,
            budget_left=await guard.budget_left(),
            notes=["The user declined; nothing was sent to Lusha and nothing was spent."],
        )
        return _render(declined, _metered_text(declined))
    authorized = await guard.authorize(
        tool=spec.name,
        arguments_hash=arguments_hash,
        quote=plan.quote,
        confirmation_token=token,
        elicited=decision is True,
    )
    if isinstance(authorized, ConfirmationRequest):
        pending = _metered_output(spec)(
            status="confirmation_required",
            quote=authorized.quote,
            budget_left=authorized.budget_left,
            confirmation_token=authorized.confirmation_token,
            expires_in_seconds=authorized.expires_in_seconds,
        )
        return _render(pending, _confirmation_text(spec, authorized))
    try:
        with authorized_spend(f"ledger call {authorized.reservation.call_id}"):
            billed = await plan.run()
    except BaseException as exc:
        charged, request_id = _partial_billing(exc)
        call.state.usage.note_charge(charged)
        with anyio.CancelScope(shield=True):
            await guard.fail(
                authorized,
                maybe_charged=_may_have_been_charged(exc),
                note=type(exc).__name__,
                charged=charged,
                request_id=request_id,
            )
        # A backstop: split calls wrapped in until_failure() return their charged batches instead.
        if charged and isinstance(exc, Exception):
            mapped = tool_error(exc, metered=False)
            if mapped is not None:
                raise ToolError(
                    f"{mapped} The batches sent before the failure were charged {charged} credits "
                    "(recorded in the ledger)."
                ) from exc
        raise
    settlement = await guard.settle(
        authorized,
        charged=billed.credits_charged,
        request_id=billed.request_id,
        stopped=type(billed.stopped).__name__ if billed.stopped is not None else None,
        uncertain=billed.stopped is not None and _may_have_been_charged(billed.stopped),
    )
    call.state.usage.note_charge(settlement.charged)
    result = billed.result
    result.quote = plan.quote
    result.credits_charged = settlement.charged
    result.budget_left = settlement.budget_left
    result.notes = [*plan.notes, *result.notes]
    if settlement.over_quote:
        result.notes.append(
            f"Lusha charged {settlement.charged} credits, more than the quote of "
            f"{plan.quote.total_credits}; recorded in the ledger."
        )
    return _render(result, _metered_text(result))


def _metered_output(spec: ToolSpec) -> type[MeteredResult]:
    return cast(type[MeteredResult], spec.output)


def _metered_text(result: MeteredResult) -> str:
    parts: list[str] = []
    if result.status == "declined":
        parts.append("Declined by the user: nothing was spent.")
    else:
        parts.append(result.render())
    parts.extend(result.notes if result.status != "declined" else [])
    footer = f"Credits charged: {result.credits_charged or 0}"
    budget = budget_line(result.budget_left)
    if budget:
        footer += f"; {budget}"
    parts.append(footer + ".")
    return "\n".join(part for part in parts if part)


def _confirmation_text(spec: ToolSpec, request: ConfirmationRequest) -> str:
    lines = [
        f"Confirmation required: nothing was spent. {spec.title} may cost up to "
        f"{request.quote.total_credits} credits.",
    ]
    if request.quote.reveals:
        lines.append(f"It reveals personal data: {', '.join(request.quote.reveals)}.")
    lines.append(request.quote.describe())
    budget = budget_line(request.budget_left)
    if budget:
        lines.append(budget.capitalize() + ".")
    lines.append(
        f"Ask the user. If they agree, call {spec.name} again with the same arguments and "
        f'confirmation_token="{request.confirmation_token}" (valid {request.expires_in_seconds} s, once).'
    )
    return "\n".join(lines)
