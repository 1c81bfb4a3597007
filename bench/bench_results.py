"""2. Result economy: tokens the model reads for a tool result against the raw Lusha JSON.

    .venv/bin/python bench/bench_results.py

A 50-row contact prospecting page and a 100-contact enrich (emails and phones), made through the
MCP tools in memory with the arguments a model would send; the raw Lusha JSON is the very HTTP
body the server's client received for each call, captured on the transport. The text shows every
row the call returned, so text against raw is like for like; it is also given per row.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any, cast

from harness import CapturingTransport, Workspace, bench_main
from report import Section, Table
from tokens import TokenCounter, load_token_counter

KEY, TITLE = "results", "2. Result economy"
RATIO_TARGET = 0.4
STRUCTURED_TARGET = 0.6
PAGE_SIZE = 50
ENRICH_COUNT = 100
PROSPECT: dict[str, Any] = {
    "departments": ["Sales"],
    "seniority": ["Director", "Vice President", "C-Suite"],
    "company_sizes": ["51-1000"],
    "page": 0,
    "size": PAGE_SIZE,
}
REVEAL = ["emails", "phones"]


@dataclass(frozen=True, slots=True)
class ToolOutput:
    text: str
    structured: dict[str, Any] | None
    is_error: bool


async def call_tools(workspace: Workspace) -> tuple[ToolOutput, ToolOutput, Any, Any]:
    """The prospecting page and the enrich of 100 ids (its own and the next page's), with the raw
    bodies behind them."""
    from mcp import Client
    from mcp_types import TextContent

    from lusha_mcp.sandbox import sandbox_transport
    from lusha_mcp.server import build_server

    def output(result: Any) -> ToolOutput:
        text = "\n".join(block.text for block in result.content if isinstance(block, TextContent))
        return ToolOutput(text, result.structured_content, bool(result.is_error))

    settings = workspace.settings("results", auto_approve=True)
    wire = CapturingTransport(sandbox_transport(settings))
    async with Client(build_server(settings, transport=wire)) as client:
        page = await client.call_tool("prospect_contacts", PROSPECT)
        structured: dict[str, Any] = page.structured_content or {}
        following: dict[str, Any] = (
            await client.call_tool("prospect_contacts", {**PROSPECT, "page": 1})
        ).structured_content or {}
        rows = cast(list[dict[str, Any]], [*structured.get("contacts", []), *following.get("contacts", [])])
        ids = [str(row["id"]) for row in rows if "id" in row][:ENRICH_COUNT]
        enriched = await client.call_tool("enrich_contacts", {"ids": ids, "reveal": REVEAL})
    raw_pages = wire.bodies("POST", "/v3/contacts/prospecting")
    raw_enriched = wire.bodies("POST", "/v3/contacts/enrich")
    return (
        output(page),
        output(enriched),
        json.loads(raw_pages[0]) if raw_pages else None,
        json.loads(raw_enriched[-1]) if len(raw_enriched) == 1 else None,
    )


def record(
    section: Section,
    counter: TokenCounter,
    label: str,
    output: ToolOutput,
    raw: Any,
    key: str,
    rows: list[list[Any]],
) -> None:
    raw_tokens = counter.count_json(raw)
    text_tokens = counter.count(output.text)
    structured_tokens = counter.count_json(output.structured) if output.structured is not None else 0
    raw_rows = rows_in(raw, key)
    shown = shown_rows(output.text)
    section.add(f"{label}: model reads (text content)", text_tokens, "tokens")
    section.add(f"{label}: raw Lusha JSON", raw_tokens, "tokens")
    section.add(f"{label}: rows in the text / rows returned", shown / max(raw_rows, 1), "x", at_least=1.0)
    section.add(
        f"{label}: text per row shown / raw per row",
        (text_tokens / max(shown, 1)) / (raw_tokens / max(raw_rows, 1)),
        "x",
        at_most=RATIO_TARGET,
        note=f"{shown} of {raw_rows} rows in the text",
    )
    section.add(
        f"{label}: structuredContent / raw",
        structured_tokens / raw_tokens,
        "x",
        at_most=STRUCTURED_TARGET,
        note=f"{structured_tokens:,} tokens",
    )
    rows.append(
        [
            label,
            raw_tokens,
            text_tokens,
            structured_tokens,
            round(text_tokens / raw_tokens, 3),
            shown,
            raw_rows,
        ]
    )


def shown_rows(text: str) -> int:
    """Data rows of the text's markdown table (the header line is not one)."""
    return max(sum(1 for line in text.splitlines() if line.startswith("| ")) - 1, 0)


def rows_in(raw: Any, key: str) -> int:
    if not isinstance(raw, dict):
        return 0
    items: object = cast(dict[str, Any], raw).get(key)
    return len(cast(list[Any], items)) if isinstance(items, list | dict) else 0


async def measure(section: Section, workspace: Workspace) -> None:
    counter, tokenizer = load_token_counter()
    section.notes.append(f"Tokenizer: {tokenizer}.")
    page, enriched, raw_page, raw_enriched = await call_tools(workspace)
    if page.is_error or enriched.is_error or raw_page is None or raw_enriched is None:
        section.status = "partial"
        section.notes.append(
            f"Tool calls did not give the data to compare (prospect error={page.is_error}, "
            f"enrich error={enriched.is_error}, raw page captured={raw_page is not None}, "
            f"one raw enrich captured={raw_enriched is not None}): {page.text[:200]} {enriched.text[:200]}"
        )
        return
    if counter is None:
        section.status = "partial"
        section.add(
            "prospecting page: text per row / raw per row", None, "x", at_most=RATIO_TARGET, note=tokenizer
        )
        section.add("enrich: text per row / raw per row", None, "x", at_most=RATIO_TARGET, note=tokenizer)
        return
    rows: list[list[Any]] = []
    record(section, counter, f"{PAGE_SIZE}-row prospecting page", page, raw_page, "results", rows)
    record(section, counter, f"{ENRICH_COUNT}-contact enrich", enriched, raw_enriched, "results", rows)
    section.tables.append(
        Table(
            "Tokens per result",
            ["result", "raw JSON", "text content", "structuredContent", "text/raw", "rows shown", "rows"],
            rows,
        )
    )
    section.notes.append(
        "The text shows every row with its ids (contact, company, domain) and every revealed email "
        "and phone whole with its type; structuredContent holds lean rows (nulls and empty lists "
        "dropped) while the full records stay in the reveal cache."
    )
    section.notes.append(
        "Which part a client gives the model differs: Claude clients read the text content; clients "
        "that forward structuredContent spend its tokens instead (or as well)."
    )
    section.notes.append("Text content of the prospecting page, first lines: " + json.dumps(page.text[:300]))


if __name__ == "__main__":
    sys.exit(bench_main(KEY, TITLE, measure))
