"""A Lusha stand-in for client tests: the in-process sandbox behind an httpx.MockTransport.

Tests script answers (`script`: one-shot responders, `fallback`: answers every request) or let the
sandbox answer as Lusha would; every request is recorded in `seen`. Whatever key the client sends,
the stand-in passes the sandbox's own key on. Checking requests and answers against Lusha's
published spec is the job of tests/spec/ (LushaLushaStandIn there).
"""

from __future__ import annotations

import inspect
import json
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from lusha_mcp.api import LushaClient, authorized_spend
from lusha_mcp.sandbox import SANDBOX_BASE_URL, SandboxConfig, create_app, sandbox_transport
from lusha_mcp.settings import SANDBOX_API_KEY, Settings

API_KEY = "lk_live_9f3c2e7a1b5d4c8e"
BASE_URL = "https://api.lusha.test"

Responder = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response | None] | None]


@dataclass
class SeenRequest:
    method: str
    path: str
    params: dict[str, str]
    body: Any
    headers: httpx.Headers


@dataclass
class LushaStandIn:
    """Answers like Lusha would (the sandbox, or what the test scripts); records every request."""

    sandbox: httpx.AsyncBaseTransport | None = None
    seen: list[SeenRequest] = field(default_factory=list[SeenRequest])
    script: deque[Responder] = field(default_factory=deque[Responder])
    fallback: Responder | None = None
    per_endpoint_per_second: int | None = None
    rejected_for_rate: int = 0
    _hits: dict[str, deque[float]] = field(default_factory=dict[str, deque[float]])

    async def _respond(self, responder: Responder, request: httpx.Request) -> httpx.Response | None:
        answer = responder(request)
        if inspect.isawaitable(answer):
            return await answer
        return answer

    async def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        params = dict(request.url.params)
        path = request.url.path
        self.seen.append(SeenRequest(request.method, path, params, body, request.headers))
        if self.per_endpoint_per_second is not None:
            now = time.monotonic()
            hits = self._hits.setdefault(path, deque())
            while hits and hits[0] <= now - 1.0:
                hits.popleft()
            if len(hits) >= self.per_endpoint_per_second:
                self.rejected_for_rate += 1
                return httpx.Response(429, json={"statusCode": 429, "message": "Too many requests."})
            hits.append(now)
        if self.script:
            scripted = await self._respond(self.script.popleft(), request)
            if scripted is not None:
                return scripted
        if self.fallback is not None:
            answer = await self._respond(self.fallback, request)
            if answer is not None:
                return answer
        return await self.answer(request, body, params)

    async def answer(self, request: httpx.Request, body: Any, params: dict[str, str]) -> httpx.Response:
        """What Lusha answers when the test scripted nothing: the sandbox's answer."""
        assert self.sandbox is not None, "this stand-in has no sandbox: script every answer"
        headers = {**request.headers, "api_key": SANDBOX_API_KEY}
        forwarded = httpx.Request(
            request.method, request.url.copy_with(scheme="http", host="sandbox.lusha.invalid"),
            headers=headers, content=request.content,
        )  # fmt: skip
        response = await self.sandbox.handle_async_request(forwarded)
        content = await response.aread()
        return httpx.Response(response.status_code, headers=response.headers, content=content)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]


@pytest.fixture
def lusha(sandbox_settings: Settings) -> LushaStandIn:
    """Lusha as the sandbox answers (rate limits off: the client's pacing is what these tests watch)."""
    settings = sandbox_settings.model_copy(update={"sandbox_rate_limits": False})
    # Its own app (not the process-wide cached one): this test's account state goes with the test.
    return LushaStandIn(sandbox=httpx.ASGITransport(app=create_app(SandboxConfig.from_settings(settings))))


def make_client(server: LushaStandIn, **options: Any) -> LushaClient:
    options.setdefault("retry_base_delay", 0.001)
    options.setdefault("retry_max_delay", 0.01)
    return LushaClient(API_KEY, base_url=BASE_URL, transport=server.transport(), **options)


@pytest.fixture
async def sandbox_http(sandbox_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Plain HTTP to the in-process sandbox of the test (its Lusha routes and /_sandbox controls)."""
    async with httpx.AsyncClient(
        transport=sandbox_transport(sandbox_settings),
        base_url=SANDBOX_BASE_URL,
        headers={"api_key": SANDBOX_API_KEY},
    ) as http:
        yield http


@asynccontextmanager
async def spend_authorised() -> AsyncGenerator[None]:
    """These tests drive the client itself, not the guard: they authorise its metered calls
    the way the guard does (a metered call outside an authorised plan is refused)."""
    with authorized_spend("tests/api: the client under test"):
        yield


@pytest.fixture
async def client(lusha: LushaStandIn) -> AsyncIterator[LushaClient]:
    api = make_client(lusha)
    yield api
    await api.aclose()
