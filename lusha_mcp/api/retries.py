"""The one retry policy of the Lusha client: classify what happened, then say how long to wait.

`classify` sorts an attempt's outcome into one Verdict; `delay` turns a retryable verdict into the
seconds to wait (or None: give up and raise). Safe to retry: 429 within the quota, 502/503/504,
connection failures before anything was sent, lost answers of GET requests. Never retried: a
request that reached Lusha and whose answer was lost when it was not a GET (it may have been
charged or taken effect), any other 4xx/5xx.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import Enum

from lusha_mcp.api.errors import APIStatusError, RateLimitError

__all__ = ["RETRY_STATUSES", "RetryPolicy", "Verdict"]

RETRY_STATUSES = frozenset({502, 503, 504})


class Verdict(Enum):
    """What one attempt's outcome means for the next."""

    FINAL = "final"
    """Raise now: retrying cannot help or could do harm."""
    RATE_LIMITED = "rate_limited"
    """429 within the quota: wait Retry-After (or back off), pausing the endpoint's bucket."""
    TRANSIENT = "transient"
    """A gateway error or a failure before anything reached Lusha: back off and try again."""


@dataclass
class RetryPolicy:
    max_retries: int = 4
    base_delay: float = 1.0
    max_delay: float = 60.0
    _jitter: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        self.max_retries = max(0, self.max_retries)
        self.base_delay = max(0.0, self.base_delay)
        self.max_delay = max(self.base_delay, self.max_delay)

    def classify_status(self, error: APIStatusError, *, quota_exhausted: bool) -> Verdict:
        """An error answer: 429 (unless a daily/hourly quota is used up) or 502/503/504 are retryable."""
        if isinstance(error, RateLimitError):
            if quota_exhausted:
                return Verdict.FINAL
            if error.retry_after is not None and error.retry_after > self.max_delay:
                return Verdict.FINAL
            return Verdict.RATE_LIMITED
        if error.status in RETRY_STATUSES:
            return Verdict.TRANSIENT
        return Verdict.FINAL

    @staticmethod
    def classify_lost(method: str) -> Verdict:
        """The request reached Lusha but its answer was lost: only a GET is safe to send again."""
        return Verdict.TRANSIENT if method == "GET" else Verdict.FINAL

    def delay(self, verdict: Verdict, attempt: int, *, retry_after: float | None = None) -> float | None:
        """Seconds before attempt `attempt + 1`, or None when the call must give up."""
        if verdict is Verdict.FINAL or attempt >= self.max_retries:
            return None
        if verdict is Verdict.RATE_LIMITED and retry_after is not None:
            return retry_after
        return self.backoff(attempt)

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: half to all of min(max_delay, base_delay * 2**attempt)."""
        ceiling = min(self.max_delay, self.base_delay * (2**attempt))
        return ceiling * (0.5 + self._jitter.random() / 2)
