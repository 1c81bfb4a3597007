"""What the replicas share through PostgreSQL and Redis, proved against the sandbox's own charge log:
confirmation tokens (redeemed once on any replica), the never-pay-twice cache, reservations that
outlive a killed replica, the rate limit, and what happens when an engine stops."""

from __future__ import annotations

import time
from typing import Any

import anyio
import pytest
from mcp_types import CallToolResult

from tests.team.harness import Team, User, structured, text_of

pytestmark = pytest.mark.anyio

RECONNECT_SECONDS = 30


@pytest.fixture(scope="module")
def team_settings() -> dict[str, str]:
    # Searches of hundreds of contacts (the burst) run without a confirmation; reveals still need one.
    return {"LUSHA_CONFIRM_ABOVE": "100000"}


async def quote_reveal(team: Team, user: User, replica_index: int, ids: list[str]) -> dict[str, Any]:
    result = await team.call(
        user, "enrich_contacts", replica=team.replicas[replica_index], ids=ids, reveal=["emails"]
    )
    body = structured(result)
    assert body["status"] == "confirmation_required", text_of(result)
    return body


async def redeem(team: Team, user: User, replica_index: int, ids: list[str], token: str) -> CallToolResult:
    return await team.call(
        user,
        "enrich_contacts",
        replica=team.replicas[replica_index],
        ids=ids,
        reveal=["emails"],
        confirmation_token=token,
    )


async def test_a_token_quoted_on_a_is_redeemed_on_b_and_refused_on_c(team: Team) -> None:
    owner, stranger = User("tina-tokens", ("red",)), User("sam-stranger", ("red",))
    ids = team.contact_ids_with_emails(2, skip=0)
    before = await team.charged_total()
    quoted = await quote_reveal(team, owner, 0, ids)
    token = quoted["confirmation_token"]

    stolen = await redeem(team, stranger, 1, ids, token)
    assert stolen.is_error, "a token is bound to the user it was quoted for"
    ran = await redeem(team, owner, 1, ids, token)
    assert not ran.is_error, text_of(ran)
    assert structured(ran)["status"] == "ok"
    replayed = await redeem(team, owner, 2, ids, token)
    assert replayed.is_error
    assert "already used" in text_of(replayed)
    assert (
        await team.charged_total() - before
        == structured(ran)["credits_charged"]
        == quoted["quote"]["total_credits"]
    )


async def test_a_token_redeemed_on_b_and_c_at_the_same_moment_runs_once(team: Team) -> None:
    owner = User("rita-race", ("blue",))
    ids = team.contact_ids_with_emails(3, skip=10)
    before = await team.charged_total()
    token = (await quote_reveal(team, owner, 0, ids))["confirmation_token"]
    outcomes: list[CallToolResult] = []

    async def attempt(replica_index: int) -> None:
        outcomes.append(await redeem(team, owner, replica_index, ids, token))

    async with anyio.create_task_group() as group:
        group.start_soon(attempt, 1)
        group.start_soon(attempt, 2)
    succeeded = [result for result in outcomes if not result.is_error]
    assert len(succeeded) == 1, [text_of(result) for result in outcomes]
    assert await team.charged_total() - before == structured(succeeded[0])["credits_charged"] == 3


async def test_a_reveal_through_one_replica_is_served_free_by_another(team: Team) -> None:
    user = User("carl-cache", ("red",))
    ids = team.contact_ids_with_emails(2, skip=20)
    token = (await quote_reveal(team, user, 0, ids))["confirmation_token"]
    first = structured(await redeem(team, user, 0, ids, token))
    assert first["credits_charged"] == 2
    spent = await team.charged_total()
    for replica in team.replicas[1:]:
        again = await team.call(user, "enrich_contacts", replica=replica, ids=ids, reveal=["emails"])
        body = structured(again)
        assert body["status"] == "cached", (replica.name, text_of(again))
        assert body["credits_charged"] == 0
        assert body["contacts"] == first["contacts"]
    assert await team.charged_total() == spent


async def test_the_replicas_together_stay_within_25_requests_a_second(team: Team) -> None:
    users = [User(f"burst-{n}", ("blue",)) for n in range(3)]
    lookups = [{"id": contact_id} for contact_id in team.contact_ids_with_emails(500, skip=100)]
    before = await team.sandbox_get("/_sandbox/requests")
    failures: list[str] = []
    calls = 30  # 30 searches of 500 contacts: 150 requests to /v3/contacts/search, fired at once

    async def search(n: int) -> None:
        result = await team.call(users[n % len(users)], "search_contacts", contacts=lookups)
        if result.is_error or structured(result)["status"] != "ok":
            failures.append(
                "\n".join(line for line in text_of(result).splitlines() if not line.startswith("|"))
            )

    async with anyio.create_task_group() as group:
        for n in range(calls):
            group.start_soon(search, n)
    after = await team.sandbox_get("/_sandbox/requests")
    assert after["rateLimited"] - before["rateLimited"] == 0, (after, team.warnings())
    assert failures == []
    bucket = after["byBucket"]["/v3/contacts/search"]
    earlier = before["byBucket"].get("/v3/contacts/search", {"admitted": 0, "rateLimited": 0})
    assert bucket["admitted"] - earlier["admitted"] == calls * 5


async def test_kill_9_of_a_replica_mid_call_leaves_its_reservation_counted(team: Team) -> None:
    victim = User("vic-killed", ("red",))
    done = team.cli("budgets", "set", "--user", team.issuer.url, victim.subject, "--daily", "3")
    assert done.returncode == 0, done.stderr
    ids = team.contact_ids_with_emails(3, skip=30)
    token = (await quote_reveal(team, victim, 0, ids))["confirmation_token"]
    before = await team.charged_total()
    # Lusha runs (and charges) the next request, but its answer never comes back.
    await team.sandbox_post("/_sandbox/faults", {"next": ["lost"]})
    killed = team.replicas[0]
    try:
        async with anyio.create_task_group() as group:

            async def doomed() -> None:
                try:
                    await redeem(team, victim, 0, ids, token)
                except Exception:
                    return  # the replica dies under it: any failure is expected

            group.start_soon(doomed)
            deadline = time.monotonic() + 20
            while await team.charged_total() == before:
                assert time.monotonic() < deadline, "the reveal never reached the sandbox"
                await anyio.sleep(0.02)
            killed.kill()  # Lusha charged the reveal; the replica is waiting for the answer, unsettled
            group.cancel_scope.cancel()
    finally:
        await team.sandbox_post("/_sandbox/faults", {"clear": True})
        killed.start()
    assert await team.charged_total() - before == 3
    refused = await team.call(victim, "search_contacts", replica=team.replicas[1], contacts=[{"id": ids[0]}])
    assert refused.is_error, "the dead replica's reservation of 3 still counts against the user's 3"
    assert "budget" in text_of(refused)
    assert await team.charged_total() - before == 3


async def test_with_postgres_stopped_metered_calls_are_refused_and_nothing_is_charged(team: Team) -> None:
    user = User("pia-pgdown", ("blue",))
    lookup = [{"id": team.contact_ids_with_emails(1, skip=40)[0]}]
    before = await team.charged_total()
    with team.postgres.stopped():
        for replica in team.replicas:
            refused = await team.call(user, "search_contacts", replica=replica, contacts=lookup)
            assert refused.is_error, replica.name
            assert "ledger is unavailable" in text_of(refused), text_of(refused)
            free = await team.call(user, "list_filter_values", replica=replica, scope="contacts")
            assert not free.is_error, (replica.name, text_of(free))
        assert await team.charged_total() == before
    for replica in team.replicas:  # back up: each replica's pool reconnects within seconds
        deadline = time.monotonic() + RECONNECT_SECONDS
        while (ran := await team.call(user, "search_contacts", replica=replica, contacts=lookup)).is_error:
            assert "ledger is unavailable" in text_of(ran), text_of(ran)
            assert time.monotonic() < deadline, f"{replica.name} still refuses {RECONNECT_SECONDS} s after"
            await anyio.sleep(0.5)


async def test_with_redis_stopped_calls_still_succeed(team: Team) -> None:
    user = User("rob-redisdown", ("blue",))
    lookup = [{"id": team.contact_ids_with_emails(1, skip=50)[0]}]
    before = await team.charged_total()
    charged = 0
    with team.redis.stopped():
        for replica in team.replicas:
            ran = await team.call(user, "search_contacts", replica=replica, contacts=lookup)
            assert not ran.is_error, (replica.name, text_of(ran))
            charged += structured(ran)["credits_charged"]
            free = await team.call(user, "list_filter_values", replica=replica, scope="contacts")
            assert not free.is_error, (replica.name, text_of(free))
    assert charged == 3
    assert await team.charged_total() - before == charged
    for name, lines in team.warnings().items():  # each replica said it paces at its own share
        assert any("Redis (LUSHA_REDIS_URL) is unavailable" in line for line in lines), (name, lines)
