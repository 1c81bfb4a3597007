"""Fault injection for tests and benchmarks.

Per request, header `x-sandbox-fault` with `;`-separated parts:
  latency=<ms>     answer after that delay
  status=<code>    answer that status in Lusha's envelope (no charge)
  rate_limit       answer 429 (no charge)
  timeout          hang longer than the client's timeout, then 504 (cancellable; no charge)
  malformed        200 with a body that is not valid JSON (no charge)
  reset            drop the connection: an exception out of the ASGI app (no charge)
  lost             run the call (it IS charged), then hang and drop the connection
Process-wide (settings sandbox_latency_ms / sandbox_fault_rate, or POST /_sandbox/faults):
latency, a share of 5xx answers (seeded, reproducible), and a queue of faults for the next requests.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Annotated, Any

import httpx
from pydantic import AfterValidator, Field

from lusha_mcp.sandbox.errors import bad_request
from lusha_mcp.sandbox.wire import Int, Text, WireModel, problem, validate

FAULT_HEADER = "x-sandbox-fault"


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """What goes wrong with one request."""

    latency_ms: int = 0
    status: int | None = None
    rate_limit: bool = False
    timeout: bool = False
    malformed: bool = False
    reset: bool = False
    lost: bool = False

    @property
    def blocks_handler(self) -> bool:
        """The handler does not run (so nothing is charged)."""
        return self.status is not None or self.rate_limit or self.timeout or self.malformed or self.reset

    def merge(self, other: FaultPlan) -> FaultPlan:
        return FaultPlan(
            latency_ms=self.latency_ms + other.latency_ms,
            status=other.status if other.status is not None else self.status,
            rate_limit=self.rate_limit or other.rate_limit,
            timeout=self.timeout or other.timeout,
            malformed=self.malformed or other.malformed,
            reset=self.reset or other.reset,
            lost=self.lost or other.lost,
        )


def parse_fault(spec: str, *, source: str = FAULT_HEADER) -> FaultPlan:
    """Parse `latency=200;status=503` etc.; 400 naming the bad part otherwise."""
    plan = FaultPlan()
    errors: list[str] = []
    for raw in spec.split(";"):
        part = raw.strip()
        if not part:
            continue
        name, _, value = part.partition("=")
        name = name.strip().lower().replace("-", "_")
        value = value.strip()
        if name == "latency":
            if not value.isdigit():
                errors.append(f"{source}: latency needs milliseconds, e.g. latency=250")
                continue
            plan = replace(plan, latency_ms=plan.latency_ms + int(value))
        elif name == "status":
            if not value.isdigit() or not 400 <= int(value) <= 599:
                errors.append(f"{source}: status needs an HTTP error code 400-599, e.g. status=503")
                continue
            plan = replace(plan, status=int(value))
        elif name in {"rate_limit", "ratelimit", "429"}:
            plan = replace(plan, rate_limit=True)
        elif name in {"timeout", "malformed", "reset", "lost"}:
            plan = replace(plan, **{name: True})
        else:
            errors.append(
                f"{source}: unknown fault {name!r}; use latency=<ms>, status=<code>, rate_limit, "
                "timeout, malformed, reset or lost"
            )
    if errors:
        bad_request(errors, "Invalid fault specification")
    return plan


def _share(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise problem("must be between 0 and 1")
    return value


class FaultSettings(WireModel):
    """The body of POST /_sandbox/faults (every field optional; `next` queues faults in order)."""

    latency_ms: Annotated[Int, Field(ge=0, le=600_000)] | None = None
    error_rate: Annotated[float, AfterValidator(_share)] | None = None
    error_status: Annotated[Int, Field(ge=500, le=599)] | None = None
    seed: Int | None = None
    next: Annotated[list[Text], Field(max_length=10_000)] | None = None
    rate_limit_burst: Annotated[Int, Field(ge=0, le=10_000)] | None = None
    clear: bool | None = None


@dataclass(slots=True)
class FaultControl:
    """Process-wide faults; changed at runtime through POST /_sandbox/faults."""

    latency_ms: int = 0
    error_rate: float = 0.0
    error_status: int = 503
    seed: int = 0
    queue: deque[FaultPlan] = field(default_factory=lambda: deque[FaultPlan]())
    _random: random.Random = field(default_factory=random.Random)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._random.seed(self.seed)

    def next_plan(self, header: str | None) -> FaultPlan:
        plan = FaultPlan(latency_ms=self.latency_ms)
        with self._lock:
            if self.queue:
                plan = plan.merge(self.queue.popleft())
            if self.error_rate > 0 and self._random.random() < self.error_rate:
                plan = plan.merge(FaultPlan(status=self.error_status))
        if header:
            plan = plan.merge(parse_fault(header))
        return plan

    def configure(self, body: dict[str, Any]) -> dict[str, Any]:
        """Apply a /_sandbox/faults body; 400 naming the bad field otherwise."""
        settings = validate(FaultSettings, body)
        latency, rate, status = settings.latency_ms, settings.error_rate, settings.error_status
        seed, upcoming, burst, clear = settings.seed, settings.next, settings.rate_limit_burst, settings.clear
        plans = [parse_fault(item, source="next") for item in upcoming or []]
        with self._lock:
            if clear:
                self.latency_ms, self.error_rate, self.error_status = 0, 0.0, 503
                self.queue.clear()
            if latency is not None:
                self.latency_ms = latency
            if rate is not None:
                self.error_rate = rate
            if status is not None:
                self.error_status = status
            if seed is not None:
                self.seed = seed
                self._random.seed(seed)
            self.queue.extend(plans)
            self.queue.extend(FaultPlan(rate_limit=True) for _ in range(burst or 0))
            return self.describe()

    def describe(self) -> dict[str, Any]:
        return {
            "latencyMs": self.latency_ms,
            "errorRate": self.error_rate,
            "errorStatus": self.error_status,
            "seed": self.seed,
            "queued": len(self.queue),
        }


class ConnectionResetFault(httpx.RemoteProtocolError):
    """Raised out of the ASGI app to drop the connection.

    In process (httpx.ASGITransport) the client sees it as an httpx transport error; under
    uvicorn the response has already started, so the connection is closed mid-response.
    """

    def __init__(self) -> None:
        super().__init__("Connection reset by the sandbox (fault injection)")
