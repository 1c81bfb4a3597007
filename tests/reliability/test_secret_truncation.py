"""Secrets at the edges: a key placed at every offset around the point where an error body is
cut, and echoed in a response header (which httpcore logs at DEBUG) and in a successful body,
appears in no piece of 6 or more characters in tool errors, tool results, `doctor` output or
the DEBUG log of every logger (captured in process: `doctor` itself does not log).

The API is a small loopback HTTP server answering what a misbehaving proxy in front of Lusha
could: a plain-text 502 that quotes the request's key, or a 200 usage answer carrying it.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import pytest
import uvicorn
from mcp import Client
from pydantic import SecretStr
from starlette.types import Receive, Scope, Send

from lusha_mcp.api.errors import BODY_KEPT
from lusha_mcp.server import build_server
from lusha_mcp.settings import Settings

pytestmark = pytest.mark.anyio

KEY = "c4n4ry00-7f3a-4b9c-8d2e-1a5b6c7d8e9f"
PIECE = 6
OFFSETS = range(BODY_KEPT - len(KEY) - 2, BODY_KEPT + 3)
"""Every start from wholly kept to wholly cut, through every split of the key at the cut."""


def pieces(secret: str) -> list[str]:
    return [secret[start : start + PIECE] for start in range(len(secret) - PIECE + 1)]


def leaked(text: str) -> list[str]:
    return [piece for piece in pieces(KEY) if piece in text]


@dataclass
class Misbehaving:
    """What the fake API answers: account usage (5 requests a minute) with the key in the plan's
    name, anything else a plain-text 502 with the key at `offset`."""

    offset: int = 0
    usage_fails: bool = False
    requests: list[str] = field(default_factory=list[str])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        self.requests.append(scope["path"])
        key = dict(scope["headers"]).get(b"api_key", b"").decode()
        headers = [(b"x-echoed-api-key", key.encode())]
        if scope["path"] == "/v3/account/usage" and not self.usage_fails:
            status = 200
            body = json.dumps(
                {
                    "credits": {"total": 10, "used": 0, "remaining": 10},
                    "plan": {"category": f"plan for {key}"},
                    "pricing": {
                        action: {"credits": 1, "perQuantity": 1} for action in ("revealEmail", "revealPhone")
                    },
                }
            ).encode()
            headers.append((b"content-type", b"application/json"))
        else:
            status = 502
            body = ("p" * self.offset + key + " proxy said so " + "q" * 700).encode()
            headers.append((b"content-type", b"text/plain"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@asynccontextmanager
async def serving(app: Misbehaving) -> AsyncGenerator[str]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False))
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(server.serve, [listener])
        try:
            yield f"http://127.0.0.1:{listener.getsockname()[1]}"
        finally:
            server.should_exit = True
    listener.close()


def real_api(settings: Settings, base_url: str) -> Settings:
    return settings.model_copy(
        update={
            "sandbox": False,
            "api_key": SecretStr(KEY),
            "base_url": base_url,
            "auto_approve": True,
            "max_retries": 0,
            "timeout": 5.0,
        }
    )


def logged(records: list[logging.LogRecord]) -> str:
    formatter = logging.Formatter()
    return "\n".join(formatter.format(record) for record in records)


async def test_a_key_straddling_the_cut_never_appears_in_tool_errors_results_or_debug_logs(
    sandbox_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app = Misbehaving()
    shown: list[str] = []
    async with serving(app) as url, Client(build_server(real_api(sandbox_settings, url))) as client:
        for offset in OFFSETS:
            app.offset = offset
            result = await client.call_tool("enrich_contacts", {"ids": ["c-1"], "reveal": ["emails"]})
            assert result.is_error, result
            shown.append(result.model_dump_json())
        usage = await client.call_tool("get_account_usage", {})
        assert not usage.is_error, usage
        shown.append(usage.model_dump_json())
    assert app.requests.count("/v3/contacts/enrich") == len(OFFSETS), app.requests
    # The errors still say what went wrong, with the body's text up to the cut.
    assert all("502" in text and "ppp" in text for text in shown[:-1])
    assert any("proxy said so" in text for text in shown[:-1])
    assert "plan for ***" in shown[-1]
    assert [leaked(text) for text in shown if leaked(text)] == []
    log = logged(caplog.records)
    assert "x-echoed-api-key" in log, "httpcore's DEBUG header log was not captured: the test proves nothing"
    assert leaked(log) == []


@pytest.mark.parametrize("offset", [OFFSETS[0], BODY_KEPT - len(KEY) // 2, BODY_KEPT - 1])
async def test_doctor_never_prints_a_piece_of_a_key_cut_by_the_body_limit(
    tmp_path: Path, offset: int
) -> None:
    app = Misbehaving(offset=offset, usage_fails=True)
    async with serving(app) as url:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "LUSHA_API_KEY": KEY,
            "LUSHA_BASE_URL": url,
            "LUSHA_DATA_DIR": str(tmp_path / "data"),
            "LUSHA_MAX_RETRIES": "0",
        }
        with anyio.fail_after(60):
            process = await anyio.run_process(
                [sys.executable, "-m", "lusha_mcp", "doctor"], env=env, check=False
            )
    output: Any = process.stdout.decode() + process.stderr.decode()
    assert "502" in output, output
    assert "ppp" in output, "the body's text is not shown: the test proves nothing"
    assert leaked(output) == [], output
