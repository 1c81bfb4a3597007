"""Helpers shared by the server and guard tests: sandbox ids, its charge log, MCP calls."""

from __future__ import annotations

import sqlite3
from typing import Any, cast

import httpx
from mcp import Client
from mcp_types import CallToolResult, TextContent

from lusha_mcp.sandbox import SANDBOX_BASE_URL, sandbox_app, sandbox_transport
from lusha_mcp.settings import SANDBOX_API_KEY, Settings


def contact_ids_with_emails(settings: Settings, count: int) -> list[str]:
    """Ids of sandbox contacts that have an email and can be processed (dataset table per the brief)."""
    sandbox_app(settings)
    with sqlite3.connect(settings.sandbox_db_path()) as db:
        rows = db.execute(
            "SELECT id FROM contacts WHERE gdpr_blocked = 0 AND emails NOT IN ('[]', '') ORDER BY id LIMIT ?",
            (count,),
        ).fetchall()
    assert len(rows) == count, "the sandbox dataset has too few contacts with emails"
    return [str(row[0]) for row in rows]


async def sandbox_control(settings: Settings, method: str, path: str, body: Any = None) -> dict[str, Any]:
    async with httpx.AsyncClient(
        transport=sandbox_transport(settings), base_url=SANDBOX_BASE_URL, headers={"api_key": SANDBOX_API_KEY}
    ) as http:
        response = await http.request(method, path, json=body)
        response.raise_for_status()
        return cast(dict[str, Any], response.json())


async def charged_total(settings: Settings) -> int:
    return int((await sandbox_control(settings, "GET", "/_sandbox/charges"))["totalCreditsCharged"])


async def charged_calls(settings: Settings) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], (await sandbox_control(settings, "GET", "/_sandbox/charges"))["calls"])


def text_of(result: CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if isinstance(block, TextContent))


def structured(result: CallToolResult) -> dict[str, Any]:
    assert result.structured_content is not None, text_of(result)
    return result.structured_content


async def call(client: Client, tool: str, **arguments: Any) -> CallToolResult:
    return await client.call_tool(tool, arguments)
