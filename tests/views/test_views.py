"""MCP Apps over the protocol: which tools bind which view, the views' resources and CSP, the
token kept from the model, and no change at all for a client without the extension."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from mcp.server.apps import APP_MIME_TYPE
from mcp_types import TextResourceContents

from lusha_mcp.server import build_server
from lusha_mcp.settings import Settings
from tests.http.conftest import RunningServer, cli_environment, start_http_server, stop
from tests.server.harness import structured, text_of
from tests.views.support import APPROVAL_META, APPS, http_client

pytestmark = pytest.mark.anyio

BOUND = {
    "prospect_contacts": "ui://lusha/prospects.html",
    "search_contacts": "ui://lusha/prospects.html",
    "enrich_contacts": "ui://lusha/quote.html",
    "get_account_usage": "ui://lusha/spend.html",
}


def listing(tools: list[Any]) -> dict[str, dict[str, Any]]:
    return {tool.name: tool.model_dump(by_alias=True, mode="json", exclude_none=True) for tool in tools}


async def check_bindings(client: Client) -> None:
    tools = listing((await client.list_tools()).tools)
    for name, uri in BOUND.items():
        assert tools[name]["_meta"]["ui"] == {"resourceUri": uri}, name
    approval = tools["request_approval"]["_meta"]["ui"]
    assert approval["visibility"] == ["app"], "the approval tool must be hidden from the model"
    resources = {
        str(r.uri): r for r in (await client.list_resources()).resources if str(r.uri).startswith("ui://")
    }
    assert set(resources) == {"ui://lusha/prospects.html", "ui://lusha/quote.html", "ui://lusha/spend.html"}
    for uri, resource in resources.items():
        assert resource.mime_type == APP_MIME_TYPE
        read = await client.read_resource(uri)
        content = read.contents[0]
        assert isinstance(content, TextResourceContents)
        html = content.text
        # Self-contained: no external script, style, image or frame, and a CSP that forbids fetches.
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), uri
        assert "default-src 'none'" in html, uri
        assert "fetch(" not in html, uri
        assert "XMLHttpRequest" not in html, uri
        meta = content.meta or {}
        csp = meta["ui"]["csp"]
        assert all(csp[key] == [] for key in ("connectDomains", "resourceDomains", "frameDomains")), csp


async def test_bindings_in_memory_and_over_http(
    sandbox_settings: Settings, tmp_path: Path, session_data_dir: Path
) -> None:
    async with Client(build_server(sandbox_settings), extensions=[APPS]) as client:
        await check_bindings(client)
    server: RunningServer = start_http_server(cli_environment(tmp_path / "data", session_data_dir))
    try:
        async with http_client(server.url, apps=True) as client:
            await check_bindings(client)
    finally:
        stop(server)


async def test_bindings_over_stdio(tmp_path: Path, session_data_dir: Path) -> None:
    env = cli_environment(tmp_path / "data", session_data_dir)
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "lusha_mcp", "serve", "--sandbox"], env=env
    )
    async with Client(params, extensions=[APPS]) as client:
        await check_bindings(client)


async def snapshot(client: Client) -> tuple[str, str]:
    tools = json.dumps(listing((await client.list_tools()).tools), sort_keys=True)
    resources = json.dumps(sorted(str(r.uri) for r in (await client.list_resources()).resources))
    return tools, resources


async def test_a_client_without_the_extension_sees_no_change(sandbox_settings: Settings) -> None:
    async with Client(build_server(sandbox_settings)) as plain:
        tools, resources = await snapshot(plain)
        assert "request_approval" not in tools
        assert '"ui"' not in tools
        assert "ui://" not in resources
        found = await plain.call_tool("prospect_contacts", {"departments": ["Sales"], "size": 10})
        ids = [str(row["id"]) for row in structured(found)["contacts"][:3]]
        pending = await plain.call_tool("enrich_contacts", {"ids": ids, "reveal": ["emails"]})
        waiting = structured(pending)
        assert waiting["status"] == "confirmation_required"
        token = str(waiting["confirmation_token"])
        assert token in text_of(pending), "without a view, the token is relayed by the assistant"
        assert APPROVAL_META not in (pending.meta or {})
        refused = await plain.call_tool(
            "request_approval", {"tool": "enrich_contacts", "arguments": {"ids": ids, "reveal": ["emails"]}}
        )
        assert refused.is_error
        assert "interactive views only" in text_of(refused)


async def test_with_a_view_the_token_goes_to_the_view_only(sandbox_settings: Settings) -> None:
    async with Client(build_server(sandbox_settings), extensions=[APPS]) as client:
        found = await client.call_tool("prospect_contacts", {"departments": ["Sales"], "size": 10})
        ids = [str(row["id"]) for row in structured(found)["contacts"][:3]]
        pending = await client.call_tool("enrich_contacts", {"ids": ids, "reveal": ["emails"]})
        approval = (pending.meta or {})[APPROVAL_META]
        token = approval["token"]
        assert token not in text_of(pending) + json.dumps(pending.structured_content)
        assert "confirmation_token" not in json.dumps(pending.structured_content)
        assert "quote card" in text_of(pending)
        assert approval["tool"] == "enrich_contacts"
        assert approval["arguments"] == {"ids": ids, "reveal": ["emails"]}
        done = await client.call_tool(
            "enrich_contacts", {**approval["arguments"], "confirmation_token": token}
        )
        assert (done.structured_content or {})["credits_charged"] == 3
        replay = await client.call_tool(
            "enrich_contacts", {**approval["arguments"], "confirmation_token": token}
        )
        assert replay.is_error, "a token is single-use, from a view as from the model"
