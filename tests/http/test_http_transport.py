"""`lusha-mcp serve --transport http`: loopback by default, bearer token, Host/Origin checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from tests.http.conftest import HTTP_TOKEN, RunningServer, cli_environment

INITIALIZE: dict[str, Any] = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "http-test", "version": "0"},
    },
}
MCP_HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


def post_initialize(server: RunningServer, **headers: str) -> httpx.Response:
    return httpx.post(server.url, json=INITIALIZE, headers={**MCP_HEADERS, **headers}, timeout=30)


def test_a_loopback_server_answers_initialize(open_server: RunningServer) -> None:
    response = post_initialize(open_server)
    assert response.status_code == 200, response.text
    assert "lusha" in response.text


def test_a_forged_host_header_is_refused(open_server: RunningServer) -> None:
    response = post_initialize(open_server, host="evil.example:80")
    assert response.status_code == 421
    assert "Host" in response.text


def test_a_foreign_origin_is_refused(open_server: RunningServer) -> None:
    response = post_initialize(open_server, origin="http://evil.example")
    assert response.status_code == 403
    assert "Origin" in response.text


def test_a_loopback_origin_is_accepted(open_server: RunningServer) -> None:
    response = post_initialize(open_server, origin=f"http://localhost:{open_server.port}")
    assert response.status_code == 200, response.text


def test_a_request_without_the_token_gets_401(token_server: RunningServer) -> None:
    response = post_initialize(token_server)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in response.json()["message"]


def test_a_wrong_token_gets_401_and_is_never_logged(token_server: RunningServer) -> None:
    wrong = "wrong-token-canary-7f3a9c"
    response = post_initialize(token_server, authorization=f"Bearer {wrong}")
    assert response.status_code == 401
    assert HTTP_TOKEN not in response.text
    assert not any(wrong in line or HTTP_TOKEN in line for line in token_server.log)


def test_the_token_does_not_bypass_the_host_check(token_server: RunningServer) -> None:
    response = post_initialize(token_server, authorization=f"Bearer {HTTP_TOKEN}", host="evil.example")
    assert response.status_code == 421


@pytest.mark.anyio
async def test_a_client_with_the_token_lists_and_calls_tools(token_server: RunningServer) -> None:
    http_client = create_mcp_http_client(headers={"Authorization": f"Bearer {HTTP_TOKEN}"})
    async with (
        http_client,
        Client(streamable_http_client(token_server.url, http_client=http_client)) as client,
    ):
        names = {tool.name for tool in (await client.list_tools()).tools}
        usage = await client.call_tool("get_account_usage", {})
    assert {"search_contacts", "enrich_contacts", "get_account_usage"} <= names
    assert not usage.is_error
    assert usage.structured_content is not None


def test_binding_beyond_loopback_without_a_token_refuses_to_start(tmp_path: Path) -> None:
    env = cli_environment(tmp_path / "data", tmp_path / "dataset")
    result = subprocess.run(
        [sys.executable, "-m", "lusha_mcp", "serve", "--sandbox", "--transport", "http", "--host", "0.0.0.0"],  # noqa: S104 - refused before binding
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3
    assert "LUSHA_HTTP_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("host", "tokens"),
    [
        ("0.0.0.0", "short"),  # noqa: S104 - refused before binding
        ("127.0.0.1", f"{HTTP_TOKEN},short"),
    ],
    ids=["beyond-loopback", "one-of-several-on-loopback"],
)
def test_a_too_short_token_is_refused(tmp_path: Path, host: str, tokens: str) -> None:
    env = cli_environment(
        tmp_path / "data", tmp_path / "dataset", LUSHA_HTTP_HOST=host, LUSHA_HTTP_TOKEN=tokens
    )
    result = subprocess.run(
        [sys.executable, "-m", "lusha_mcp", "serve", "--sandbox", "--transport", "http"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3
    assert "too short" in result.stderr
    assert "short" not in result.stderr.replace("too short", "")
    assert HTTP_TOKEN not in result.stderr
