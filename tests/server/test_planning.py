"""Planning before spending: quote_only on every metered tool, estimate_plan, and a tool body that
runs once per call with an eliciting client. Through the MCP client against the sandbox."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from mcp import Client
from mcp.client import ClientRequestContext
from mcp_types import ElicitRequestParams, ElicitResult, ErrorData

from lusha_mcp.guard import Ledger
from lusha_mcp.sandbox import sandbox_app
from lusha_mcp.server import build_server
from lusha_mcp.settings import Settings
from tests.server.harness import (
    call,
    charged_total,
    contact_ids_with_emails,
    sandbox_control,
    structured,
    text_of,
)

pytestmark = pytest.mark.anyio


def with_settings(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(update=changes)


def dataset(settings: Settings, sql: str) -> list[str]:
    sandbox_app(settings)
    with sqlite3.connect(f"file:{settings.sandbox_db_path()}?mode=ro", uri=True) as db:
        return [str(row[0]) for row in db.execute(sql)]


def company_ids(settings: Settings, count: int) -> list[str]:
    return dataset(settings, f"SELECT id FROM companies ORDER BY id LIMIT {count}")


def company_domains(settings: Settings, count: int) -> list[str]:
    return dataset(settings, f"SELECT domain FROM companies ORDER BY id LIMIT {count}")


Arguments = Callable[[Settings], dict[str, Any]]
METERED_CALLS: dict[str, Arguments] = {
    "search_contacts": lambda s: {"contacts": [{"id": i} for i in contact_ids_with_emails(s, 3)]},
    "enrich_contacts": lambda s: {"ids": contact_ids_with_emails(s, 2), "reveal": ["emails", "phones"]},
    "prospect_contacts": lambda s: {"departments": ["Sales"], "seniority": ["Director"], "size": 10},
    "search_companies": lambda s: {"companies": [{"domain": d} for d in company_domains(s, 2)]},
    "enrich_companies": lambda s: {"ids": company_ids(s, 2)},
    "prospect_companies": lambda s: {"sizes": ["51-200"], "size": 10},
    "get_signals": lambda s: {
        "entity": "companies",
        "ids": company_ids(s, 2),
        "signal_types": ["allSignals"],
    },
    "find_lookalikes": lambda s: {"entity": "companies", "seeds": company_domains(s, 2), "limit": 4},
    "find_decision_makers": lambda s: {"domains": company_domains(s, 2), "contacts_limit": 3},
    "get_website_visits": lambda s: {"domains": ["lusha.com"], "size": 5},
}


async def test_every_metered_tool_takes_quote_only(sandbox_settings: Settings) -> None:
    async with Client(build_server(sandbox_settings)) as client:
        tools = (await client.list_tools()).tools
    metered = {tool.name for tool in tools if (tool.meta or {}).get("metered")}

    assert metered == set(METERED_CALLS)
    for tool in tools:
        assert ("quote_only" in tool.input_schema["properties"]) == (tool.name in metered), tool.name


@pytest.mark.parametrize("tool", sorted(METERED_CALLS))
async def test_quote_only_charges_nothing_and_is_the_quote_the_guard_reserves(
    sandbox_settings: Settings, tool: str
) -> None:
    settings = with_settings(sandbox_settings, auto_approve=True)
    arguments = METERED_CALLS[tool](settings)
    async with Client(build_server(settings)) as client:
        quoted = await call(client, tool, **arguments, quote_only=True)
        charged_by_quote = await charged_total(settings)
        ran = await call(client, tool, **arguments)

    body = structured(quoted)
    assert body["status"] == "quoted", text_of(quoted)
    assert body["credits_charged"] == 0
    assert charged_by_quote == 0
    assert body["fit"]["would"] == "run"
    assert "nothing was spent" in text_of(quoted)
    assert structured(ran)["status"] == "ok", text_of(ran)
    ledger = Ledger(settings.data_dir)
    try:
        (entry,) = [entry for entry in ledger.entries() if entry.tool == tool]
    finally:
        ledger.close()
    assert entry.quote == body["quote"]["total_credits"]
    assert structured(ran)["credits_charged"] == await charged_total(settings) <= entry.quote


async def test_quote_only_says_what_is_cached_and_what_needs_confirmation_with_a_token(
    sandbox_settings: Settings,
) -> None:
    ids = contact_ids_with_emails(sandbox_settings, 3)
    async with Client(build_server(sandbox_settings)) as client:
        first = structured(await call(client, "enrich_contacts", ids=ids[:1], reveal=["emails"]))
        await call(
            client,
            "enrich_contacts",
            ids=ids[:1],
            reveal=["emails"],
            confirmation_token=first["confirmation_token"],
        )
        spent = await charged_total(sandbox_settings)
        quoted = await call(client, "enrich_contacts", ids=ids, reveal=["emails"], quote_only=True)
        body = structured(quoted)
        ran = structured(
            await call(
                client,
                "enrich_contacts",
                ids=ids,
                reveal=["emails"],
                confirmation_token=body["confirmation_token"],
            )
        )

    assert await charged_total(sandbox_settings) == spent + ran["credits_charged"]
    assert body["status"] == "quoted"
    assert body["quote"]["total_credits"] == 2
    assert "1 contacts served from the cache at 0 credits." in body["notes"]
    assert body["fit"]["would"] == "confirm"
    assert "reveals personal data" in body["fit"]["reason"]
    assert ran["status"] == "ok"
    assert ran["credits_charged"] == 2
    assert ran["from_cache"] == ids[:1]


@pytest.mark.parametrize(
    ("changes", "refusal"),
    [
        ({"no_spend": True}, "no-spend mode"),
        ({"max_credits_per_call": 1}, "cap of 1 credits per call"),
        ({"daily_budget": 1}, "daily budget"),
        ({"allowed_reveals": ["emails"]}, "not allowed"),
    ],
)
async def test_quote_only_says_the_call_would_be_refused_and_why(
    sandbox_settings: Settings, changes: dict[str, Any], refusal: str
) -> None:
    settings = with_settings(sandbox_settings, auto_approve=True, **changes)
    ids = contact_ids_with_emails(settings, 2)
    reveal = ["phones"] if "allowed_reveals" in changes else ["emails"]
    async with Client(build_server(settings)) as client:
        quoted = await call(client, "enrich_contacts", ids=ids, reveal=reveal, quote_only=True)
        plan = await call(
            client,
            "estimate_plan",
            steps=[{"tool": "enrich_contacts", "arguments": {"ids": ids, "reveal": reveal}}],
        )

    assert await charged_total(settings) == 0
    if "allowed_reveals" in changes:
        # The allowlist is checked before anything is priced: the call itself is an error.
        assert quoted.is_error
    else:
        assert structured(quoted)["fit"]["would"] == "refuse"
    assert refusal in text_of(quoted)
    step = structured(plan)["steps"][0]
    assert step["would"] == "refuse"
    assert refusal in step["reason"]
    assert structured(plan)["first_stop"] == 1


async def test_quote_only_refuses_a_confirmation_token(sandbox_settings: Settings) -> None:
    ids = contact_ids_with_emails(sandbox_settings, 1)
    async with Client(build_server(sandbox_settings)) as client:
        result = await call(
            client,
            "enrich_contacts",
            ids=ids,
            reveal=["emails"],
            quote_only=True,
            confirmation_token="lc1.x.y",
        )

    assert result.is_error
    assert "confirmation_token" in text_of(result)
    assert "quote_only" in text_of(result)


def three_steps(companies: int, contacts: int) -> list[dict[str, Any]]:
    """prospect companies -> their decision makers -> reveal emails of some of them."""
    return [
        {"tool": "prospect_companies", "arguments": {"sizes": ["51-200"], "size": 10}},
        {
            "tool": "find_decision_makers",
            "arguments": {"contacts_limit": 3},
            "ids_from_step": 1,
            "up_to": companies,
        },
        {
            "tool": "enrich_contacts",
            "arguments": {"reveal": ["emails"]},
            "ids_from_step": 2,
            "up_to": contacts,
        },
    ]


async def test_a_three_step_plan_is_priced_at_or_above_what_running_it_charges(
    sandbox_settings: Settings,
) -> None:
    settings = with_settings(sandbox_settings, auto_approve=True)
    async with Client(build_server(settings)) as client:
        estimated = await call(client, "estimate_plan", steps=three_steps(companies=4, contacts=5))
        assert await charged_total(settings) == 0
        prospects = structured(await call(client, "prospect_companies", sizes=["51-200"], size=10))
        picked = [company["id"] for company in prospects["companies"][:4]]
        groups = structured(await call(client, "find_decision_makers", company_ids=picked, contacts_limit=3))
        people = [c["id"] for group in groups["companies"] for c in group.get("contacts", [])][:5]
        revealed = structured(await call(client, "enrich_contacts", ids=people, reveal=["emails"]))

    plan = structured(estimated)
    ceilings = [step["ceiling"] for step in plan["steps"]]
    charged = [prospects["credits_charged"], groups["credits_charged"], revealed["credits_charged"]]
    assert [step["would"] for step in plan["steps"]] == ["run", "run", "run"]
    assert "first_stop" not in plan  # None: every step runs without confirmation
    assert plan["total_ceiling"] == sum(ceilings)
    assert len(people) == 5
    assert all(price >= paid for price, paid in zip(ceilings, charged, strict=True))
    assert plan["total_ceiling"] >= sum(charged) == await charged_total(settings) > 0
    assert ceilings[1] == 4 * 3  # 4 companies x 3 contacts, the worst case of ids not seen yet
    assert ceilings[2] == 5  # 5 emails at full price (1 credit each in the sandbox)
    assert "at most" in text_of(estimated)


async def test_a_plan_over_the_daily_budget_names_the_step_that_would_fail(
    sandbox_settings: Settings,
) -> None:
    settings = with_settings(sandbox_settings, auto_approve=True, daily_budget=14)
    async with Client(build_server(settings)) as client:
        result = await call(client, "estimate_plan", steps=three_steps(companies=4, contacts=5))

    plan = structured(result)
    assert [step["would"] for step in plan["steps"]] == ["run", "run", "refuse"]
    assert plan["first_stop"] == 3
    assert "daily budget" in plan["steps"][2]["reason"]
    assert plan["steps"][0]["budget_left_after"]["today"] == 14 - plan["steps"][0]["ceiling"]
    assert "First stop: step 3 (enrich_contacts) would be refused." in text_of(result)
    assert await charged_total(settings) == 0


async def test_a_plan_gives_a_token_for_its_first_step_and_it_runs_that_call(
    sandbox_settings: Settings,
) -> None:
    ids = contact_ids_with_emails(sandbox_settings, 2)
    steps = [{"tool": "enrich_contacts", "arguments": {"ids": ids, "reveal": ["emails"]}}]
    async with Client(build_server(sandbox_settings)) as client:
        plan = structured(await call(client, "estimate_plan", steps=steps))
        token = plan["steps"][0]["confirmation_token"]
        ran = structured(
            await call(client, "enrich_contacts", ids=ids, reveal=["emails"], confirmation_token=token)
        )

    assert plan["first_stop"] == 1
    assert plan["steps"][0]["would"] == "confirm"
    assert ran["status"] == "ok"
    assert ran["credits_charged"] == await charged_total(sandbox_settings) == plan["total_ceiling"]


async def test_the_estimator_works_in_no_spend_mode_and_says_every_metered_step_is_refused(
    sandbox_settings: Settings,
) -> None:
    settings = with_settings(sandbox_settings, no_spend=True)
    async with Client(build_server(settings)) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        result = await call(client, "estimate_plan", steps=three_steps(companies=2, contacts=2))

    plan = structured(result)
    assert "estimate_plan" in names
    assert [step["would"] for step in plan["steps"]] == ["refuse"] * 3
    assert all("no-spend mode" in step["reason"] for step in plan["steps"])
    assert plan["total_ceiling"] > 0


@pytest.mark.parametrize(
    ("step", "problem"),
    [
        ({"tool": "no_such_tool"}, "no tool named 'no_such_tool'"),
        (
            {"tool": "enrich_contacts", "arguments": {"ids": ["1"], "reveal": ["emails"], "colour": 1}},
            "colour",
        ),
        (
            {"tool": "enrich_contacts", "arguments": {"reveal": ["emails"]}, "ids_from_step": 1},
            "ids_from_step",
        ),
        (
            {"tool": "enrich_contacts", "arguments": {"reveal": ["emails"]}, "ids_from_step": 2, "up_to": 3},
            "before",
        ),
        ({"tool": "enrich_contacts", "arguments": {"ids": ["1"], "reveal": ["fax"]}}, "reveal"),
        ({"tool": "prospect_companies", "arguments": {}, "ids_from_step": 1, "up_to": 2}, "takes no ids"),
    ],
)
async def test_a_step_the_estimator_cannot_price_says_what_to_send(
    sandbox_settings: Settings, step: dict[str, Any], problem: str
) -> None:
    first = {"tool": "prospect_companies", "arguments": {"sizes": ["51-200"]}}
    async with Client(build_server(sandbox_settings)) as client:
        result = await call(client, "estimate_plan", steps=[first, step])

    plan = structured(result)
    assert plan["steps"][1]["would"] == "refuse"
    assert plan["steps"][1]["reason"].startswith("Not priced:")
    assert problem in plan["steps"][1]["reason"]
    assert await charged_total(sandbox_settings) == 0


def answering(action: str, seen: list[str]) -> Any:
    async def elicit(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult | ErrorData:
        seen.append(params.message)
        return ElicitResult(action=action, content={"approve": True} if action == "accept" else None)  # type: ignore[arg-type]

    return elicit


QUEUED = 40


async def sandbox_requests(settings: Settings, during: Callable[[], Any]) -> int:
    """Requests the server sent to the sandbox while `during` ran: each pops one queued no-op fault."""
    await sandbox_control(
        settings, "POST", "/_sandbox/faults", {"clear": True, "next": ["latency=0"] * QUEUED}
    )
    await during()
    left = (await sandbox_control(settings, "GET", "/_sandbox/faults"))["queued"]
    await sandbox_control(settings, "POST", "/_sandbox/faults", {"clear": True})
    return QUEUED - int(left)


@pytest.mark.parametrize(("mode", "rounds"), [("legacy", 1), ("auto", 2)])
async def test_a_tool_body_runs_once_per_call_with_an_eliciting_client(
    sandbox_settings: Settings, mode: Any, rounds: int
) -> None:
    """prospect_contacts with seniority and departments looks up 2 filter vocabularies (free) then
    prospects once. Up to 2025-11-25 the approval is asked mid-call (1 round); from 2026-07-28 the
    call returns the question and the client calls again with the answer (2 rounds, 2 tools/call
    requests). Each request builds the Plan once: 2 lookups per round, plus the one prospecting."""
    settings = with_settings(sandbox_settings, confirm_above=0)
    asked: list[str] = []
    arguments = METERED_CALLS["prospect_contacts"](settings)
    results: list[Any] = []
    async with Client(
        build_server(settings), mode=mode, elicitation_callback=answering("accept", asked)
    ) as client:
        await call(client, "get_account_usage")  # the pricebook, fetched once per server

        async def prospect() -> None:
            results.append(await call(client, "prospect_contacts", **arguments))

        requests = await sandbox_requests(settings, prospect)

    body = structured(results[0])
    assert body["status"] == "ok", text_of(results[0])
    assert len(asked) == 1
    assert body["credits_charged"] == await charged_total(settings) > 0
    assert requests == 2 * rounds + 1
