"""Lusha's rate limits: 25 requests/second per endpoint, 5/minute for account usage,
100/minute for the webhooks API, and the account's minute/hour/day quotas.

All windows slide (a request counts for exactly one window length after it was admitted).
Every response carries the nine x-rate-limit-* headers; a request over any limit gets 429
and is not counted.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

ACCOUNT_USAGE_BUCKET = "account-usage"
WEBHOOKS_BUCKET = "webhooks"
LOG_SIZE = 20_000
"""Requests the limiter's log keeps (GET /_sandbox/requests/log)."""


@dataclass(slots=True)
class _SlidingWindow:
    seconds: float
    limit: int
    hits: deque[float] = field(default_factory=lambda: deque[float]())

    def used(self, now: float) -> int:
        while self.hits and self.hits[0] <= now - self.seconds:
            self.hits.popleft()
        return len(self.hits)

    def add(self, now: float) -> None:
        self.hits.append(now)


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    headers: dict[str, str]
    message: str = ""


class RateLimiter:
    """Per-endpoint and per-account request windows of one sandbox account."""

    def __init__(
        self,
        *,
        enforce: bool,
        requests_per_second: int,
        account_usage_per_minute: int,
        webhooks_per_minute: int,
        daily_quota: int,
        hourly_quota: int,
        minute_quota: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.enforce = enforce
        self._clock = clock
        self._lock = threading.Lock()
        self._per_second = requests_per_second
        self._special = {ACCOUNT_USAGE_BUCKET: account_usage_per_minute, WEBHOOKS_BUCKET: webhooks_per_minute}
        self._buckets: dict[str, _SlidingWindow] = {}
        self._daily = _SlidingWindow(86_400.0, daily_quota)
        self._hourly = _SlidingWindow(3_600.0, hourly_quota)
        self._minute = _SlidingWindow(60.0, minute_quota)
        self._admitted = Counter[str]()
        self._refused = Counter[str]()
        self._log: deque[tuple[float, str, bool]] = deque(maxlen=LOG_SIZE)

    def _bucket(self, name: str) -> _SlidingWindow:
        bucket = self._buckets.get(name)
        if bucket is None:
            special = self._special.get(name)
            bucket = (
                _SlidingWindow(60.0, special)
                if special is not None
                else _SlidingWindow(1.0, self._per_second)
            )
            self._buckets[name] = bucket
        return bucket

    def admit(self, bucket_name: str) -> RateDecision:
        """Count one request to `bucket_name` (an endpoint), or refuse it when over a limit."""
        with self._lock:
            now = self._clock()
            bucket = self._bucket(bucket_name)
            message = ""
            if self.enforce:
                if bucket.used(now) >= bucket.limit:
                    unit = "minute" if bucket.seconds >= 60 else "second"
                    message = (
                        f"Too many requests. This endpoint allows {bucket.limit} requests per {unit}; "
                        "please wait before making another request."
                    )
                elif self._daily.used(now) >= self._daily.limit:
                    message = "Too many requests. Daily quota exceeded; please wait until it resets."
                elif self._hourly.used(now) >= self._hourly.limit:
                    message = (
                        "Too many requests. Hourly quota exceeded; please wait before making another request."
                    )
                elif self._minute.used(now) >= self._minute.limit:
                    message = "Too many requests. Please wait before making another request."
            if not message:
                bucket.add(now)
                self._daily.add(now)
                self._hourly.add(now)
                self._minute.add(now)
                self._admitted[bucket_name] += 1
            else:
                self._refused[bucket_name] += 1
            self._log.append((now, bucket_name, not message))
            return RateDecision(not message, self._headers(now, bucket_name), message)

    def counts(self) -> dict[str, object]:
        """Requests admitted and refused with 429 since start, in total and per bucket (endpoint)."""
        with self._lock:
            names = sorted({*self._admitted, *self._refused})
            return {
                "admitted": sum(self._admitted.values()),
                "rateLimited": sum(self._refused.values()),
                "byBucket": {
                    name: {"admitted": self._admitted[name], "rateLimited": self._refused[name]}
                    for name in names
                },
            }

    def refused_by_fault(self, bucket_name: str) -> None:
        """Log a 429 a fault injected after `admit` let the request through."""
        with self._lock:
            self._log.append((self._clock(), bucket_name, False))

    def log(self) -> list[dict[str, object]]:
        """The latest requests on this limiter's clock, oldest first: time, bucket, admitted
        (False: answered 429, by the limits or an injected fault), so tests count per window."""
        with self._lock:
            return [{"at": at, "bucket": bucket, "admitted": ok} for at, bucket, ok in self._log]

    def headers(self, bucket_name: str) -> dict[str, str]:
        with self._lock:
            return self._headers(self._clock(), bucket_name)

    def _headers(self, now: float, bucket_name: str) -> dict[str, str]:
        if bucket_name in self._special:
            bucket = self._bucket(bucket_name)
            minute_limit, minute_used = bucket.limit, bucket.used(now)
        else:
            minute_limit, minute_used = self._minute.limit, self._minute.used(now)
        daily_used, hourly_used = self._daily.used(now), self._hourly.used(now)
        return {
            "x-rate-limit-daily": str(self._daily.limit),
            "x-daily-requests-left": str(max(self._daily.limit - daily_used, 0)),
            "x-daily-usage": str(daily_used),
            "x-rate-limit-hourly": str(self._hourly.limit),
            "x-hourly-requests-left": str(max(self._hourly.limit - hourly_used, 0)),
            "x-hourly-usage": str(hourly_used),
            "x-rate-limit-minute": str(minute_limit),
            "x-minute-requests-left": str(max(minute_limit - minute_used, 0)),
            "x-minute-usage": str(minute_used),
        }

    def usage(self) -> dict[str, dict[str, int | str]]:
        """Window snapshots for the account usage endpoint's `rateLimits`."""
        from datetime import UTC, datetime

        with self._lock:
            now = self._clock()
            result: dict[str, dict[str, int | str]] = {}
            for name, window in (("daily", self._daily), ("hourly", self._hourly), ("minute", self._minute)):
                used = window.used(now)
                resets = (window.hits[0] if window.hits else now) + window.seconds
                result[name] = {
                    "limit": window.limit,
                    "used": used,
                    "remaining": max(window.limit - used, 0),
                    "resetsAt": datetime.fromtimestamp(resets, UTC)
                    .isoformat(timespec="milliseconds")
                    .replace("+00:00", "Z"),
                }
            return result
