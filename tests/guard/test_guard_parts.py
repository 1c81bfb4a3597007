"""The guard's building blocks through their public API: prices, tokens, ledger, cache, secret."""

from __future__ import annotations

import sqlite3
import stat
import time
from pathlib import Path

import anyio
import anyio.lowlevel
import pytest

from lusha_mcp.guard import (
    Authorized,
    ConfirmationRequest,
    CreditGuard,
    Ledger,
    OverBudget,
    PriceBook,
    PricingSource,
    Quote,
    RevealCache,
    TokenExpired,
    TokenForged,
    TokenMismatch,
    UnknownPriceError,
)
from lusha_mcp.guard.confirm import QuoteAboveConfirmed, TokenIssuer, TokenKeyRetired, load_or_create_secret
from lusha_mcp.settings import Settings
from lusha_mcp.storage import Caller, LedgerStore, Limits, Reservation
from lusha_mcp.storage.sqlite_ledger import utc_day
from tests.stores import engine_settings

PRICING: dict[str, object] = {
    "api_search": {"credits": 1, "perQuantity": 25},
    "revealEmail": {"credits": 1, "perQuantity": 1},
    "revealPhone": {"credits": 5, "perQuantity": 1},
}


def test_search_price_rounds_up_per_block_and_per_request() -> None:
    book = PriceBook.from_pricing(PRICING)

    assert book.item("search", "api_search", 1).credits == 1
    assert book.item("search", "api_search", 26).credits == 2
    assert book.item("search", "api_search", 150, batch_size=100).credits == 4 + 2
    assert book.item("phones", "revealPhone", 3).credits == 15


def test_an_action_missing_from_the_pricebook_is_quoted_at_a_stated_ceiling_never_0() -> None:
    book = PriceBook.from_pricing({"revealEmail": {"credits": 1}, "revealPhone": {"credits": 5}})

    assert book.action_for("revealCompetitors", "competitors") == "revealCompetitors"
    quote = Quote.of([book.item("competitors", "revealCompetitors", 3)])
    assert quote.total_credits == 3 * 5  # the dearest per-unit price the pricebook lists
    assert quote.unpriced == ("revealCompetitors",)
    assert "Price unknown for revealCompetitors" in quote.describe()
    with pytest.raises(UnknownPriceError, match="revealCompetitors"):
        book.price("revealCompetitors")


def test_token_is_bound_to_its_tool_arguments_ceiling_and_lifetime(tmp_path: Path) -> None:
    now = [1_000_000.0]
    issuer = TokenIssuer(load_or_create_secret(tmp_path), 600, clock=lambda: now[0])
    token, issued = issuer.issue("enrich_contacts", "hash-a", 5)

    assert issuer.verify(token, "enrich_contacts", "hash-a", 5).token_id == issued.token_id
    with pytest.raises(TokenMismatch, match="other arguments"):
        issuer.verify(token, "enrich_contacts", "hash-b", 5)
    with pytest.raises(TokenMismatch, match="the tool enrich_contacts"):
        issuer.verify(token, "search_contacts", "hash-a", 5)
    with pytest.raises(QuoteAboveConfirmed):
        issuer.verify(token, "enrich_contacts", "hash-a", 6)
    other_install = TokenIssuer(load_or_create_secret(tmp_path / "elsewhere"), 600, clock=lambda: now[0])
    with pytest.raises(TokenKeyRetired, match="no longer accepts; ask for a new quote"):
        other_install.verify(token, "enrich_contacts", "hash-a", 5)
    prefix, key_id, payload, mac = token.split(".")
    with pytest.raises(TokenForged):
        issuer.verify(f"{prefix}.{key_id}.{payload}.{'A' * len(mac)}", "enrich_contacts", "hash-a", 5)
    now[0] += 601
    with pytest.raises(TokenExpired):
        issuer.verify(token, "enrich_contacts", "hash-a", 5)


def test_confirmation_secret_is_private_and_stable(tmp_path: Path) -> None:
    first = load_or_create_secret(tmp_path)

    assert stat.S_IMODE((tmp_path / "confirm.key").stat().st_mode) == 0o600
    assert load_or_create_secret(tmp_path) == first


SESSION_5 = Limits(session=5)


@pytest.mark.anyio
async def test_pending_reservations_count_against_the_budget(store: LedgerStore) -> None:
    caller = Caller("s")
    await store.reserve(caller, tool="t", arguments_hash="h", quote=4, limits=SESSION_5)
    with pytest.raises(OverBudget, match="only 1 credits are left"):
        await store.reserve(caller, tool="t", arguments_hash="h", quote=2, limits=SESSION_5)
    assert (await store.budgets(caller, SESSION_5)).spent_session == 4


@pytest.mark.anyio
async def test_a_reservation_waits_for_another_writer_and_still_respects_the_budget(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    other = sqlite3.connect(ledger.path, isolation_level=None)
    reservations: list[Reservation] = []

    async def reserve() -> None:
        reservations.append(
            await ledger.reserve(Caller("s"), tool="t", arguments_hash="h", quote=3, limits=SESSION_5)
        )

    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute(
            "INSERT INTO calls (created_at, day, session, tool, arguments_hash, quote, outcome)"
            " VALUES (?, ?, 's', 'other', 'h', 2, 'pending')",
            (time.time(), utc_day(time.time())),
        )
        async with anyio.create_task_group() as group:
            group.start_soon(reserve)
            await anyio.wait_all_tasks_blocked()
            assert reservations == []
            other.execute("COMMIT")
        assert [reservation.quote for reservation in reservations] == [3]
        assert (await ledger.budgets(Caller("s"), SESSION_5)).spent_session == 5
        with pytest.raises(OverBudget, match="only 0 credits are left"):
            await ledger.reserve(Caller("s"), tool="t", arguments_hash="h", quote=1, limits=SESSION_5)
    finally:
        other.close()
        ledger.close()


@pytest.mark.anyio
async def test_a_charge_above_the_quote_is_reported_and_recorded(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    async def fetch() -> dict[str, object]:
        return PRICING

    settings = engine_settings(Settings(data_dir=tmp_path, auto_approve=True), engine, request)
    guard = CreditGuard(settings, PricingSource(fetch))
    try:
        book = await guard.pricing.book()
        quote = Quote.of([book.item("emails", "revealEmail", 2)], reveals=["emails"])
        authorized = await guard.authorize(
            tool="enrich_contacts", arguments_hash="h", quote=quote, confirmation_token=None, elicited=False
        )
        assert isinstance(authorized, Authorized)
        settlement = await guard.settle(authorized, charged=3, request_id="req-1")
        entries = await guard.ledger.list_entries()
    finally:
        await guard.aclose()

    assert settlement.over_quote
    assert entries[0].outcome == "over_quote"
    assert entries[0].request_id == "req-1"
    assert entries[0].note is not None
    assert "above the quote of 2" in entries[0].note


@pytest.mark.anyio
async def test_reveals_need_confirmation_whatever_their_cost(tmp_path: Path) -> None:
    async def fetch() -> dict[str, object]:
        return PRICING

    guard = CreditGuard(Settings(data_dir=tmp_path, confirm_above=100), PricingSource(fetch))
    try:
        free_reveal = Quote.of([], reveals=["emails"])
        cheap_search = Quote.of([(await guard.pricing.book()).item("search", "api_search", 50)])
        asked = await guard.authorize(
            tool="enrich_contacts",
            arguments_hash="h",
            quote=free_reveal,
            confirmation_token=None,
            elicited=False,
        )
        ran = await guard.authorize(
            tool="search_contacts",
            arguments_hash="h",
            quote=cheap_search,
            confirmation_token=None,
            elicited=False,
        )
    finally:
        guard.close()

    assert isinstance(asked, ConfirmationRequest)
    assert isinstance(ran, Authorized)


@pytest.mark.anyio
async def test_pricebook_is_fetched_once_for_concurrent_quotes(tmp_path: Path) -> None:
    fetches: list[float] = []

    async def fetch() -> dict[str, object]:
        fetches.append(time.monotonic())
        await anyio.lowlevel.checkpoint()
        return PRICING

    source = PricingSource(fetch)
    async with anyio.create_task_group() as group:
        for _ in range(20):
            group.start_soon(source.book)

    assert len(fetches) == 1


def test_cached_reveals_expire_after_the_ttl(tmp_path: Path) -> None:
    now = [1_000_000.0]
    cache = RevealCache(tmp_path, ttl_days=1, clock=lambda: now[0])
    try:
        cache.put_contacts([{"id": "c1", "emails": [{"email": "Ada@Example.com"}]}], ["emails"])
        assert cache.contacts(["c1"], ["emails"])
        assert cache.contacts(["c1"], ["emails", "phones"]) == {}
        assert cache.contact_id_by(email="ada@example.com") == "c1"
        now[0] += 86_401
        assert cache.contacts(["c1"], ["emails"]) == {}
    finally:
        cache.close()


def test_a_later_reveal_keeps_the_fields_revealed_before(tmp_path: Path) -> None:
    cache = RevealCache(tmp_path, ttl_days=30)
    try:
        cache.put_contacts([{"id": "c1", "emails": [{"email": "a@b.com"}], "phones": []}], ["emails"])
        cache.put_contacts([{"id": "c1", "emails": [], "phones": [{"number": "+1 555"}]}], ["phones"])
        both = cache.contacts(["c1"], ["emails", "phones"])["c1"]
    finally:
        cache.close()

    assert both["emails"] == [{"email": "a@b.com"}]
    assert both["phones"] == [{"number": "+1 555"}]


def test_purge_by_domain_removes_the_company_and_its_people(tmp_path: Path) -> None:
    cache = RevealCache(tmp_path, ttl_days=30)
    try:
        cache.put_companies([{"id": "k1", "domain": "www.acme.com"}], [])
        cache.put_contacts(
            [
                {"id": "c1", "company": {"domain": "acme.com"}, "emails": [{"email": "a@acme.com"}]},
                {"id": "c2", "company": {"domain": "other.com"}, "emails": [{"email": "b@other.com"}]},
            ],
            ["emails"],
        )
        report = cache.purge(domain="https://acme.com/")
        left = cache.counts()
    finally:
        cache.close()

    assert (report.contacts, report.companies) == (1, 1)
    assert (left.contacts, left.companies) == (1, 0)
