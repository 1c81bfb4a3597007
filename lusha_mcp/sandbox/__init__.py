"""Offline emulator of the Lusha V3 API (Starlette app over a generated SQLite dataset).

In process: `httpx.AsyncClient(transport=sandbox_transport(settings), base_url=SANDBOX_BASE_URL)`;
standalone: `serve_sandbox(settings, host="127.0.0.1", port=8765)`. Only the `api_key: lusha-sandbox`
header is accepted. Test and benchmark controls live under /_sandbox (charges, credits, faults)
and per request in the `x-sandbox-fault` header (see faults.py).
"""

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
