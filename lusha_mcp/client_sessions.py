"""Which client session a request comes from, so that one HTTP server keeps its clients apart.

Over stdio (and in memory) a server has one client: its own session. Over streamable HTTP it has
many. A request's client session is derived from what the server itself established, never from
a header alone:

- its principal: the holder of the bearer token it presented (`LUSHA_HTTP_TOKEN=a,b`: each token
  is a principal); with no token configured (loopback) every request is the same principal;
- on the 2025 handshake protocol, the MCP session the SDK issued to that same principal
  (`lusha_mcp.http.SessionOwnerMiddleware` checks the `Mcp-Session-Id` against the session's
  opener and names it in the scope only then).

Clients of the 2026-07-28 protocol have no MCP session: their client session is their principal
(so without tokens they share the server's session, and its session budget). The id is a hash:
neither the token nor the session id (both credentials) is ever stored or shown.
"""

from __future__ import annotations

import hashlib
from collections.abc import Generator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, cast

from mcp.server.mcpserver import Context
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from starlette.datastructures import Headers

if TYPE_CHECKING:
    from lusha_mcp.auth import Principal

PRINCIPAL_SCOPE_KEY = "lusha_principal"
"""Key in the ASGI scope's `state` under which the bearer middleware names the token's holder."""

SESSION_SCOPE_KEY = "lusha_mcp_session"
"""Key in the ASGI scope's `state` naming the MCP session the SDK issued to this principal."""

CLIENT_SESSION: ContextVar[str | None] = ContextVar("lusha_client_session", default=None)
"""The client session of the request being handled (None: the server's own session)."""

CLIENT_USER: ContextVar[tuple[str, tuple[str, ...]] | None] = ContextVar("lusha_client_user", default=None)
"""The signed-in user of the request being handled, as (`<issuer> <subject>`, teams); None
without sign-in (stdio, no token, or a static `LUSHA_HTTP_TOKEN`)."""


@contextmanager
def bound_client(ctx: Context[Any, Any] | None) -> Generator[None]:
    """CLIENT_SESSION and CLIENT_USER set to the request's own for the body (its scope and its
    signed-in principal read once)."""
    scope = _scope_of(ctx)
    principal = None if scope is None else _principal(scope)
    session = CLIENT_SESSION.set(None if scope is None else _client_session(scope, principal))
    user = CLIENT_USER.set(
        None if principal is None else (f"{principal.issuer} {principal.subject}", principal.teams)
    )
    try:
        yield
    finally:
        CLIENT_USER.reset(user)
        CLIENT_SESSION.reset(session)


def _scope_of(ctx: Context[Any, Any] | None) -> Mapping[str, Any] | None:
    if ctx is None:
        return None
    try:
        request = ctx.request_context.request
    except (ValueError, AttributeError, LookupError):
        return None
    scope = getattr(request, "scope", None)
    return cast(Mapping[str, Any], scope) if isinstance(scope, Mapping) else None


def _principal(scope: Mapping[str, Any]) -> Principal | None:
    """The user whose OAuth access token the SDK verified for this request (sign-in), if any."""
    if "user" not in scope:
        return None
    from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser

    from lusha_mcp.auth import principal_of_token

    user = scope.get("user")
    return principal_of_token(user.access_token) if isinstance(user, AuthenticatedUser) else None


def _signed_in(scope: Mapping[str, Any], principal: Principal) -> tuple[str, str]:
    """(user, MCP session) of a request that carried a verified OAuth access token (sign-in).

    The SDK verified the token and, on the 2025 protocol, refused the request unless its
    `Mcp-Session-Id` names a session opened with that same credential, so the header is the
    SDK's own session here; on the 2026-07-28 protocol there is none."""
    headers = Headers(scope=cast(Any, scope))
    session = headers.get("mcp-session-id", "") if has_sessions(headers) else ""
    return principal.id, session


def has_sessions(headers: Headers) -> bool:
    """Whether the request speaks a protocol with MCP sessions (the 2025 handshake ones; a request
    that names no version is one of them); on 2026-07-28 there are none, whatever the headers say."""
    version = headers.get("mcp-protocol-version")
    return version is None or version in HANDSHAKE_PROTOCOL_VERSIONS


def principal_of(token: str) -> str:
    """A stable, non-reversible name for the holder of one bearer token."""
    return hashlib.sha256(b"lusha-mcp principal\0" + token.encode()).hexdigest()[:16]


def _client_session(scope: Mapping[str, Any], principal: Principal | None) -> str | None:
    """The opaque client-session id of this request (`principal`: its signed-in user, if any), or
    None when it is the server's own session."""
    raw_state = scope.get("state")
    state: Mapping[str, Any] = cast(Mapping[str, Any], raw_state) if isinstance(raw_state, Mapping) else {}
    holder = str(state.get(PRINCIPAL_SCOPE_KEY, ""))
    session = str(state.get(SESSION_SCOPE_KEY, ""))  # set only for a session issued to this principal
    if principal is not None:
        holder, session = _signed_in(scope, principal)
    if not holder and not session:
        return None
    return hashlib.sha256(f"{holder}\0{session}".encode()).hexdigest()[:12]
