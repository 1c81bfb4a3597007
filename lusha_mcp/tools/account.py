"""get_account_usage: Lusha's credit balance and pricing beside what this server spent (free)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from lusha_mcp.api.models import AccountPlan, AccountRateLimits, ActionPrice, Credits
from lusha_mcp.guard import BudgetLeft, LedgerUnavailable
from lusha_mcp.settings import Toolset
from lusha_mcp.tools.framework import FREE_READ, ToolCall, ToolGroup, ToolResult, budget_line
from lusha_mcp.tools.webhook_spend import reconcile_deliveries

group = ToolGroup()
register = group.register


class ToolSpend(BaseModel):
    session: int = Field(description="This client session.")
    today: int = Field(description="Today (UTC), every session of this data dir.")


class AccountUsageReport(ToolResult):
    """The account's credits, quotas, plan and prices, and this server's spending and budgets."""

    credits: Credits = Field(description="Lusha's figures for the billing cycle.")
    plan: AccountPlan | None = None
    rate_limits: AccountRateLimits | None = None
    pricing: dict[str, ActionPrice] = Field(
        default_factory=dict[str, ActionPrice], description="Credits per action."
    )
    server: BudgetLeft = Field(description="What this server spent (session, today) and may still spend.")
    snapshot_age_seconds: int = Field(
        description="Age of Lusha's figures (the endpoint allows 5 calls a minute)."
    )
    charged_since_snapshot: int = Field(
        default=0, description="Credits this server was charged after the snapshot; already deducted."
    )
    spent_by_tool: dict[str, ToolSpend] = Field(
        default_factory=dict[str, ToolSpend], description="Credits per tool, this session and today."
    )

    def render(self) -> str:
        credits = self.credits
        lines = [
            f"Lusha credits: {credits.remaining:g} left of {credits.total:g} (used {credits.used:g})."
            if credits.remaining is not None and credits.total is not None and credits.used is not None
            else "Lusha credits: not reported.",
            *(
                [
                    f"(Lusha reported its figures {self.snapshot_age_seconds} s ago; the balance above already "
                    f"subtracts the {self.charged_since_snapshot} credit{'' if self.charged_since_snapshot == 1 else 's'} "
                    "this server spent since.)"
                ]
                if self.charged_since_snapshot
                else []
            ),
            f"This server spent {self.server.spent_session} this session and {self.server.spent_today} today"
            f"; {budget_line(self.server)}.",
        ]
        spent = {tool: spend for tool, spend in self.spent_by_tool.items() if spend.session or spend.today}
        if spent:
            lines.append(
                "Spent by tool (session / today): "
                + ", ".join(f"{tool} {spend.session}/{spend.today}" for tool, spend in spent.items())
                + "."
            )
        else:
            lines.append("No credits spent by any tool this session or today.")
        if self.pricing:
            prices = ", ".join(
                f"{action} {price.credits:g}"
                + (f"/{price.per_quantity:g}" if price.per_quantity != 1 else "")
                for action, price in sorted(self.pricing.items())
            )
            lines.append(f"Prices (credits): {prices}.")
        return "\n".join(lines)


@group.tool(toolset=Toolset.core, title="Account usage and budget", annotations=FREE_READ, metered=False)
async def get_account_usage(call: ToolCall) -> AccountUsageReport:
    """Show the Lusha credit balance, plan, quotas and per-action prices, plus what this server spent (by tool) and the budget left.

    Use this before large jobs or after a 402. Free (Lusha's figures are reused for 15 s).
    """
    usage = await call.state.usage.get(max_age_seconds=15.0)
    call.guard.pricing.offer(dict(usage.pricing))
    age = call.state.usage.age_seconds or 0.0
    since = call.state.usage.charged_since_fetch
    credits = usage.credits
    if since:
        credits = credits.model_copy(
            update={
                "remaining": None if credits.remaining is None else credits.remaining - since,
                "used": None if credits.used is None else credits.used + since,
            }
        )
    await reconcile_deliveries(call.state)  # delivered webhook signals are spending too
    return AccountUsageReport(
        credits=credits,
        charged_since_snapshot=since,
        plan=usage.plan,
        rate_limits=usage.rate_limits,
        pricing=usage.pricing,
        server=await call.guard.budget_left_or_unknown(),
        spent_by_tool={
            tool: ToolSpend(session=session, today=today)
            for tool, (session, today) in (await _tool_spend(call)).items()
        },
        snapshot_age_seconds=int(age),
    )


async def _tool_spend(call: ToolCall) -> dict[str, tuple[int, int]]:
    """What each tool spent, or nothing when the ledger is unavailable (this report is free)."""
    try:
        return await call.guard.ledger.tool_spend(call.guard.caller)
    except LedgerUnavailable:
        return {}
