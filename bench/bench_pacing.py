"""8. Shared pacing: N clients pacing one Lusha key through one Redis, against the 25 req/s ceiling.

    .venv/bin/python bench/bench_pacing.py

A real redis-server on a free loopback port (tests/engines.py) and one in-process sandbox with
Lusha's rate limits on (25 requests/s per endpoint). Measured in the same run:

- aggregate throughput: CLIENTS LushaClients (each its own pacer, as replicas have) fire a burst
  of free requests at one endpoint at once; requests/s of all of them together against 25/s, and
  the 429s the sandbox counted (its GET /_sandbox/requests);
- three real replicas: three `lusha-mcp serve --transport http` processes sharing one Redis and
  one PostgreSQL (tests/team/harness.py, as the team tests start them), the sandbox as its own
  process (`lusha-mcp sandbox`, rate limits on); signed-in MCP clients (streamable HTTP) fire a
  burst of free list_filter_values calls round-robin at once; throughput, busiest second and 429s
  read from the sandbox's own request log and counters, not from the clients;
- pacing overhead: the pacing cost of one request that does not wait (a limit far above the
  load): through Redis, its admission and its answer noted (two Lua script round trips), against
  the local sliding window; p50/p95.
"""

from __future__ import annotations

import sys
import time
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

import anyio
from bench_bulk import busiest_second
from harness import ROOT, Workspace, bench_main, sandbox_http
from pydantic import SecretStr
from report import Section
from timing import Spread

if TYPE_CHECKING:
    from tests.engines import RedisServer

if TYPE_CHECKING:
    from tests.engines import RedisServer

KEY, TITLE = "pacing", "8. Shared pacing (Redis)"
CLIENTS = 3
REQUESTS_PER_SECOND = 25
CEILING = float(REQUESTS_PER_SECOND)
RATIO_TARGET = 0.85
OVERHEAD_TARGET_MS = 1.0
BUCKET = "/v3/contacts/prospecting/filters"


async def burst(section: Section, workspace: Workspace, redis_url: str) -> None:
    from lusha_mcp.api.client import LushaClient
    from lusha_mcp.sandbox import SANDBOX_BASE_URL, sandbox_transport
    from lusha_mcp.settings import SANDBOX_API_KEY

    settings = workspace.settings("pacing", requests_per_second=float(REQUESTS_PER_SECOND))
    per_client = 20 if workspace.quick else 50
    clients = [
        LushaClient(
            SANDBOX_API_KEY,
            base_url=SANDBOX_BASE_URL,
            transport=sandbox_transport(settings),  # one sandbox app (cached per settings)
            requests_per_second=float(REQUESTS_PER_SECOND),
            redis_url=SecretStr(redis_url),
            max_retries=4,
        )
        for _ in range(CLIENTS)
    ]
    failures = 0

    async def one(lusha: LushaClient) -> None:
        nonlocal failures
        try:
            await lusha.prospecting.contact_filter_types()
        except Exception:
            failures += 1

    try:
        await clients[0].prospecting.contact_filter_types()  # connections and scripts warm
        await anyio.sleep(1.1)
        started = time.perf_counter()
        async with anyio.create_task_group() as group:
            for lusha in clients:
                for _ in range(per_client):
                    group.start_soon(one, lusha)
        elapsed = time.perf_counter() - started
        async with sandbox_http(settings) as control:
            counts = (await control.get("/_sandbox/requests")).json()
            log = (await control.get("/_sandbox/requests/log")).json()["requests"]
    finally:
        for lusha in clients:
            await lusha.aclose()
    total = CLIENTS * per_client
    bucket = counts["byBucket"].get(BUCKET, {"admitted": 0, "rateLimited": 0})
    admitted = sorted(entry["at"] for entry in log if entry["bucket"] == BUCKET and entry["admitted"])[
        -total:
    ]
    section.add("clients sharing one Redis", CLIENTS)
    section.add("requests in the burst", total, note=f"{per_client} per client, all at once")
    section.add("elapsed", elapsed, "s")
    section.add(
        "aggregate throughput, whole burst", (total - 1) / elapsed, "req/s", note="first window included"
    )
    add_throughput(section, "", admitted, total, bucket["rateLimited"], failures)
    section.add(
        "most steady pacing allows",
        1 / 1.05,
        "x",
        note="25 per 1.05 s window, each slot held from admission to 1.05 s after its answer",
    )


def add_throughput(
    section: Section, label: str, admitted: list[float], total: int, rate_limited: int, failures: int
) -> None:
    """The rows both bursts report, from the sandbox's log of the admitted requests (its clock)."""
    # After the first window's burst (25 at once), the rate the windows sustain: requests admitted
    # after it over the time from its last request to the burst's last.
    steady = (total - REQUESTS_PER_SECOND) / (admitted[-1] - admitted[REQUESTS_PER_SECOND - 1])
    section.add(f"{label}steady aggregate throughput", steady, "req/s", note="after the first window's burst")
    section.add(
        f"{label}steady, against the ceiling ({REQUESTS_PER_SECOND} req/s)",
        steady / CEILING,
        "x",
        at_least=RATIO_TARGET,
    )
    section.add(
        f"{label}most admitted in any 1 s (sandbox's clock)",
        busiest_second(admitted),
        at_most=REQUESTS_PER_SECOND,
    )
    section.add(f"{label}429 answers (sandbox's count)", rate_limited, at_most=0)
    section.add(f"{label}calls that failed", failures, at_most=0)


async def replicas_burst(section: Section, workspace: Workspace, redis: RedisServer) -> None:
    """Three `serve --transport http` processes, one Redis and PostgreSQL, the sandbox its own process."""
    from mcp import Client

    from lusha_mcp.sandbox import sandbox_app
    from lusha_mcp.settings import Settings
    from tests.conftest import TEST_COMPANIES, TEST_CONTACTS
    from tests.engines import postgres_server
    from tests.http.issuer import running_issuer
    from tests.team.harness import REPLICAS, User, running_team, text_of

    label = f"{REPLICAS} replicas: "
    dataset = Settings(
        sandbox=True,
        data_dir=workspace.data_dir("replicas-dataset-owner"),
        sandbox_dataset_dir=workspace.root / "replicas-dataset",
        sandbox_contacts=TEST_CONTACTS,
        sandbox_companies=TEST_COMPANIES,
    )
    sandbox_app(dataset)  # generated before the sandbox process reads it
    base_dir = workspace.data_dir("replicas")
    total = 60 if workspace.quick else 150
    failures = 0

    async def one(client: Client) -> None:
        nonlocal failures
        result = await client.call_tool("list_filter_values", {"scope": "contacts"})
        if result.is_error:
            failures += 1
            section.notes.append(f"A call failed: {text_of(result)[:200]}")

    with (
        postgres_server() as postgres,
        running_issuer() as issuer,
        running_team(
            postgres=postgres, redis=redis, redis_db=1, issuer=issuer, dataset=dataset, base_dir=base_dir
        ) as team,
    ):
        users = [User(f"bench-{replica.name}") for replica in team.replicas]
        async with AsyncExitStack() as stack:
            clients = [
                await stack.enter_async_context(team.client(user, replica))
                for user, replica in zip(users, team.replicas, strict=True)
            ]
            for client in clients:  # sign-in, connections to Redis and the sandbox warm
                await one(client)
            await anyio.sleep(1.1)
            before = await team.sandbox_get("/_sandbox/requests")
            started = time.perf_counter()
            async with anyio.create_task_group() as group:
                for n in range(total):
                    group.start_soon(one, clients[n % len(clients)])
            elapsed = time.perf_counter() - started
        after = await team.sandbox_get("/_sandbox/requests")
        log = (await team.sandbox_get("/_sandbox/requests/log"))["requests"]
    empty = {"admitted": 0, "rateLimited": 0}
    first, last = before["byBucket"].get(BUCKET, empty), after["byBucket"].get(BUCKET, empty)
    reached = last["admitted"] - first["admitted"]
    admitted = sorted(entry["at"] for entry in log if entry["bucket"] == BUCKET and entry["admitted"])[
        -reached:
    ]
    section.add(f"{label}MCP calls in the burst", total, note="list_filter_values, round-robin, all at once")
    section.add(f"{label}requests admitted by the sandbox", reached, note="its GET /_sandbox/requests")
    section.add(f"{label}elapsed", elapsed, "s", note="first call sent to last answer, at the clients")
    section.add(
        f"{label}aggregate throughput, whole burst",
        (reached - 1) / (admitted[-1] - admitted[0]),
        "req/s",
        note="sandbox's clock, first window included",
    )
    add_throughput(section, label, admitted, reached, last["rateLimited"] - first["rateLimited"], failures)


async def overhead(section: Section, redis_url: str, rounds: int) -> None:
    from lusha_mcp.api.ratelimit import Pacer
    from lusha_mcp.api.shared import RedisLink, SharedPacer

    fast = 1_000_000.0  # no admission ever waits: this is the bookkeeping alone
    local = Pacer(fast)
    link = RedisLink(SecretStr(redis_url), api_key=SecretStr("bench-key"), replicas=1)
    shared = SharedPacer(link, fast, in_flight_seconds=40.0)
    try:
        await shared.acquire(BUCKET)  # connect, load the script
        samples: dict[str, list[float]] = {"local": [], "redis": []}
        for _ in range(rounds):  # interleaved, so load changes hit both alike
            for name, pacer in (("local", local), ("redis", shared)):
                began = time.perf_counter()
                ticket = await pacer.acquire(BUCKET)
                await pacer.done(BUCKET, ticket)
                samples[name].append((time.perf_counter() - began) * 1000)
        if link.down:
            section.status = "partial"
            section.notes.append(
                "Redis stopped answering during the overhead run; figures are the fallback's."
            )
    finally:
        await shared.aclose()
    spread = {name: Spread.of(values) for name, values in samples.items()}
    section.add("admissions measured, each pacer", rounds)
    section.add("local sliding window p50", spread["local"].p50, "ms")
    section.add("local sliding window p95", spread["local"].p95, "ms")
    section.add("Redis window p50 (admit + answer)", spread["redis"].p50, "ms", at_most=OVERHEAD_TARGET_MS)
    section.add("Redis window p95 (admit + answer)", spread["redis"].p95, "ms")
    section.add(
        "Redis extra per request p50", spread["redis"].p50 - spread["local"].p50, "ms", note="same run"
    )


async def measure(section: Section, workspace: Workspace) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.engines import EngineUnavailableError, redis_server

    try:
        with redis_server() as redis:
            await overhead(section, redis.url, 300 if workspace.quick else 2000)
            redis.flush()
            await burst(section, workspace, redis.url)
            redis.flush()
            try:
                await replicas_burst(section, workspace, redis)
            except EngineUnavailableError as exc:
                section.notes.append(
                    f"The {CLIENTS}-replica burst was not run: PostgreSQL unavailable: {exc}"
                )
    except EngineUnavailableError as exc:
        section.status = "not run"
        section.notes.append(f"Redis unavailable: {exc}")
        return
    section.notes.append(
        "Each client has its own pacer, as separate replicas do; only Redis links them. Without it, "
        f"{CLIENTS} clients would each send 25/s to an endpoint that allows 25/s."
    )


if __name__ == "__main__":
    sys.exit(bench_main(KEY, TITLE, measure))
