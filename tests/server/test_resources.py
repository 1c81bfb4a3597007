"""Resources, resource templates, completions and prompts through the real server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import PromptReference, ResourceTemplateReference, TextContent, TextResourceContents

from lusha_mcp.prompts import load_prompt_specs
from lusha_mcp.server import build_server
from lusha_mcp.settings import Settings
from tests.server.harness import call, charged_total, structured

pytestmark = pytest.mark.anyio

FILTER_VALUES_TEMPLATE = "lusha://filters/{entity}/{filter_type}{?query}"
STATIC = {
    "lusha://filters/contacts",
    "lusha://filters/companies",
    "lusha://filters/company_signals",
    "lusha://account/usage",
    "lusha://ledger/session",
}


async def read_json(client: Client, uri: str) -> dict[str, Any]:
    result = await client.read_resource(uri)
    content = result.contents[0]
    assert isinstance(content, TextResourceContents)
    assert content.mime_type == "application/json"
    return json.loads(content.text)


async def test_static_resources_and_templates_are_listed(sandbox_settings: Settings) -> None:
    async with Client(build_server(sandbox_settings)) as client:
        resources = {str(resource.uri) for resource in (await client.list_resources()).resources}
        templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}

    assert resources == STATIC
    assert templates == {FILTER_VALUES_TEMPLATE, "lusha://signals/types/{entity}"}


async def test_filter_catalogues_read_types_and_values_for_free(sandbox_settings: Settings) -> None:
    async with Client(build_server(sandbox_settings)) as client:
        types = await read_json(client, "lusha://filters/contacts")
        seniority = await read_json(client, "lusha://filters/contacts/seniority")
        technologies = await read_json(client, "lusha://filters/companies/technologies?query=sa")
        signal_filters = await read_json(client, "lusha://filters/company_signals")
        company_signals = await read_json(client, "lusha://signals/types/companies")

    assert "seniority" in {entry["filterType"] for entry in types["filterTypes"]}
    assert "Vice President" in {entry["value"] for entry in seniority["values"]}
    assert technologies["values"]
    assert all("sa" in value.lower() for value in technologies["values"])
    assert "newsEventTypes" in {entry["filterType"] for entry in signal_filters["filterTypes"]}
    assert "riskNews" in company_signals["signalTypes"]
    assert await charged_total(sandbox_settings) == 0


async def test_a_filter_that_needs_a_query_or_an_unknown_type_is_refused_with_what_to_send(
    sandbox_settings: Settings,
) -> None:
    async with Client(build_server(sandbox_settings)) as client:
        with pytest.raises(MCPError, match=r"query=<text>"):
            await client.read_resource("lusha://filters/companies/locations")
        with pytest.raises(MCPError, match=r"use one of: .*seniority"):
            await client.read_resource("lusha://filters/contacts/colours")


async def test_account_usage_and_the_session_ledger_show_this_servers_spend(
    sandbox_settings: Settings,
) -> None:
    settings = sandbox_settings.model_copy(update={"auto_approve": True, "session_budget": 500})
    async with Client(build_server(settings)) as client:
        before = await read_json(client, "lusha://ledger/session")
        domains = ["lusha.com"]
        visits = structured(await call(client, "get_website_visits", domains=domains, size=5))
        found = structured(
            await call(
                client,
                "find_decision_makers",
                company_ids=[visits["companies"][0]["id"]],
                contacts_limit=2,
            )
        )
        ledger = await read_json(client, "lusha://ledger/session")
        usage = await read_json(client, "lusha://account/usage")

    assert before["calls"] == []
    assert [entry["tool"] for entry in ledger["calls"]] == ["get_website_visits", "find_decision_makers"]
    assert ledger["charged"] == found["credits_charged"] == await charged_total(settings)
    assert usage["server"]["spent_session"] == ledger["charged"]
    assert usage["server"]["session"] == 500 - ledger["charged"]
    assert "pricing" in usage["lusha"]
    assert "api_key" not in json.dumps(usage)


async def test_prompt_arguments_complete_with_matching_filter_values(sandbox_settings: Settings) -> None:
    async with Client(build_server(sandbox_settings)) as client:
        seniority = await client.complete(
            PromptReference(type="ref/prompt", name="decision_makers"), {"name": "seniority", "value": "vi"}
        )
        departments = await client.complete(
            PromptReference(type="ref/prompt", name="decision_makers"), {"name": "departments", "value": ""}
        )
        free_text = await client.complete(
            PromptReference(type="ref/prompt", name="account_research"), {"name": "company", "value": "ac"}
        )

    assert seniority.completion.values == ["Vice President"]
    assert "Sales" in departments.completion.values
    assert len(departments.completion.values) <= 100
    assert free_text.completion.values == []


async def test_template_arguments_complete_entities_types_and_values(sandbox_settings: Settings) -> None:
    template = ResourceTemplateReference(type="ref/resource", uri=FILTER_VALUES_TEMPLATE)
    async with Client(build_server(sandbox_settings)) as client:
        entities = await client.complete(template, {"name": "entity", "value": "comp"})
        types = await client.complete(
            template, {"name": "filter_type", "value": "se"}, context_arguments={"entity": "contacts"}
        )
        values = await client.complete(
            template,
            {"name": "query", "value": "sal"},
            context_arguments={"entity": "companies", "filter_type": "technologies"},
        )
        signal_entities = await client.complete(
            ResourceTemplateReference(type="ref/resource", uri="lusha://signals/types/{entity}"),
            {"name": "entity", "value": ""},
        )

    assert entities.completion.values == ["companies", "company_signals"]
    assert types.completion.values == ["seniority"]
    assert values.completion.values
    assert all("sal" in value.lower() for value in values.completion.values)
    assert signal_entities.completion.values == ["contacts", "companies"]


@pytest.mark.parametrize("spec", load_prompt_specs(), ids=lambda spec: spec.name)
async def test_every_prompt_renders_through_the_real_server(sandbox_settings: Settings, spec: Any) -> None:
    arguments = {
        argument.name: "3" if argument.type == "integer" else f"sample {argument.name}"
        for argument in spec.arguments
        if argument.required
    }
    async with Client(build_server(sandbox_settings)) as client:
        result = await client.get_prompt(spec.name, arguments)

    texts = [m.content.text for m in result.messages if isinstance(m.content, TextContent)]
    assert texts
    for value in arguments.values():
        assert any(value in text for text in texts)
