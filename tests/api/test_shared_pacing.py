"""Team mode pacing: independent clients sharing one real Redis against one real sandbox process.

The sandbox (`lusha-mcp sandbox --port`, rate limits on: 25 requests/s per endpoint) is the judge:
its own request log and counts say what it admitted and what it refused with 429. Shared pacing
runs at Lusha's full 25/s (a slot is held until a window after the answer, so jitter cannot
crowd a window); the local pacer (fallback, LUSHA_REPLICAS) counts from admission, so those checks
pace at 20/s to leave room for loopback jitter. Without sharing, three clients offer 60/s.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import AsyncIterator, Generator
from pathlib import Path
from typing import Any, cast

import anyio
import httpx
import pytest
import redis
from mcp import Client
from pydantic import SecretStr

from lusha_mcp.api.client import LushaClient
from lusha_mcp.api.errors import RateLimitError
from lusha_mcp.api.shared import RETRY_SECONDS
from lusha_mcp.server import build_server
from lusha_mcp.settings import SANDBOX_API_KEY, Settings
from tests.engines import RedisServer, free_port, redis_missing, redis_server
from tests.http.conftest import RunningServer, cli_environment, start_listening, stop

pytestmark = pytest.mark.anyio

BUCKET = "/v3/contacts/prospecting/filters"
PACE = 20.0
"""Requests a second each client is configured for (the sandbox allows 25)."""
PASSWORD = "redis-pass-7c1e0f9b"


@pytest.fixture(scope="module")
def sandbox_process(tmp_path_factory: pytest.TempPathFactory, session_data_dir: Path) -> Generator[str]:
    """`lusha-mcp sandbox --port <free>` with Lusha's rate limits on; yields its base URL."""
    env = cli_environment(tmp_path_factory.mktemp("paced-sandbox"), session_data_dir)
    server: RunningServer = start_listening(env, "sandbox")
    yield f"http://127.0.0.1:{server.port}"
    stop(server)


@pytest.fixture
async def sandbox(sandbox_process: str) -> AsyncIterator[httpx.AsyncClient]:
    """A control client of the sandbox (its /_sandbox routes are not rate limited)."""
    async with httpx.AsyncClient(base_url=sandbox_process, headers={"api_key": SANDBOX_API_KEY}) as http:
        await anyio.sleep(1.1)  # the previous test's requests leave the sandbox's 1 s windows
        yield http


@pytest.fixture
def redis_engine(redis: RedisServer) -> RedisServer:
    """The session's redis-server (tests.engines' `redis` fixture, named apart from the module)."""
    return redis


@pytest.fixture
def locked_redis() -> Generator[RedisServer]:
    """A password-protected redis-server of this test's own (it is stopped mid-test)."""
    reason = redis_missing()
    if reason is not None:
        pytest.skip(f"Redis unavailable: {reason}")
    with redis_server(password=PASSWORD) as server:
        yield server


def client(base_url: str, redis_url: str | None, **options: Any) -> LushaClient:
    options.setdefault("requests_per_second", PACE)
    return LushaClient(
        SANDBOX_API_KEY,
        base_url=base_url,
        redis_url=None if redis_url is None else SecretStr(redis_url),
        **options,
    )


async def burst(clients: list[LushaClient], per_client: int) -> list[BaseException | None]:
    """Every client fires `per_client` free calls at once; each call's exception (or None)."""
    outcomes: list[BaseException | None] = []

    async def one(lusha: LushaClient) -> None:
        try:
            await lusha.prospecting.contact_filter_types()
        except Exception as exc:
            outcomes.append(exc)
        else:
            outcomes.append(None)

    async with anyio.create_task_group() as group:
        for lusha in clients:
            for _ in range(per_client):
                group.start_soon(one, lusha)
    return outcomes


async def three_clients_burst(
    base_url: str, redis_url: str | None, per_client: int, **options: Any
) -> list[BaseException | None]:
    """Three clients that never retry, each with its own pacer (linked by Redis when given), burst."""
    clients = [client(base_url, redis_url, max_retries=0, **options) for _ in range(3)]
    try:
        return await burst(clients, per_client)
    finally:
        for lusha in clients:
            await lusha.aclose()


async def counts(sandbox: httpx.AsyncClient, bucket: str) -> dict[str, int]:
    by_bucket = cast(dict[str, dict[str, int]], (await sandbox.get("/_sandbox/requests")).json()["byBucket"])
    return by_bucket.get(bucket, {"admitted": 0, "rateLimited": 0})


async def log(sandbox: httpx.AsyncClient, bucket: str) -> list[dict[str, Any]]:
    entries = cast(list[dict[str, Any]], (await sandbox.get("/_sandbox/requests/log")).json()["requests"])
    return [entry for entry in entries if entry["bucket"] == bucket]


async def test_three_clients_sharing_redis_get_no_429_under_a_burst(
    sandbox: httpx.AsyncClient, sandbox_process: str, redis_url: str
) -> None:
    before = await counts(sandbox, BUCKET)
    outcomes = await three_clients_burst(sandbox_process, redis_url, 30, requests_per_second=25.0)
    after = await counts(sandbox, BUCKET)
    assert [outcome for outcome in outcomes if outcome is not None] == []
    assert after["admitted"] - before["admitted"] == 90
    assert after["rateLimited"] - before["rateLimited"] == 0
    # The sandbox's own clock: no 1-second window held more than its limit.
    times = sorted(entry["at"] for entry in (await log(sandbox, BUCKET)) if entry["admitted"])[-90:]
    assert max(sum(1 for t in times[i:] if t - start < 1.0) for i, start in enumerate(times)) <= 25


async def test_the_same_burst_without_shared_pacing_is_refused(
    sandbox: httpx.AsyncClient, sandbox_process: str
) -> None:
    """The control: three local pacers (each at 20/s) offer 60 requests at once to a 25/s endpoint."""
    before = await counts(sandbox, BUCKET)
    outcomes = await three_clients_burst(sandbox_process, None, 20)
    refused = (await counts(sandbox, BUCKET))["rateLimited"] - before["rateLimited"]
    assert refused > 0
    assert sum(isinstance(outcome, RateLimitError) for outcome in outcomes) == refused


async def test_without_redis_each_client_paces_at_its_share_of_the_limit(
    sandbox: httpx.AsyncClient, sandbox_process: str
) -> None:
    """LUSHA_REPLICAS=3 without Redis: each of three clients paces at a third of 20/s."""
    before = await counts(sandbox, BUCKET)
    assert await three_clients_burst(sandbox_process, None, 10, replicas=3) == [None] * 30
    assert (await counts(sandbox, BUCKET))["rateLimited"] == before["rateLimited"]


async def test_a_429_seen_by_one_client_pauses_the_other(
    sandbox: httpx.AsyncClient, sandbox_process: str, redis_engine: RedisServer, redis_url: str
) -> None:
    first = client(sandbox_process, redis_url, retry_base_delay=2.0)
    second = client(sandbox_process, redis_url)
    try:
        await first.prospecting.contact_filter_types()  # both clients' windows are warm
        await sandbox.post("/_sandbox/faults", json={"next": ["rate_limit"]})
        async with anyio.create_task_group() as group:
            group.start_soon(first.prospecting.contact_filter_types)  # 429, pauses, retries in 1-2 s
            while redis_engine.command("KEYS", "*:pause:*") == "*0":  # noqa: ASYNC110 (another process's state)
                await anyio.sleep(0.01)
            await second.prospecting.contact_filter_types()
    finally:
        await first.aclose()
        await second.aclose()
    entries = await log(sandbox, BUCKET)
    refused = [entry["at"] for entry in entries if not entry["admitted"]][-1]
    later = [entry["at"] for entry in entries if entry["admitted"] and entry["at"] > refused]
    assert len(later) == 2  # the first client's retry and the second client's call
    # Both waited out the pause the first client's 429 set (backoff: at least half of 2 s).
    assert min(later) - refused >= 1.0


async def test_redis_stopped_mid_run_falls_back_to_the_local_share_and_back(
    sandbox: httpx.AsyncClient,
    sandbox_process: str,
    locked_redis: RedisServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    assert PASSWORD in locked_redis.url
    before = await counts(sandbox, BUCKET)
    clients = [client(sandbox_process, locked_redis.url, max_retries=0, replicas=3) for _ in range(3)]
    try:
        assert await burst(clients, 5) == [None] * 15
        locked_redis.stop()
        assert await burst(clients, 10) == [None] * 30  # 3 x 6 a second: within 25/s
        fallbacks = [record for record in caplog.records if "falling back to local pacing" in record.message]
        assert len(fallbacks) == 3  # once per client, not once per request
        assert all("1/3 of Lusha's rate limits" in record.getMessage() for record in fallbacks)
        locked_redis.start()
        # Each client goes back to Redis within this burst (RETRY_SECONDS after its last failure),
        # its local requests still in the sandbox's window: they are counted in Redis's too.
        assert await burst(clients, 10) == [None] * 30
        await anyio.sleep(RETRY_SECONDS)
        assert await burst(clients, 5) == [None] * 15
    finally:
        for lusha in clients:
            await lusha.aclose()
    assert sum(record.message.startswith("Redis answers again") for record in caplog.records) == 3
    assert (await counts(sandbox, BUCKET))["rateLimited"] == before["rateLimited"]
    assert PASSWORD not in caplog.text


async def test_replicas_share_one_account_usage_snapshot(
    sandbox: httpx.AsyncClient, sandbox_process: str, redis_url: str, tmp_path: Path
) -> None:
    """Two servers on one Redis: the 5-a-minute usage endpoint is asked once for both, whether a
    tool shows it or the guard needs the pricebook for a quote."""
    before = await counts(sandbox, "account-usage")

    def settings(name: str) -> Settings:
        return Settings(
            api_key=SecretStr(SANDBOX_API_KEY),
            base_url=sandbox_process,
            data_dir=tmp_path / name,
            redis_url=SecretStr(redis_url),
        )

    async with Client(build_server(settings("a"))) as a, Client(build_server(settings("b"))) as b:
        assert not (await a.call_tool("get_account_usage", {})).is_error
        # b's guard prices a plan: its pricebook is the snapshot a fetched.
        plan = {"tool": "prospect_companies", "arguments": {"sizes": ["51-200"], "size": 10}}
        quote = await b.call_tool("estimate_plan", {"steps": [plan]})
        assert not quote.is_error
        assert quote.structured_content is not None
        (line,) = quote.structured_content["steps"][0]["quote"]["items"]
        assert (line["action"], line["price_known"]) == ("api_search", True)
        for replica in (b, a, b):
            assert not (await replica.call_tool("get_account_usage", {})).is_error
    assert (await counts(sandbox, "account-usage"))["admitted"] - before["admitted"] == 1


def test_the_single_user_default_never_imports_redis(sandbox_settings: Settings) -> None:
    code = (
        "import sys\n"
        "from lusha_mcp.server import build_server\n"
        "from lusha_mcp.settings import Settings\n"
        f"build_server(Settings(sandbox=True, data_dir={str(sandbox_settings.data_dir)!r}))\n"
        "print('redis' in sys.modules)\n"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "False"


def test_the_redis_url_is_a_secret_setting() -> None:
    """As LUSHA_REDIS_URL gives it: a string, kept as a SecretStr, never echoed when refused."""
    settings = Settings.model_validate({"redis_url": f"redis://:{PASSWORD}@127.0.0.1:6379/0"})
    assert settings.redis_url is not None
    assert settings.redis_url.get_secret_value().endswith("@127.0.0.1:6379/0")
    assert PASSWORD not in repr(settings)
    assert PASSWORD not in str(settings.model_dump())
    assert Settings.model_validate({"redis_url": "  "}).redis_url is None
    with pytest.raises(ValueError, match=r"redis_url must be a redis://") as refused:
        Settings.model_validate({"redis_url": f"http://:{PASSWORD}@127.0.0.1:6379/0"})
    assert PASSWORD not in str(refused.value)


async def test_a_refused_redis_password_falls_back_without_showing_it(
    sandbox: httpx.AsyncClient,
    sandbox_process: str,
    locked_redis: RedisServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    wrong = locked_redis.url.replace(PASSWORD, "not-the-" + PASSWORD)
    lusha = client(sandbox_process, wrong, max_retries=0, replicas=2)
    try:
        assert await burst([lusha], 3) == [None] * 3
    finally:
        await lusha.aclose()
    assert "falling back to local pacing" in caplog.text
    assert PASSWORD not in caplog.text


async def test_requests_paced_locally_during_an_outage_count_in_the_shared_window_after_it(
    sandbox: httpx.AsyncClient, sandbox_process: str, locked_redis: RedisServer
) -> None:
    """Back on Redis, a replica adds what it sent on its own to the shared window (100 a minute
    for the webhooks API), so the others do not spend that minute's requests a second time."""
    lusha = client(sandbox_process, locked_redis.url, max_retries=0)
    try:
        await lusha.webhooks.list()
        locked_redis.stop()
        for _ in range(3):
            await lusha.webhooks.list()  # paced locally
        locked_redis.start()
        await anyio.sleep(RETRY_SECONDS)
        await lusha.webhooks.list()  # back on Redis
    finally:
        await lusha.aclose()
    with redis.Redis.from_url(locked_redis.url, decode_responses=True) as direct:
        (window,) = cast(list[str], direct.keys("*:window:webhooks"))
        # The first request's entry went with the stopped server (no persistence); the three
        # paced locally were added back, beside the last one.
        assert direct.zcard(window) == 4


async def test_a_server_whose_redis_is_unreachable_at_start_says_so_once_and_serves(
    sandbox: httpx.AsyncClient, sandbox_process: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    nothing_there = f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0"
    settings = Settings(
        api_key=SecretStr(SANDBOX_API_KEY),
        base_url=sandbox_process,
        data_dir=tmp_path / "data",
        redis_url=SecretStr(nothing_there),
        replicas=2,
    )
    async with Client(build_server(settings)) as server:
        warned = [record.getMessage() for record in caplog.records if "falling back" in record.getMessage()]
        assert len(warned) == 1  # at start, before any call
        for _ in range(3):
            listed = await server.call_tool("list_filter_values", {"scope": "contacts"})
            assert not listed.is_error
    assert sum("falling back" in record.getMessage() for record in caplog.records) == 1
    assert "1/2 of Lusha's rate limits" in warned[0]
    assert PASSWORD not in caplog.text
