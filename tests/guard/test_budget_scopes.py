"""Budgets per session, user, team and account, and tokens bound to the signed-in user, on both
engines: the storage interface and the guard's public API against a real SQLite file or database."""

from __future__ import annotations

from pathlib import Path

import pytest

from lusha_mcp.guard import (
    Authorized,
    ConfirmationRequest,
    CreditGuard,
    OverBudget,
    PricingSource,
    Quote,
    TokenOtherClient,
    TokenReplayed,
)
from lusha_mcp.settings import Settings
from lusha_mcp.storage import Caller, LedgerStore, Limits
from tests.stores import engine_settings

pytestmark = pytest.mark.anyio

ALICE = Caller("s1", user="https://idp.example alice", teams=("sales", "emea"))
BOB = Caller("s2", user="https://idp.example bob", teams=("sales",))
CAROL = Caller("s3", user="https://idp.example carol", teams=("support",))


async def reserve(
    store: LedgerStore, caller: Caller, quote: int, limits: Limits, token: str | None = None
) -> int:
    reservation = await store.reserve(
        caller, tool="enrich_contacts", arguments_hash="h", quote=quote, limits=limits, token_id=token
    )
    return reservation.call_id


async def test_a_reservation_must_fit_the_user_every_team_and_the_account(store: LedgerStore) -> None:
    limits = Limits(user=6, team=8, account=12)

    await reserve(store, ALICE, 5, limits)
    with pytest.raises(OverBudget) as user_refusal:
        await reserve(store, ALICE, 2, limits)  # alice: 1 left
    await reserve(store, BOB, 3, limits)  # sales: 8 spent now
    with pytest.raises(OverBudget) as team_refusal:
        await reserve(store, BOB, 1, limits)  # bob has 3 left, sales none
    await reserve(store, CAROL, 4, limits)  # account: 12 spent now
    with pytest.raises(OverBudget) as account_refusal:
        await reserve(store, CAROL, 1, limits)

    assert (user_refusal.value.which, user_refusal.value.key) == ("user", ALICE.user)
    assert f"user {ALICE.user}: 1 credits left today" in user_refusal.value.message
    assert (team_refusal.value.which, team_refusal.value.key) == ("team", "sales")
    assert "team sales: 0 credits left today" in team_refusal.value.message
    assert "LUSHA_TEAM_DAILY_BUDGET" in team_refusal.value.message
    assert account_refusal.value.which == "account"
    assert "daily budget (LUSHA_DAILY_BUDGET)" in account_refusal.value.message
    budgets = await store.budgets(BOB, limits)
    assert {line.label: (line.spent, line.left) for line in budgets.lines} == {
        "account": (12, 0),
        "team sales": (8, 0),
        f"user {BOB.user}": (3, 3),
        "session": (3, None),
    }


async def test_a_settled_call_counts_what_was_charged_and_an_unknown_one_its_quote(
    store: LedgerStore,
) -> None:
    limits = Limits(team=10)
    first = await store.reserve(ALICE, tool="t", arguments_hash="h", quote=6, limits=limits)
    second = await store.reserve(ALICE, tool="t", arguments_hash="h", quote=4, limits=limits)
    with pytest.raises(OverBudget):
        await reserve(store, BOB, 1, limits)

    await store.settle(first, charged=2, request_id="r1", outcome="ok")
    await store.settle(second, charged=None, request_id=None, outcome="unknown", note="answer lost")

    spent = {line.label: line.spent for line in (await store.budgets(ALICE, limits)).lines}
    assert spent["team sales"] == spent["team emea"] == spent["account"] == 2 + 4
    await reserve(store, BOB, 4, limits)  # what the settlement released
    with pytest.raises(OverBudget):
        await reserve(store, BOB, 1, limits)


async def test_an_override_set_by_the_admin_replaces_the_default(store: LedgerStore) -> None:
    limits = Limits(team=3)
    await reserve(store, BOB, 3, limits)
    with pytest.raises(OverBudget):
        await reserve(store, BOB, 2, limits)

    await store.set_override("team", "sales", 10)
    await reserve(store, BOB, 2, limits)
    assert [(o.kind, o.key, o.daily) for o in await store.overrides()] == [("team", "sales", 10)]
    assert await store.clear_override("team", "sales")
    assert not await store.clear_override("team", "sales")
    with pytest.raises(OverBudget, match="team sales: 0 credits left today"):
        await reserve(store, BOB, 1, limits)


async def test_a_refused_reservation_leaves_its_token_unused_and_a_used_one_is_refused(
    store: LedgerStore,
) -> None:
    limits = Limits(user=2)
    with pytest.raises(OverBudget):
        await reserve(store, ALICE, 3, limits, token="tok-1")
    await reserve(store, ALICE, 2, Limits(), token="tok-1")
    with pytest.raises(TokenReplayed):
        await reserve(store, ALICE, 1, Limits(), token="tok-1")
    with pytest.raises(TokenReplayed):
        await store.consume_token("tok-1")


async def test_the_ledger_reports_by_user_and_team(store: LedgerStore) -> None:
    for caller, quote in ((ALICE, 2), (BOB, 3), (CAROL, 4), (Caller("stdio"), 1)):
        reservation = await store.reserve(caller, tool="t", arguments_hash="h", quote=quote, limits=Limits())
        await store.settle(reservation, charged=quote, request_id=None, outcome="ok")

    by_user = {group.key: group.charged for group in await store.group("user")}
    by_team = {group.key: (group.calls, group.charged) for group in await store.group("team")}
    entries = await store.list_entries(session="s1")

    assert by_user == {ALICE.user: 2, BOB.user: 3, CAROL.user: 4}
    assert by_team == {"emea": (1, 2), "sales": (2, 5), "support": (1, 4)}
    assert [(entry.user, entry.teams) for entry in entries] == [(ALICE.user, ["emea", "sales"])]


async def fetch_prices() -> dict[str, object]:
    return {"revealEmail": {"credits": 1, "perQuantity": 1}}


async def test_a_token_is_bound_to_the_signed_in_user_on_any_server_and_session(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Two guards on one data dir secret and one ledger (two replicas): a token quoted for alice in
    one session redeems once in another session of hers on the other guard, never for bob; without
    sign-in a token stays bound to its client session."""
    settings = engine_settings(Settings(data_dir=tmp_path), engine, request)
    replica_a = CreditGuard(settings, PricingSource(fetch_prices))
    replica_b = CreditGuard(settings, PricingSource(fetch_prices))
    alice, bob = "https://idp.example alice", "https://idp.example bob"
    try:
        quote = Quote.of(
            [(await replica_a.pricing.book()).item("emails", "revealEmail", 1)], reveals=["emails"]
        )

        async def authorize(guard: CreditGuard, token: str | None) -> Authorized | ConfirmationRequest:
            return await guard.authorize(
                tool="enrich_contacts",
                arguments_hash="h",
                quote=quote,
                confirmation_token=token,
                elicited=False,
            )

        asked = await authorize(replica_a.for_client("c1", user=alice, teams=["sales"]), None)
        assert isinstance(asked, ConfirmationRequest)
        with pytest.raises(TokenOtherClient):
            await authorize(replica_b.for_client("c2", user=bob), asked.confirmation_token)
        ran = await authorize(replica_b.for_client("c2", user=alice), asked.confirmation_token)
        assert isinstance(ran, Authorized)
        with pytest.raises(TokenReplayed):
            await authorize(replica_a.for_client("c1", user=alice), asked.confirmation_token)

        anonymous = await authorize(replica_a.for_client("c1"), None)
        assert isinstance(anonymous, ConfirmationRequest)
        with pytest.raises(TokenOtherClient):
            await authorize(replica_b.for_client("c2"), anonymous.confirmation_token)
        entries = await replica_b.ledger.list_entries()
    finally:
        await replica_a.aclose()
        await replica_b.aclose()

    assert [(entry.user, entry.teams) for entry in entries] == [(alice, [])]
