"""Offline emulator of the Lusha V3 API (Starlette app over a generated SQLite dataset).

In process: `httpx.AsyncClient(transport=sandbox_transport(settings), base_url=SANDBOX_BASE_URL)`;
standalone: `serve_sandbox(settings, host="127.0.0.1", port=8765)`. Only the `api_key: lusha-sandbox`
header is accepted. Test and benchmark controls live under /_sandbox (charges, credits, faults)
and per request in the `x-sandbox-fault` header (see faults.py).

The names below are imported on first use, so `import lusha_mcp.sandbox.<module>` stays cheap
(the server's start-up imports the lazy transport without Starlette, the endpoints or the dataset).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lusha_mcp.sandbox.app import create_app
    from lusha_mcp.sandbox.config import SandboxConfig
    from lusha_mcp.sandbox.transport import (
        SANDBOX_BASE_URL,
        sandbox_app,
        sandbox_server,
        sandbox_transport,
        serve_sandbox,
    )

_WHERE = {
    "create_app": "lusha_mcp.sandbox.app",
    "SandboxConfig": "lusha_mcp.sandbox.config",
    "SANDBOX_BASE_URL": "lusha_mcp.sandbox.transport",
    "sandbox_app": "lusha_mcp.sandbox.transport",
    "sandbox_server": "lusha_mcp.sandbox.transport",
    "sandbox_transport": "lusha_mcp.sandbox.transport",
    "serve_sandbox": "lusha_mcp.sandbox.transport",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "SANDBOX_BASE_URL",
    "SandboxConfig",
    "create_app",
    "sandbox_app",
    "sandbox_server",
    "sandbox_transport",
    "serve_sandbox",
]
