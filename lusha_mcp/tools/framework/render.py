"""How a call reads as text: markdown tables of every row, the page pointer, the budget line, and
the framework's own texts (a metered result's footer, a quote, a confirmation, the approval question).

Emails, phones, ids and domains are never shortened; only columns a table names in `shorten` may be.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING

from mcp_types import CallToolResult, TextContent

from lusha_mcp.api.models import Pagination
from lusha_mcp.guard import BudgetLeft, ConfirmationRequest, Quote
from lusha_mcp.tools.framework.results import MeteredResult, ToolResult

if TYPE_CHECKING:
    from lusha_mcp.tools.framework.declare import ToolSpec
    from lusha_mcp.tools.framework.pipeline import Priced

CELL_CHARS = 48
"""Longest cell of a column a table lets be shortened (titles, summaries); others are whole."""


def _cell(value: object, shorten: bool) -> str:
    if value is None:
        return ""
    text = str(value).replace("|", "/").replace("\n", " ")
    return text if not shorten or len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], *, shorten: Collection[str] = ()) -> str:
    """A markdown table of every row; only the columns named in `shorten` may be cut."""
    cut = [header in shorten for header in headers]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines.extend(
        "| " + " | ".join(_cell(cell, short) for cell, short in zip(row, cut, strict=False)) + " |"
        for row in rows
    )
    return "\n".join(lines)


def page_heading(count: int, noun: str, pagination: Pagination | None) -> str:
    """'25 contacts (page 0, 647 matches in all; next: page=1 with the same arguments)', the
    pointer only when more remain."""
    head = f"{count} {noun}"
    if pagination and pagination.total is not None:
        page, size = pagination.page or 0, pagination.size or count
        head += f" (page {page}, {pagination.total} matches in all"
        if (page + 1) * size < pagination.total:
            head += f"; next: page={page + 1} with the same arguments"
        head += ")"
    return head


def budget_line(left: BudgetLeft | None) -> str:
    if left is None:
        return ""
    parts: list[str] = []
    if left.session is not None:
        parts.append(f"session {left.session}")
    if left.today is not None:
        parts.append(f"today {left.today}")
    return "budget left: " + (", ".join(parts) if parts else "no budget set")


def budget_sentence(left: BudgetLeft | None) -> str:
    """'Budget left: session 40, today 200.', or '' when there is nothing to say."""
    line = budget_line(left)
    return line.capitalize() + "." if line else ""


def as_call_result(result: ToolResult, text: str) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=text)], structured_content=result.structured()
    )


def quoted_text(spec: ToolSpec, priced: Priced) -> str:
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


def approval_message(spec: ToolSpec, quote: Quote, left: BudgetLeft) -> str:
    lines = [f"{spec.title}: spend up to {quote.total_credits} Lusha credits?"]
    if quote.reveals:
        lines.append(f"This reveals personal data: {', '.join(quote.reveals)}.")
    lines.append(quote.describe())
    if budget := budget_sentence(left):
        lines.append(budget)
    return "\n".join(lines)


def metered_text(result: MeteredResult) -> str:
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


def confirmation_text(spec: ToolSpec, request: ConfirmationRequest) -> str:
    lines = [
        f"Confirmation required: nothing was spent. {spec.title} may cost up to "
        f"{request.quote.total_credits} credits.",
    ]
    if request.quote.reveals:
        lines.append(f"It reveals personal data: {', '.join(request.quote.reveals)}.")
    lines.append(request.quote.describe())
    if budget := budget_sentence(request.budget_left):
        lines.append(budget)
    lines.append(
        f"Ask the user. If they agree, call {spec.name} again with the same arguments and "
        f'confirmation_token="{request.confirmation_token}" (valid {request.expires_in_seconds} s, once).'
    )
    return "\n".join(lines)
