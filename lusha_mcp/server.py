"""build_server(settings): the MCP server, its lifespan (client, guard, caches) and its tools."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Protocol, cast

import httpx
from mcp.server.context import ServerRequestContext
from mcp.types import SetLevelRequestParams

from lusha_mcp import __version__
from lusha_mcp.api.client import LushaClient
from lusha_mcp.client_log import ClientLogBridge, report_sandbox_waits
from lusha_mcp.client_sessions import PRINCIPAL_SCOPE_KEY
from lusha_mcp.guard import CreditGuard, PricingSource
from lusha_mcp.keys import configured_ring
from lusha_mcp.private import tighten
from lusha_mcp.prompts import register_prompts
from lusha_mcp.redaction import install_log_redaction
from lusha_mcp.resources import LiveState, register_resources
from lusha_mcp.settings import Settings
from lusha_mcp.tools import (
    account,
    companies,
    contacts,
    decision_makers,
    filters,
    lookalikes,
    plan,
    signals,
    tables,
    webhooks,
    website_visits,
)
from lusha_mcp.tools.framework import LushaServer, ToolsetState
from lusha_mcp.tools.state import AccountUsageSnapshot, LushaState
from lusha_mcp.views import ViewsMiddleware, build_extension

logger = logging.getLogger(__name__)


class ToolModule(Protocol):
    def register(self, server: LushaServer, toolsets: ToolsetState) -> None: ...


TOOL_MODULES: tuple[ToolModule, ...] = (
    contacts,
    companies,
    filters,
    account,
    plan,
    signals,
    lookalikes,
    decision_makers,
    website_visits,
    webhooks,
    tables,
)
"""Every capability module; adding a capability is one module and one entry here."""

INSTRUCTIONS = (
    "Lusha B2B data behind a credit guard. Search or prospect first (previews, cheap), then "
    "enrich only the ids the user picks. Metered results state credits charged and budget left; "
    "a confirmation_required result spent nothing: show the quote to the user and call again "
    "with its confirmation_token only after they agree. Every metered tool takes quote_only=true "
    "to price a call without spending; estimate_plan prices a multi-step plan first."
)


def _sign_in(settings: Settings) -> dict[str, Any]:
    """The SDK's resource-server settings when sign-in is configured (imported only then)."""
    if settings.oauth_issuer is None:
        return {}
    from lusha_mcp.auth import JWTVerifier, auth_settings

    return {"auth": auth_settings(settings), "token_verifier": JWTVerifier.from_settings(settings)}


def _request_state(settings: Settings) -> dict[str, Any]:
    """With shared confirmation keys, the SDK's requestState is sealed under keys derived from them
    (same order, so same rotation): a 2026-07-28 elicitation asked by one replica is answered on any
    other. Without them the SDK's process-local key stays (one server)."""
    ring = configured_ring(settings)
    if ring is None:
        return {}
    from mcp.server.request_state import RequestStateSecurity, authenticated_principal

    def principal(ctx: ServerRequestContext[Any, Any]) -> str | None:
        """The signed-in user, or else the holder of the static bearer token (LUSHA_HTTP_TOKEN)."""
        signed_in = authenticated_principal(ctx)
        if signed_in is not None:
            return signed_in
        scope: object = getattr(ctx.request, "scope", None)
        state: object = cast(Mapping[str, Any], scope).get("state") if isinstance(scope, Mapping) else None
        holder = (
            cast(Mapping[str, Any], state).get(PRINCIPAL_SCOPE_KEY) if isinstance(state, Mapping) else None
        )
        return f"bearer:{holder}" if isinstance(holder, str) and holder else None

    security = RequestStateSecurity(
        keys=ring.request_state_keys(),
        ttl=float(settings.confirmation_ttl_seconds),
        bind_principal=principal,
        audience=settings.oauth_resource_url,  # None: the server's name
    )
    return {"request_state_security": security}


def _sandbox_transport(settings: Settings) -> httpx.AsyncBaseTransport | None:
    """In sandbox mode, the sandbox built lazily: `initialize` and `tools/list` never wait for it.

    On a first run (no dataset yet) its generation starts now in a worker thread; otherwise it is
    built on the first request. A tool call that needs it sooner waits, reporting progress.
    """
    if not settings.sandbox:
        return None
    from lusha_mcp.sandbox.transport import LazySandboxTransport

    lazy = LazySandboxTransport(settings)
    if not lazy.dataset_ready:
        logger.info("generating the sandbox dataset in the background (first run)")
        lazy.prepare_in_background()
    return lazy


def build_server(settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> LushaServer:
    """The lusha-mcp server. In sandbox mode the client talks to the in-process sandbox."""

    install_log_redaction()
    live = LiveState()
    client_log = ClientLogBridge(
        part.strip()
        for secret in (settings.api_key, settings.http_token)
        if secret is not None
        for part in secret.get_secret_value().split(",")
    )

    @asynccontextmanager
    async def lifespan(_: object) -> AsyncGenerator[LushaState]:
        tighten(settings.data_dir)  # owner-only, also what an older version left readable
        client = LushaClient.from_settings(settings, transport=transport or _sandbox_transport(settings))
        if client.shared is not None:
            await client.shared.check()  # says at start when Redis cannot be reached
        usage = AccountUsageSnapshot(client)
        guard = CreditGuard(settings, PricingSource(usage.pricing))
        try:
            await guard.open()  # PostgreSQL: refuses a schema that is behind; an unreachable one is logged
        except BaseException:
            await guard.aclose()
            await client.aclose()
            raise
        logger.info("lusha-mcp session %s started (sandbox=%s)", guard.session_id, settings.sandbox)
        try:
            state = LushaState(settings=settings, client=client, guard=guard, usage=usage)
            live.attach(state)
            yield state
        finally:
            client_log.close()
            await client.aclose()
            await guard.aclose()

    server = LushaServer(
        name="lusha",
        title="Lusha",
        version=__version__,
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        log_level=settings.log_level,
        extensions=[build_extension()],
        middleware=[ViewsMiddleware()],
        **_sign_in(settings),
        **_request_state(settings),
    )
    # logging/setLevel for 2025-protocol clients (the SDK then declares the `logging` capability);
    # registered directly because the constructor argument is deprecated for 2026-07-28 servers.
    server._lowlevel_server.add_request_handler(
        "logging/setLevel", SetLevelRequestParams, client_log.set_level
    )
    server.middleware.append(report_sandbox_waits)
    toolsets = ToolsetState.from_settings(settings)
    for module in TOOL_MODULES:
        module.register(server, toolsets)
    register_prompts(server)
    register_resources(server, live)
    return server
