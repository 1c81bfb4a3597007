"""1. Context cost of the tool catalogue: o200k_base tokens of tools/list, per tool and in total.

    .venv/bin/python bench/bench_catalog.py

"Model-visible" is what a client shows the model of each tool: name, description and input
schema. "Whole" is the tools/list JSON as sent (title, annotations, output schema included).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from harness import Workspace, bench_main
from report import Section, Table
from tokens import TokenCounter, load_token_counter

KEY, TITLE = "catalog", "1. Context cost of the tool catalogue"
MODEL_VISIBLE_TARGET = 4_000
WHOLE_TARGET = 12_000
"""The whole tools/list JSON of the default toolsets, output schemas included (24,230 before they
were slimmed: the issue's reference)."""
LUSHA_LOCAL_SERVER_TOKENS = 4_094
"""Lusha's own local MCP server: 4,094 tokens for its 8 tools (the issue's reference)."""


def model_visible(tool: dict[str, Any]) -> dict[str, Any]:
    return {key: tool[key] for key in ("name", "description", "inputSchema") if key in tool}


async def list_catalogue(
    workspace: Workspace, label: str, **overrides: Any
) -> tuple[list[dict[str, Any]], str]:
    """The tools/list answer (as JSON dicts) and the server instructions, through the MCP client."""
    from mcp import Client

    from lusha_mcp.server import build_server

    server = build_server(workspace.settings(label, **overrides))
    async with Client(server) as client:
        listing = await client.list_tools(cache_mode="bypass")
        instructions = client.instructions or ""
    tools = [tool.model_dump(by_alias=True, exclude_none=True, mode="json") for tool in listing.tools]
    return tools, instructions


async def measure(section: Section, workspace: Workspace) -> None:
    from lusha_mcp.settings import Toolset

    counter, tokenizer = load_token_counter()
    section.notes.append(f"Tokenizer: {tokenizer}.")
    default_tools, instructions = await list_catalogue(workspace, "catalog-default")
    all_tools, _ = await list_catalogue(workspace, "catalog-all", toolsets=list(Toolset))
    toolsets = await toolset_names(workspace)
    if counter is None:
        section.status = "partial"
        section.add(
            "model-visible tokens, default toolsets",
            None,
            "tokens",
            at_most=MODEL_VISIBLE_TARGET,
            note=tokenizer,
        )
        section.add(
            "whole tools/list JSON, default toolsets", None, "tokens", at_most=WHOLE_TARGET, note=tokenizer
        )
        section.add("tools, default toolsets", len(default_tools))
        section.add("tools, all toolsets", len(all_tools))
        return
    default = catalogue_figures(counter, default_tools)
    everything = catalogue_figures(counter, all_tools)
    section.add(
        f"model-visible tokens, default toolsets ({len(default_tools)} tools)",
        default.visible,
        "tokens",
        at_most=MODEL_VISIBLE_TARGET,
    )
    section.add("  against the 4,000 target", default.visible / MODEL_VISIBLE_TARGET, "x")
    section.add(
        "  against Lusha's local server (4,094 tokens, 8 tools)",
        default.visible / LUSHA_LOCAL_SERVER_TOKENS,
        "x",
    )
    section.add("  per tool (mean)", default.visible / max(len(default_tools), 1), "tokens")
    section.add(
        "whole tools/list JSON, default toolsets",
        default.whole,
        "tokens",
        at_most=WHOLE_TARGET,
        note="with output schemas",
    )
    section.add("  output schemas in it", default.output, "tokens")
    section.add(f"model-visible tokens, all toolsets ({len(all_tools)} tools)", everything.visible, "tokens")
    section.add("whole tools/list JSON, all toolsets", everything.whole, "tokens")
    section.add("server instructions", counter.count(instructions), "tokens", note="sent once at initialize")
    rows: list[list[str | float | int | None]] = []
    for tool in all_tools:
        schema_tokens = counter.count_json(tool.get("outputSchema", {})) if "outputSchema" in tool else 0
        rows.append(
            [
                tool["name"],
                toolsets.get(tool["name"], "?"),
                "yes" if any(item["name"] == tool["name"] for item in default_tools) else "no",
                counter.count_json(model_visible(tool)),
                counter.count(tool.get("description", "")),
                counter.count_json(tool.get("inputSchema", {})),
                schema_tokens,
                counter.count_json(tool),
            ]
        )
    rows.sort(key=lambda row: -int(row[3] or 0))
    section.tables.append(
        Table(
            "Tokens per tool (all toolsets)",
            [
                "tool",
                "toolset",
                "default",
                "model-visible",
                "description",
                "input schema",
                "output schema",
                "whole",
            ],
            rows,
        )
    )
    section.notes.append(
        "Counts are of compact JSON (no spaces), as the SDK sends it; clients that pretty-print "
        "the schemas for the model spend more."
    )
    missing = sorted(set(Toolset) - set(toolsets.values()))
    if missing:
        section.notes.append(
            "Toolsets with no tool registered at measurement time: "
            + ", ".join(str(name) for name in missing)
            + "."
        )


@dataclass(frozen=True, slots=True)
class CatalogueTokens:
    visible: int
    whole: int
    output: int


def catalogue_figures(counter: TokenCounter, tools: list[dict[str, Any]]) -> CatalogueTokens:
    """Tokens of the catalogue as one JSON list (what a client serialises into the prompt)."""
    return CatalogueTokens(
        visible=counter.count_json([model_visible(tool) for tool in tools]),
        whole=counter.count_json({"tools": tools}),
        output=sum(counter.count_json(tool["outputSchema"]) for tool in tools if "outputSchema" in tool),
    )


async def toolset_names(workspace: Workspace) -> dict[str, str]:
    """Tool name -> toolset, from the server's own declarations."""
    from lusha_mcp.server import build_server
    from lusha_mcp.settings import Toolset

    server = build_server(workspace.settings("catalog-specs", toolsets=list(Toolset)))
    specs: dict[str, Any] = getattr(server, "specs", {})
    return {name: str(getattr(spec, "toolset", "?")) for name, spec in specs.items()}


if __name__ == "__main__":
    sys.exit(bench_main(KEY, TITLE, measure))
