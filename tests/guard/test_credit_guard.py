"""The credit guard, driven through the MCP client against the in-process sandbox."""

from __future__ import annotations

import time
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client import ClientRequestContext
from mcp_types import ElicitRequestParams, ElicitResult, ErrorData

from lusha_mcp.guard.confirm import TokenIssuer, canonical_arguments_hash, load_or_create_secret
from lusha_mcp.server import build_server
from lusha_mcp.settings import Settings
from tests.server.harness import (
    call,
    charged_calls,
    charged_total,
    contact_ids_with_emails,
    structured,
    text_of,
)
from tests.stores import cached_text, ledger_groups, purge, recorded_charges

pytestmark = pytest.mark.anyio


def with_settings(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(update=changes)


async def test_reveal_without_confirmation_spends_nothing_and_returns_quote_and_token(
    sandbox_settings: Settings,
) -> None:
    ids = contact_ids_with_emails(sandbox_settings, 2)
    async with Client(build_server(sandbox_settings)) as client:
        result = await call(client, "enrich_contacts", ids=ids, reveal=["emails"])

    body = structured(result)
    assert not result.is_error
    assert body["status"] == "confirmation_required"
    assert body["quote"]["total_credits"] == 2
    assert body["quote"]["items"][0]["action"] == "revealEmail"
    assert body["confirmation_token"].startswith("lc2.")
    assert "contacts" not in body
    assert await charged_total(sandbox_settings) == 0


async def test_confirmation_token_runs_the_reveal_once(sandbox_settings: Settings) -> None:
    ids = contact_ids_with_emails(sandbox_settings, 2)
    async with Client(build_server(sandbox_settings)) as client:
        quoted = structured(await call(client, "enrich_contacts", ids=ids, reveal=["emails"]))
        ran = await call(
            client,
            "enrich_contacts",
            ids=ids,
            reveal=["emails"],
            confirmation_token=quoted["confirmation_token"],
        )
        replayed = await call(
            client,
            "enrich_contacts",
            ids=ids,
            reveal=["emails"],
            confirmation_token=quoted["confirmation_token"],
        )

    body = structured(ran)
    assert body["status"] == "ok"
    assert [contact["id"] for contact in body["contacts"]] == ids
    assert all(contact["emails"] for contact in body["contacts"])
    assert body["credits_charged"] == await charged_total(sandbox_settings) == 2
    assert replayed.is_error
    assert "already used" in text_of(replayed)
    assert await charged_total(sandbox_settings) == 2


async def test_replayed_token_is_refused_even_after_a_restart(sandbox_settings: Settings) -> None:
    ids = contact_ids_with_emails(sandbox_settings, 1)
    async with Client(build_server(sandbox_settings)) as client:
        token = structured(await call(client, "enrich_contacts", ids=ids, reveal=["phones"]))[
            "confirmation_token"
        ]
        assert not (
            await call(client, "enrich_contacts", ids=ids, reveal=["phones"], confirmation_token=token)
        ).is_error
    spent = await charged_total(sandbox_settings)
    async with Client(build_server(sandbox_settings)) as client:
        replayed = await call(client, "enrich_contacts", ids=ids, reveal=["phones"], confirmation_token=token)

    assert replayed.is_error
    assert "already used" in text_of(replayed)
    assert await charged_total(sandbox_settings) == spent


async def test_expired_token_is_refused(sandbox_settings: Settings) -> None:
    ids = contact_ids_with_emails(sandbox_settings, 1)
    arguments: dict[str, Any] = {"reveal": ["emails"], "ids": ids, "contacts": None}
    issued_long_ago = TokenIssuer(
        load_or_create_secret(sandbox_settings.data_dir),
        sandbox_settings.confirmation_ttl_seconds,
        clock=lambda: time.time() - 3600,
    )
    token, _ = issued_long_ago.issue(
        "enrich_contacts", canonical_arguments_hash("enrich_contacts", arguments), 50
    )
    async with Client(build_server(sandbox_settings)) as client:
        result = await call(client, "enrich_contacts", ids=ids, reveal=["emails"], confirmation_token=token)

    assert result.is_error
    assert "expired" in text_of(result)
    assert await charged_total(sandbox_settings) == 0


async def test_token_used_with_other_arguments_is_refused(sandbox_settings: Settings) -> None:
    ids = contact_ids_with_emails(sandbox_settings, 3)
    async with Client(build_server(sandbox_settings)) as client:
        token = structured(await call(client, "enrich_contacts", ids=ids[:1], reveal=["emails"]))[
            "confirmation_token"
        ]
        result = await call(client, "enrich_contacts", ids=ids, reveal=["emails"], confirmation_token=token)

    assert result.is_error
    assert "other arguments" in text_of(result)
    assert await charged_total(sandbox_settings) == 0


async def test_made_up_token_is_refused(sandbox_settings: Settings) -> None:
    ids = contact_ids_with_emails(sandbox_settings, 1)
    async with Client(build_server(sandbox_settings)) as client:
        quoted = structured(await call(client, "enrich_contacts", ids=ids, reveal=["emails"]))
        prefix, key_id, payload, _ = quoted["confirmation_token"].split(".")
        forged = await call(
            client,
            "enrich_contacts",
            ids=ids,
            reveal=["emails"],
            confirmation_token=f"{prefix}.{key_id}.{payload}.AAAA",
        )
        garbage = await call(client, "enrich_contacts", ids=ids, reveal=["emails"], confirmation_token="yes")

    for result in (forged, garbage):
        assert result.is_error
        assert "not one this server issued" in text_of(result)
    assert await charged_total(sandbox_settings) == 0


def answering(action: str, seen: list[str]) -> Any:
    async def elicit(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult | ErrorData:
        seen.append(params.message)
        content = {"approve": True} if action == "accept" else None
        return ElicitResult(action=action, content=content)  # type: ignore[arg-type]

    return elicit


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_elicitation_accept_runs_the_reveal(sandbox_settings: Settings, mode: Any) -> None:
    ids = contact_ids_with_emails(sandbox_settings, 2)
    asked: list[str] = []
    server = build_server(sandbox_settings)
    async with Client(server, mode=mode, elicitation_callback=answering("accept", asked)) as client:
        result = await call(client, "enrich_contacts", ids=ids, reveal=["emails"])

    body = structured(result)
    assert body["status"] == "ok"
    assert len(asked) == 1
    assert "2 Lusha credits" in asked[0]
    assert "emails" in asked[0]
    assert body["credits_charged"] == await charged_total(sandbox_settings) == 2


@pytest.mark.parametrize("action", ["decline", "cancel"])
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_declined_reveal_spends_nothing(sandbox_settings: Settings, action: str, mode: Any) -> None:
    ids = contact_ids_with_emails(sandbox_settings, 2)
    asked: list[str] = []
    server = build_server(sandbox_settings)
    async with Client(server, mode=mode, elicitation_callback=answering(action, asked)) as client:
        result = await call(client, "enrich_contacts", ids=ids, reveal=["emails"])

    body = structured(result)
    assert not result.is_error
    assert body["status"] == "declined"
    assert body["credits_charged"] == 0
    assert "nothing was spent" in text_of(result)
    assert len(asked) == 1
    assert await charged_calls(sandbox_settings) == []


async def test_no_spend_mode_hides_and_refuses_metered_tools(sandbox_settings: Settings) -> None:
    settings = with_settings(sandbox_settings, no_spend=True)
    async with Client(build_server(settings)) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        refused = await call(client, "search_contacts", contacts=[{"email": "a@b.com"}])
        usage = await call(client, "get_account_usage")

    assert names == {"list_filter_values", "get_account_usage", "estimate_plan"}
    assert refused.is_error
    assert "no-spend mode" in text_of(refused)
    assert not usage.is_error
    assert await charged_calls(settings) == []


async def test_call_over_the_per_call_cap_is_refused_before_any_request(sandbox_settings: Settings) -> None:
    settings = with_settings(sandbox_settings, max_credits_per_call=5, auto_approve=True)
    ids = contact_ids_with_emails(settings, 2)
    async with Client(build_server(settings)) as client:
        result = await call(client, "enrich_contacts", ids=ids, reveal=["phones"])

    assert result.is_error
    assert "cap of 5 credits per call" in text_of(result)
    assert await charged_calls(settings) == []


async def test_call_over_the_remaining_budget_is_refused_before_any_request(
    sandbox_settings: Settings,
) -> None:
    settings = with_settings(sandbox_settings, session_budget=3, auto_approve=True)
    ids = contact_ids_with_emails(settings, 4)
    async with Client(build_server(settings)) as client:
        first = await call(client, "enrich_contacts", ids=ids[:2], reveal=["emails"])
        second = await call(client, "enrich_contacts", ids=ids[2:], reveal=["emails"])

    assert structured(first)["budget_left"]["session"] == 1
    assert second.is_error
    assert "only 1 credits are left in the session budget" in text_of(second)
    assert len(await charged_calls(settings)) == 1


async def test_concurrent_calls_never_spend_more_than_the_budget(sandbox_settings: Settings) -> None:
    settings = with_settings(sandbox_settings, session_budget=50, auto_approve=True)
    ids = contact_ids_with_emails(settings, 1)
    outcomes: list[bool] = []
    async with Client(build_server(settings)) as client:

        async def search() -> None:
            result = await call(client, "search_contacts", contacts=[{"id": ids[0]}])
            outcomes.append(result.is_error)

        async with anyio.create_task_group() as group:
            for _ in range(200):
                group.start_soon(search)

    recorded = await recorded_charges(settings)
    assert len(outcomes) == 200
    assert outcomes.count(False) == 50
    assert await charged_total(settings) == recorded == 50


async def test_repeat_reveal_costs_nothing(sandbox_settings: Settings) -> None:
    settings = with_settings(sandbox_settings, auto_approve=True)
    ids = contact_ids_with_emails(settings, 2)
    async with Client(build_server(settings)) as client:
        first = structured(await call(client, "enrich_contacts", ids=ids, reveal=["emails"]))
        again = await call(client, "enrich_contacts", ids=ids, reveal=["emails"])

    body = structured(again)
    assert body["status"] == "cached"
    assert body["credits_charged"] == 0
    assert body["contacts"] == first["contacts"]
    assert "served from the cache at 0 credits" in text_of(again)
    assert await charged_total(settings) == first["credits_charged"] == 2


async def test_purge_leaves_no_cached_personal_data(sandbox_settings: Settings) -> None:
    settings = with_settings(sandbox_settings, auto_approve=True)
    ids = contact_ids_with_emails(settings, 3)
    async with Client(build_server(settings)) as client:
        revealed = structured(await call(client, "enrich_contacts", ids=ids, reveal=["emails"]))
    emails = [email["email"] for contact in revealed["contacts"] for email in contact["emails"]]

    report = await purge(settings)

    assert report.contacts == 3
    stored = await cached_text(settings)
    assert emails
    assert not any(email.encode() in stored for email in emails)
    async with Client(build_server(settings)) as client:
        again = structured(await call(client, "enrich_contacts", ids=ids, reveal=["emails"]))
    assert again["status"] == "ok"


async def test_purge_by_email_removes_only_that_contact(sandbox_settings: Settings) -> None:
    settings = with_settings(sandbox_settings, auto_approve=True)
    ids = contact_ids_with_emails(settings, 2)
    async with Client(build_server(settings)) as client:
        revealed = structured(await call(client, "enrich_contacts", ids=ids, reveal=["emails"]))
        first_email = revealed["contacts"][0]["emails"][0]["email"]

        report = await purge(settings, email=first_email.upper())
        again = structured(await call(client, "enrich_contacts", ids=ids[1:], reveal=["emails"]))

    assert report.contacts == 1
    assert again["status"] == "cached"


async def test_daily_budget_survives_a_restart(sandbox_settings: Settings) -> None:
    settings = with_settings(sandbox_settings, daily_budget=2, auto_approve=True)
    ids = contact_ids_with_emails(settings, 3)
    async with Client(build_server(settings)) as client:
        assert (
            structured(await call(client, "enrich_contacts", ids=ids[:2], reveal=["emails"]))["status"]
            == "ok"
        )
    async with Client(build_server(settings)) as client:
        refused = await call(client, "enrich_contacts", ids=ids[2:], reveal=["emails"])

    assert refused.is_error
    assert "daily budget" in text_of(refused)
    assert await charged_total(settings) == 2


async def test_reveal_field_not_allowed_is_refused(sandbox_settings: Settings) -> None:
    settings = with_settings(sandbox_settings, allowed_reveals=["emails"], auto_approve=True)
    ids = contact_ids_with_emails(settings, 1)
    async with Client(build_server(settings)) as client:
        result = await call(client, "enrich_contacts", ids=ids, reveal=["emails", "phones"])

    assert result.is_error
    assert "Revealing phones is not allowed" in text_of(result)
    assert await charged_calls(settings) == []


async def test_search_previews_make_the_reveal_quote_exact(sandbox_settings: Settings) -> None:
    ids = contact_ids_with_emails(sandbox_settings, 3)
    async with Client(build_server(sandbox_settings)) as client:
        blind = structured(await call(client, "enrich_contacts", ids=ids, reveal=["emails", "phones"]))
        previews = structured(await call(client, "search_contacts", contacts=[{"id": i} for i in ids]))
        informed = structured(await call(client, "enrich_contacts", ids=ids, reveal=["emails", "phones"]))

    can_reveal = sum(
        credits for contact in previews["contacts"] for credits in contact.get("can_reveal", {}).values()
    )
    assert blind["quote"]["total_credits"] == 3 * 1 + 3 * 5
    assert informed["quote"]["total_credits"] == can_reveal


async def test_account_usage_reports_what_this_server_spent(sandbox_settings: Settings) -> None:
    settings = with_settings(sandbox_settings, session_budget=100, daily_budget=500, auto_approve=True)
    ids = contact_ids_with_emails(settings, 2)
    async with Client(build_server(settings)) as client:
        await call(client, "enrich_contacts", ids=ids, reveal=["emails"])
        result = await call(client, "get_account_usage")

    usage = structured(result)
    assert usage["server"] == {
        "session": 98,
        "today": 498,
        "today_budget": "account",
        "spent_session": 2,
        "spent_today": 2,
    }
    assert usage["pricing"]["revealEmail"]["credits"] == 1
    assert "spent 2 this session" in text_of(result)


async def test_ledger_reports_spending_by_tool(sandbox_settings: Settings) -> None:
    settings = with_settings(sandbox_settings, auto_approve=True)
    ids = contact_ids_with_emails(settings, 2)
    async with Client(build_server(settings)) as client:
        await call(client, "search_contacts", contacts=[{"id": i} for i in ids])
        await call(client, "enrich_contacts", ids=ids, reveal=["emails"])
        await call(client, "enrich_contacts", ids=ids, reveal=["emails"])

    by_tool = {row.key: row for row in await ledger_groups(settings, "tool")}
    assert by_tool["search_contacts"].charged == 1
    assert by_tool["enrich_contacts"].calls == 2
    assert by_tool["enrich_contacts"].charged == 2
    assert sum(row.charged for row in await ledger_groups(settings, "day")) == await charged_total(settings)
