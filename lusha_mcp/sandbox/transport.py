"""Ways to reach the sandbox: in process (httpx transport) or on a local port (uvicorn).

`LazySandboxTransport` is what the MCP server uses: it imports nothing of the sandbox until it is
needed, can build the sandbox (generating its dataset on a first run) in a worker thread while the
server already answers `initialize` and `tools/list`, and makes the first request that needs the
sandbox wait for it, reporting "preparing the sandbox dataset, N%" through `WAIT_REPORTER`.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING

import anyio
import httpx

from lusha_mcp.sandbox import progress
from lusha_mcp.sandbox.config import SandboxConfig
from lusha_mcp.settings import Settings

if TYPE_CHECKING:
    import uvicorn
    from starlette.applications import Starlette

SANDBOX_BASE_URL = "http://sandbox.lusha.invalid"

logger = logging.getLogger(__name__)

_apps: dict[SandboxConfig, Starlette] = {}
_apps_lock = threading.Lock()

WaitReporter = Callable[[float, str], Awaitable[None]]
WAIT_REPORTER: ContextVar[WaitReporter | None] = ContextVar("lusha_sandbox_wait_reporter", default=None)
"""Set by the server around a tool call: told (percent, message) while the call waits for the sandbox."""

_POLL_SECONDS = 0.1
_REPORT_EVERY_SECONDS = 1.0
_FIRST_REPORT_SECONDS = 0.5


def sandbox_app(settings: Settings) -> Starlette:
    """The app for these settings, created once per distinct configuration in this process."""
    from lusha_mcp.sandbox.app import create_app

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


class SandboxPreparationError(httpx.ConnectError):
    """The sandbox could not be built (its dataset could not be generated or opened)."""


class LazySandboxTransport(httpx.AsyncBaseTransport):
    """The in-process sandbox, built on first use or in the background (`prepare_in_background`)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._dataset_path = settings.sandbox_db_path()
        self._inner: httpx.ASGITransport | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Lock()
        self._done = threading.Event()
        self._error: BaseException | None = None

    @property
    def dataset_ready(self) -> bool:
        """The dataset file exists (a first run has not generated it yet otherwise)."""
        return self._dataset_path.exists()

    def prepare_in_background(self) -> None:
        """Start building the sandbox (and generating its dataset if missing) in a worker thread."""
        with self._started:
            if self._thread is not None:
                return
            if not self.dataset_ready and self._dataset_path.parent.is_dir():
                self._drop_partial_files(own=False)
            # A server that stops mid-generation leaves no 80 MB half-written file behind.
            atexit.register(self._at_exit)
            self._thread = threading.Thread(target=self._build, name="lusha-sandbox-dataset", daemon=True)
            self._thread.start()

    def _build(self) -> None:
        try:
            sandbox_app(self._settings)
        except BaseException as exc:  # reported to the request that waits for the sandbox
            logger.warning("the sandbox could not be prepared: %s", exc)
            self._error = exc
        finally:
            self._done.set()

    async def _ready(self) -> httpx.ASGITransport:
        if self._inner is not None:
            return self._inner
        self.prepare_in_background()
        reporter = WAIT_REPORTER.get()
        clock = anyio.current_time
        last_time, last_percent = clock() - _REPORT_EVERY_SECONDS + _FIRST_REPORT_SECONDS, -1.0
        while not self._done.is_set():
            percent = self.percent_done()
            # Only a generation is worth reporting (opening a finished dataset takes a moment); progress
            # must grow with every notification; at most one a second.
            generating = progress.share(self._dataset_path) is not None or not self.dataset_ready
            due = clock() - last_time >= _REPORT_EVERY_SECONDS
            if reporter is not None and generating and due and percent > last_percent:
                last_time, last_percent = clock(), percent
                await reporter(percent, f"preparing the sandbox dataset, {percent:.0f}%")
            await anyio.sleep(_POLL_SECONDS)
        if self._error is not None:
            raise SandboxPreparationError(
                f"the offline sandbox could not be prepared ({type(self._error).__name__}: {self._error}); "
                f"check that {self._dataset_path.parent} is writable and has about 100 MB free"
            )
        self._inner = httpx.ASGITransport(app=sandbox_app(self._settings))
        return self._inner

    def percent_done(self) -> float:
        """How much of the preparation is done, 0..100 (99 while the app is built over a finished file)."""
        if self._done.is_set():
            return 100.0
        share = progress.share(self._dataset_path)
        if share is None:
            return 99.0 if self.dataset_ready else 0.0
        return min(99.0, share * 100)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        inner = await self._ready()
        return await inner.handle_async_request(request)

    def _drop_partial_files(self, *, own: bool) -> None:
        """Delete half-written datasets: this process's own (at exit), or those of dead processes."""
        for partial in self._dataset_path.parent.glob(f".{self._dataset_path.name}.*.tmp"):
            pid_text = partial.name.removeprefix(f".{self._dataset_path.name}.").split(".", 1)[0]
            if not pid_text.isdigit():
                continue
            pid = int(pid_text)
            if (pid == os.getpid()) != own or (not own and _alive(pid)):
                continue
            with contextlib.suppress(OSError):
                partial.unlink()

    def _at_exit(self) -> None:
        if not self._done.is_set():
            self._drop_partial_files(own=True)


def _alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process there; keep its file
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but belongs to someone else
        return True
    return True


def sandbox_server(settings: Settings, host: str = "127.0.0.1", port: int = 8765) -> uvicorn.Server:
    """A uvicorn server for the sandbox (run it with `.run()` or `await .serve(sockets=...)`)."""
    import uvicorn

    from lusha_mcp.sandbox.app import create_app

    app = create_app(SandboxConfig.from_settings(settings))
    # Idle connections stay open 30 s, as an API behind a load balancer keeps them (uvicorn's default of
    # 5 s equals httpx's idle expiry, so a client would now and then reuse a connection being closed).
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        access_log=False,
        timeout_keep_alive=30,
    )
    return uvicorn.Server(config)


def serve_sandbox(settings: Settings, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve the sandbox on http://host:port until interrupted (blocking)."""
    sandbox_server(settings, host, port).run()
