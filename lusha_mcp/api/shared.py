"""Team mode pacing: Lusha's per-account rate limits shared by every replica through Redis.

With `LUSHA_REDIS_URL` set, `SharedPacer` replaces the local `Pacer`: each bucket's sliding
window is a sorted set in Redis, admitted by one Lua script on the Redis clock (so replicas on
different hosts agree on the window). A request holds its slot until one window after its answer
(the transport calls `done`), so however late one replica's request reaches Lusha behind another's,
no window of Lusha's length sees more than the limit. A 429 or an exhausted minute quota seen by one
replica sets a pause-until key every replica's next request honours. The account-usage snapshot
(credits, plan, pricebook) is shared too (`read_snapshot`, `write_snapshot`, `claim`: one replica
fetches while the others wait for its copy), so the 5-a-minute endpoint is called once for all.

Redis is pacing only, never money: when it does not answer (at start or mid-run), each replica
paces locally at its safe share (Lusha's limits / `LUSHA_REPLICAS`), warns once in its log, and
goes back to Redis when it answers again. The URL may hold a password: it is never shown (only
a `SecretStr` here; errors name the exception type, never its text).

`redis` is imported here only, and this module only when the setting is set.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

import anyio
from pydantic import SecretStr

from lusha_mcp.api.ratelimit import Pacer, seconds_to_next_minute
from lusha_mcp.redaction import SECRETS, url_password

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = [
    "RedisLink",
    "SharedPacer",
    "SharedSnapshot",
    "SharedUnavailableError",
    "claim",
    "read_snapshot",
    "write_snapshot",
]

logger = logging.getLogger("lusha_mcp.api.shared")

T = TypeVar("T")

RETRY_SECONDS = 2.0
"""After a failure, how long a replica paces locally before asking Redis again."""
SOCKET_SECONDS = 1.0
"""Connect and read timeout of one Redis command: a hung Redis delays a request this long at most."""

# KEYS: window, bucket pause, general pause. ARGV: limit, period (us), member, in flight (us).
# A request holds its slot from admission until one period after its answer (`_DONE`), not after
# its admission: Lusha sees it somewhere in between, so however late it arrives there, no window
# of Lusha's length can hold more than `limit` (while in flight its score is in the future, until
# the longest a request may take: a replica that dies mid-request frees its slots then).
# Returns 0 when admitted, else the microseconds to wait before asking again.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local paused = math.max(tonumber(redis.call('GET', KEYS[2]) or '0'), tonumber(redis.call('GET', KEYS[3]) or '0'))
if paused > now then return paused - now end
local limit, period, flight = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now + flight, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil((period + flight) / 1000) + 1000)
  return 0
end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
if oldest > now then return 20000 end
return math.max(1, oldest + period - now)
"""

# KEYS: window. ARGV: member. The request's answer came: its slot frees one period from now.
_DONE = """
local t = redis.call('TIME')
redis.call('ZADD', KEYS[1], 'XX', tonumber(t[1]) * 1000000 + tonumber(t[2]), ARGV[1])
return 0
"""

# KEYS: window. ARGV: period (us), member prefix, then the ages (us) of admissions made elsewhere.
_SEED = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local period = tonumber(ARGV[1])
for i = 3, #ARGV do
  local age = tonumber(ARGV[i])
  if age < period then redis.call('ZADD', KEYS[1], now - age, ARGV[2] .. ':' .. i) end
end
redis.call('PEXPIRE', KEYS[1], math.ceil(period / 1000) + 1000)
return 0
"""

# KEYS: pause key. ARGV: seconds (us). Moves the pause-until forward, never back.
_PAUSE = """
local t = redis.call('TIME')
local untl = tonumber(t[1]) * 1000000 + tonumber(t[2]) + tonumber(ARGV[1])
if untl > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], string.format('%d', untl), 'PX', math.ceil(tonumber(ARGV[1]) / 1000) + 1000)
end
return 0
"""


_GENERAL = "/v3"
"""Any general endpoint's bucket name (Pacer.hold of one holds them all)."""


class SharedUnavailableError(Exception):
    """Redis did not answer (or was asked too soon after it failed): use the local share."""


class RedisLink:
    """One lazily opened Redis client and its health, shared by the pacer and the snapshot.

    `run(op)` answers op's result or raises `SharedUnavailableError`; the first failure of an outage
    logs one warning, the first success after it logs that sharing is back."""

    def __init__(self, url: SecretStr, *, api_key: SecretStr, replicas: int) -> None:
        self._url = url
        SECRETS.add(url_password(url.get_secret_value()))
        self.replicas = max(1, replicas)
        fingerprint = hashlib.sha256(b"lusha-mcp pacing\0" + api_key.get_secret_value().encode()).hexdigest()
        self.namespace = f"lusha-mcp:{{{fingerprint[:16]}}}"
        """Key prefix: replicas sharing one Lusha key (one account) share its limits; the key is
        never stored, only this one-way fingerprint (a hash tag: one cluster slot for all keys)."""
        self._client: Redis | None = None
        self._retry_at = 0.0
        self.down = False
        """True from a failure until Redis answers again."""
        self.outages = 0

    def key(self, *parts: str) -> str:
        return ":".join((self.namespace, *parts))

    def _redis(self) -> Redis:
        if self._client is None:
            from redis.asyncio import Redis
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff

            self._client = Redis.from_url(
                self._url.get_secret_value(),
                socket_timeout=SOCKET_SECONDS,
                socket_connect_timeout=SOCKET_SECONDS,
                retry=Retry(NoBackoff(), 0),
                decode_responses=True,
            )
        return self._client

    async def run(self, op: Callable[[Redis], Awaitable[T]]) -> T:
        if self.down and time.monotonic() < self._retry_at:
            raise SharedUnavailableError
        from redis.exceptions import RedisError

        failure: str | None = None
        result: T | None = None
        try:
            result = await op(self._redis())
        except (RedisError, OSError) as exc:
            failure = type(exc).__name__
        if failure is not None:
            self._retry_at = time.monotonic() + RETRY_SECONDS
            await self.aclose()  # its other pooled connections are as broken: start afresh next time
            if not self.down:
                self.down = True
                self.outages += 1
                logger.warning(
                    "Redis (LUSHA_REDIS_URL) is unavailable (%s): falling back to local pacing at this "
                    "replica's share, 1/%d of Lusha's rate limits (LUSHA_REPLICAS), and to its own "
                    "account-usage snapshot until Redis answers again",
                    failure, self.replicas,
                )  # fmt: skip
            raise SharedUnavailableError
        if self.down:
            self.down = False
            logger.warning("Redis answers again: pacing and the account-usage snapshot are shared again")
        return cast(T, result)

    async def check(self) -> bool:
        """Ask Redis once (at start): True when it answers; otherwise the fallback is logged."""

        async def ping(redis: Redis) -> object:
            return await redis.ping()

        try:
            await self.run(ping)
        except SharedUnavailableError:
            return False
        logger.info("pacing Lusha's rate limits through Redis, shared by %d replica(s)", self.replicas)
        return True

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            from redis.exceptions import RedisError

            with contextlib.suppress(RedisError, OSError):
                await client.aclose()


class SharedPacer(Pacer):
    """The Pacer's buckets as Redis sliding windows every replica shares; the local share
    (Lusha's limits / replicas) while Redis is down."""

    def __init__(self, link: RedisLink, requests_per_second: float, *, in_flight_seconds: float) -> None:
        super().__init__(requests_per_second)
        self._in_flight = in_flight_seconds
        self._link = link
        self._local = Pacer(requests_per_second, share=link.replicas)
        self._locks: dict[str, anyio.Lock] = {}
        self._member = uuid.uuid4().hex[:12]
        self._count = 0
        self._outage = 0
        self._local_since_outage = False

    async def _script(self, source: str, keys: list[str], args: list[int | str]) -> int:
        async def call(redis: Redis) -> int:
            script = redis.register_script(source)
            return int(await script(keys=keys, args=args))

        return await self._link.run(call)

    def _pause_keys(self, bucket: str) -> tuple[str, str]:
        general = bucket not in self.windows
        return self._link.key("pause", bucket), self._link.key("pause", "general" if general else bucket)

    async def acquire(self, bucket: str) -> str | None:
        # One waiter per bucket and replica asks Redis at a time (first come first served here).
        lock = self._locks.setdefault(bucket, anyio.Lock())
        limit, period = self.window(bucket)
        async with lock:
            while True:
                self._count += 1
                try:
                    if self._local_since_outage:
                        await self._seed()
                    member = f"{self._member}:{self._count}"
                    wait = await self._script(
                        _ACQUIRE,
                        [self._link.key("window", bucket), *self._pause_keys(bucket)],
                        [limit, round(period * 1_000_000), member, round(self._in_flight * 1_000_000)],
                    )
                except SharedUnavailableError:
                    if self._outage != self._link.outages:
                        # The shared windows may be full: the local share starts after one
                        # window of the general endpoints (the minute buckets start at once).
                        self._outage = self._link.outages
                        self._local.hold(_GENERAL, self.endpoint_window[1])
                    self._local_since_outage = True
                    return await self._local.acquire(bucket)
                if wait <= 0:
                    return member
                await anyio.sleep(wait / 1_000_000)

    async def done(self, bucket: str, ticket: str | None) -> None:
        if ticket is None:
            return
        with anyio.CancelScope(shield=True), contextlib.suppress(SharedUnavailableError):
            await self._script(_DONE, [self._link.key("window", bucket)], [ticket])

    async def _seed(self) -> None:
        """Back on Redis after an outage: put the requests this replica admitted locally (still
        inside their windows) into the shared windows, so they count there too."""
        for bucket, ages in self._local.recent().items():
            period = self.window(bucket)[1]
            await self._script(
                _SEED,
                [self._link.key("window", bucket)],
                [
                    round(period * 1_000_000),
                    f"{self._member}:seed{self._count}",
                    *(round(a * 1_000_000) for a in ages),
                ],
            )
        self._local_since_outage = False

    async def _pause_shared(self, key: str, seconds: float) -> None:
        with contextlib.suppress(SharedUnavailableError):
            await self._script(_PAUSE, [key], [round(seconds * 1_000_000)])

    async def pause(self, bucket: str, seconds: float) -> None:
        await self._local.pause(bucket, seconds)
        await self._pause_shared(self._pause_keys(bucket)[0], seconds)

    async def pause_for_minute_window(self, bucket: str) -> float:
        wait = seconds_to_next_minute()
        self._local.hold(bucket, wait)
        await self._pause_shared(self._pause_keys(bucket)[1], wait)
        return wait

    async def aclose(self) -> None:
        await self._link.aclose()


@dataclass(frozen=True, slots=True)
class SharedSnapshot:
    """A JSON document kept in Redis with a TTL, and how old it is (by the Redis clock)."""

    data: dict[str, Any]
    age_seconds: float


async def read_snapshot(link: RedisLink, name: str, ttl_seconds: float) -> SharedSnapshot | None:
    """The snapshot `name` when Redis has one (None when absent or Redis is down)."""

    async def read(redis: Redis) -> tuple[object, object]:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.get(link.key("snapshot", name))
            pipe.pttl(link.key("snapshot", name))
            raw, left = await pipe.execute()
        return cast(object, raw), cast(object, left)

    try:
        raw, left = await link.run(read)
    except SharedUnavailableError:
        return None
    if not isinstance(raw, str) or not isinstance(left, int) or left < 0:
        return None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    return SharedSnapshot(cast(dict[str, Any], data), max(0.0, ttl_seconds - left / 1000))


async def write_snapshot(link: RedisLink, name: str, data: dict[str, Any], ttl_seconds: float) -> None:
    """Keep `data` as the snapshot `name` for `ttl_seconds` (nothing when Redis is down)."""
    text = json.dumps(data, separators=(",", ":"))

    async def write(redis: Redis) -> None:
        await redis.set(link.key("snapshot", name), text, px=round(ttl_seconds * 1000))

    with contextlib.suppress(SharedUnavailableError):
        await link.run(write)


async def claim(link: RedisLink, name: str, seconds: float) -> bool:
    """True when this replica may fetch the snapshot `name` now: it took the short fetch lock
    (held `seconds` at most), or Redis is down (then every replica fetches its own)."""

    async def take(redis: Redis) -> bool:
        return bool(await redis.set(link.key("fetching", name), "1", nx=True, px=round(seconds * 1000)))

    try:
        return await link.run(take)
    except SharedUnavailableError:
        return True
