"""LushaClient: one async client for every Lusha V3 operation the product uses, by resource.

    async with LushaClient(key) as client:
        page = await client.contacts.search([...])        # metered: only inside a guard plan
        usage = await client.account.usage()              # free

Layout (as anthropic-sdk-python): `transport.py` sends, paces and retries (one policy,
`retries.py`: classify, then delay) and refuses a metered operation outside a plan the credit
guard authorised (`spend.py`); `resources/` declares the operations per domain; `bulk.py`
splits long lists into batches merged back in input order.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Self

import httpx
from pydantic import SecretStr

from lusha_mcp import __version__
from lusha_mcp.api.bulk import BATCH_LIMIT, SMALL_BATCH_LIMIT, BatchCallback, ProgressCallback
from lusha_mcp.api.errors import InvalidRequestError
from lusha_mcp.api.ratelimit import Pacer, RateLimitState
from lusha_mcp.api.resources import Account, Companies, Contacts, Lookalikes, Prospecting, Signals, Webhooks
from lusha_mcp.api.retries import RetryPolicy
from lusha_mcp.api.tables import TablesResource
from lusha_mcp.api.transport import Transport
from lusha_mcp.redaction import SECRETS
from lusha_mcp.settings import SANDBOX_API_KEY

if TYPE_CHECKING:
    from lusha_mcp.api.shared import RedisLink
    from lusha_mcp.settings import Settings

__all__ = ["BATCH_LIMIT", "SMALL_BATCH_LIMIT", "BatchCallback", "LushaClient", "ProgressCallback"]

_DEADLINE_MARGIN = 0.2
"""Seconds past the connect and read timeouts before the client's own deadline ends a request."""
KEEPALIVE_SECONDS = 2.0
"""How long an idle connection to Lusha is kept for reuse (below common server keep-alive timeouts)."""
_SANDBOX_BASE_URL = "http://sandbox.lusha.invalid"
_NO_KEY = "No Lusha API key: set LUSHA_API_KEY (or run with --sandbox for the offline sandbox)."


class LushaClient:
    """Async client of the Lusha V3 API over one httpx.AsyncClient.

    Use as `async with LushaClient(key) as client: ...`, or call `aclose()` when done.
    """

    contacts: Contacts
    companies: Companies
    prospecting: Prospecting
    signals: Signals
    lookalikes: Lookalikes
    webhooks: Webhooks
    account: Account

    def __init__(
        self,
        api_key: str | SecretStr,
        *,
        base_url: str = "https://api.lusha.com",
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        max_retries: int = 4,
        requests_per_second: float = 25.0,
        user_agent_suffix: str | None = None,
        retry_base_delay: float = 1.0,
        retry_max_delay: float = 60.0,
        max_concurrency: int = 32,
        redis_url: SecretStr | None = None,
        replicas: int = 1,
    ) -> None:
        key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        key = key.strip()
        if not key:
            raise InvalidRequestError(_NO_KEY, field="api_key")
        if requests_per_second <= 0:
            raise InvalidRequestError("requests_per_second must be above 0.", field="requests_per_second")
        self.base_url = base_url.rstrip("/")
        self.max_concurrency = max(1, max_concurrency)
        self.user_agent = f"lusha-mcp/{__version__}" + (f" {user_agent_suffix}" if user_agent_suffix else "")
        http = httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            headers={"user-agent": self.user_agent, "accept": "application/json"},
            # Idle connections are dropped after 2 s, well before a server's keep-alive timeout (5 s for
            # uvicorn, the sandbox's): a request sent on a connection the server closes at that moment
            # breaks after it was sent, and a metered one cannot be retried.
            limits=httpx.Limits(
                max_connections=max(self.max_concurrency, 10), keepalive_expiry=KEEPALIVE_SECONDS
            ),
            follow_redirects=False,
        )
        if key != SANDBOX_API_KEY:  # the sandbox's key is public (and would mask "lusha-" everywhere)
            SECRETS.add(key)
        pacer = Pacer(requests_per_second, share=replicas)
        self.shared: RedisLink | None = None
        """Team mode: the Redis link replicas pace and share the usage snapshot through."""
        if redis_url is not None:
            from lusha_mcp.api.shared import RedisLink, SharedPacer

            self.shared = RedisLink(redis_url, api_key=SecretStr(key), replicas=replicas)
            pacer = SharedPacer(
                self.shared,
                requests_per_second,
                in_flight_seconds=connect_timeout + timeout + _DEADLINE_MARGIN,
            )
        self._transport = Transport(
            api_key=SecretStr(key),
            base_url=self.base_url,
            http=http,
            pacer=pacer,
            retries=RetryPolicy(max_retries, retry_base_delay, retry_max_delay),
            request_deadline=connect_timeout + timeout + _DEADLINE_MARGIN,
            max_concurrency=self.max_concurrency,
        )
        self.contacts = Contacts(self._transport)
        self.companies = Companies(self._transport)
        self.prospecting = Prospecting(self._transport)
        self.signals = Signals(self._transport)
        self.lookalikes = Lookalikes(self._transport)
        self.webhooks = Webhooks(self._transport)
        self.account = Account(self._transport)
        self.tables = TablesResource(self._transport)
        """The 22 Tables operations (saved contact and company lists)."""

    @classmethod
    def from_settings(
        cls, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> LushaClient:
        """A client configured from Settings; in sandbox mode it talks to the in-process sandbox."""
        base_url = settings.base_url
        if settings.sandbox and transport is None:
            from lusha_mcp.sandbox import sandbox_transport

            transport = sandbox_transport(settings)
            base_url = _SANDBOX_BASE_URL
        elif settings.sandbox:
            base_url = _SANDBOX_BASE_URL
        if settings.api_key is None:
            raise InvalidRequestError(_NO_KEY, field="api_key")
        return cls(
            settings.api_key,
            base_url=base_url,
            transport=transport,
            timeout=settings.timeout,
            connect_timeout=settings.connect_timeout,
            max_retries=settings.max_retries,
            requests_per_second=settings.requests_per_second,
            redis_url=settings.redis_url,
            replicas=settings.replicas,
        )

    @property
    def max_retries(self) -> int:
        return self._transport.retries.max_retries

    @property
    def rate_limits(self) -> RateLimitState:
        """The minute/hour/day quotas Lusha last reported."""
        return self._transport.rate_limits

    @property
    def request_deadline(self) -> float:
        """Longest one request may take (connect + read timeouts and a margin)."""
        return self._transport.request_deadline

    def __repr__(self) -> str:
        return f"LushaClient(base_url={self.base_url!r}, api_key='***')"

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
