"""The sandbox served by uvicorn on a local port answers like the in-process one."""

from __future__ import annotations

import socket

import anyio
import httpx
import pytest

from lusha_mcp.sandbox import sandbox_server
from lusha_mcp.settings import SANDBOX_API_KEY, Settings

pytestmark = pytest.mark.anyio


async def test_the_sandbox_serves_over_tcp_on_localhost(sandbox_settings: Settings) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    server = sandbox_server(sandbox_settings, port=port)
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(server.serve, [listener])
        try:
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", headers={"api_key": SANDBOX_API_KEY}
            ) as client:
                usage = await client.get("/v3/account/usage")
                assert usage.status_code == 200
                assert usage.json()["credits"]["remaining"] == 10_000
                assert usage.headers["x-rate-limit-minute"] == "5"
                refused = await client.get("/v3/account/usage", headers={"api_key": "nope"})
                assert refused.status_code == 401
                with pytest.raises(httpx.TransportError):
                    await client.get("/v3/contacts/prospecting/filters", headers={"x-sandbox-fault": "reset"})
        finally:
            server.should_exit = True
    listener.close()
