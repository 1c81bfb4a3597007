"""Bad input: every listed tool is fuzzed with arguments generated from its own input schema.

Valid arguments come from hypothesis-jsonschema; invalid ones mutate valid ones (wrong types,
missing required fields, unknown fields, huge lists and strings, unicode, injection-looking
strings, out-of-range numbers). Every call must end in a result that matches the tool's
output schema, or in a tool error with a readable message: never a protocol error, a masked
crash ("Error executing tool X" with nothing after it), a traceback or an internal path; and
the server keeps answering afterwards. CI runs a fixed, derandomized set of examples.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from typing import Any, cast

import httpx
import hypothesis_jsonschema
import jsonschema
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp_types import CallToolResult, TextContent, Tool

from lusha_mcp.server import build_server
from lusha_mcp.settings import Settings
from tests.reliability.conftest import FIGURES, LONG_RUN

JSON = dict[str, Any]
ArgumentStrategy = Callable[[Tool], st.SearchStrategy[JSON]]

NASTY_STRINGS = [
    "",
    " ",
    "'; DROP TABLE contacts; --",
    '" OR 1=1 --',
    "{{7*7}}",
    "${jndi:ldap://127.0.0.1/x}",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "%s%s%n",
    "\x00\x01\x1b[31m",
    "\u202eevil\u200b",
    "Zoë Ñúñez 李小龙 محمد 😀 𝕏",
    "a" * 20_000,
    "null",
    "\\",
]
HUGE_LIST = 1_500
HEALTH_CHECKS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
WRONG_VALUES: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(NASTY_STRINGS),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
OUT_OF_RANGE = [-1, -(2**31), 10**12, 2**63, 0, 1.5, -0.0]
LEAK = re.compile(r"Traceback|File \"|\.py\", line|site-packages|/lusha_mcp/|/work/")

EXAMPLES_VALID = 400 if LONG_RUN else 60
EXAMPLES_INVALID = 600 if LONG_RUN else 100
EXAMPLES_NO_SPEND = 150 if LONG_RUN else 25


def fuzz_settings(settings: Settings, **changes: Any) -> Settings:
    """Sandbox without its rate limits or our pacing, so thousands of calls stay quick."""
    return settings.model_copy(
        update={"sandbox_rate_limits": False, "requests_per_second": 10_000.0, "max_retries": 1, **changes}
    )


def valid_arguments(tool: Tool) -> st.SearchStrategy[JSON]:
    return cast(
        st.SearchStrategy[JSON],
        hypothesis_jsonschema.from_schema(tool.input_schema),  # pyright: ignore[reportUnknownMemberType]
    )


def _properties(tool: Tool) -> list[str]:
    return sorted(cast(dict[str, Any], tool.input_schema.get("properties", {})))


def _strings_in(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in cast(dict[str, Any], value).items():
            yield from _strings_in(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(cast(list[Any], value)):
            yield from _strings_in(item, (*path, index))


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        copy = dict(cast(dict[str, Any], value))
        copy[head] = _replaced(copy[head], rest, new)
        return copy
    items = list(cast(list[Any], value))
    items[head] = _replaced(items[head], rest, new)
    return items


def invalid_arguments(tool: Tool) -> st.SearchStrategy[JSON]:
    """Valid arguments with one thing broken."""
    names = _properties(tool)
    required = sorted(cast(list[str], tool.input_schema.get("required", [])))

    @st.composite
    def broken(draw: st.DrawFn) -> JSON:
        arguments = dict(draw(valid_arguments(tool)))
        kinds = ["unknown_field", "nasty_string", "huge_list", "huge_string"]
        if names:
            kinds += ["wrong_type", "out_of_range"]
        if required:
            kinds.append("drop_required")
        kind = draw(st.sampled_from(kinds))
        if kind == "wrong_type":
            arguments[draw(st.sampled_from(names))] = draw(WRONG_VALUES)
        elif kind == "out_of_range":
            arguments[draw(st.sampled_from(names))] = draw(st.sampled_from(OUT_OF_RANGE))
        elif kind == "drop_required":
            arguments.pop(draw(st.sampled_from(required)), None)
        elif kind == "unknown_field":
            arguments[draw(st.sampled_from(["api_key", "__proto__", "extra", "ids "]))] = draw(WRONG_VALUES)
        elif kind == "huge_list":
            target = draw(st.sampled_from(names)) if names else "items"
            arguments[target] = [draw(st.sampled_from(NASTY_STRINGS[:12]))] * HUGE_LIST
        else:
            paths = list(_strings_in(arguments))
            new = "x" * 60_000 if kind == "huge_string" else draw(st.sampled_from(NASTY_STRINGS))
            if paths:
                arguments = cast(JSON, _replaced(arguments, draw(st.sampled_from(paths)), new))
            elif names:
                arguments[draw(st.sampled_from(names))] = new
        return arguments

    return broken()


def text_of(result: CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if isinstance(block, TextContent))


def check_result(
    tool: Tool, arguments: JSON, result: CallToolResult, crashes: list[logging.LogRecord]
) -> None:
    text = text_of(result)
    assert not crashes, f"{tool.name} crashed on {arguments!r}: {crashes[0].getMessage()}"
    assert not LEAK.search(text), f"{tool.name} leaked internals: {text[:500]}"
    if result.is_error:
        assert text.strip(), f"{tool.name}: empty error for {arguments!r}"
        assert text.strip() != f"Error executing tool {tool.name}", (
            f"{tool.name}: masked crash on {arguments!r}"
        )
        return
    assert result.structured_content is not None, f"{tool.name}: no structured content"
    if tool.output_schema is not None:
        jsonschema.validate(result.structured_content, tool.output_schema)


class CrashLog(logging.Handler):
    """Collects what the SDK logs when a tool raises an unexpected exception."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def crash_log() -> Generator[CrashLog]:
    handler = CrashLog()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def run_examples(check: Callable[[JSON], None], strategy: st.SearchStrategy[JSON], examples: int) -> None:
    """Hypothesis over `check`: a fixed derandomized set in CI, random and larger when LUSHA_LONG=1."""

    @settings(
        max_examples=examples,
        derandomize=not LONG_RUN,
        database=None,
        deadline=None,
        suppress_health_check=HEALTH_CHECKS,
    )
    @given(arguments=strategy)
    def run(arguments: JSON) -> None:
        check(arguments)

    run()


ResultCheck = Callable[[Tool, JSON, CallToolResult], None]


def fuzz_every_tool(
    server_settings: Settings,
    strategy: ArgumentStrategy,
    examples: int,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    also_check: ResultCheck | None = None,
) -> int:
    """Call every listed tool `examples` times through one server; returns the number of calls."""
    calls = 0
    server = build_server(server_settings, transport=transport)
    portal: BlockingPortal
    with (
        crash_log() as crashes,
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(Client(server)) as client,
    ):
        tools = list(portal.call(client.list_tools).tools)
        assert tools, "the server lists no tools"
        for tool in tools:

            def call_once(arguments: JSON, tool: Tool = tool) -> None:
                nonlocal calls
                crashes.records.clear()
                result = portal.call(client.call_tool, tool.name, arguments)
                calls += 1
                check_result(tool, arguments, result, crashes.records)
                if also_check is not None:
                    also_check(tool, arguments, result)

            run_examples(call_once, strategy(tool), examples)
            assert portal.call(client.list_tools).tools, "the server stopped answering"
        assert [t.name for t in portal.call(client.list_tools).tools] == [t.name for t in tools]
    return calls


@pytest.mark.slow  # minutes of fuzzing: CI (CI=true) and LUSHA_LONG=1 runs
def test_every_tool_answers_schema_valid_arguments_with_a_result_or_a_clean_error(
    sandbox_settings: Settings,
) -> None:
    """Metered tools really run (auto-approved, inside a budget), so the API paths are fuzzed too."""
    calls = fuzz_every_tool(
        fuzz_settings(sandbox_settings, auto_approve=True, session_budget=5_000, max_credits_per_call=300),
        valid_arguments,
        EXAMPLES_VALID,
    )
    FIGURES["tool calls fuzzed"] += calls
    assert calls > 0


@pytest.mark.slow  # minutes of fuzzing: CI (CI=true) and LUSHA_LONG=1 runs
def test_every_tool_refuses_broken_arguments_with_a_clear_error(sandbox_settings: Settings) -> None:
    """Wrong types, missing fields, huge lists, unicode and injection strings: clean errors only."""
    calls = fuzz_every_tool(fuzz_settings(sandbox_settings), invalid_arguments, EXAMPLES_INVALID)
    FIGURES["tool calls fuzzed"] += calls
    assert calls > 0


def test_no_spend_mode_refuses_metered_tools_cleanly_for_any_arguments(sandbox_settings: Settings) -> None:
    """Hidden metered tools are not listed; the free ones still take any argument safely."""
    calls = fuzz_every_tool(
        fuzz_settings(sandbox_settings, no_spend=True),
        lambda tool: st.one_of(valid_arguments(tool), invalid_arguments(tool)),
        EXAMPLES_NO_SPEND,
    )
    FIGURES["tool calls fuzzed"] += calls
    assert calls > 0


@pytest.mark.anyio
async def test_a_hidden_metered_tool_called_by_name_in_no_spend_mode_is_refused_with_a_reason(
    sandbox_settings: Settings,
) -> None:
    async with Client(build_server(fuzz_settings(sandbox_settings, no_spend=True))) as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
        hidden = sorted(set(build_server(sandbox_settings).specs) - listed)
        assert hidden, "no metered tool is hidden in no-spend mode"
        for name in hidden:
            result = await client.call_tool(name, {})
            assert result.is_error
            assert "no-spend" in text_of(result)
            FIGURES["tool calls fuzzed"] += 1
