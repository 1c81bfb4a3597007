"""The streamable HTTP transport and its guards: loopback by default, a bearer token beyond it,
and Host/Origin checks (the SDK's DNS-rebinding protection) on every request."""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import json
import logging
import socket
from collections import OrderedDict
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lusha_mcp.client_sessions import PRINCIPAL_SCOPE_KEY, SESSION_SCOPE_KEY, has_sessions, principal_of
from lusha_mcp.redaction import SECRETS
from lusha_mcp.settings import Settings

logger = logging.getLogger(__name__)

MCP_PATH = "/mcp"
KEEP_ALIVE_SECONDS = 30
"""How long the HTTP transport keeps an idle client connection open (uvicorn's default is 5 s)."""
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
WILDCARD_ADDRESSES = ("0.0.0.0", "::")  # noqa: S104 - names, compared against the bind address


class HTTPConfigError(ValueError):
    """The HTTP transport cannot start with these settings (the message says what to set)."""


def is_loopback(host: str) -> bool:
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def http_tokens(settings: Settings) -> list[str]:
    """The configured bearer tokens (`LUSHA_HTTP_TOKEN`, comma-separated): one per client."""
    if settings.http_token is None:
        return []
    tokens = [token.strip() for token in settings.http_token.get_secret_value().split(",") if token.strip()]
    for token in tokens:
        SECRETS.add(token)  # never logged, whole or in part
    return tokens


def check_binding(settings: Settings) -> None:
    """Beyond loopback the server must have a bearer token to ask for; every token must be long."""
    tokens = http_tokens(settings)
    if settings.oauth_issuer is not None:
        return  # sign-in: every request must carry a valid access token, wherever it binds
    if any(len(token) < 16 for token in tokens):
        raise HTTPConfigError(
            "a LUSHA_HTTP_TOKEN token is too short: use at least 16 random characters for each."
        )
    host = settings.http_host
    if is_loopback(host):
        return
    if not tokens:
        raise HTTPConfigError(
            f"refusing to serve HTTP on {host}: beyond 127.0.0.1 every request must carry a bearer "
            'token. Set LUSHA_HTTP_TOKEN to a long random value (e.g. `python3 -c "import secrets; '
            'print(secrets.token_urlsafe(32))"`) and send it as `Authorization: Bearer <token>`, '
            "or bind to 127.0.0.1."
        )


def _host_names(host: str) -> list[str]:
    if host in WILDCARD_ADDRESSES:
        names = {socket.gethostname(), socket.getfqdn()}
        with contextlib.suppress(OSError):
            names.update(socket.gethostbyname_ex(socket.gethostname())[2])
        return sorted(name for name in names if name)
    return [f"[{host}]" if ":" in host and not host.startswith("[") else host]


def transport_security(settings: Settings) -> TransportSecuritySettings:
    """Host and Origin values this server answers: loopback, the bound address, and any configured."""
    names = list(LOOPBACK_NAMES)
    if not is_loopback(settings.http_host):
        names += _host_names(settings.http_host)
    hosts = [f"{name}:*" for name in names] + list(settings.http_allowed_hosts)
    origins = [f"{scheme}://{name}:*" for name in names for scheme in ("http", "https")]
    origins += list(settings.http_allowed_origins)
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


class BearerTokenMiddleware:
    """Refuses HTTP requests without `Authorization: Bearer <token>` (401); compares in constant time.

    Each configured token is its own principal: the request's scope state names which one (hashed),
    and the credit guard keeps each principal's session ledger, budget and confirmations apart."""

    def __init__(self, app: ASGIApp, tokens: list[str]) -> None:
        self.app = app
        self._tokens = [(token.encode(), principal_of(token)) for token in tokens]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(app={self.app!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = Headers(scope=scope).get("authorization", "")
        scheme, _, presented = header.partition(" ")
        offered = presented.strip().encode()
        holder: str | None = None
        for token, principal in self._tokens:  # every token is compared: no early exit to time
            if hmac.compare_digest(offered, token):
                holder = principal
        if scheme.lower() == "bearer" and holder is not None:
            scope.setdefault("state", {})[PRINCIPAL_SCOPE_KEY] = holder
            await self.app(scope, receive, send)
            return
        logger.warning("HTTP request refused: %s bearer token", "wrong" if presented else "no")
        await _json_error(
            send,
            401,
            "unauthorized",
            "Send the server's token (LUSHA_HTTP_TOKEN) as `Authorization: Bearer <token>`.",
            extra_headers=[(b"www-authenticate", b'Bearer realm="lusha-mcp"')],
        )


async def _json_error(
    send: Send,
    status: int,
    error: str,
    message: str,
    *,
    extra_headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    body = json.dumps({"error": error, "message": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra_headers or [])})
    await send({"type": "http.response.body", "body": body})


class SessionOwnerMiddleware:
    """Binds each 2025-protocol MCP session to the principal that opened it, and tells the credit
    guard which session a request is on only when the SDK issued it to that principal.

    The session id a request is credited with comes from the response that opened the session
    (the `Mcp-Session-Id` the SDK issued), never from a request header alone:
    - a request on the handshake protocol with a session id this server issued to another
      principal is refused (403), one with an id it never issued gets the SDK's 404;
    - on the 2026-07-28 protocol (no sessions) the header is ignored: the client is its principal.
    Sits inside the bearer-token middleware (which names the principal), in front of the SDK."""

    MAX_SESSIONS = 10_000
    """As many as the SDK keeps open by default; the oldest binding is dropped beyond it (that
    client's next request gets 404 and it opens a new session)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._owners: OrderedDict[str, str] = OrderedDict()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(app={self.app!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        state: dict[str, Any] = scope.setdefault("state", {})
        state.pop(SESSION_SCOPE_KEY, None)
        if not has_sessions(headers):
            await self.app(scope, receive, send)  # 2026 protocol: no session, whatever the headers say
            return
        principal = str(state.get(PRINCIPAL_SCOPE_KEY, ""))
        session = headers.get("mcp-session-id")
        if session is None:
            await self.app(scope, receive, self._recording(send, principal))
            return
        owner = self._owners.get(session)
        if owner is None:
            logger.info("HTTP request refused: an MCP session id this server did not issue")
            await _json_error(
                send, 404, "session_not_found", "Unknown or expired MCP session: initialize a new session."
            )
            return
        if not hmac.compare_digest(owner, principal):
            logger.warning("HTTP request refused: an MCP session opened by another client")
            await _json_error(
                send,
                403,
                "session_of_another_client",
                "This MCP session was opened by another client (another bearer token): use your own "
                "session (initialize without Mcp-Session-Id).",
            )
            return
        state[SESSION_SCOPE_KEY] = session
        await self.app(
            scope, receive, self._forgetting(send, session) if scope["method"] == "DELETE" else send
        )

    def _recording(self, send: Send, principal: str) -> Send:
        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                issued = Headers(raw=message.get("headers", [])).get("mcp-session-id")
                if issued:
                    self._owners[issued] = principal
                    while len(self._owners) > self.MAX_SESSIONS:
                        self._owners.popitem(last=False)
            await send(message)

        return record

    def _forgetting(self, send: Send, session: str) -> Send:
        async def forget(message: Message) -> None:
            if message["type"] == "http.response.start" and 200 <= int(message.get("status", 500)) < 300:
                self._owners.pop(session, None)
            await send(message)

        return forget


def http_app(server: MCPServer[Any], settings: Settings) -> ASGIApp:
    """The ASGI app `serve --transport http` runs: MCP at /mcp behind the Host/Origin and token guards."""
    check_binding(settings)
    app: ASGIApp = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        transport_security=transport_security(settings),
        host=settings.http_host,
    )
    if settings.oauth_issuer is not None:
        # Sign-in: the SDK verifies the token on every request, serves the Protected Resource
        # Metadata and binds each MCP session to the credential that opened it.
        return app
    app = SessionOwnerMiddleware(app)
    tokens = http_tokens(settings)
    if tokens:
        app = BearerTokenMiddleware(app, tokens)
    return app


def serve_http(server: MCPServer[Any], settings: Settings) -> None:
    """Serve until interrupted (blocking)."""
    import uvicorn

    app = http_app(server, settings)
    host = settings.http_host.strip("[]")
    uvicorn.run(
        app,
        host=host,
        port=settings.http_port,
        log_level=settings.log_level.lower(),
        access_log=False,
        lifespan="on",
        # Longer than clients keep idle connections (httpx: 5 s, uvicorn's own default): at equal
        # timeouts a client reuses a connection the server is closing, and that request breaks.
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
