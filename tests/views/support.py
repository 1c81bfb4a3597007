"""Clients with and without the MCP Apps extension, over the transports the tests use."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from mcp import Client
from mcp.client.extension import advertise
from mcp.client.streamable_http import streamable_http_client
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp_types import CallToolResult

APPS = advertise(EXTENSION_ID, {"mimeTypes": [APP_MIME_TYPE]})
"""What a host that renders MCP Apps declares."""

APPROVAL_META = "io.github.lusha-mcp/approval"


@asynccontextmanager
async def http_client(url: str, *, apps: bool) -> AsyncGenerator[Client]:
    http = create_mcp_http_client()
    async with (
        http,
        Client(streamable_http_client(url, http_client=http), extensions=[APPS] if apps else []) as client,
    ):
        yield client


def wire(result: CallToolResult) -> dict[str, Any]:
    """A tool result as the host forwards it to a view (`ui/notifications/tool-result`)."""
    return result.model_dump(by_alias=True, mode="json", exclude_none=True)
