"""The metered pipeline, in the order a call flows: the tool body builds its Plan (free work only:
pricing, filter values, caches) -> the user approves (confirm.py) or passes a token -> the guard
authorizes the quote and reserves it -> `plan.run()` inside `authorized_spend` (the only place a
metered Lusha operation may send) -> the guard settles what Lusha charged (never above the quote
without a ledger note). `quote_only` and estimate_plan stop after the Plan (`price_call`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import anyio
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, InputRequiredResult
from pydantic_core import to_jsonable_python

from lusha_mcp.api.errors import APIStatusError, InvalidRequestError, LushaError, ResponseLostError
from lusha_mcp.api.models import MeteredResponse
from lusha_mcp.api.spend import authorized_spend
from lusha_mcp.guard import BudgetLeft, ConfirmationRequest, CreditGuard, GuardRefusal, Quote
from lusha_mcp.tools.framework.call import Plan, ToolCall
from lusha_mcp.tools.framework.confirm import approval
from lusha_mcp.tools.framework.errors import ArgumentError, as_tool_errors, tool_error
from lusha_mcp.tools.framework.render import as_call_result, confirmation_text, metered_text, quoted_text
from lusha_mcp.tools.framework.results import Fit, MeteredResult, ToolResult
from lusha_mcp.tools.state import LushaState

if TYPE_CHECKING:
    from lusha_mcp.tools.framework.declare import ToolSpec


BeforeMetered = Callable[[LushaState], Awaitable[object]]
"""What a capability needs done before any metered call is priced (it sends no metered request)."""


async def run_call(
    spec: ToolSpec,
    call: ToolCall,
    arguments: Mapping[str, Any],
    *,
    token: str | None,
    quote_only: bool,
    before_metered: Sequence[BeforeMetered] = (),
) -> CallToolResult | InputRequiredResult:
    """Run one tool call: a free tool's body, a metered tool's quote (`quote_only`) or its whole
    metered pipeline; what the model can act on becomes a tool error with the next step."""
    with as_tool_errors(metered=spec.metered):
        if spec.metered and quote_only:
            return await _quote_only(spec, call, arguments, token)
        if spec.metered:
            return await _run_metered(spec, call, arguments, token, before_metered)
        result = cast(ToolResult, await spec.fn(call, **arguments))
        return as_call_result(result, result.render())


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


async def _run_metered(
    spec: ToolSpec,
    call: ToolCall,
    arguments: Mapping[str, Any],
    token: str | None,
    before_metered: Sequence[BeforeMetered],
) -> CallToolResult | InputRequiredResult:
    guard = call.guard
    guard.refuse_if_no_spend(spec.name)
    for hook in before_metered:  # e.g. delivered webhook signals count before this call
        await hook(call.state)
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
    decision = await approval(spec, call, plan.quote, token)
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
