"""Asking the user to approve a spend once its Plan is built (so the tool body runs once per call):
a mid-call elicitation up to the 2025-11-25 protocol, an `InputRequiredResult` the client answers
by retrying the call from 2026-07-28. Where the client cannot elicit, the guard's single-use
token (a confirmation_required result) is the way to approve instead."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from mcp.server.elicitation import AcceptedElicitation, render_elicitation_schema
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ElicitRequest, ElicitRequestFormParams, ElicitResult, InputRequiredResult
from mcp_types.version import is_version_at_least
from pydantic import BaseModel, Field, ValidationError

from lusha_mcp.guard import Quote
from lusha_mcp.tools.framework.call import ToolCall
from lusha_mcp.tools.framework.render import approval_message

if TYPE_CHECKING:
    from lusha_mcp.tools.framework.declare import ToolSpec


class SpendApproval(BaseModel):
    """What the user answers when asked through elicitation."""

    approve: bool = Field(
        default=True, title="Spend these credits", description="Run the call and spend the credits."
    )


def can_elicit(ctx: Context[Any, Any]) -> bool:
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


APPROVAL_KEY = "lusha_spend_approval"
"""The key of the approval question in a 2026-07-28 `InputRequiredResult`."""

_INPUT_REQUIRED_VERSION = "2026-07-28"
"""From this protocol revision on, elicitation rides `InputRequiredResult` and the client's retry."""


async def ask_approval(ctx: Context[Any, Any], message: str) -> bool | InputRequiredResult:
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


async def approval(
    spec: ToolSpec, call: ToolCall, quote: Quote, token: str | None
) -> bool | InputRequiredResult | None:
    """True: the user approved by elicitation; False: declined or cancelled; None: not asked (a token
    was given, the client cannot elicit, auto-approve, or the quote needs no confirmation)."""
    guard = call.guard
    if token is not None or guard.policy.auto_approve or not can_elicit(call.ctx):
        return None
    left = await guard.preflight(quote)
    if not guard.needs_confirmation(quote):
        return None
    return await ask_approval(call.ctx, approval_message(spec, quote, left))
