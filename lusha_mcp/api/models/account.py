"""Account usage: credits, rate-limit quotas, plan and per-action pricing."""

from __future__ import annotations

from pydantic import Field

from lusha_mcp.api.models.base import LushaModel, LushaResponse


class Credits(LushaModel):
    total: float | None = None
    used: float | None = None
    remaining: float | None = None


class QuotaWindow(LushaModel):
    limit: float | None = None
    used: float | None = None
    remaining: float | None = None
    resets_at: str | None = None


class AccountRateLimits(LushaModel):
    daily: QuotaWindow | None = None
    hourly: QuotaWindow | None = None
    minute: QuotaWindow | None = None


# The account's Lusha plan (a tool's priced call is tools.framework.Plan). No docstring: it would
# become the description in get_account_usage's output schema.
class AccountPlan(LushaModel):
    category: str | None = None
    renewal_type: str | None = None
    start_date: str | None = None
    end_date: str | None = None


# Lusha's price of one action as account usage reports it (the guard's is guard.pricing.Price).
class ActionPrice(LushaModel):
    """`credits` are charged per `per_quantity` units of the action."""

    credits: float = 0
    per_quantity: float = 1


class AccountUsage(LushaResponse):
    credits: Credits = Field(default_factory=Credits)
    rate_limits: AccountRateLimits | None = None
    plan: AccountPlan | None = None
    pricing: dict[str, ActionPrice] = Field(default_factory=dict[str, ActionPrice])
