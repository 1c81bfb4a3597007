"""The GTM workflow prompts, through the MCP client and the prompt-file format."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from importlib.resources.abc import Traversable

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, TextContent

from lusha_mcp.prompts import (
    FILTER_TYPES,
    PromptFileError,
    PromptSpec,
    completion_source,
    load_prompt_specs,
    parse_prompt_file,
    prompt_files,
    register_prompts,
)

SPECS = load_prompt_specs()
SPEC_IDS = [spec.name for spec in SPECS]

TOOLS = {
    "search_contacts",
    "enrich_contacts",
    "search_companies",
    "enrich_companies",
    "list_filter_values",
    "prospect_contacts",
    "prospect_companies",
    "get_account_usage",
    "get_signals",
    "find_lookalikes",
    "find_decision_makers",
    "get_website_visits",
    "list_tables",
    "manage_table",
    "edit_table_rows",
    "read_table",
    "run_table_column",
}
TOOL_LIKE = re.compile(r"\b(?:search|enrich|list|prospect|get|find|manage|edit|read|run)_[a-z_]+\b")

WORKFLOWS = {
    "icp_prospecting",
    "account_research",
    "decision_makers",
    "signal_outreach",
    "lookalike_expansion",
    "website_visitor_followup",
    "enrich_within_budget",
    "build_and_fill_list",
}


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    server = MCPServer("t")
    register_prompts(server)
    async with Client(server) as connected:
        yield connected


def sample_value(spec: PromptSpec, name: str) -> str:
    index, argument = next((i, a) for i, a in enumerate(spec.arguments) if a.name == name)
    return str(9100 + index) if argument.type == "integer" else f"value-of-{name}"


def rendered_text(result_messages: list[TextContent]) -> str:
    return "\n".join(content.text for content in result_messages)


async def render(client: Client, name: str, arguments: dict[str, str]) -> str:
    result = await client.get_prompt(name, arguments)
    contents = [message.content for message in result.messages]
    assert all(isinstance(content, TextContent) for content in contents)
    return rendered_text([content for content in contents if isinstance(content, TextContent)])


def test_the_gtm_workflows_are_all_shipped() -> None:
    assert set(SPEC_IDS) >= WORKFLOWS


@pytest.mark.anyio
async def test_every_prompt_is_listed_with_its_arguments(client: Client) -> None:
    listed = {prompt.name: prompt for prompt in (await client.list_prompts()).prompts}

    assert set(listed) == set(SPEC_IDS)
    for spec in SPECS:
        prompt = listed[spec.name]
        assert prompt.title == spec.title
        assert prompt.description == spec.description
        assert [(a.name, a.description, a.required) for a in prompt.arguments or []] == [
            (a.name, a.description, a.required) for a in spec.arguments
        ]
        assert any(argument.required for argument in spec.arguments)


@pytest.mark.anyio
@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
async def test_every_prompt_renders_with_all_its_arguments(client: Client, spec: PromptSpec) -> None:
    arguments = {argument.name: sample_value(spec, argument.name) for argument in spec.arguments}

    text = await render(client, spec.name, arguments)

    for argument in spec.arguments:
        assert arguments[argument.name] in text
        assert f"{{{argument.name}}}" not in text


@pytest.mark.anyio
@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
async def test_optional_arguments_fall_back_to_their_defaults(client: Client, spec: PromptSpec) -> None:
    required = {a.name: sample_value(spec, a.name) for a in spec.arguments if a.required}

    text = await render(client, spec.name, required)

    for argument in spec.arguments:
        assert f"{{{argument.name}}}" not in text
        if argument.default is not None:
            assert argument.default in text


@pytest.mark.anyio
@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
async def test_a_missing_required_argument_is_refused_naming_it(client: Client, spec: PromptSpec) -> None:
    first_required = next(argument for argument in spec.arguments if argument.required)
    arguments = {
        a.name: sample_value(spec, a.name) for a in spec.arguments if a.required and a is not first_required
    }

    with pytest.raises(MCPError) as refused:
        await client.get_prompt(spec.name, arguments)

    assert refused.value.code == INVALID_PARAMS
    assert f"needs a value for {first_required.name!r}" in refused.value.message
    assert first_required.description in refused.value.message


@pytest.mark.anyio
async def test_a_blank_required_argument_counts_as_missing(client: Client) -> None:
    with pytest.raises(MCPError, match="needs a value for 'company'"):
        await client.get_prompt("account_research", {"company": "   "})


@pytest.mark.anyio
async def test_an_unknown_argument_is_refused_listing_the_accepted_ones(client: Client) -> None:
    with pytest.raises(MCPError) as refused:
        await client.get_prompt("account_research", {"company": "acme.com", "compnay": "acme.com"})

    assert refused.value.code == INVALID_PARAMS
    assert "no argument 'compnay'" in refused.value.message
    assert "it takes: company, product" in refused.value.message


@pytest.mark.anyio
async def test_a_non_numeric_integer_argument_is_refused(client: Client) -> None:
    with pytest.raises(MCPError, match="'budget' must be a whole number"):
        await client.get_prompt("enrich_within_budget", {"contacts": "Jane Doe, Acme", "budget": "lots"})


@pytest.mark.anyio
async def test_argument_values_are_inserted_verbatim_even_with_braces(client: Client) -> None:
    text = await render(client, "account_research", {"company": "{product} {x}", "product": "CRM"})

    assert "Research the account {product} {x} for outreach" in text


@pytest.mark.parametrize("path", prompt_files(), ids=lambda path: path.name)
def test_every_prompt_file_has_valid_front_matter(path: Traversable) -> None:
    spec = parse_prompt_file(path.read_text(encoding="utf-8"), source=path.name)

    assert spec.name == path.name.removesuffix(".md")
    assert spec.title
    assert len(spec.description) <= 200
    assert all(argument.description for argument in spec.arguments)


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_every_workflow_resolves_filters_quotes_costs_and_asks_before_revealing(spec: PromptSpec) -> None:
    assert "list_filter_values" in spec.body
    assert "quote" in spec.body.lower()
    assert "before revealing" in spec.body.lower()


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_prompts_name_only_tools_the_server_has(spec: PromptSpec) -> None:
    assert set(TOOL_LIKE.findall(spec.body)) <= TOOLS


def test_completion_source_names_the_filter_behind_an_argument() -> None:
    assert completion_source("lookalike_expansion", "industries") == ("companies", "industriesLabels")
    assert completion_source("decision_makers", "departments") == ("contacts", "departments")
    assert completion_source("decision_makers", "accounts") is None
    assert completion_source("no_such_prompt", "accounts") is None
    for spec in SPECS:
        for argument in spec.arguments:
            source = completion_source(spec.name, argument.name)
            if source is not None:
                entity, filter_type = source
                assert filter_type in FILTER_TYPES[entity]


def test_unknown_braces_in_a_body_are_left_alone() -> None:
    spec = parse_prompt_file(
        "---\nname: demo\ntitle: Demo\ndescription: d\narguments:\n"
        "  - name: who\n    description: w\n    required: true\n---\n"
        'Find {who}; send {"filters": {}} and {Upper} and { who } unchanged.\n',
        source="demo.md",
    )

    assert spec.render({"who": "CFOs"}) == (
        'Find CFOs; send {"filters": {}} and {Upper} and { who } unchanged.\n'
    )


GOOD_ARGUMENT = "  - name: who\n    description: w\n    required: true\n"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("name: demo\nbody without front matter\n", "must start with '---'"),
        ("---\nname: [demo\n---\nbody {who}\n", "not valid YAML"),
        ("---\n- a list\n---\nbody\n", "must be a mapping"),
        (
            f"---\nname: demo\ntitle: D\ndescription: d\narguments:\n{GOOD_ARGUMENT}---\nno placeholder\n",
            "never used",
        ),
        ("---\nname: demo\ntitle: D\ndescription: d\n---\nuses {who}\n", "not declared arguments: {who}"),
        (
            "---\nname: demo\ntitle: D\ndescription: d\narguments:\n"
            "  - name: who\n    description: w\n    required: false\n---\n{who}\n",
            "needs a default",
        ),
        (
            "---\nname: demo\ntitle: D\ndescription: d\narguments:\n"
            "  - name: who\n    description: w\n    required: true\n    default: x\n---\n{who}\n",
            "must not have a default",
        ),
        (
            "---\nname: demo\ntitle: D\ndescription: d\narguments:\n"
            "  - name: who\n    description: w\n    required: true\n    complete: contacts:industries\n---\n{who}\n",
            "'industries' is not a contacts filter type",
        ),
        (
            "---\nname: demo\ntitle: D\ndescription: d\narguments:\n"
            "  - name: who\n    description: w\n    required: false\n    type: integer\n    default: many\n"
            "---\n{who}\n",
            "must be a whole number",
        ),
        (
            f"---\nname: other\ntitle: D\ndescription: d\narguments:\n{GOOD_ARGUMENT}---\n{{who}}\n",
            "file name",
        ),
        (
            f"---\nname: demo\ndescription: d\narguments:\n{GOOD_ARGUMENT}---\n{{who}}\n",
            "title: Field required",
        ),
        (
            f"---\nname: demo\ntitle: D\ndescription: d\ncolor: red\narguments:\n{GOOD_ARGUMENT}---\n{{who}}\n",
            "color",
        ),
    ],
    ids=[
        "no-front-matter",
        "bad-yaml",
        "not-a-mapping",
        "unused-argument",
        "undeclared-placeholder",
        "optional-without-default",
        "required-with-default",
        "unknown-filter-type",
        "non-numeric-integer-default",
        "name-differs-from-file",
        "missing-title",
        "unknown-key",
    ],
)
def test_malformed_prompt_files_are_rejected_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(PromptFileError) as rejected:
        parse_prompt_file(text, source="demo.md")

    assert str(rejected.value).startswith("demo.md: ")
    assert reason in str(rejected.value)
