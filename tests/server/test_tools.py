"""The MCP surface of the core tools: catalogue, results, errors, progress, stdio."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any, cast

import pytest
from mcp import Client, StdioServerParameters
from mcp_types import Tool

from lusha_mcp.sandbox import sandbox_app
from lusha_mcp.server import build_server
from lusha_mcp.settings import Settings, Toolset
from tests.conftest import SHARED_DIR
from tests.server.harness import (
    call,
    charged_calls,
    charged_total,
    contact_ids_with_emails,
    sandbox_control,
    structured,
    text_of,
)

pytestmark = pytest.mark.anyio

CORE_TOOLS = {
    "search_contacts",
    "enrich_contacts",
    "prospect_contacts",
    "search_companies",
    "enrich_companies",
    "prospect_companies",
    "list_filter_values",
    "get_account_usage",
    "estimate_plan",
}
FREE = {"list_filter_values", "get_account_usage", "estimate_plan"}
METERED = CORE_TOOLS - FREE
SNAPSHOT = Path(__file__).with_name("tools_list.snapshot.json")
"""The whole tools/list of every toolset. Regenerate after a reviewed change with
`LUSHA_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/server/test_tools.py -k snapshot`."""
TOKENIZER_CACHE = SHARED_DIR / "tokenizer" / "tiktoken-cache"


def with_settings(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(update=changes)


async def list_tools(settings: Settings) -> list[Tool]:
    async with Client(build_server(settings)) as client:
        return list((await client.list_tools()).tools)


def properties_of(schema: Any) -> list[tuple[str, dict[str, Any]]]:
    """Every property of the schema, nested ones (list items, inlined models, $defs) included."""
    if isinstance(schema, list):
        return [found for item in cast(list[Any], schema) for found in properties_of(item)]
    if not isinstance(schema, dict):
        return []
    node = cast(dict[str, Any], schema)
    properties = cast(dict[str, dict[str, Any]], node.get("properties", {}))
    found = list(properties.items())
    for key, value in node.items():
        found += properties_of(
            list(cast(dict[str, Any], value).values()) if key in ("properties", "$defs") else value
        )
    return found


# Every metered tool takes these; they are described once, in the server instructions (see catalog.py).
FRAMEWORK_ARGUMENTS = {"confirmation_token", "quote_only"}


async def test_core_toolset_offers_the_core_tools(sandbox_settings: Settings) -> None:
    tools = await list_tools(with_settings(sandbox_settings, toolsets=[Toolset.core]))

    assert {tool.name for tool in tools} == CORE_TOOLS


async def test_every_tool_sets_all_four_annotations_and_describes_every_argument(
    sandbox_settings: Settings,
) -> None:
    for tool in await list_tools(sandbox_settings):
        hints = tool.annotations
        assert hints is not None, tool.name
        assert None not in (
            hints.read_only_hint,
            hints.destructive_hint,
            hints.idempotent_hint,
            hints.open_world_hint,
        ), tool.name
        assert tool.description, tool.name
        assert "Use this" in tool.description, tool.name
        assert tool.output_schema is not None, tool.name
        for name, schema in properties_of(tool.input_schema):
            assert name in FRAMEWORK_ARGUMENTS or schema.get("description"), (
                f"{tool.name}.{name} has no description"
            )


async def test_metered_tools_are_not_read_only_and_take_a_confirmation_token(
    sandbox_settings: Settings,
) -> None:
    tools = {
        tool.name: tool for tool in await list_tools(with_settings(sandbox_settings, toolsets=[Toolset.core]))
    }

    for name in METERED:
        hints = tools[name].annotations
        assert hints is not None
        assert hints.read_only_hint is False
        assert hints.open_world_hint is True
        assert set(tools[name].input_schema["properties"]) >= FRAMEWORK_ARGUMENTS
    for name in CORE_TOOLS - METERED:
        hints = tools[name].annotations
        assert hints is not None
        assert hints.read_only_hint is True
        assert not FRAMEWORK_ARGUMENTS & set(tools[name].input_schema.get("properties", {}))


async def test_the_whole_catalogue_matches_its_snapshot(sandbox_settings: Settings) -> None:
    """Every field a client sees of every tool in every toolset (output schemas included), so a
    change to any of them shows in review."""
    tools = await list_tools(with_settings(sandbox_settings, toolsets=list(Toolset)))
    seen = {
        tool.name: tool.model_dump(mode="json", by_alias=True, exclude_none=True)
        for tool in sorted(tools, key=lambda tool: tool.name)
    }
    text = json.dumps(seen, indent=1, sort_keys=True) + "\n"
    if os.environ.get("LUSHA_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(text)
    assert SNAPSHOT.exists(), "no snapshot: run with LUSHA_UPDATE_SNAPSHOTS=1 to write it"
    assert SNAPSHOT.read_text() == text, (
        "tools/list changed: review the diff, then rerun with LUSHA_UPDATE_SNAPSHOTS=1 "
        "(.venv/bin/python -m pytest tests/server/test_tools.py -k snapshot)"
    )


async def test_default_catalogue_stays_within_the_model_visible_token_budget(
    sandbox_settings: Settings,
) -> None:
    """What the model reads of tools/list (name, description, input schema of the default
    toolsets), counted as bench/bench_catalog.py counts it: compact JSON, o200k."""
    if not TOKENIZER_CACHE.is_dir():
        pytest.skip(reason="the offline o200k tokenizer is not available")
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(TOKENIZER_CACHE))
    import tiktoken

    encoding = tiktoken.get_encoding("o200k_base")
    tools = await list_tools(sandbox_settings)
    visible = [
        {"name": tool.name, "description": tool.description, "inputSchema": tool.input_schema}
        for tool in tools
    ]
    tokens = len(encoding.encode(json.dumps(visible, separators=(",", ":"), ensure_ascii=False)))

    assert tokens <= 4_000, (
        f"the {len(tools)} default tools take {tokens} model-visible tokens (target 4,000)"
    )


async def test_prospecting_renders_a_table_with_ids_and_the_next_page(sandbox_settings: Settings) -> None:
    settings = with_settings(sandbox_settings, auto_approve=True)
    async with Client(build_server(settings)) as client:
        result = await call(
            client,
            "prospect_contacts",
            departments=["Sales"],
            size=10,
        )

    body = structured(result)
    text = text_of(result)
    assert body["status"] == "ok"
    assert len(body["contacts"]) == 10
    assert body["pagination"]["total"] > 10
    assert "| id | name |" in text
    assert all(contact["id"] in text for contact in body["contacts"])
    assert "next: page=1" in text
    assert f"Credits charged: {body['credits_charged']}" in text


async def test_results_leave_out_nulls_and_empty_lists(sandbox_settings: Settings) -> None:
    settings = with_settings(sandbox_settings, auto_approve=True)
    ids = contact_ids_with_emails(settings, 3)
    async with Client(build_server(settings)) as client:
        body = structured(await call(client, "search_contacts", contacts=[{"id": i} for i in ids]))

    def walk(value: Any) -> None:
        assert value is not None
        assert value != []
        assert value != {}
        if isinstance(value, dict):
            for item in cast(dict[str, Any], value).values():
                walk(item)
        elif isinstance(value, list):
            for item in cast(list[Any], value):
                walk(item)

    walk(body)


async def test_bad_arguments_come_back_as_tool_errors_naming_the_field(sandbox_settings: Settings) -> None:
    async with Client(build_server(sandbox_settings)) as client:
        wrong_enum = await call(client, "enrich_contacts", ids=["1"], reveal=["faxes"])
        no_identifier = await call(client, "search_contacts", contacts=[{"first_name": "Ada"}])
        both_or_neither = await call(client, "enrich_contacts", reveal=["emails"])
        unknown_filter = await call(
            client, "prospect_contacts", raw_filters={"contacts": {"include": {"titlez": ["x"]}}}
        )
        page_too_small = await call(client, "prospect_companies", sizes=["51-200"], size=5)

    assert wrong_enum.is_error
    assert "reveal[0]" in text_of(wrong_enum)
    assert "'emails' or 'phones'" in text_of(wrong_enum)
    assert no_identifier.is_error
    assert "contacts[0]" in text_of(no_identifier)
    assert both_or_neither.is_error
    assert "either ids or contacts" in text_of(both_or_neither)
    assert unknown_filter.is_error
    assert "titlez" in text_of(unknown_filter)
    assert page_too_small.is_error
    assert "size" in text_of(page_too_small)
    assert await charged_calls(sandbox_settings) == []


async def test_out_of_credits_says_to_top_up_or_lower_the_request(sandbox_settings: Settings) -> None:
    settings = with_settings(sandbox_settings, auto_approve=True)
    ids = contact_ids_with_emails(settings, 1)
    await sandbox_control(settings, "POST", "/_sandbox/credits", {"remaining": 0})
    async with Client(build_server(settings)) as client:
        result = await call(client, "enrich_contacts", ids=ids, reveal=["emails"])
        usage = structured(await call(client, "get_account_usage"))

    assert result.is_error
    assert "402" in text_of(result)
    assert "top up" in text_of(result)
    assert usage["server"]["spent_session"] == 0


async def test_rate_limited_call_says_when_to_retry(sandbox_settings: Settings) -> None:
    settings = with_settings(sandbox_settings, auto_approve=True, max_retries=0)
    ids = contact_ids_with_emails(settings, 1)
    async with Client(build_server(settings)) as client:
        await call(client, "get_account_usage")
        await sandbox_control(settings, "POST", "/_sandbox/faults", {"next": ["rate_limit"]})
        result = await call(client, "search_contacts", contacts=[{"id": ids[0]}])

    assert result.is_error
    assert "429" in text_of(result)
    assert "Retry in" in text_of(result)


async def test_gdpr_blocked_contact_is_explained(sandbox_settings: Settings) -> None:
    settings = with_settings(sandbox_settings, auto_approve=True)
    sandbox_app(settings)
    with sqlite3.connect(settings.sandbox_db_path()) as db:
        blocked = str(db.execute("SELECT id FROM contacts WHERE gdpr_blocked = 1 LIMIT 1").fetchone()[0])
    async with Client(build_server(settings)) as client:
        result = await call(client, "enrich_contacts", ids=[blocked], reveal=["emails"])

    assert result.is_error
    assert "451" in text_of(result)
    assert "GDPR" in text_of(result)


async def test_lost_response_keeps_its_quote_counted_against_the_budget(sandbox_settings: Settings) -> None:
    settings = with_settings(sandbox_settings, auto_approve=True, session_budget=10, timeout=0.5)
    ids = contact_ids_with_emails(settings, 2)
    async with Client(build_server(settings)) as client:
        await call(client, "get_account_usage")
        await sandbox_control(settings, "POST", "/_sandbox/faults", {"next": ["lost"]})
        lost = await call(client, "enrich_contacts", ids=ids, reveal=["emails"])
        usage = structured(await call(client, "get_account_usage"))

    assert lost.is_error
    assert "may have been charged" in text_of(lost)
    assert usage["server"]["session"] == 8


async def test_multi_batch_search_reports_progress(sandbox_settings: Settings) -> None:
    settings = with_settings(sandbox_settings, auto_approve=True)
    ids = contact_ids_with_emails(settings, 150)
    updates: list[tuple[float, float | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total))

    async with Client(build_server(settings)) as client:
        result = await client.call_tool(
            "search_contacts", {"contacts": [{"id": i} for i in ids]}, progress_callback=on_progress
        )

    assert len(structured(result)["contacts"]) == 150
    assert sorted(updates) == [(50, 150), (150, 150)] or sorted(updates) == [(100, 150), (150, 150)]


async def test_served_over_stdio_with_the_sandbox(sandbox_settings: Settings, tmp_path: Path) -> None:
    sandbox_app(sandbox_settings)
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "LUSHA_DATA_DIR": str(tmp_path / "stdio-data"),
        "LUSHA_SANDBOX_DATASET_DIR": str(sandbox_settings.sandbox_dataset_dir),
        "LUSHA_SANDBOX_CONTACTS": str(sandbox_settings.sandbox_contacts),
        "LUSHA_SANDBOX_COMPANIES": str(sandbox_settings.sandbox_companies),
    }
    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "lusha_mcp", "serve", "--sandbox", "--toolsets", "core", "--no-spend"],
        env=environment,
    )
    async with Client(server) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        usage = await client.call_tool("get_account_usage", {})

    assert names == FREE
    assert not usage.is_error
    assert "Lusha credits" in text_of(usage)


async def test_company_extras_are_quoted_and_a_repeat_is_served_from_the_cache(
    sandbox_settings: Settings,
) -> None:
    asking = with_settings(sandbox_settings, confirm_above=0)
    settings = with_settings(sandbox_settings, auto_approve=True)
    async with Client(build_server(settings)) as client:
        page = structured(
            await call(
                client,
                "prospect_companies",
                sizes=["51-200"],
                size=10,
            )
        )
    ids = [company["id"] for company in page["companies"][:2]]
    async with Client(build_server(asking)) as client:
        quoted = structured(await call(client, "enrich_companies", ids=ids, extras=["competitors"]))
    async with Client(build_server(settings)) as client:
        first = structured(await call(client, "enrich_companies", ids=ids, extras=["competitors"]))
        again = structured(await call(client, "enrich_companies", ids=ids))

    assert quoted["status"] == "confirmation_required"
    assert {item["action"] for item in quoted["quote"]["items"]} == {"reveal_company", "revealCompetitors"}
    assert quoted["quote"]["total_credits"] == 4
    assert first["status"] == "ok"
    assert first["credits_charged"] <= 4
    assert again["status"] == "cached"
    assert again["credits_charged"] == 0
    assert [company["id"] for company in again["companies"]] == ids


async def test_identifiers_already_revealed_are_served_from_the_cache(sandbox_settings: Settings) -> None:
    settings = with_settings(sandbox_settings, auto_approve=True)
    ids = contact_ids_with_emails(settings, 1)
    async with Client(build_server(settings)) as client:
        revealed = structured(await call(client, "enrich_contacts", ids=ids, reveal=["emails"]))
        email = revealed["contacts"][0]["emails"][0]["email"]
        again = structured(
            await call(client, "enrich_contacts", contacts=[{"email": email}], reveal=["emails"])
        )

    assert again["status"] == "cached"
    assert again["contacts"][0]["id"] == ids[0]
    assert again["credits_charged"] == 0


async def test_account_usage_deducts_what_was_charged_after_its_snapshot(sandbox_settings: Settings) -> None:
    settings = with_settings(sandbox_settings, auto_approve=True)
    ids = contact_ids_with_emails(settings, 3)
    async with Client(build_server(settings)) as client:
        before = structured(await call(client, "get_account_usage"))
        await call(client, "enrich_contacts", ids=ids, reveal=["emails"])
        after = structured(await call(client, "get_account_usage"))
    lusha_charged = await charged_total(settings)
    credits = await sandbox_control(settings, "GET", "/v3/account/usage")

    assert lusha_charged > 0
    assert after["charged_since_snapshot"] == lusha_charged
    assert after["credits"]["remaining"] == before["credits"]["remaining"] - lusha_charged
    assert after["credits"]["remaining"] == credits["credits"]["remaining"]
    assert after["credits"]["used"] == before["credits"]["used"] + lusha_charged
