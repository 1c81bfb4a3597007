"""The lifespan state every tool reads: one LushaClient, the credit guard, the usage snapshot."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import anyio
from mcp.server.mcpserver import Context
from pydantic import ValidationError

from lusha_mcp.api.client import LushaClient
from lusha_mcp.api.errors import APIConnectionError, AuthenticationError, LushaError, PermissionDeniedError
from lusha_mcp.api.models import AccountUsage
from lusha_mcp.client_sessions import CLIENT_SESSION, CLIENT_USER
from lusha_mcp.guard import CreditGuard
from lusha_mcp.settings import Settings

_STICKY_FAILURES = (AuthenticationError, PermissionDeniedError, APIConnectionError)
_SNAPSHOT = "account-usage"
_SHARED_TTL_SECONDS = 900.0
"""How long a shared snapshot is kept: the longest age any reader accepts (the pricebook's)."""
_FETCH_WAIT_SECONDS = 0.1
_FETCH_WAIT_STEPS = 50
"""While another replica fetches the snapshot, wait for it this many steps at most (5 s)."""


class AccountUsageSnapshot:
    """GET /v3/account/usage, reused while fresh (Lusha allows 5 calls a minute).

    A refused key or an unreachable API is remembered for the minimum interval too, so calls
    fail at once instead of each waiting for one of the 5 slots a minute to ask again.
    """

    def __init__(self, client: LushaClient, *, min_interval_seconds: float = 15.0) -> None:
        self._client = client
        self._min_interval = min_interval_seconds
        self._usage: AccountUsage | None = None
        self._fetched_at = 0.0
        self._charged_since_fetch = 0
        self._lock = anyio.Lock()
        self._failure: LushaError | None = None
        self._failed_at = 0.0
        self._shared = client.shared

    @property
    def age_seconds(self) -> float | None:
        return None if self._usage is None else time.monotonic() - self._fetched_at

    @property
    def charged_since_fetch(self) -> int:
        """Credits this server was charged after Lusha's figures were fetched."""
        return self._charged_since_fetch

    def note_charge(self, credits: int) -> None:
        if self._usage is not None and credits > 0:
            self._charged_since_fetch += credits

    async def get(self, max_age_seconds: float) -> AccountUsage:
        max_age = max(max_age_seconds, self._min_interval)
        async with self._lock:
            if self._usage is None or time.monotonic() - self._fetched_at >= max_age:
                if self._failure is not None and time.monotonic() - self._failed_at < self._min_interval:
                    raise self._failure.with_traceback(None)
                if self._shared is not None and await self._adopt_shared(max_age):
                    assert self._usage is not None
                    return self._usage
                try:
                    self._usage = await self._client.account.usage()
                except _STICKY_FAILURES as exc:
                    self._failure, self._failed_at = exc, time.monotonic()
                    raise
                self._failure = None
                self._fetched_at = time.monotonic()
                self._charged_since_fetch = 0
                if self._shared is not None:
                    from lusha_mcp.api.shared import write_snapshot

                    await write_snapshot(
                        self._shared, _SNAPSHOT, self._usage.model_dump(mode="json"), _SHARED_TTL_SECONDS
                    )
            return self._usage

    async def _adopt_shared(self, max_age: float) -> bool:
        """Team mode: take the snapshot another replica fetched when it is fresh enough; while one
        replica fetches (a short Redis lock), the others wait for its snapshot instead of asking too."""
        from lusha_mcp.api.shared import claim, read_snapshot

        assert self._shared is not None
        for _ in range(_FETCH_WAIT_STEPS):
            found = await read_snapshot(self._shared, _SNAPSHOT, _SHARED_TTL_SECONDS)
            if found is not None and found.age_seconds < max_age:
                try:
                    usage = AccountUsage.model_validate(found.data)
                except ValidationError:
                    return False
                self._usage = usage
                self._fetched_at = time.monotonic() - found.age_seconds
                self._charged_since_fetch = 0
                return True
            if await claim(self._shared, _SNAPSHOT, _FETCH_WAIT_STEPS * _FETCH_WAIT_SECONDS):
                return False
            await anyio.sleep(_FETCH_WAIT_SECONDS)
        return False

    async def pricing(self) -> dict[str, object]:
        usage = await self.get(max_age_seconds=900.0)
        return {action: price for action, price in usage.pricing.items()}


@dataclass
class LushaState:
    """Typed lifespan state of the server (`ctx.request_context.lifespan_context`)."""

    settings: Settings
    client: LushaClient
    guard: CreditGuard
    usage: AccountUsageSnapshot

    def client_guard(self) -> CreditGuard:
        """The guard as the client session (and signed-in user) of the request being handled sees it."""
        user, teams = CLIENT_USER.get() or (None, ())
        return self.guard.for_client(CLIENT_SESSION.get(), user=user, teams=teams)

    @classmethod
    def of(cls, ctx: Context[Any, Any]) -> LushaState:
        state = ctx.request_context.lifespan_context
        if not isinstance(state, LushaState):
            raise RuntimeError("the server was built without build_server(); no Lusha state")
        return state
