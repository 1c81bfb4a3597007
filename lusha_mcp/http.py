"""The streamable HTTP transport and its guards: loopback by default, a bearer token beyond it,
and Host/Origin checks (the SDK's DNS-rebinding protection) on every request."""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import json
import logging
import socket
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from lusha_mcp.client_sessions import PRINCIPAL_SCOPE_KEY, principal_of
from lusha_mcp.settings import Settings

logger = logging.getLogger(__name__)

MCP_PATH = "/mcp"
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
    return [token.strip() for token in settings.http_token.get_secret_value().split(",") if token.strip()]


def check_binding(settings: Settings) -> None:
    """Beyond loopback the server must have a bearer token to ask for; every token must be long."""
    tokens = http_tokens(settings)
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
        body = json.dumps(
            {
                "error": "unauthorized",
                "message": "Send the server's token (LUSHA_HTTP_TOKEN) as `Authorization: Bearer <token>`.",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b'Bearer realm="lusha-mcp"'),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def http_app(server: MCPServer[Any], settings: Settings) -> ASGIApp:
    """The ASGI app `serve --transport http` runs: MCP at /mcp behind the Host/Origin and token guards."""
    check_binding(settings)
    app: ASGIApp = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        transport_security=transport_security(settings),
        host=settings.http_host,
    )
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
    )
