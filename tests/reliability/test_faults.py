"""Faults from the API: the server recovers where it can, fails clearly where it cannot, and the
ledger matches what the sandbox charged (no double charge, no charge unrecorded).

Faults are the sandbox's own (`x-sandbox-fault`), put on chosen requests by a test-side
transport wrapped around the in-process sandbox; the server, guard and client run unchanged.
In process a `timeout` fault is a hang then a 504 (the ASGI transport has no read timeout); the
real read timeout over TCP is in test_transport_faults.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from mcp_types import CallToolResult

from lusha_mcp.guard import Ledger
from lusha_mcp.sandbox import sandbox_transport
from lusha_mcp.server import build_server
from lusha_mcp.settings import Settings
from tests.reliability.conftest import FIGURES
from tests.reliability.faults import FaultInjector, ledger_totals
from tests.server.harness import charged_total, contact_ids_with_emails, sandbox_control, structured, text_of

pytestmark = pytest.mark.anyio

BULK = 250
"""Three batches of at most 100 ids, sent concurrently."""


def fault_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"auto_approve": True, "sandbox_rate_limits": False, "timeout": 0.3, "max_retries": 4}
    )


async def enrich(client: Client, ids: list[str]) -> CallToolResult:
    return await client.call_tool("enrich_contacts", {"ids": ids, "reveal": ["emails"]})


def assert_clean_error(result: CallToolResult, *words: str) -> None:
    text = text_of(result)
    assert result.is_error, text
    assert "Traceback" not in text
    for word in words:
        assert word in text, text


@pytest.mark.parametrize(
    "faults",
    [
        pytest.param(["rate_limit"] * 6, id="429-storm"),
        pytest.param(["status=503", "status=502", "status=504", "status=503"], id="5xx-burst"),
        pytest.param(["timeout", "timeout"], id="gateway-timeouts"),
        pytest.param(["rate_limit", "status=503", "rate_limit", "status=502"], id="mixed"),
    ],
)
async def test_a_bulk_enrich_recovers_from_retryable_faults_and_the_ledger_equals_the_charges(
    sandbox_settings: Settings, faults: list[str]
) -> None:
    settings = fault_settings(sandbox_settings)
    ids = contact_ids_with_emails(settings, BULK)
    injector = FaultInjector(sandbox_transport(settings), faults)
    async with Client(build_server(settings, transport=injector)) as client:
        result = await enrich(client, ids)

    assert not result.is_error, text_of(result)
    assert injector.injected == len(faults)
    charged = await charged_total(settings)
    assert charged > 0
    assert structured(result)["credits_charged"] == charged
    assert ledger_totals(settings).charged == charged


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        pytest.param("reset", ["may have been charged"], id="connection-reset"),
        pytest.param("malformed", ["may have been charged"], id="malformed-json"),
        pytest.param("status=401", ["key"], id="401"),
        pytest.param("status=403", [], id="403"),
        pytest.param("status=400", [], id="400"),
        pytest.param("status=500", ["Nothing was charged"], id="500-not-retried"),
    ],
)
async def test_an_unrecoverable_fault_is_a_clear_error_that_records_no_phantom_charge(
    sandbox_settings: Settings, fault: str, words: list[str]
) -> None:
    """The call fails with a message; the ledger holds the quote of a maybe-charged call against
    the budget but records no charge the sandbox did not make; the server then works again."""
    settings = fault_settings(sandbox_settings)
    ids = contact_ids_with_emails(settings, 20)
    injector = FaultInjector(sandbox_transport(settings), [fault])
    async with Client(build_server(settings, transport=injector)) as client:
        failed = await enrich(client, ids)
        assert_clean_error(failed, *words)
        assert await charged_total(settings) == 0
        assert ledger_totals(settings).charged == 0

        again = await enrich(client, ids)

    assert not again.is_error, text_of(again)
    charged = await charged_total(settings)
    assert charged > 0
    totals = ledger_totals(settings)
    assert totals.charged == charged
    assert totals.held >= charged


async def test_a_lost_response_is_never_resent_blindly_and_is_held_at_its_quote(
    sandbox_settings: Settings,
) -> None:
    """`lost`: the sandbox charges, then drops the answer. The server does not retry (no double
    charge), says it may have been charged, and the ledger holds its quote (>= the real charge)
    against the budget, so the unrecorded charge still counts."""
    settings = fault_settings(sandbox_settings)
    ids = contact_ids_with_emails(settings, 20)
    injector = FaultInjector(sandbox_transport(settings), ["lost"])
    async with Client(build_server(settings, transport=injector)) as client:
        failed = await enrich(client, ids)

    assert_clean_error(failed, "may have been charged")
    charged = await charged_total(settings)
    calls = [call for call in await charged_calls_of(settings) if call.get("creditsCharged")]
    assert charged > 0
    assert len(calls) == 1
    totals = ledger_totals(settings)
    assert totals.unknown == 1
    assert totals.held >= charged


async def test_a_batch_lost_midway_returns_the_rest_and_holds_the_call_at_its_quote(
    sandbox_settings: Settings,
) -> None:
    """One batch of a bulk enrich is charged and its answer lost: the other batches' contacts come
    back (partial), the note says the lost batch may have been charged, and the ledger keeps the
    whole call at its quote, so the unseen charge still counts against the budgets."""
    settings = fault_settings(sandbox_settings)
    ids = contact_ids_with_emails(settings, BULK)
    injector = FaultInjector(sandbox_transport(settings), ["lost"])
    async with Client(build_server(settings, transport=injector)) as client:
        result = structured(await enrich(client, ids))

    assert result["status"] == "partial"
    assert any("may have been charged" in note for note in result["notes"]), result["notes"]
    assert 0 < len(result["contacts"]) < len(ids)
    charged = await charged_total(settings)
    assert result["credits_charged"] < charged, "the lost batch was charged by the sandbox"
    totals = ledger_totals(settings)
    assert totals.unknown == 1
    assert totals.held >= charged


async def charged_calls_of(settings: Settings) -> list[dict[str, Any]]:
    return list((await sandbox_control(settings, "GET", "/_sandbox/charges"))["calls"])


async def test_running_out_of_credits_midway_through_a_bulk_enrich_returns_and_keeps_what_was_charged(
    sandbox_settings: Settings,
) -> None:
    """402 in the middle of a bulk run: the contacts of the batches Lusha charged for before the
    balance ran out are returned (status partial, with the reason), recorded in the ledger and
    kept in the reveal cache, so a re-run after a top-up serves them at 0 credits and pays only
    for the rest."""
    settings = fault_settings(sandbox_settings)
    ids = contact_ids_with_emails(settings, BULK)
    await sandbox_control(settings, "POST", "/_sandbox/credits", {"remaining": 150})
    async with Client(build_server(settings)) as client:
        first = structured(await enrich(client, ids))
        FIGURES["faults injected"] += 1
        assert first["status"] == "partial"
        assert any("Stopped early" in note and "credits" in note for note in first["notes"]), first["notes"]
        kept = [contact["id"] for contact in first["contacts"]]
        assert 0 < len(kept) < len(ids), "the balance should run out after some batches, not before"
        charged_before = await charged_total(settings)
        assert first["credits_charged"] == charged_before > 0
        assert ledger_totals(settings).charged == charged_before

        await sandbox_control(settings, "POST", "/_sandbox/credits", {"remaining": 10_000})
        again = structured(await enrich(client, ids))

    assert again["status"] == "ok"
    assert set(kept) <= set(again["from_cache"]), "contacts paid for in the first run were not kept"
    assert len(again["contacts"]) == len(ids)
    charged_after = await charged_total(settings)
    assert ledger_totals(settings).charged == charged_after
    assert charged_after == charged_before + again["credits_charged"]
    assert charged_after <= len(ids), "something was paid for twice"


async def test_a_bulk_search_cut_short_by_402_returns_the_previews_it_paid_for(
    sandbox_settings: Settings,
) -> None:
    """Searches are charged per result too: when the balance runs out after one batch, that
    batch's previews come back (status partial, saying why) instead of being lost with an error."""
    settings = fault_settings(sandbox_settings)
    ids = contact_ids_with_emails(settings, BULK)
    await sandbox_control(settings, "POST", "/_sandbox/credits", {"remaining": 5})
    async with Client(build_server(settings)) as client:
        result = structured(await client.call_tool("search_contacts", {"contacts": [{"id": i} for i in ids]}))
    FIGURES["faults injected"] += 1
    charged = await charged_total(settings)
    assert result["status"] == "partial"
    assert any("Stopped early" in note for note in result["notes"]), result["notes"]
    assert 0 < len(result["contacts"]) < len(ids)
    assert {contact["id"] for contact in result["contacts"]} <= set(ids)
    assert result["credits_charged"] == charged > 0
    assert ledger_totals(settings).charged == charged
    ledger = Ledger(settings.data_dir)
    try:
        (entry,) = ledger.entries()
    finally:
        ledger.close()
    assert (entry.outcome, entry.charged) == ("partial", charged)
    assert "InsufficientCreditsError" in (entry.note or "")
