"""The tool framework: declare a tool once (toolset, annotations, metered), the catalog does the rest.

See the docstring of `lusha_mcp.tools` for how to add a tool.
"""

from __future__ import annotations

import copy
import hashlib
import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, cast

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
)
from mcp_types import Tool as MCPTool
from mcp_types.version import is_version_at_least
from pydantic import AnyUrl, BaseModel, Field, ValidationError
from pydantic_core import to_jsonable_python

from lusha_mcp.api.errors import APIStatusError, InvalidRequestError, LushaError, ResponseLostError
from lusha_mcp.api.models import MeteredResponse
from lusha_mcp.api.spend import authorized_spend
from lusha_mcp.client_sessions import CLIENT_SESSION, client_session_of
from lusha_mcp.guard import BudgetLeft, ConfirmationRequest, CreditGuard, GuardRefusal, OverBudget, Quote
from lusha_mcp.settings import Settings, Toolset
from lusha_mcp.tools.framework.arguments import (
    FRAMEWORK_ARGUMENTS,
    invalid_arguments_message,
    mcp_parameters,
    unknown_arguments_message,
    without_arguments_of_other_toolsets,
)
from lusha_mcp.tools.framework.call import Plan, ToolCall
from lusha_mcp.tools.framework.declare import (
    ToolSpec,
)
from lusha_mcp.tools.framework.errors import ArgumentError, tool_error
from lusha_mcp.tools.framework.render import (
    approval_message,
    as_call_result,
    confirmation_text,
    metered_text,
    quoted_text,
)
from lusha_mcp.tools.framework.results import Fit, MeteredResult, ToolResult
from lusha_mcp.tools.framework.schemas import compact_schema, inline_definitions, slim_output_schema
from lusha_mcp.tools.state import LushaState
from lusha_mcp.tools.webhook_spend import reconcile_deliveries

M = TypeVar("M", bound=MeteredResult)


class SpendApproval(BaseModel):
    """What the user answers when asked through elicitation."""

    approve: bool = Field(
        default=True, title="Spend these credits", description="Run the call and spend the credits."
    )


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


def _can_elicit(ctx: Context[Any, Any]) -> bool:
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


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


def register_tools(server: LushaServer, specs: Iterable[ToolSpec], toolsets: ToolsetState) -> None:
    """Add each spec of an enabled toolset to `server` (and hide the spending ones in no-spend mode)."""
    for spec in specs:
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


def _mcp_function(
    spec: ToolSpec, *, derive_output_schema: bool = True
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
        try:
            if spec.metered and quote_only:
                return await _quote_only(spec, tool_call, kwargs, token)
            if spec.metered:
                return await _run_metered(spec, tool_call, kwargs, token)
            result = cast(ToolResult, await spec.fn(tool_call, **kwargs))
            return as_call_result(result, result.render())
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
    token, _ = guard.tokens.issue(spec.name, arguments_hash, quote.total_credits, holder=guard.client)
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
        for which, remaining in (("session", before.session), ("daily", before.today)):
            if remaining is not None and quote.total_credits > remaining:
                raise OverBudget(quote.total_credits, which, remaining)
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
    return as_call_result(quoted, quoted_text(spec, priced))


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
    return await _ask_approval(call.ctx, approval_message(spec, quote, left))


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
        return as_call_result(result, metered_text(result))
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
        return as_call_result(declined, metered_text(declined))
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
        return as_call_result(pending, confirmation_text(spec, authorized))
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
    return as_call_result(result, metered_text(result))


def _metered_output(spec: ToolSpec) -> type[MeteredResult]:
    return cast(type[MeteredResult], spec.output)
