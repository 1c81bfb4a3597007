"""A quote is a ceiling: for every metered tool and argument shape, the sandbox never charges more.

Hypothesis generates argument shapes for every metered tool of every toolset (signals typed and
in raw_filters, company extras, page sizes, identifiers and ids, known and unknown) and runs them
through the MCP client against the in-memory sandbox, auto-approved and without budgets. For
each call the sandbox's own charge log (GET /_sandbox/charges) must have grown by no more than
the quote the guard recorded for that call in the ledger. CI runs a fixed, derandomized set.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, get_args

import anyio
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client

from lusha_mcp.guard import Ledger
from lusha_mcp.sandbox import sandbox_app
from lusha_mcp.sandbox.activity import TRACKED_DOMAINS
from lusha_mcp.server import build_server
from lusha_mcp.settings import Settings
from lusha_mcp.tools.companies import CompanyExtra
from lusha_mcp.tools.signals import COMPANY_TYPES, CONTACT_TYPES
from tests.reliability.conftest import FIGURES, LONG_RUN
from tests.server.harness import charged_total, sandbox_control, text_of

JSON = dict[str, Any]
EXAMPLES = 120 if LONG_RUN else 14
"""Examples per tool; CI: 14 x 10 metered tools."""
COUNTRIES = ["US", "GB", "DE", "FR", "IL"]
SIZES = ["1-10", "11-50", "51-200", "201-500", "1001-5000"]
EXTRAS: list[str] = list(get_args(CompanyExtra))


def _picks(settings: Settings) -> dict[str, list[str]]:
    sandbox_app(settings)
    with sqlite3.connect(settings.sandbox_db_path()) as db:
        contacts = [str(r[0]) for r in db.execute("SELECT id FROM contacts ORDER BY seq LIMIT 60")]
        companies = [
            (str(r[0]), str(r[1]))
            for r in db.execute("SELECT id, domain FROM companies ORDER BY seq LIMIT 40")
        ]
    return {
        "contacts": [*contacts, "999999999"],
        "company_ids": [company_id for company_id, _ in companies],
        "domains": [domain for _, domain in companies] + ["no-such-company.example"],
    }


def _subset(values: list[str], *, min_size: int = 0, max_size: int = 5) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(values), min_size=min_size, max_size=max_size, unique=True)


def strategies(picks: dict[str, list[str]]) -> dict[str, st.SearchStrategy[JSON]]:
    contact_ids = _subset(picks["contacts"], min_size=1, max_size=8)
    company_ids = _subset(picks["company_ids"], min_size=1, max_size=6)
    domains = _subset(picks["domains"], min_size=1, max_size=4)
    contact_signals = _subset(["allSignals", *CONTACT_TYPES], min_size=1, max_size=3)
    company_signals = _subset(["allSignals", *COMPANY_TYPES], min_size=1, max_size=4)
    size = st.integers(min_value=10, max_value=100)

    @st.composite
    def prospect_contacts(draw: st.DrawFn) -> JSON:
        args: JSON = {"countries": draw(_subset(COUNTRIES, min_size=1, max_size=3)), "size": draw(size)}
        args["page"] = draw(st.integers(min_value=0, max_value=2))
        how = draw(st.sampled_from(["none", "typed", "raw", "both"]))
        if how in ("typed", "both"):
            args["signals"] = draw(contact_signals)
        if how in ("raw", "both"):
            args["raw_filters"] = {"contacts": {"include": {"signals": {"types": draw(contact_signals)}}}}
        return args

    @st.composite
    def prospect_companies(draw: st.DrawFn) -> JSON:
        args: JSON = {"sizes": draw(_subset(SIZES, min_size=1, max_size=3)), "size": draw(size)}
        how = draw(st.sampled_from(["none", "typed", "raw", "both"]))
        if how in ("typed", "both"):
            args["signals"] = draw(company_signals)
        if how in ("raw", "both"):
            args["raw_filters"] = {"companies": {"include": {"signals": {"types": draw(company_signals)}}}}
        return args

    @st.composite
    def enrich_contacts(draw: st.DrawFn) -> JSON:
        reveal = draw(_subset(["emails", "phones"], min_size=1, max_size=2))
        if draw(st.booleans()):
            return {"reveal": reveal, "ids": draw(contact_ids)}
        return {"reveal": reveal, "contacts": [{"id": i} for i in draw(contact_ids)]}

    @st.composite
    def enrich_companies(draw: st.DrawFn) -> JSON:
        if draw(st.booleans()):
            return {"ids": draw(company_ids), "extras": draw(_subset(EXTRAS, max_size=4))}
        return {"companies": [{"domain": d} for d in draw(domains)]}

    @st.composite
    def get_signals(draw: st.DrawFn) -> JSON:
        entity = draw(st.sampled_from(["contacts", "companies"]))
        ids = draw(contact_ids if entity == "contacts" else company_ids)
        types = draw(contact_signals if entity == "contacts" else company_signals)
        return {"entity": entity, "ids": ids, "signal_types": types, "score": draw(st.booleans())}

    @st.composite
    def find_lookalikes(draw: st.DrawFn) -> JSON:
        entity = draw(st.sampled_from(["contacts", "companies"]))
        if entity == "contacts":
            seeds = draw(_subset(picks["contacts"][:-1], min_size=5, max_size=8))
        else:
            seeds = draw(_subset(picks["domains"][:-1], min_size=1, max_size=4))
        return {"entity": entity, "seeds": seeds, "limit": draw(st.integers(min_value=1, max_value=60))}

    return {
        "search_contacts": contact_ids.map(lambda ids: {"contacts": [{"id": i} for i in ids]}),
        "enrich_contacts": enrich_contacts(),
        "prospect_contacts": prospect_contacts(),
        "search_companies": domains.map(lambda ds: {"companies": [{"domain": d} for d in ds]}),
        "enrich_companies": enrich_companies(),
        "prospect_companies": prospect_companies(),
        "get_signals": get_signals(),
        "find_lookalikes": find_lookalikes(),
        "find_decision_makers": st.fixed_dictionaries(
            {"domains": domains, "contacts_limit": st.integers(min_value=1, max_value=60)}
        ),
        "get_website_visits": st.fixed_dictionaries(
            {
                "domains": _subset(sorted(TRACKED_DOMAINS), min_size=1, max_size=2),
                "size": st.integers(min_value=1, max_value=150),
            }
        ),
    }


def _quoted_since(ledger: Ledger, last_id: int) -> tuple[int, int]:
    rows = [row for row in ledger.entries() if row.id > last_id]
    return sum(row.quote for row in rows), max((row.id for row in rows), default=last_id)


UNLISTED = [
    "websiteVisits",
    "signal_score_contact_reveal",
    "signal_score_company_reveal",
    "revealCompetitors",
    "buyingGroupContact",
    "lookalikeCompany",
]
"""Actions a plan's pricebook may not list: their calls are quoted at the "price unknown" ceiling."""


@pytest.mark.parametrize("unlisted", [[], UNLISTED], ids=["full pricebook", "actions unlisted"])
def test_no_metered_call_is_charged_more_than_its_quote(
    sandbox_settings: Settings, unlisted: list[str]
) -> None:
    server_settings = sandbox_settings.model_copy(
        update={
            "sandbox_rate_limits": False,
            "requests_per_second": 10_000.0,
            "auto_approve": True,
            "sandbox_credits": 50_000_000,
        }
    )
    plans = strategies(_picks(server_settings))
    if unlisted:
        anyio.run(sandbox_control, server_settings, "POST", "/_sandbox/pricing", {"unlisted": unlisted})
    calls = over = paid = 0
    errors: dict[str, int] = {}
    over_quotes: list[str] = []
    portal: BlockingPortal
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(Client(build_server(server_settings))) as client,
    ):
        metered = {
            tool.name for tool in portal.call(client.list_tools).tools if (tool.meta or {}).get("metered")
        }
        assert metered == set(plans), f"metered tools without a strategy: {metered ^ set(plans)}"
        ledger = Ledger(server_settings.data_dir)
        last_id = 0
        try:
            for name, strategy in sorted(plans.items()):

                def call_once(arguments: JSON, name: str = name) -> None:
                    nonlocal calls, over, paid, last_id
                    before = portal.call(charged_total, server_settings)
                    result = portal.call(client.call_tool, name, arguments)
                    charged = portal.call(charged_total, server_settings) - before
                    quoted, last_id = _quoted_since(ledger, last_id)
                    calls += 1
                    paid += charged > 0
                    if charged > quoted:
                        over += 1
                        over_quotes.append(f"{name}({arguments}): quoted {quoted}, charged {charged}")
                    if result.is_error:
                        errors[name] = errors.get(name, 0) + 1
                        return
                    content: JSON = result.structured_content or {}
                    quote: JSON = content.get("quote") or {}
                    shown = quote.get("total_credits", 0)
                    assert shown == quoted or content.get("status") == "cached", (name, text_of(result))

                _examples(call_once, strategy)
        finally:
            ledger.close()
    FIGURES["quote ceiling: calls"] += calls
    FIGURES["quote ceiling: over-quotes"] += over
    FIGURES["quote ceiling: calls that were charged"] += paid
    print(f"quote ceiling: {calls} calls, {over} over-quotes ({paid} charged, tool errors: {errors})")
    assert not over_quotes, "\n".join(over_quotes[:10])
    # Not a vacuous pass: most generated calls really ran and were billed.
    assert calls >= EXAMPLES * len(plans) // 2
    assert paid >= calls // 2, f"only {paid} of {calls} calls were charged anything"


def _examples(check: Callable[[JSON], None], strategy: st.SearchStrategy[JSON]) -> None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=not LONG_RUN,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(arguments=strategy)
    def run(arguments: JSON) -> None:
        check(arguments)

    run()
