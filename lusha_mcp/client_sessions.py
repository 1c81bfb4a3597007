"""Which client session a request comes from, so that one HTTP server keeps its clients apart.

Over stdio (and in memory) a server has one client: its own session. Over streamable HTTP it has
many. A request's client session is derived from what the transport proves about it:

- the bearer token it presented, when several are configured (`LUSHA_HTTP_TOKEN=a,b`): each
  token is a separate principal, whichever protocol generation its client speaks;
- its `Mcp-Session-Id` (the 2025 handshake protocol): each MCP session is separate.

Clients of the 2026-07-28 protocol have no MCP session, so without a token of their own they
share the server's session. The id is a hash: neither the token nor the session id (both
credentials) is ever stored or shown.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any, cast

from mcp.server.mcpserver import Context

PRINCIPAL_SCOPE_KEY = "lusha_principal"
"""Key in the ASGI scope's `state` under which the bearer middleware names the token's holder."""

SESSION_HEADER = b"mcp-session-id"

CLIENT_SESSION: ContextVar[str | None] = ContextVar("lusha_client_session", default=None)
"""The client session of the request being handled (None: the server's own session)."""


def principal_of(token: str) -> str:
    """A stable, non-reversible name for the holder of one bearer token."""
    return hashlib.sha256(b"lusha-mcp principal\0" + token.encode()).hexdigest()[:16]


def client_session_of(ctx: Context[Any, Any] | None) -> str | None:
    """The opaque client-session id of this request, or None when it is the server's own session."""
    if ctx is None:
        return None
    try:
        request = ctx.request_context.request
    except (ValueError, AttributeError, LookupError):
        return None
    scope = getattr(request, "scope", None)
    if not isinstance(scope, Mapping):
        return None
    scope = cast(Mapping[str, Any], scope)
    state = scope.get("state")
    principal = (
        str(cast(Mapping[str, Any], state).get(PRINCIPAL_SCOPE_KEY, "")) if isinstance(state, Mapping) else ""
    )
    headers = cast(list[tuple[bytes, bytes]], scope.get("headers", []))
    session = next((value.decode("latin-1") for name, value in headers if name == SESSION_HEADER), "")
    if not principal and not session:
        return None
    return hashlib.sha256(f"{principal}\0{session}".encode()).hexdigest()[:12]
