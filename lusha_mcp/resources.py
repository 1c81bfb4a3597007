"""MCP resources (free) and argument completions.

Resources:
- `lusha://filters/{entity}` (contacts, companies, company_signals): the filter types, static.
- `lusha://filters/{entity}/{filter_type}` (template): valid values of one filter type.
- `lusha://signals/types/{entity}` (template; contacts or companies): signal types.
- `lusha://account/usage`: Lusha's credits, plan and prices with this server's spend and budget,
  from the server's usage snapshot (the endpoint allows 5 calls a minute).
- `lusha://ledger/session`: this server session's metered calls.

Completions (completion/complete): prompt arguments declared with `complete: entity:filterType`
and the template arguments `entity`, `filter_type` and `value`-like arguments get matching filter
values (at most 100), from the free filter endpoints, cached for the server session.

Static resources and the completion handler get no request context from the SDK, so they read the
server session's state from `LiveState`, which build_server's lifespan attaches.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Literal, cast, get_args

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from mcp_types import (
    Completion,
    CompletionArgument,
    CompletionContext,
    PromptReference,
    ResourceTemplateReference,
)

from lusha_mcp.api.models import CompanyFilterType, ContactFilterType
from lusha_mcp.api.models.signals import CompanySignalFilterType
from lusha_mcp.prompts import completion_source
from lusha_mcp.tools.state import LushaState

FilterEntity = Literal["contacts", "companies", "company_signals"]
SignalEntity = Literal["contacts", "companies"]
FILTER_ENTITIES: tuple[FilterEntity, ...] = get_args(FilterEntity)
SIGNAL_ENTITIES: tuple[SignalEntity, ...] = get_args(SignalEntity)
FILTER_TYPES: dict[str, tuple[str, ...]] = {
    "contacts": get_args(ContactFilterType),
    "companies": get_args(CompanyFilterType),
    "company_signals": get_args(CompanySignalFilterType),
}
MAX_COMPLETIONS = 100
USAGE_MAX_AGE_SECONDS = 60.0
JSON = "application/json"


class LiveState:
    """The running server session's state and its free-lookup cache."""

    def __init__(self) -> None:
        self._state: LushaState | None = None
        self._cache: dict[tuple[str, ...], Any] = {}

    def attach(self, state: LushaState) -> None:
        self._state = state
        self._cache = {}

    @property
    def state(self) -> LushaState:
        if self._state is None:
            raise ResourceError("The Lusha server session has not started yet; try again.")
        return self._state

    async def cached(self, key: tuple[str, ...], fetch: Callable[[], Awaitable[Any]]) -> Any:
        if key not in self._cache:
            self._cache[key] = await fetch()
        return self._cache[key]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _check(value: str, allowed: Iterable[str], what: str) -> str:
    options = tuple(allowed)
    if value not in options:
        raise ResourceError(f"Unknown {what} '{value}'; use one of: {', '.join(options)}.")
    return value


async def filter_types(live: LiveState, entity: str) -> list[dict[str, Any]]:
    client = live.state.client

    async def fetch() -> list[dict[str, Any]]:
        if entity == "contacts":
            listed = await client.prospecting.contact_filter_types()
        elif entity == "companies":
            listed = await client.prospecting.company_filter_types()
        else:
            listed = await client.signals.company_filter_types()
        return [entry.model_dump(mode="json", by_alias=True) for entry in listed.available_filters]

    return cast(list[dict[str, Any]], await live.cached(("types", entity), fetch))


async def filter_values(
    live: LiveState, entity: str, filter_type: str, query: str | None = None
) -> list[Any]:
    client = live.state.client

    async def fetch() -> list[Any]:
        if entity == "contacts":
            found = await client.prospecting.contact_filter_values(filter_type, query=query)
        elif entity == "companies":
            found = await client.prospecting.company_filter_values(filter_type, query=query)
        else:
            found = await client.signals.company_filter_values(filter_type, query=query)
        values = found.values
        if isinstance(values, list):
            return cast(list[Any], values)
        if isinstance(values, dict):
            return [{"name": k, "value": v} for k, v in cast(dict[str, Any], values).items()]
        return [] if values is None else [values]

    return cast(list[Any], await live.cached(("values", entity, filter_type, query or ""), fetch))


async def _needs_query(live: LiveState, entity: str, filter_type: str) -> bool:
    for entry in await filter_types(live, entity):
        if entry.get("filterType") == filter_type:
            return bool(entry.get("requiresQuery"))
    return False


def value_label(value: Any) -> str:
    """The text a filter value is completed as (a name, a code, "51-200" for a range)."""
    if not isinstance(value, dict):
        return str(value)
    entry = cast(dict[str, Any], value)
    for key in ("value", "name", "label"):
        if isinstance(entry.get(key), str):
            return cast(str, entry[key])
    if "min" in entry or "max" in entry:
        low, high = entry.get("min"), entry.get("max")
        return f"{low}-{high}" if high is not None else f"{low}+"
    if entry.get("city") or entry.get("country"):
        return ", ".join(str(entry[k]) for k in ("city", "state", "country") if entry.get(k))
    return str(entry.get("code") or entry.get("id") or _json(entry))


def _matching(candidates: Iterable[str], partial: str) -> Completion:
    needle = partial.strip().lower()
    seen = list(dict.fromkeys(candidates))
    starts = [c for c in seen if c.lower().startswith(needle)]
    contains = [c for c in seen if needle and needle in c.lower() and c not in starts]
    found = starts + contains
    return Completion(values=found[:MAX_COMPLETIONS], total=len(found), has_more=len(found) > MAX_COMPLETIONS)


async def complete_filter_value(live: LiveState, entity: str, filter_type: str, partial: str) -> Completion:
    """Filter values of `entity:filter_type` matching `partial` (a query is sent where Lusha needs one)."""
    if entity not in FILTER_TYPES or filter_type not in FILTER_TYPES[entity]:
        return Completion(values=[])
    query: str | None = None
    if await _needs_query(live, entity, filter_type):
        query = partial.strip()
        if len(query) < 2:
            return Completion(values=[])
    values = await filter_values(live, entity, filter_type, query)
    return _matching((value_label(value) for value in values), partial)


def register_resources(server: MCPServer[Any], live: LiveState) -> None:
    """Add the resources, resource templates and the completion handler to `server`."""
    for entity in FILTER_ENTITIES:
        _register_filter_types(server, live, entity)

    @server.resource(
        "lusha://filters/{entity}/{filter_type}{?query}",
        name="filter_values",
        title="Filter values",
        description="Valid values of one prospecting or signal filter type (free). entity: contacts, "
        "companies or company_signals; query: search text, required by some types (locations, names...).",
        mime_type=JSON,
    )
    async def filter_values_resource(entity: str, filter_type: str, query: str | None = None) -> str:
        _check(entity, FILTER_ENTITIES, "entity")
        _check(filter_type, FILTER_TYPES[entity], f"{entity} filter type")
        text = (query or "").strip() or None
        if text is None and await _needs_query(live, entity, filter_type):
            raise ResourceError(
                f"{entity} {filter_type} values need a search text of 2+ characters: read "
                f"lusha://filters/{entity}/{filter_type}?query=<text>."
            )
        values = await filter_values(live, entity, filter_type, text)
        return _json({"entity": entity, "filterType": filter_type, "query": text, "values": values})

    @server.resource(
        "lusha://signals/types/{entity}",
        name="signal_types",
        title="Signal types",
        description="Signal types of contacts or companies, for get_signals (free).",
        mime_type=JSON,
    )
    async def signal_types_resource(entity: str) -> str:
        _check(entity, SIGNAL_ENTITIES, "entity")
        client = live.state.client

        async def fetch() -> list[str]:
            listed = await (
                client.signals.contact_types() if entity == "contacts" else client.signals.company_types()
            )
            return list(listed.signal_types)

        return _json({"entity": entity, "signalTypes": await live.cached(("signals", entity), fetch)})

    @server.resource(
        "lusha://account/usage",
        name="account_usage",
        title="Account usage and budget",
        description="Credits, plan, prices, and what this server spent and may still spend (free).",
        mime_type=JSON,
    )
    async def account_usage_resource() -> str:
        state = live.state
        usage = await state.usage.get(max_age_seconds=USAGE_MAX_AGE_SECONDS)
        state.guard.pricing.offer(dict(usage.pricing))
        left = await state.client_guard().budget_left_or_unknown()
        return _json(
            {
                "lusha": usage.model_dump(
                    mode="json", by_alias=True, exclude_none=True, exclude={"request_id"}
                ),
                "server": left.model_dump(mode="json", exclude_none=True),
                "snapshotAgeSeconds": int(state.usage.age_seconds or 0),
            }
        )

    @server.resource(
        "lusha://ledger/session",
        name="session_ledger",
        title="This session's spend ledger",
        description="Every metered call of this client session: quote, credits charged, outcome (free).",
        mime_type=JSON,
    )
    async def session_ledger_resource() -> str:
        guard = live.state.client_guard()
        entries = await guard.ledger.list_entries(session=guard.session_id)
        return _json(
            {
                "session": guard.session_id,
                "charged": sum(entry.charged or 0 for entry in entries),
                "calls": [
                    entry.model_dump(mode="json", exclude={"session", "arguments_hash"}, exclude_none=True)
                    for entry in entries
                ],
            }
        )

    del filter_values_resource, signal_types_resource, account_usage_resource, session_ledger_resource

    @server.completion()
    async def complete(
        ref: PromptReference | ResourceTemplateReference,
        argument: CompletionArgument,
        context: CompletionContext | None,
    ) -> Completion | None:
        resolved = (context.arguments if context else None) or {}
        if isinstance(ref, PromptReference):
            source = completion_source(ref.name, argument.name)
            if source is None:
                return None
            return await complete_filter_value(live, source[0], source[1], argument.value)
        if argument.name == "entity":
            uri = ref.uri
            options = SIGNAL_ENTITIES if uri.startswith("lusha://signals/") else FILTER_ENTITIES
            return _matching(options, argument.value)
        if argument.name == "query":
            entity, filter_type = resolved.get("entity", ""), resolved.get("filter_type", "")
            return await complete_filter_value(live, entity, filter_type, argument.value)
        if argument.name == "filter_type":
            entity = resolved.get("entity", "")
            if entity not in FILTER_TYPES:
                return _matching((t for types in FILTER_TYPES.values() for t in types), argument.value)
            return _matching(FILTER_TYPES[entity], argument.value)
        return None

    del complete


def _register_filter_types(server: MCPServer[Any], live: LiveState, entity: FilterEntity) -> None:
    async def read() -> str:
        return _json({"entity": entity, "filterTypes": await filter_types(live, entity)})

    server.resource(
        f"lusha://filters/{entity}",
        name=f"{entity}_filter_types",
        title=f"Filter types: {entity.replace('_', ' ')}",
        description=f"The {entity.replace('_', ' ')} filter types; values at lusha://filters/{entity}/{{filter_type}} (free).",
        mime_type=JSON,
    )(read)
