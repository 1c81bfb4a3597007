"""Server log messages to a 2025-protocol client at the level it set with logging/setLevel."""

from __future__ import annotations

import anyio
import httpx
import pytest
from mcp import Client
from mcp.types import LoggingMessageNotificationParams
from pydantic import SecretStr

from lusha_mcp.server import build_server
from lusha_mcp.settings import Settings

pytestmark = [
    pytest.mark.anyio,
    # A 2025-protocol client is what this serves; the SDK marks its setLevel call deprecated for 2026.
    pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning"),
]

CANARY_KEY = "lk_canary_4d2f8a0c19e7"


def flaky_lusha() -> httpx.MockTransport:
    """A Lusha that answers 503 (naming the key it was sent, as a careless proxy might) and then 200."""
    answers: list[int] = []

    def handle(request: httpx.Request) -> httpx.Response:
        answers.append(1)
        if len(answers) == 1:
            return httpx.Response(503, json={"message": f"upstream busy for {request.headers['api_key']}"})
        return httpx.Response(
            200,
            json={"credits": {"total": 10, "used": 0, "remaining": 10}, "pricing": {}, "requestId": "r-1"},
        )

    return httpx.MockTransport(handle)


async def usage_call_logs(level: str, tmp_path_data: Settings) -> list[LoggingMessageNotificationParams]:
    received: list[LoggingMessageNotificationParams] = []
    first = anyio.Event()

    async def on_log(params: LoggingMessageNotificationParams) -> None:
        received.append(params)
        first.set()

    server = build_server(tmp_path_data, transport=flaky_lusha())
    async with Client(server, mode="legacy", logging_callback=on_log) as client:
        assert client.server_capabilities.logging is not None
        # A 2025 client's call, deprecated for 2026-07-28 servers (which this one is not, for them).
        await client.set_logging_level(level)  # pyright: ignore[reportArgumentType, reportDeprecated]
        result = await client.call_tool("get_account_usage", {})
        assert not result.is_error, result.content
        if level == "info":  # notifications may trail the result a little
            with anyio.move_on_after(1):
                await first.wait()
    return received


def real_settings(data_dir: object) -> Settings:
    return Settings(
        api_key=SecretStr(CANARY_KEY),
        base_url="https://api.lusha.test",
        data_dir=data_dir,  # pyright: ignore[reportArgumentType]
        max_retries=2,
    )


async def test_the_client_gets_the_retry_notice_at_info_and_never_the_key(data_dir: object) -> None:
    received = await usage_call_logs("info", real_settings(data_dir))
    retries = [entry for entry in received if "retry 1 of 2" in str(entry.data)]
    assert retries, [entry.data for entry in received]
    assert all(entry.level == "info" for entry in retries)
    assert all(str(entry.logger).startswith("lusha_mcp") for entry in received)
    assert all(CANARY_KEY not in str(entry.data) for entry in received)


async def test_a_client_at_error_level_gets_no_info_messages(data_dir: object) -> None:
    received = await usage_call_logs("error", real_settings(data_dir))
    assert [entry for entry in received if entry.level in ("debug", "info", "notice", "warning")] == []
