"""The tool framework: declare a tool once (toolset, annotations, metered), the catalog does the rest.

See the docstring of `lusha_mcp.tools` for how to add a tool.
"""

from __future__ import annotations

import copy
import inspect
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar, cast

import anyio
from mcp.server.elicitation import (
    AcceptedElicitation,
    CancelledElicitation,
    DeclinedElicitation,
    ElicitationResult,
)
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context, Elicit, MCPServer, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, InputRequiredResult, TextContent, ToolAnnotations
from mcp_types import Tool as MCPTool
from pydantic import AnyUrl, BaseModel, Field, ValidationError
from pydantic_core import to_jsonable_python

from lusha_mcp.api.client import LushaClient
from lusha_mcp.api.errors import APIStatusError, InvalidRequestError, LushaError, ResponseLostError
from lusha_mcp.api.models import MeteredResponse
from lusha_mcp.clients import CLIENT_SESSION, client_session_of
from lusha_mcp.guard import BudgetLeft, ConfirmationRequest, CreditGuard, Quote
from lusha_mcp.settings import Settings, Toolset
from lusha_mcp.tools.errors import tool_error
from lusha_mcp.tools.results import MeteredResult, ToolResult, budget_line
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

ConfirmationTokenArg = Annotated[
    str | None,
    Field(description="From a confirmation_required result, once the user agreed."),
]


class SpendApproval(BaseModel):
    """What the user answers when asked through elicitation."""

    approve: bool = Field(
        default=True, title="Spend these credits", description="Run the call and spend the credits."
    )


class _NotAsked:
    """The approval resolver decided not to elicit (not needed, token given, or client cannot)."""


NOT_ASKED = _NotAsked()


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

    def hide_tool(self, name: str, refusal: str) -> None:
        self._refusals[name] = refusal

    async def list_tools(self) -> list[MCPTool]:
        return [tool for tool in await super().list_tools() if tool.name not in self._refusals]

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[LushaState, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        refusal = self._refusals.get(name)
        if refusal is not None:
            raise ToolError(refusal)
        client = CLIENT_SESSION.set(client_session_of(context))
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError):
                raise ToolError(invalid_arguments_message(name, exc.__cause__)) from exc
            raise
        finally:
            CLIENT_SESSION.reset(client)

    async def read_resource(
        self, uri: AnyUrl | str, context: Context[LushaState, Any] | None = None
    ) -> Iterable[ReadResourceContents] | InputRequiredResult:
        client = CLIENT_SESSION.set(client_session_of(context))
        try:
            return await super().read_resource(uri, context)
        finally:
            CLIENT_SESSION.reset(client)


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
                registered.parameters = compact_schema(registered.parameters)
                metadata = registered.fn_metadata
                if known_schema is not None:
                    metadata.output_model = spec.output
                    metadata.output_schema = copy.deepcopy(known_schema)
                elif metadata.output_schema is not None:
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


def _approval_resolver(spec: ToolSpec, argument_names: list[str]) -> Callable[..., Awaitable[Any]]:
    async def ask(**kwargs: Any) -> Any:
        ctx = cast(Context[Any, Any], kwargs.pop("ctx"))
        token = kwargs.pop("confirmation_token", None)
        if token is not None or not _can_elicit(ctx):
            return NOT_ASKED
        state = LushaState.of(ctx)
        guard = state.client_guard()
        if guard.policy.no_spend or guard.policy.auto_approve:
            return NOT_ASKED
        try:
            plan = await spec.fn(ToolCall(state, ctx, spec.name), **kwargs)
            if not isinstance(plan, Plan):
                return NOT_ASKED
            quote = cast(Plan[Any], plan).quote
            left = await guard.preflight(quote)
        except Exception:
            # The tool body meets the same failure and reports it properly.
            return NOT_ASKED
        if not guard.needs_confirmation(quote):
            return NOT_ASKED
        return Elicit(_approval_message(spec, quote, left), SpendApproval)

    parameters = [inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)]
    parameters += [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY)
        for name in ["confirmation_token", *argument_names]
    ]
    ask.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    ask.__annotations__ = {"ctx": Context}
    ask.__name__ = ask.__qualname__ = f"approve_{spec.name}"
    return ask


def _mcp_function(
    spec: ToolSpec, *, derive_output_schema: bool = True
) -> Callable[..., Awaitable[CallToolResult]]:
    """The function MCPServer sees: the tool's own arguments plus ctx, and for metered tools the
    confirmation_token argument and the elicitation-backed approval. Its return annotation names
    the output model when MCPServer is to derive the output schema from it."""
    signature = inspect.signature(spec.fn, eval_str=True)
    own = [
        parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY)
        for parameter in list(signature.parameters.values())[1:]
    ]
    parameters = [inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context), *own]
    if spec.metered:
        resolver = _approval_resolver(spec, [parameter.name for parameter in own])
        parameters.append(
            inspect.Parameter(
                "confirmation_token",
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=ConfirmationTokenArg,
            )
        )
        parameters.append(
            inspect.Parameter(
                "approval",
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[ElicitationResult[SpendApproval], Resolve(resolver)],
            )
        )
    returns = Annotated[CallToolResult, spec.output] if derive_output_schema else CallToolResult

    async def call(**kwargs: Any) -> CallToolResult:
        ctx = cast(Context[Any, Any], kwargs.pop("ctx"))
        # A metered tool's token is the framework's; a free tool may take its own (webhooks).
        token = cast(str | None, kwargs.pop("confirmation_token", None)) if spec.metered else None
        approval = kwargs.pop("approval", None)
        state = LushaState.of(ctx)
        tool_call = ToolCall(state, ctx, spec.name)
        try:
            if spec.metered:
                return await _run_metered(spec, tool_call, kwargs, token, approval)
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


def _decision(approval: object) -> bool | None:
    """True: the user accepted via elicitation; False: declined or cancelled; None: not asked."""
    if isinstance(approval, DeclinedElicitation | CancelledElicitation):
        return False
    if isinstance(approval, AcceptedElicitation):
        data = cast(AcceptedElicitation[Any], approval).data
        if isinstance(data, SpendApproval):
            return data.approve
    return None


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


async def _run_metered(
    spec: ToolSpec, call: ToolCall, arguments: Mapping[str, Any], token: str | None, approval: object
) -> CallToolResult:
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
    decision = _decision(approval)
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
