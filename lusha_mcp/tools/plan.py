"""estimate_plan: price a multi-step plan before running any of it (free).

Each step is priced exactly as its call would be (`price_call`: the tool's own Plan quote, the one
the guard reserves when it runs), against the budgets left after the steps before it. A step that
takes "the ids of step N, up to M" is priced with M ids never seen in a search (full price): a
ceiling, since the ids step N will return are not known yet.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lusha_mcp.guard import BudgetLeft, Quote
from lusha_mcp.settings import Toolset
from lusha_mcp.tools.framework import (
    FREE_READ,
    ArgumentError,
    LushaServer,
    ToolCall,
    ToolGroup,
    ToolResult,
    budget_line,
    invalid_arguments_message,
    price_call,
    table,
    tool_error,
)

group = ToolGroup()
register = group.register

MAX_STEPS = 10
ID_ARGUMENTS = ("ids", "company_ids")
"""The argument a step's ids from an earlier step go into: the first of these its tool takes."""


class PlanStep(BaseModel):
    # One call of the plan (no docstring: it would be sent in the input schema).
    model_config = ConfigDict(extra="forbid")

    tool: str = Field(description="Tool name.")
    arguments: dict[str, Any] = Field(default_factory=dict[str, Any], description="Its arguments.")
    ids_from_step: int | None = Field(default=None, ge=1, description="Takes this step's ids.")
    up_to: int | None = Field(default=None, ge=1, description="How many.")


class StepEstimate(BaseModel):
    """What one step may cost and what the guard would do with it."""

    step: int
    tool: str
    ceiling: int = Field(description="At most this many credits.")
    quote: Quote | None = None
    would: Literal["run", "confirm", "refuse"]
    reason: str | None = None
    notes: list[str] = Field(default_factory=list[str], description="Served free from the cache, etc.")
    budget_left_after: BudgetLeft | None = Field(default=None, description="After this and earlier steps.")
    confirmation_token: str | None = Field(
        default=None, description="Step 1 only: pass it to the call once the user approves."
    )
    expires_in_seconds: int | None = None


class PlanEstimate(ToolResult):
    """The plan's ceiling, step by step; nothing was spent."""

    total_ceiling: int = Field(description="At most this many credits for the whole plan.")
    steps: list[StepEstimate]
    first_stop: int | None = Field(
        default=None, description="The first step that would be refused or need confirmation."
    )
    budget_left: BudgetLeft = Field(description="Budgets left now.")
    budget_left_after: BudgetLeft | None = Field(
        default=None, description="If every step spends its ceiling."
    )

    def render(self) -> str:
        lines = [
            f"Plan of {len(self.steps)} steps: at most {self.total_ceiling} credits in all. Nothing was spent."
        ]
        lines.append(
            table(
                ("step", "tool", "ceiling", "would", "notes"),
                [(s.step, s.tool, s.ceiling, s.would, " ".join(s.notes)) for s in self.steps],
            )
        )
        for step in self.steps:
            if step.reason:
                lines.append(f"Step {step.step} ({step.would}): {step.reason}")
        if self.first_stop is None:
            lines.append("Every step would run without confirmation.")
        else:
            stop = self.steps[self.first_stop - 1]
            lines.append(
                f"First stop: step {stop.step} ({stop.tool}) "
                + ("would be refused." if stop.would == "refuse" else "needs the user's confirmation.")
            )
        now, after = budget_line(self.budget_left), budget_line(self.budget_left_after)
        if now:
            lines.append(f"Now {now}; after the plan, {after.removeprefix('budget left: ')}.")
        first = self.steps[0]
        if first.confirmation_token:
            lines.append(
                f"If the user approves, run step 1 ({first.tool}) with the same arguments and "
                f'confirmation_token="{first.confirmation_token}" (valid {first.expires_in_seconds} s, once).'
            )
        return "\n".join(lines)


@group.tool(toolset=Toolset.core, title="Estimate a plan", annotations=FREE_READ, metered=False)
async def estimate_plan(
    call: ToolCall,
    steps: Annotated[
        list[PlanStep], Field(description="Calls in order.", min_length=1, max_length=MAX_STEPS)
    ],
) -> PlanEstimate:
    """Price a plan of calls without running it: per step the ceiling, cache hits, budget left after, and the first step that would be refused or need confirmation.

    Use this before a multi-step or large run. Free. Ids a step N will return:
    ids_from_step=N, up_to=M (priced as M new ids). One call: quote_only=true.
    """
    server = cast(LushaServer, call.ctx.mcp_server)
    estimates: list[StepEstimate] = []
    drawn = 0
    for number, step in enumerate(steps, start=1):
        estimate = await _estimate_step(server, call, number, step, drawn)
        drawn += estimate.ceiling
        estimates.append(estimate)
    left = await call.guard.budget_left()
    stops = [estimate.step for estimate in estimates if estimate.would != "run"]
    return PlanEstimate(
        total_ceiling=drawn,
        steps=estimates,
        first_stop=stops[0] if stops else None,
        budget_left=left,
        budget_left_after=estimates[-1].budget_left_after,
    )


async def _estimate_step(
    server: LushaServer, call: ToolCall, number: int, step: PlanStep, drawn: int
) -> StepEstimate:
    try:
        spec = server.specs.get(step.tool)
        if spec is None or step.tool == "estimate_plan":
            raise ArgumentError(
                f"steps[{number - 1}].tool",
                f"no tool named {step.tool!r} on this server",
                "one of: " + ", ".join(name for name in server.specs if name != "estimate_plan"),
            )
        if not spec.metered:
            return StepEstimate(step=number, tool=step.tool, ceiling=0, would="run", notes=["Free."])
        arguments = _step_arguments(server, number, step)
        priced = await price_call(
            spec, ToolCall(call.state, call.ctx, spec.name), arguments, drawn=drawn, with_token=number == 1
        )
    except Exception as exc:
        if isinstance(exc, ValidationError):
            reason = invalid_arguments_message(step.tool, exc)
        else:
            mapped = tool_error(exc, metered=False)
            if mapped is None:
                raise
            reason = str(mapped)
        return StepEstimate(
            step=number, tool=step.tool, ceiling=0, would="refuse", reason=f"Not priced: {reason}"
        )
    return StepEstimate(
        step=number,
        tool=step.tool,
        ceiling=priced.quote.total_credits,
        quote=priced.quote,
        would=priced.fit.would,
        reason=priced.fit.reason,
        notes=list(priced.notes),
        budget_left_after=priced.fit.budget_left_after,
        confirmation_token=priced.confirmation_token,
        expires_in_seconds=priced.expires_in_seconds,
    )


def _step_arguments(server: LushaServer, number: int, step: PlanStep) -> dict[str, Any]:
    """The step's arguments validated as its call would validate them, ids from an earlier step filled in."""
    where = f"steps[{number - 1}]"
    accepted = server.own_arguments(step.tool)
    unknown = [name for name in step.arguments if name not in accepted]
    if unknown:
        raise ArgumentError(
            f"{where}.arguments", f"{step.tool} takes no {', '.join(unknown)}", "only: " + ", ".join(accepted)
        )
    arguments = dict(step.arguments)
    if step.ids_from_step is None:
        if step.up_to is not None:
            raise ArgumentError(f"{where}.up_to", "up_to needs ids_from_step", "both, or neither")
    else:
        if step.ids_from_step >= number:
            raise ArgumentError(
                f"{where}.ids_from_step", f"step {step.ids_from_step} is not before it", f"1 to {number - 1}"
            )
        if step.up_to is None:
            raise ArgumentError(f"{where}.up_to", "how many ids is not given", "up_to=N with ids_from_step")
        target = next((name for name in ID_ARGUMENTS if name in accepted), None)
        if target is None:
            raise ArgumentError(f"{where}.ids_from_step", f"{step.tool} takes no ids", "no ids_from_step")
        if arguments.get(target):
            raise ArgumentError(f"{where}.arguments.{target}", "given with ids_from_step", "one of them")
        arguments[target] = [f"plan-step{step.ids_from_step}-id{index}" for index in range(step.up_to)]
    return server.validate_own_arguments(step.tool, arguments)
