"""What the model reads: the text content of tool results, through the MCP client.

Claude's clients give the model a result's text; structured content is for programs. These tests
hold the text to the structured content: nothing paid for cut, every row shown, the ids of the
next step present, unknown arguments refused by name.
"""

from __future__ import annotations

import sqlite3
from typing import Any, cast

import pytest
from mcp import Client

from lusha_mcp.sandbox import sandbox_app
from lusha_mcp.server import build_server
from lusha_mcp.settings import Settings, Toolset
from tests.server.harness import call, charged_total, structured, text_of

pytestmark = pytest.mark.anyio


def dataset_ids(settings: Settings, query: str, *params: object) -> list[str]:
    sandbox_app(settings)
    with sqlite3.connect(settings.sandbox_db_path()) as db:
        return [str(row[0]) for row in db.execute(query, params).fetchall()]


def misspelt(name: str, valid: list[str]) -> str:
    """A plausible typo of `name` that is not itself a valid argument."""
    for candidate in (name + "s", name[:-1], name + "_x"):
        if candidate not in valid:
            return candidate
    raise AssertionError(name)


def is_negative(kind: str) -> bool:
    """Decreases and risk news warn a seller off (an oracle independent of the server's table)."""
    return "Decrease" in kind or kind == "riskNews"


def line_with(text: str, *parts: str) -> str | None:
    return next((line for line in text.splitlines() if all(part in line for part in parts)), None)


async def test_a_misspelt_argument_is_refused_naming_the_right_one_for_every_tool(
    sandbox_settings: Settings,
) -> None:
    settings = sandbox_settings.model_copy(update={"toolsets": list(Toolset)})
    async with Client(build_server(settings)) as client:
        tools = (await client.list_tools()).tools
        assert len(tools) >= 19
        checked = 0
        for tool in tools:
            assert tool.input_schema.get("additionalProperties") is False, tool.name
            valid = list(cast(dict[str, Any], tool.input_schema.get("properties", {})))
            if not valid:
                refused = await call(client, tool.name, verbose=True)
                assert refused.is_error, tool.name
                assert "'verbose'" in text_of(refused)
                assert "takes no arguments" in text_of(refused)
                continue
            for name in valid:
                typo = misspelt(name, valid)
                refused = await call(client, tool.name, **{typo: "x"})
                assert refused.is_error, f"{tool.name}({typo}=...) was not refused"
                text = text_of(refused)
                assert f"'{typo}'" in text, text
                assert f"did you mean {name}?" in text, f"{tool.name}: {typo} -> {text}"
                assert all(other in text for other in valid), text
                checked += 1
        prospect = await call(client, "prospect_contacts", countries=["US"], page_size=100)
    assert checked > 60
    assert prospect.is_error
    assert "'page_size'" in text_of(prospect)
    assert "did you mean size?" in text_of(prospect)
    assert await charged_total(settings) == 0


async def test_every_email_and_phone_of_a_bulk_enrich_is_whole_in_the_text_also_from_the_cache(
    sandbox_settings: Settings,
) -> None:
    base = "SELECT id FROM contacts WHERE gdpr_blocked = 0 AND emails != '[]'"
    multiple = dataset_ids(sandbox_settings, base + " AND json_array_length(emails) >= 2 LIMIT 40")
    longest = dataset_ids(
        sandbox_settings, base + " ORDER BY length(json_extract(emails, '$[0].email')) DESC LIMIT 30"
    )
    phones = dataset_ids(sandbox_settings, base + " AND json_array_length(phones) >= 2 ORDER BY id LIMIT 50")
    ids = list(dict.fromkeys([*multiple, *longest, *phones]))
    assert len(ids) >= 100
    assert len(multiple) == 40
    settings = sandbox_settings.model_copy(update={"auto_approve": True})
    async with Client(build_server(settings)) as client:
        paid = await call(client, "enrich_contacts", ids=ids, reveal=["emails", "phones"])
        cached = await call(client, "enrich_contacts", ids=ids, reveal=["emails", "phones"])

    assert structured(paid)["status"] == "ok"
    assert structured(cached)["status"] == "cached"
    for result in (paid, cached):
        text = text_of(result)
        contacts = cast(list[dict[str, Any]], structured(result)["contacts"])
        assert {contact["id"] for contact in contacts} == set(ids)
        emails = [email for contact in contacts for email in contact.get("emails", [])]
        assert max(len(email["email"]) for email in emails) > 48
        assert sum(1 for contact in contacts if len(contact.get("emails", [])) >= 2) >= 40
        assert "…" not in text
        for contact in contacts:
            row = line_with(text, f"| {contact['id']} |")
            assert row is not None, contact["id"]
            assert contact["company_id"] in row
            assert contact["domain"] in row
            for email in contact.get("emails", []):
                assert f"{email['email']} ({email['type']}" in row, (email, row)
            for phone in contact.get("phones", []):
                assert f"{phone['number']} ({phone['type']}" in row, (phone, row)


async def test_every_row_of_a_100_row_prospecting_page_is_in_the_text_with_its_company_id(
    sandbox_settings: Settings,
) -> None:
    async with Client(build_server(sandbox_settings)) as client:
        page = await call(client, "prospect_contacts", departments=["Sales"], size=100)

    text = text_of(page)
    contacts = cast(list[dict[str, Any]], structured(page)["contacts"])
    assert len(contacts) == 100
    for contact in contacts:
        row = line_with(text, f"| {contact['id']} |")
        assert row is not None, contact["id"]
        assert f"| {contact['company_id']} | {contact['domain']} |" in row
    assert "next: page=1" in text


async def test_the_industry_lookup_lists_every_sub_industry_under_its_parent(
    sandbox_settings: Settings,
) -> None:
    async with Client(build_server(sandbox_settings)) as client:
        listed = await call(client, "list_filter_values", scope="companies", filter_type="industriesLabels")
        wrong = await call(client, "prospect_companies", industries=["Sofware Development"])

    text = text_of(listed)
    industries = cast(list[dict[str, Any]], structured(listed)["values"])
    subs = [sub for industry in industries for sub in industry.get("subIndustries", [])]
    assert subs
    for industry in industries:
        for sub in industry.get("subIndustries", []):
            assert line_with(text, f"- {industry['value']} (", f"{sub['value']} ({sub['id']})"), sub
    assert wrong.is_error
    assert "Software Development (in " in text_of(wrong)


async def test_signal_results_mark_each_type_and_explain_missing_scores(sandbox_settings: Settings) -> None:
    companies = dataset_ids(
        sandbox_settings,
        "SELECT company_id FROM company_signals WHERE signal_type LIKE 'headcountDecrease%' "
        "AND signal_date >= date('now', '-150 days') GROUP BY company_id ORDER BY company_id LIMIT 5",
    )
    assert len(companies) == 5
    unknown = "999999999999"
    settings = sandbox_settings.model_copy(update={"auto_approve": True})
    async with Client(build_server(settings)) as client:
        events = await call(client, "get_signals", entity="companies", ids=companies)
        scores = await call(client, "get_signals", entity="companies", ids=[*companies, unknown], score=True)
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}

    assert "counts negative types too" in (listed["get_signals"].description or "")
    event_text = text_of(events)
    marked = [
        (entry["id"], event["type"], event["polarity"])
        for entry in structured(events)["results"]
        for event in entry["events"]
    ]
    assert any(polarity == "negative" for _, _, polarity in marked)
    assert all((polarity == "negative") == is_negative(kind) for _, kind, polarity in marked)
    assert any(polarity == "positive" for _, _, polarity in marked)
    sign = {"positive": "+", "negative": "-", "neutral": "~"}
    for entity_id, kind, polarity in marked:
        assert line_with(event_text, f"| {entity_id} |", f"| {sign[polarity]} | {kind} |"), kind

    score_text = text_of(scores)
    assert "0-1" in score_text
    assert "negative types" in score_text
    results = cast(list[dict[str, Any]], structured(scores)["results"])
    for entry in results:
        if "error" in entry:
            line = line_with(score_text, entry["error"], entry["id"])
            assert line is not None, entry
            assert "(" in line, entry
            continue
        row = line_with(score_text, f"| {entry['id']} |")
        assert row is not None
        negative = [kind for kind in entry.get("active_types", []) if is_negative(kind)]
        for kind in entry.get("active_types", []):
            assert f"-{kind}" in row if kind in negative else (f"+{kind}" in row or f"~{kind}" in row), row
        assert entry["negative"] == len(negative)
    assert any(entry.get("error") == "NOT_FOUND" and entry["id"] == unknown for entry in results)
    assert "Lusha could not resolve the id" in score_text


async def test_account_usage_lists_the_spend_of_each_tool(sandbox_settings: Settings) -> None:
    settings = sandbox_settings.model_copy(update={"auto_approve": True})
    async with Client(build_server(settings)) as client:
        page = structured(await call(client, "prospect_contacts", departments=["Sales"], size=10))
        ids = [contact["id"] for contact in page["contacts"] if "emails" in contact.get("can_reveal", {})][:2]
        revealed = structured(await call(client, "enrich_contacts", ids=ids, reveal=["emails"]))
        usage = await call(client, "get_account_usage")

    spent = structured(usage)["spent_by_tool"]
    assert spent["prospect_contacts"] == {
        "session": page["credits_charged"],
        "today": page["credits_charged"],
    }
    assert spent["enrich_contacts"]["session"] == revealed["credits_charged"] > 0
    assert f"prospect_contacts {page['credits_charged']}/{page['credits_charged']}" in text_of(usage), (
        text_of(usage)
    )
    assert sum(entry["session"] for entry in spent.values()) == await charged_total(settings)
    since = structured(usage)["charged_since_snapshot"]
    assert since > 0
    # One plain sentence: Lusha's (older) figures, with this server's later spend already subtracted.
    assert f"already subtracts the {since} credits this server spent since" in text_of(usage), text_of(usage)


async def test_decision_makers_name_the_companies_that_had_nobody(sandbox_settings: Settings) -> None:
    smallest = dataset_ids(
        sandbox_settings,
        "SELECT c.domain FROM companies c JOIN contacts k ON k.company_id = c.id "
        "GROUP BY c.id ORDER BY COUNT(k.id), c.id LIMIT 6",
    )
    largest = dataset_ids(
        sandbox_settings,
        "SELECT c.domain FROM companies c JOIN contacts k ON k.company_id = c.id "
        "GROUP BY c.id ORDER BY COUNT(k.id) DESC, c.id LIMIT 2",
    )
    settings = sandbox_settings.model_copy(update={"auto_approve": True})
    async with Client(build_server(settings)) as client:
        found = await call(
            client, "find_decision_makers", domains=[*smallest, *largest], personas=["decision_maker"]
        )

    text = text_of(found)
    groups = cast(list[dict[str, Any]], structured(found)["companies"])
    nobody = [group["company"] for group in groups if not group.get("contacts") and "error" not in group]
    somebody = [group for group in groups if group.get("contacts")]
    assert nobody
    assert somebody
    line = line_with(text, "Nobody found")
    assert line is not None
    assert all(domain in line for domain in nobody)
    assert not any(group["company"] in line for group in somebody)
    for group in somebody:
        for contact in group["contacts"]:
            assert line_with(text, f"| {group['company_id']} | {contact['id']} |"), contact
