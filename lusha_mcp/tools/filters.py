"""list_filter_values: the valid values of prospecting and signal filters (free)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

from pydantic import Field

from lusha_mcp.settings import Toolset
from lusha_mcp.tools.framework import FREE_READ, ArgumentError, ToolCall, ToolGroup, ToolResult, table

group = ToolGroup()
register = group.register

FilterScope = Literal[
    "contacts", "companies", "company_signals", "contact_signal_types", "company_signal_types"
]


class FilterCatalog(ToolResult):
    """Filter types of a scope, or the valid values of one filter type."""

    scope: str = Field(description="What the filters belong to.")
    filter_type: str | None = Field(default=None, description="The filter whose values these are.")
    types: list[dict[str, Any]] = Field(
        default_factory=list[dict[str, Any]], description="Filter types; requiresQuery ones need `query`."
    )
    values: list[Any] = Field(default_factory=list[Any], description="Valid values to use in filters.")

    def render(self) -> str:
        if self.filter_type is None:
            rows = [
                (entry.get("filterType"), "yes" if entry.get("requiresQuery") else "") for entry in self.types
            ]
            if rows and rows[0][0] is not None:
                return f"Filter types of {self.scope}; pass filter_type for values.\n" + table(
                    ("filter_type", "needs query"), rows
                )
            return f"{self.scope}: " + ", ".join(str(value) for value in self.values)
        if any(_children(value) for value in self.values):
            return self._grouped()
        rows = [_row(value) for value in self.values]
        head = f"{len(self.values)} values of {self.scope}.{self.filter_type}"
        if all(ident == "" for _, ident in rows) and not any(
            isinstance(value, dict) for value in self.values
        ):
            return f"{head}: " + ", ".join(str(label) for label, _ in rows)
        return f"{head}.\n" + table(("value", "id"), rows)

    def _grouped(self) -> str:
        """Each value with its sub-values on one line: 'Parent (1): Child (101), Child (102)'."""
        lines = [
            f"{len(self.values)} values of {self.scope}.{self.filter_type}, each with its sub-values "
            f"({sum(len(_children(value)) for value in self.values)} in all). Send either level's name "
            "(ids in raw_filters); a sub-value narrows to it."
        ]
        for value in self.values:
            label, ident = _row(value)
            head = f"- {label} ({ident})" if ident != "" else f"- {label}"
            children = [_labelled(child) for child in _children(value)]
            lines.append(f"{head}: {', '.join(children)}" if children else head)
        return "\n".join(lines)


def _children(value: Any) -> list[Any]:
    """The sub-values of a value (subIndustries of an industry), if any."""
    if not isinstance(value, dict):
        return []
    for key, item in cast(dict[str, Any], value).items():
        if key.startswith("sub") and isinstance(item, list):
            return cast(list[Any], item)
    return []


def _labelled(value: Any) -> str:
    label, ident = _row(value)
    return f"{label} ({ident})" if ident != "" else str(label)


def _row(value: Any) -> tuple[object, object]:
    if isinstance(value, dict):
        entry = cast(dict[str, Any], value)
        if "min" in entry and "name" not in entry:
            high = entry.get("max")
            return f"{entry['min']}-{high}" if high is not None else f"{entry['min']}+", ""
        label = entry.get("name") or entry.get("value") or entry.get("label") or entry
        return label, entry.get("id", "")
    return value, ""


def _as_list(values: Any) -> list[Any]:
    if values is None:
        return []
    if isinstance(values, list):
        return cast(list[Any], values)
    if isinstance(values, dict):
        return [{"name": key, "value": value} for key, value in cast(dict[str, Any], values).items()]
    return [values]


@group.tool(toolset=Toolset.core, title="List filter values", annotations=FREE_READ, metered=False)
async def list_filter_values(
    call: ToolCall,
    scope: Annotated[FilterScope, Field(description="Whose filters.")],
    filter_type: Annotated[
        str | None, Field(description="Omit to list the filter types of the scope.")
    ] = None,
    query: Annotated[str | None, Field(description="Text to match values (required by some types).")] = None,
) -> FilterCatalog:
    """List prospecting and signal filter types, or the valid values of one type (ids for seniority, industries, sizes...).

    Use this before prospect_contacts/prospect_companies to build valid filters. Free.
    """
    client = call.client
    if scope in ("contact_signal_types", "company_signal_types"):
        if filter_type is not None:
            raise ArgumentError(
                "filter_type", f"{scope} has no filter types", "no filter_type for this scope"
            )
        response = await (
            client.signals.contact_types()
            if scope == "contact_signal_types"
            else client.signals.company_types()
        )
        return FilterCatalog(scope=scope, values=list(response.signal_types))
    if filter_type is None:
        if scope == "contacts":
            listed = await client.prospecting.contact_filter_types()
        elif scope == "companies":
            listed = await client.prospecting.company_filter_types()
        else:
            listed = await client.signals.company_filter_types()
        return FilterCatalog(
            scope=scope,
            types=[entry.model_dump(mode="json", by_alias=True) for entry in listed.available_filters],
        )
    if scope == "contacts":
        found = await client.prospecting.contact_filter_values(filter_type, query=query)
    elif scope == "companies":
        found = await client.prospecting.company_filter_values(filter_type, query=query)
    else:
        found = await client.signals.company_filter_values(filter_type, query=query)
    return FilterCatalog(scope=scope, filter_type=filter_type, values=_as_list(found.values))
