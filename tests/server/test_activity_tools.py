"""Signals, lookalikes, decision makers, website visits and webhook tools through the MCP client."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from mcp import Client

from lusha_mcp.sandbox import sandbox_app
from lusha_mcp.server import build_server
from lusha_mcp.settings import Settings, Toolset
from tests.server.harness import call, charged_total, sandbox_control, structured, text_of

pytestmark = pytest.mark.anyio

ACTIVITY_TOOLS = {"get_signals", "find_lookalikes", "find_decision_makers", "get_website_visits"}
WEBHOOK_TOOLS = {
    "list_webhook_subscriptions",
    "create_webhook_subscriptions",
    "update_webhook_subscription",
    "delete_webhook_subscriptions",
    "test_webhook_subscription",
    "get_webhook_deliveries",
    "regenerate_webhook_secret",
}
RECEIVER = "http://127.0.0.1:9/lusha-webhooks"


def approved(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(update={"auto_approve": True, **changes})


def dataset(settings: Settings, sql: str, *params: Any) -> list[Any]:
    sandbox_app(settings)
    db = sqlite3.connect(f"file:{settings.sandbox_db_path()}?mode=ro", uri=True)
    try:
        return [row[0] for row in db.execute(sql, params)]
    finally:
        db.close()


def companies_with_recent_signals(settings: Settings, count: int) -> list[str]:
    ids = dataset(
        settings,
        "SELECT company_id FROM company_signals WHERE signal_type != 'linkedinActivityIntent' "
        "AND signal_date >= date('now', '-150 days') GROUP BY company_id ORDER BY company_id LIMIT ?",
        count,
    )
    assert len(ids) == count, "the sandbox dataset has too few companies with recent signals"
    return [str(i) for i in ids]


async def test_default_toolsets_offer_the_activity_tools_and_webhooks_only_when_enabled(
    sandbox_settings: Settings,
) -> None:
    async with Client(build_server(sandbox_settings)) as client:
        default = {tool.name for tool in (await client.list_tools()).tools}
    async with Client(
        build_server(sandbox_settings.model_copy(update={"toolsets": list(Toolset)}))
    ) as client:
        everything = {tool.name: tool for tool in (await client.list_tools()).tools}

    assert default >= ACTIVITY_TOOLS
    assert not WEBHOOK_TOOLS & default
    assert set(everything) >= WEBHOOK_TOOLS
    hints = {name: everything[name].annotations for name in WEBHOOK_TOOLS}
    assert all(h is not None for h in hints.values())
    assert hints["list_webhook_subscriptions"].read_only_hint is True  # type: ignore[union-attr]
    assert hints["delete_webhook_subscriptions"].destructive_hint is True  # type: ignore[union-attr]
    assert hints["regenerate_webhook_secret"].destructive_hint is True  # type: ignore[union-attr]
    assert hints["create_webhook_subscriptions"].destructive_hint is False  # type: ignore[union-attr]
    for name in ACTIVITY_TOOLS:
        assert everything[name].annotations.read_only_hint is False, name  # type: ignore[union-attr]


async def test_company_signals_list_events_and_charge_what_lusha_bills(sandbox_settings: Settings) -> None:
    settings = approved(sandbox_settings)
    ids = companies_with_recent_signals(settings, 3)
    async with Client(build_server(settings)) as client:
        result = await call(client, "get_signals", entity="companies", ids=ids, max_results_per_signal=2)

    data = structured(result)
    assert data["status"] == "ok"
    assert {entry["id"] for entry in data["results"]} <= set(ids)
    events = [event for entry in data["results"] for event in entry["events"]]
    assert events
    assert all(event["type"] and event["summary"] for event in events)
    assert data["credits_charged"] == await charged_total(settings) > 0
    assert "| id | name | +/- | type | date | summary |" in text_of(result)


async def test_signal_quote_is_types_times_ids_and_needs_confirmation_above_the_threshold(
    sandbox_settings: Settings,
) -> None:
    ids = companies_with_recent_signals(sandbox_settings, 2)
    async with Client(build_server(sandbox_settings)) as client:
        result = await call(client, "get_signals", entity="companies", ids=ids)

    data = structured(result)
    assert data["status"] == "confirmation_required"
    assert data["quote"]["items"][0]["quantity"] == 2 * 23
    assert await charged_total(sandbox_settings) == 0


async def test_news_sub_filter_keeps_only_matching_events(sandbox_settings: Settings) -> None:
    settings = approved(sandbox_settings)
    rows = dataset(
        settings,
        "SELECT company_id FROM company_signals WHERE signal_type = 'corporateStrategyNews' "
        "AND json_extract(payload, '$.eventType') = 'merger' AND signal_date >= date('now', '-150 days') LIMIT 2",
    )
    assert rows, "the sandbox dataset has no recent merger news"
    async with Client(build_server(settings)) as client:
        result = await call(
            client,
            "get_signals",
            entity="companies",
            ids=[str(r) for r in rows],
            signal_types=["corporateStrategyNews"],
            company_filters={"newsEventTypes": ["merger"]},
        )

    events = [e for entry in structured(result)["results"] for e in entry["events"]]
    assert events
    assert all(e["detail"]["eventType"] == "merger" for e in events)


async def test_contact_signals_and_signal_scores(sandbox_settings: Settings) -> None:
    settings = approved(sandbox_settings)
    contact_ids = [
        str(i)
        for i in dataset(
            settings,
            "SELECT contact_id FROM contact_signals WHERE signal_date >= date('now', '-150 days') "
            "GROUP BY contact_id LIMIT 2",
        )
    ]
    company_ids = companies_with_recent_signals(settings, 2)
    async with Client(build_server(settings)) as client:
        events = await call(client, "get_signals", entity="contacts", ids=contact_ids)
        scores = await call(client, "get_signals", entity="companies", ids=company_ids, score=True)

    assert {e["type"] for r in structured(events)["results"] for e in r["events"]} <= {
        "promotion",
        "companyChange",
    }
    scored = structured(scores)
    assert scored["mode"] == "scores"
    assert all(0 <= entry.get("score", 0) <= 1 for entry in scored["results"])
    assert "score" in text_of(scores)


async def test_signal_types_of_the_other_entity_are_refused_naming_the_field(
    sandbox_settings: Settings,
) -> None:
    async with Client(build_server(approved(sandbox_settings))) as client:
        result = await call(client, "get_signals", entity="contacts", ids=["1"], signal_types=["riskNews"])

    assert result.is_error
    assert "signal_types" in text_of(result)
    assert "promotion" in text_of(result)


def contact_seeds(settings: Settings) -> list[str]:
    return [
        str(i)
        for i in dataset(
            settings, "SELECT id FROM contacts WHERE seniority = 'Vice President' ORDER BY id LIMIT 6"
        )
    ]


async def test_a_named_lookalike_session_continues_without_repeats_across_a_restart(
    sandbox_settings: Settings,
) -> None:
    settings = approved(sandbox_settings)
    seeds = contact_seeds(settings)
    async with Client(build_server(settings)) as client:
        first = structured(
            await call(client, "find_lookalikes", entity="contacts", seeds=seeds, session="vp-push", limit=5)
        )
    async with Client(build_server(settings)) as client:
        second = structured(
            await call(client, "find_lookalikes", entity="contacts", seeds=seeds, session="vp-push", limit=5)
        )

    first_ids = {r["id"] for r in first["results"]}
    second_ids = {r["id"] for r in second["results"]}
    assert len(first_ids) == len(second_ids) == 5
    assert not first_ids & second_ids
    assert second["session"] == "vp-push"
    assert second["session_results"] == 10


async def test_a_session_lusha_forgot_starts_afresh_and_says_so(sandbox_settings: Settings) -> None:
    settings = approved(sandbox_settings)
    seeds = contact_seeds(settings)
    async with Client(build_server(settings)) as client:
        await call(client, "find_lookalikes", entity="contacts", seeds=seeds, session="old", limit=3)
        db = sqlite3.connect(settings.data_dir / "lookalike_sessions.sqlite")
        try:
            (session_id,) = db.execute("SELECT dedupe_session_id FROM lookalike_sessions").fetchone()
        finally:
            db.close()
        await sandbox_control(
            settings, "POST", "/_sandbox/lookalikes/age", {"dedupeSessionId": session_id, "days": 31}
        )
        again = await call(client, "find_lookalikes", entity="contacts", seeds=seeds, session="old", limit=3)

    data = structured(again)
    assert data["status"] == "ok"
    assert len(data["results"]) == 3
    assert data["session_results"] == 3
    assert any("fresh one started" in note for note in data["notes"])


async def test_company_lookalikes_from_domains_and_too_few_contact_seeds_are_refused(
    sandbox_settings: Settings,
) -> None:
    settings = approved(sandbox_settings)
    domains = [str(d) for d in dataset(settings, "SELECT domain FROM companies ORDER BY id LIMIT 2")]
    async with Client(build_server(settings)) as client:
        companies = await call(
            client,
            "find_lookalikes",
            entity="companies",
            seeds=[f"https://www.{domains[0]}/", domains[1]],
            limit=4,
        )
        refused = await call(client, "find_lookalikes", entity="contacts", seeds=["1", "2"])

    data = structured(companies)
    assert 0 < len(data["results"]) <= 4
    assert all(r["id"] for r in data["results"])
    assert data["credits_charged"] == await charged_total(settings)
    assert refused.is_error
    assert "seeds" in text_of(refused)
    assert "5 to 100" in text_of(refused)


async def test_decision_makers_are_grouped_by_company_and_quote_a_later_enrich_exactly(
    sandbox_settings: Settings,
) -> None:
    domains = [str(d) for d in dataset(sandbox_settings, "SELECT domain FROM companies ORDER BY id LIMIT 2")]
    async with Client(build_server(approved(sandbox_settings, confirm_reveals=True))) as client:
        found = await call(
            client, "find_decision_makers", domains=[*domains, "no-such-company.example"], contacts_limit=3
        )
    data = structured(found)
    groups = {group["company"]: group for group in data["companies"]}
    assert groups["no-such-company.example"]["error"] == "NOT_FOUND"
    contacts = [c for d in domains for c in groups[d]["contacts"]]
    assert contacts
    assert all(len(groups[d]["contacts"]) <= 3 for d in domains)
    assert data["credits_charged"] == len(contacts) == await charged_total(sandbox_settings)

    async with Client(build_server(sandbox_settings)) as client:
        await call(client, "find_decision_makers", domains=domains[:1], contacts_limit=2)
        listed = structured(await call(client, "find_decision_makers", domains=domains[:1], contacts_limit=2))
        target = listed["companies"][0]["contacts"][0]
        quoted = structured(await call(client, "enrich_contacts", ids=[target["id"]], reveal=["emails"]))

    assert quoted["status"] == "confirmation_required"
    assert all("previewed" in item["what"] for item in quoted["quote"]["items"])


async def test_website_visits_page_through_visiting_companies(sandbox_settings: Settings) -> None:
    settings = approved(sandbox_settings)
    async with Client(build_server(settings)) as client:
        first = await call(
            client, "get_website_visits", domains=["lusha.com"], size=5, score_bands=["warm", "cold"]
        )
        filtered = await call(
            client, "get_website_visits", domains=["lusha.com"], ranges={"totalSessions": {"min": 5}}, size=50
        )
        too_long = await call(
            client,
            "get_website_visits",
            domains=["lusha.com"],
            start_date="2020-01-01",
            end_date="2020-06-01",
        )

    data = structured(first)
    assert len(data["companies"]) == 5
    assert all(c["id"] for c in data["companies"])
    assert {c["scoreBand"] for c in data["companies"]} <= {"warm", "cold"}
    assert data["next_page"] == 1
    assert data["total"] > 5
    assert all(c["totalSessions"] >= 5 for c in structured(filtered)["companies"])
    assert too_long.is_error
    assert "start_date" in text_of(too_long)
    assert "3 calendar months" in text_of(too_long)
    assert "an end_date up to 2020-04-01" in text_of(too_long)


async def test_website_visits_date_range_is_three_calendar_months_not_a_day_count(
    sandbox_settings: Settings,
) -> None:
    """Lusha allows 3 calendar months: May 1 to Aug 1 (92 days) is fine, Jan 31 to May 1 (91) is not."""
    settings = approved(sandbox_settings)
    async with Client(build_server(settings)) as client:
        ninety_two_days = await call(
            client,
            "get_website_visits",
            domains=["lusha.com"],
            start_date="2026-05-01",
            end_date="2026-08-01",
        )
        ninety_one_days = await call(
            client,
            "get_website_visits",
            domains=["lusha.com"],
            start_date="2026-01-31",
            end_date="2026-05-01",
        )
    assert not ninety_two_days.is_error, text_of(ninety_two_days)
    assert ninety_one_days.is_error
    assert "an end_date up to 2026-04-30" in text_of(ninety_one_days)


async def test_webhook_subscriptions_lifecycle(sandbox_settings: Settings) -> None:
    settings = sandbox_settings.model_copy(update={"toolsets": [Toolset.webhooks]})
    contact_id = str(dataset(settings, "SELECT id FROM contacts ORDER BY id LIMIT 1")[0])
    other_id = str(dataset(settings, "SELECT id FROM contacts ORDER BY id LIMIT 1 OFFSET 1")[0])
    async with Client(build_server(settings)) as client:
        no_secret = structured(await call(client, "list_webhook_subscriptions", include_secret=True))
        secret = structured(await call(client, "regenerate_webhook_secret", confirm=True))["secret"]
        first = {"url": RECEIVER, "entity_type": "contact", "entity_ids": [contact_id]}
        asked_first = structured(await call(client, "create_webhook_subscriptions", **first))
        earlier = structured(
            await call(
                client,
                "create_webhook_subscriptions",
                **first,
                confirmation_token=asked_first["confirmation_token"],
            )
        )
        # The contact subscribed already fails (a duplicate); the other one is created.
        subscribe = {
            "url": RECEIVER,
            "entity_type": "contact",
            "entity_ids": [contact_id, other_id],
            "name": "vp moves",
        }
        asked = structured(await call(client, "create_webhook_subscriptions", **subscribe))
        created = structured(
            await call(
                client,
                "create_webhook_subscriptions",
                **subscribe,
                confirmation_token=asked["confirmation_token"],
            )
        )
        opt_out = structured(await call(client, "create_webhook_subscriptions", url=RECEIVER, opt_out=True))
        listed = await call(client, "list_webhook_subscriptions")
        with_secret = structured(await call(client, "list_webhook_subscriptions", include_secret=True))
        sub_id = created["subscriptions"][0]["id"]
        paused = structured(
            await call(client, "update_webhook_subscription", subscription_id=sub_id, active=False)
        )
        tested = structured(
            await call(client, "test_webhook_subscription", subscription_id=sub_id, mode="direct")
        )
        deliveries = structured(await call(client, "get_webhook_deliveries"))
        deleted = structured(
            await call(
                client,
                "delete_webhook_subscriptions",
                ids=[sub_id, earlier["subscriptions"][0]["id"], opt_out["subscriptions"][0]["id"]],
            )
        )
        empty = structured(await call(client, "list_webhook_subscriptions"))

    assert "secret_note" in no_secret
    assert asked["status"] == "confirmation_required"
    assert asked["estimate_per_delivery_round"] == 2 * 2  # 2 ids x 2 contact signal types x 1 credit
    assert created["succeeded"] == 1
    assert created["failed"] == 1
    assert created["errors"]
    assert secret not in text_of(listed)
    assert "account_secret" not in structured(listed)
    assert with_secret["account_secret"] == secret
    assert all("secret" not in s for s in with_secret["subscriptions"])
    assert paused["subscriptions"][0]["isActive"] is False
    assert tested["subscription_id"] == sub_id
    assert "success" in tested
    assert "stats" in deliveries
    assert deleted["succeeded"] == 3
    assert empty.get("subscriptions", []) == []
    assert await charged_total(settings) == 0


async def test_webhook_update_without_changes_is_refused_naming_the_field(sandbox_settings: Settings) -> None:
    settings = sandbox_settings.model_copy(update={"toolsets": [Toolset.webhooks]})
    async with Client(build_server(settings)) as client:
        result = await call(client, "update_webhook_subscription", subscription_id="abc")

    assert result.is_error
    assert "active" in text_of(result)


async def test_decision_makers_over_many_companies_report_progress_per_batch(
    sandbox_settings: Settings,
) -> None:
    settings = approved(sandbox_settings)
    domains = [str(d) for d in dataset(settings, "SELECT domain FROM companies ORDER BY id LIMIT 30")]
    updates: list[tuple[float, float | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total))

    async with Client(build_server(settings)) as client:
        result = await client.call_tool(
            "find_decision_makers", {"domains": domains, "contacts_limit": 1}, progress_callback=on_progress
        )

    assert len(structured(result)["companies"]) == 30
    assert sorted(updates) in ([(5, 30), (30, 30)], [(25, 30), (30, 30)])
