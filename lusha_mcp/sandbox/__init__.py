"""Offline emulator of the Lusha V3 API (Starlette app over a generated SQLite dataset)."""

from lusha_mcp.sandbox.app import create_app
from lusha_mcp.sandbox.config import SandboxConfig
from lusha_mcp.sandbox.transport import (
    SANDBOX_BASE_URL,
    sandbox_app,
    sandbox_server,
    sandbox_transport,
    serve_sandbox,
)

__all__ = [
    "SANDBOX_BASE_URL",
    "SandboxConfig",
    "create_app",
    "sandbox_app",
    "sandbox_server",
    "sandbox_transport",
    "serve_sandbox",
]
