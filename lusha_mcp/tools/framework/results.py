"""How tool results look: a typed model for structuredContent and a short text for the model.

Convention: every tool returns a `ToolResult` subclass. `render()` gives the TextContent, which is
what Claude's clients show the model: every row the call returned, as a table with the ids the next
step needs (contact ids, company ids and domains) and the next page to ask for. Emails, phones, ids
and domains are never shortened; only columns a table names in `shorten` may be. Nulls and empty
lists are dropped from structuredContent. Metered tools return a `MeteredResult` subclass; the framework fills in what
was charged, the budget left, or the confirmation the call is waiting for.
"""

from __future__ import annotations

from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field

from lusha_mcp.guard import BudgetLeft, Quote

CallStatus = Literal["ok", "partial", "cached", "confirmation_required", "declined", "quoted"]


class ToolResult(BaseModel):
    """Base of every tool's output model."""

    model_config = ConfigDict(extra="forbid")

    def render(self) -> str:
        """The text the model reads; subclasses override with a compact view."""
        return self.model_dump_json(exclude_none=True)

    def structured(self) -> dict[str, Any]:
        return compact(self.model_dump(mode="json", by_alias=True, exclude_none=True))


class Fit(BaseModel):
    """What the guard would do with a call's quote if it ran now (quote_only, estimate_plan)."""

    model_config = ConfigDict(extra="forbid")

    would: Literal["run", "confirm", "refuse"] = Field(
        description="run: within the per-call cap, budgets and reveal allowlist; confirm: needs the "
        "user's approval first; refuse: the guard would refuse it (reason says why)."
    )
    reason: str | None = Field(default=None, description="Why it needs confirmation or is refused.")
    budget_left_after: BudgetLeft | None = Field(
        default=None, description="Budgets left if it spends its whole quote."
    )


class MeteredResult(ToolResult):
    """Fields every metered tool's result carries beside its data."""

    status: CallStatus = Field(
        default="ok",
        description="partial: a batch failed midway (notes say what is missing); cached: 0 credits; "
        "confirmation_required, declined, quoted: nothing spent.",
    )
    credits_charged: int | None = Field(default=None, description="Credits Lusha charged for this call.")
    budget_left: BudgetLeft | None = Field(default=None, description="Credits this server may still spend.")
    quote: Quote | None = Field(default=None, description="Upper bound of the cost, itemised.")
    confirmation_token: str | None = Field(
        default=None, description="Pass back with the same arguments after the user agrees."
    )
    expires_in_seconds: int | None = Field(default=None, description="Lifetime of confirmation_token.")
    fit: Fit | None = Field(
        default=None, description="quote_only: whether the call fits and what it would do."
    )
    notes: list[str] = Field(
        default_factory=list[str], description="Cache hits, over-quote charges, warnings."
    )


def compact(value: Any) -> Any:
    """Drop None, empty lists and empty objects, recursively."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in cast(dict[str, Any], value).items():
            if isinstance(item, dict | list):
                item = compact(item)
                if not item:
                    continue
            elif item is None:
                continue
            out[key] = item
        return out
    if isinstance(value, list):
        return [compact(item) if isinstance(item, dict | list) else item for item in cast(list[Any], value)]
    return value
