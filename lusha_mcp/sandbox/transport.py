"""Ways to reach the sandbox: in process (httpx transport) or on a local port (uvicorn)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import httpx
from starlette.applications import Starlette

from lusha_mcp.sandbox.app import create_app
from lusha_mcp.sandbox.config import SandboxConfig
from lusha_mcp.settings import Settings

if TYPE_CHECKING:
    import uvicorn

SANDBOX_BASE_URL = "http://sandbox.lusha.invalid"

_apps: dict[SandboxConfig, Starlette] = {}
_apps_lock = threading.Lock()


def sandbox_app(settings: Settings) -> Starlette:
    """The app for these settings, created once per distinct configuration in this process."""
    config = SandboxConfig.from_settings(settings)
    with _apps_lock:
        app = _apps.get(config)
        if app is None:
            app = create_app(config)
            _apps[config] = app
        return app


def sandbox_transport(settings: Settings) -> httpx.AsyncBaseTransport:
    """An httpx transport answering from the in-process sandbox (use base_url SANDBOX_BASE_URL)."""
    return httpx.ASGITransport(app=sandbox_app(settings))


def sandbox_server(settings: Settings, host: str = "127.0.0.1", port: int = 8765) -> uvicorn.Server:
    """A uvicorn server for the sandbox (run it with `.run()` or `await .serve(sockets=...)`)."""
    import uvicorn

    app = create_app(SandboxConfig.from_settings(settings))
    config = uvicorn.Config(app, host=host, port=port, log_level=settings.log_level.lower(), access_log=False)
    return uvicorn.Server(config)


def serve_sandbox(settings: Settings, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve the sandbox on http://host:port until interrupted (blocking)."""
    sandbox_server(settings, host, port).run()
