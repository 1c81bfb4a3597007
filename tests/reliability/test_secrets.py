"""Secrets: with a recognisable canary key, every tool and every error path (401 from the API,
connection refused, a real read timeout) and the CLI commands are driven; the canary appears in
no tool result, no error, no log line (DEBUG, every logger), no file of the data dir (ledger,
cache, tokens: raw bytes, WAL included) and no CLI output (doctor, ledger, purge).
"""

from __future__ import annotations

import logging
import os
import socket
import sys
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx
import pytest
from hypothesis import strategies as st
from mcp_types import CallToolResult, Tool
from pydantic import SecretStr

from lusha_mcp.sandbox import SANDBOX_BASE_URL, sandbox_server, sandbox_transport
from lusha_mcp.settings import Settings
from tests.reliability.conftest import FIGURES
from tests.reliability.faults import FaultInjector
from tests.reliability.test_fuzz import JSON, fuzz_every_tool, invalid_arguments, valid_arguments

CANARY = "lsh-canary-7f3a9c"
EXAMPLES = 6


def canary_settings(settings: Settings, base_url: str, **changes: object) -> Settings:
    return settings.model_copy(
        update={
            "sandbox": False,
            "api_key": SecretStr(CANARY),
            "base_url": base_url,
            "auto_approve": True,
            "max_retries": 1,
            "timeout": 0.5,
            **changes,
        }
    )


def no_canary_in_result(tool: Tool, arguments: JSON, result: CallToolResult) -> None:
    assert CANARY not in result.model_dump_json(), f"{tool.name} echoed the key"


def assert_no_canary_in_files(folder: Path) -> int:
    files = [path for path in folder.rglob("*") if path.is_file()]
    for path in files:
        assert CANARY.encode() not in path.read_bytes(), f"the key is stored in {path}"
    return len(files)


def assert_no_canary_in_logs(records: list[logging.LogRecord]) -> None:
    formatter = logging.Formatter()
    for record in records:
        text = record.getMessage() + (formatter.formatException(record.exc_info) if record.exc_info else "")
        assert CANARY not in text, f"logged by {record.name}: {text[:300]}"


def drive_every_tool(settings: Settings, transport: httpx.AsyncBaseTransport | None) -> int:
    return fuzz_every_tool(
        settings,
        lambda tool: st.one_of(valid_arguments(tool), invalid_arguments(tool)),
        EXAMPLES,
        transport=transport,
        also_check=no_canary_in_result,
    )


def test_the_key_refused_with_401_never_leaks_from_any_tool(
    sandbox_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = canary_settings(sandbox_settings, SANDBOX_BASE_URL)
    calls = drive_every_tool(settings, sandbox_transport(sandbox_settings))

    FIGURES["tool calls fuzzed"] += calls
    assert_no_canary_in_logs(caplog.records)
    assert any("401" in record.getMessage() or "key" in record.getMessage() for record in caplog.records)
    assert assert_no_canary_in_files(settings.data_dir) > 0


def test_the_key_never_leaks_when_the_api_is_unreachable(
    sandbox_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = canary_settings(sandbox_settings, "http://127.0.0.1:9", connect_timeout=0.5)
    calls = drive_every_tool(settings, None)

    FIGURES["tool calls fuzzed"] += calls
    assert_no_canary_in_logs(caplog.records)
    assert_no_canary_in_files(settings.data_dir)


@asynccontextmanager
async def tcp_sandbox(settings: Settings) -> AsyncGenerator[str]:
    """The sandbox on a loopback port (uvicorn), for real socket errors and timeouts."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    server = sandbox_server(settings, port=listener.getsockname()[1])
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(server.serve, [listener])
        try:
            yield f"http://127.0.0.1:{listener.getsockname()[1]}"
        finally:
            server.should_exit = True
    listener.close()


@pytest.mark.anyio
async def test_a_real_read_timeout_and_reset_over_tcp_are_clear_errors_that_never_show_the_key(
    sandbox_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    from mcp import Client

    from lusha_mcp.server import build_server
    from tests.reliability.faults import ledger_totals
    from tests.server.harness import contact_ids_with_emails, text_of

    caplog.set_level(logging.DEBUG)
    ids = contact_ids_with_emails(sandbox_settings, 10)
    async with tcp_sandbox(sandbox_settings.model_copy(update={"timeout": 0.5})) as url:
        # The sandbox key, so the call reaches the fault; the canary rides along as the bearer of
        # nothing: it is the key of a second server on the same sandbox, refused with 401.
        good = canary_settings(sandbox_settings, url, api_key=SecretStr("lusha-sandbox"))
        injector = FaultInjector(httpx.AsyncHTTPTransport(), ["timeout", "reset"])
        async with Client(build_server(good, transport=injector)) as client:
            timed_out = await client.call_tool("enrich_contacts", {"ids": ids, "reveal": ["emails"]})
            reset = await client.call_tool("enrich_contacts", {"ids": ids, "reveal": ["emails"]})
        async with Client(build_server(canary_settings(sandbox_settings, url))) as client:
            refused = await client.call_tool("enrich_contacts", {"ids": ids, "reveal": ["emails"]})

    for result in (timed_out, reset):
        assert result.is_error
        assert "may have been charged" in text_of(result)
    assert refused.is_error
    assert CANARY not in refused.model_dump_json()
    assert ledger_totals(good).charged == 0
    assert_no_canary_in_logs(caplog.records)


def cli_environment(data_dir: Path, base_url: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "LUSHA_API_KEY": CANARY,
        "LUSHA_BASE_URL": base_url,
        "LUSHA_DATA_DIR": str(data_dir),
        "LUSHA_LOG_LEVEL": "DEBUG",
        "LUSHA_TIMEOUT": "2",
        "LUSHA_CONNECT_TIMEOUT": "1",
        "LUSHA_MAX_RETRIES": "0",
    }


@pytest.mark.anyio
async def test_cli_commands_never_print_the_key(sandbox_settings: Settings, tmp_path: Path) -> None:
    data_dir = tmp_path / "cli-data"
    commands = [
        ["doctor"],
        ["ledger"],
        ["ledger", "--json"],
        ["purge", "--json"],
        ["purge", "--email", "a@b.c"],
    ]
    outputs: list[str] = []
    async with tcp_sandbox(sandbox_settings) as url:
        for base_url in (url, "http://127.0.0.1:9"):
            for command in commands:
                with anyio.fail_after(60):
                    process = await anyio.run_process(
                        [sys.executable, "-m", "lusha_mcp", *command],
                        env=cli_environment(data_dir, base_url),
                        check=False,
                    )
                output = process.stdout.decode() + process.stderr.decode()
                assert CANARY not in output, f"`lusha-mcp {' '.join(command)}` printed the key"
                assert "Traceback" not in output, output
                outputs.append(output)
    doctor = outputs[0]
    assert "401" in doctor or "key" in doctor.lower(), doctor
    assert_no_canary_in_files(data_dir)


class UsageRequestCounter(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.usage_requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v3/account/usage":
            self.usage_requests += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.anyio
async def test_a_refused_key_is_reported_at_once_by_every_metered_call_not_after_a_wait(
    sandbox_settings: Settings,
) -> None:
    """Found by the canary run: each metered call asked for the pricing again after a 401, and
    waited for one of the account-usage endpoint's 5 slots a minute (about 12 s a call)."""
    from mcp import Client

    from lusha_mcp.server import build_server
    from tests.server.harness import text_of

    counter = UsageRequestCounter(sandbox_transport(sandbox_settings))
    settings = canary_settings(sandbox_settings, SANDBOX_BASE_URL)
    async with Client(build_server(settings, transport=counter)) as client:
        results = [
            await client.call_tool("enrich_contacts", {"ids": [f"contact-{index}"], "reveal": ["emails"]})
            for index in range(8)
        ]

    for result in results:
        assert result.is_error
        assert "401" in text_of(result)
    assert counter.usage_requests == 1
