"""Server log messages to the MCP client (`logging/setLevel`, 2025 protocols) and waiting notices.

A client that sends `logging/setLevel` receives lusha-mcp's own log records at that level and above
as `notifications/message`; the server declares the `logging` capability because it answers that
request. The 2026-07-28 protocol dropped setLevel; its clients simply never ask. Every message
passes through `redact` first, so a key or token never reaches a client even if a log line held one.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Iterable
from typing import Any

from mcp.server.connection import Connection
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.types import EmptyResult, LoggingLevel, SetLevelRequestParams

from lusha_mcp.sandbox.transport import WAIT_REPORTER

LEVELS: dict[LoggingLevel, int] = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "notice": logging.INFO + 5,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
    "alert": logging.CRITICAL + 5,
    "emergency": logging.CRITICAL + 10,
}


def mcp_level(levelno: int) -> LoggingLevel:
    """The MCP level of a Python log record."""
    named: LoggingLevel = "debug"
    for name, number in LEVELS.items():
        if levelno >= number:
            named = name
    return named


class ClientLogBridge(logging.Handler):
    """Forwards records of the `lusha_mcp` loggers to the connections that asked with logging/setLevel."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__(level=logging.DEBUG)
        self._secrets = sorted({secret for secret in secrets if secret}, key=len, reverse=True)
        self._levels: weakref.WeakKeyDictionary[Connection, int] = weakref.WeakKeyDictionary()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self._logger = logging.getLogger("lusha_mcp")

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    async def set_level(
        self, ctx: ServerRequestContext[Any, Any], params: SetLevelRequestParams
    ) -> EmptyResult:
        self._loop = asyncio.get_running_loop()
        # The per-request session sends on its connection's standalone stream; the SDK has no
        # public accessor for that connection, which outlives the request (weakly held here).
        self._levels[ctx.session._connection] = LEVELS[params.level]
        if self not in self._logger.handlers:
            self._logger.addHandler(self)
        # Records must be created at the client's level even when stderr shows less (the stderr
        # handler keeps its own level, set by the command line).
        wanted = min(self._levels.values())
        if self._logger.getEffectiveLevel() > wanted:
            self._logger.setLevel(wanted)
        return EmptyResult()

    def emit(self, record: logging.LogRecord) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        targets = [connection for connection, level in list(self._levels.items()) if record.levelno >= level]
        if not targets:
            return
        try:
            text = self.redact(record.getMessage())
        except Exception:  # a record whose arguments do not format: say so, never crash the caller
            text = f"(unformattable log record from {record.name})"
        params = {"level": mcp_level(record.levelno), "logger": record.name, "data": text}
        for connection in targets:
            loop.call_soon_threadsafe(self._start_send, connection, params)

    def _start_send(self, connection: Connection, params: dict[str, Any]) -> None:
        task = asyncio.ensure_future(connection.notify("notifications/message", params))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    def close(self) -> None:
        self._logger.removeHandler(self)
        super().close()


async def report_sandbox_waits(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
    """Middleware: a tool call waiting for the sandbox tells the client how far its preparation is."""
    if ctx.method != "tools/call":
        return await call_next(ctx)

    async def report(percent: float, message: str) -> None:
        logging.getLogger("lusha_mcp.sandbox").info(message)
        # A share below 1 of a total of 1: whatever progress the tool itself reports afterwards on
        # the same token (rows done, at least 1) is then still an increase, as the protocol requires.
        await ctx.session.report_progress(min(percent, 99.0) / 100, 1.0, message)

    token = WAIT_REPORTER.set(report)
    try:
        return await call_next(ctx)
    finally:
        WAIT_REPORTER.reset(token)
