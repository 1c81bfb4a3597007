"""Client-side pacing and the rate-limit state Lusha reports in response headers.

Lusha limits each endpoint to 25 requests/second, account usage to 5/minute and the webhooks
API to 100/minute, and counts account quotas per minute, hour and day. The client paces
itself with a sliding window per bucket (a leaky bucket would allow a burst on top of the
steady rate, which a sliding-window server counts as over the limit), and pauses a bucket
when Lusha reports its minute window used up.
"""

from __future__ import annotations

import math
import re
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import anyio

WindowName = Literal["daily", "hourly", "minute"]

ACCOUNT_USAGE_BUCKET = "account-usage"
WEBHOOKS_BUCKET = "webhooks"
ACCOUNT_USAGE_PER_MINUTE = 5
WEBHOOKS_PER_MINUTE = 100
_SAFETY = 1.05


@dataclass(frozen=True, slots=True)
class RateWindow:
    """One quota window as last reported by Lusha."""

    limit: int | None
    remaining: int | None
    used: int | None
    observed_at: float = field(default_factory=time.time)

    @property
    def exhausted(self) -> bool:
        return self.remaining is not None and self.remaining <= 0


@dataclass(slots=True)
class RateLimitState:
    """The latest x-rate-limit-* values seen: account quotas and the minute window of each bucket."""

    daily: RateWindow | None = None
    hourly: RateWindow | None = None
    minute: RateWindow | None = None
    buckets: dict[str, RateWindow] = field(default_factory=dict[str, RateWindow])
    updated_at: float | None = None

    def update(self, bucket: str, headers: Mapping[str, str]) -> RateWindow | None:
        """Record the headers of one response; returns the minute window of its bucket, if given."""
        daily = _window(headers, "x-rate-limit-daily", "x-daily-requests-left", "x-daily-usage")
        hourly = _window(headers, "x-rate-limit-hourly", "x-hourly-requests-left", "x-hourly-usage")
        minute = _window(headers, "x-rate-limit-minute", "x-minute-requests-left", "x-minute-usage")
        if daily is None and hourly is None and minute is None:
            return None
        self.daily = daily or self.daily
        self.hourly = hourly or self.hourly
        if minute is not None:
            self.buckets[bucket] = minute
            if bucket not in (ACCOUNT_USAGE_BUCKET, WEBHOOKS_BUCKET):
                self.minute = minute
        self.updated_at = time.time()
        return minute

    def exhausted_quota(self) -> WindowName | None:
        """'daily' or 'hourly' when that account quota was reported used up."""
        if self.daily is not None and self.daily.exhausted:
            return "daily"
        if self.hourly is not None and self.hourly.exhausted:
            return "hourly"
        return None


def _int(headers: Mapping[str, str], name: str) -> int | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return int(float(raw))
    except ValueError:
        return None


def _window(headers: Mapping[str, str], limit: str, left: str, usage: str) -> RateWindow | None:
    values = (_int(headers, limit), _int(headers, left), _int(headers, usage))
    if values == (None, None, None):
        return None
    return RateWindow(limit=values[0], remaining=values[1], used=values[2])


def bucket_of(path: str) -> str:
    """The rate-limit bucket of an API path."""
    if path.startswith("/api/"):
        return WEBHOOKS_BUCKET
    if path == "/v3/account/usage":
        return ACCOUNT_USAGE_BUCKET
    return _TABLE_COLUMN.sub(r"\1{column_id}", _TABLE_ID.sub(r"\1{table_id}", path))


_TABLE_ID = re.compile(r"^(/v3/(?:contacts|companies)/tables/)(?!list$)[^/]+")
_TABLE_COLUMN = re.compile(r"^(/v3/(?:contacts|companies)/tables/\{table_id\}/columns/)[^/]+")


class SlidingWindowLimiter:
    """At most `limit` acquisitions in any `period` seconds, first come first served."""

    def __init__(self, limit: int, period: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.period = period
        self._clock = clock
        self._stamps: deque[float] = deque()
        self._lock = anyio.Lock()
        self._paused_until = 0.0

    def ages(self) -> list[float]:
        """Seconds since each admission still inside the window, oldest first."""
        now = self._clock()
        return [now - stamp for stamp in self._stamps if now - stamp < self.period]

    def pause_until(self, moment: float) -> None:
        """Hold every acquisition until the monotonic time `moment`."""
        self._paused_until = max(self._paused_until, moment)

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self._clock()
                if now < self._paused_until:
                    await anyio.sleep(self._paused_until - now)
                    continue
                while self._stamps and now - self._stamps[0] >= self.period:
                    self._stamps.popleft()
                if len(self._stamps) < self.limit:
                    self._stamps.append(now)
                    return
                await anyio.sleep(self.period - (now - self._stamps[0]))


def paced_window(rate: float, period: float) -> tuple[int, float]:
    """(limit, seconds) of a sliding window that admits at most `rate` per `period` with a margin:
    a whole number of requests, the window stretched by the safety factor and, for a rate under 1,
    to one request per 1/rate periods. Never shorter than `period`, or a window of Lusha's length
    could hold two of them (6.7/s paced as 6 per 0.94 s puts 12 in some seconds)."""
    limit = max(1, math.floor(rate))
    return limit, max(1.0, limit / rate) * period * _SAFETY


class Pacer:
    """One sliding-window limiter per bucket: per endpoint, account usage, webhooks.

    `share` divides Lusha's limits (a replica's safe share when several pace one key without Redis)."""

    def __init__(self, requests_per_second: float, *, share: int = 1) -> None:
        share = max(1, share)
        self.windows: dict[str, tuple[int, float]] = {
            ACCOUNT_USAGE_BUCKET: paced_window(ACCOUNT_USAGE_PER_MINUTE / share, 60.0),
            WEBHOOKS_BUCKET: paced_window(WEBHOOKS_PER_MINUTE / share, 60.0),
        }
        self.endpoint_window = paced_window(requests_per_second / share, 1.0)
        """(limit, seconds) of every other bucket (each endpoint)."""
        self._limiters: dict[str, SlidingWindowLimiter] = {}
        self._general_paused_until = 0.0

    def window(self, bucket: str) -> tuple[int, float]:
        """(limit, seconds) of a bucket's sliding window."""
        return self.windows.get(bucket, self.endpoint_window)

    def limiter(self, bucket: str) -> SlidingWindowLimiter:
        limiter = self._limiters.get(bucket)
        if limiter is None:
            limiter = SlidingWindowLimiter(*self.window(bucket))
            if bucket not in self.windows:
                limiter.pause_until(self._general_paused_until)
            self._limiters[bucket] = limiter
        return limiter

    async def acquire(self, bucket: str) -> str | None:
        """Wait for a slot of `bucket`; the ticket to give `done` when the answer came (or None)."""
        await self.limiter(bucket).acquire()
        return None

    async def done(self, bucket: str, ticket: str | None) -> None:
        """The request of `ticket` was answered (or failed); locally a slot frees one window after
        its admission, so there is nothing to do."""

    def recent(self) -> dict[str, list[float]]:
        """Per bucket, the ages (seconds) of the admissions still inside its window."""
        return {bucket: ages for bucket, limiter in self._limiters.items() if (ages := limiter.ages())}

    async def pause(self, bucket: str, seconds: float) -> None:
        """Hold one bucket for `seconds` (a 429's Retry-After or backoff)."""
        self.limiter(bucket).pause_until(time.monotonic() + seconds)

    async def pause_for_minute_window(self, bucket: str) -> float:
        """Hold a bucket (every general endpoint when it is the account's minute quota) until the next minute."""
        wait = seconds_to_next_minute()
        self.hold(bucket, wait)
        return wait

    def hold(self, bucket: str, wait: float) -> None:
        """Hold a minute bucket, or every general endpoint when `bucket` is one, `wait` seconds."""
        until = time.monotonic() + wait
        if bucket in self.windows:
            self.limiter(bucket).pause_until(until)
        else:
            self._general_paused_until = until
            for name, limiter in self._limiters.items():
                if name not in self.windows:
                    limiter.pause_until(until)

    async def aclose(self) -> None:
        """Nothing to release locally (the shared pacer closes its Redis connections)."""


def seconds_to_next_minute() -> float:
    """Seconds until the next wall-clock minute starts (Lusha's minute quota resets then), plus a margin."""
    return 60.0 - (time.time() % 60.0) + 0.05
