"""The schemas a client reads, trimmed: `$defs` inlined, titles and null arms dropped, and output
schemas slimmed so each tool's stands alone without repeating the records' nested definitions."""

from __future__ import annotations

import json
from typing import Any, cast


def inline_definitions(schema: dict[str, Any]) -> dict[str, Any]:
    """Put each `$defs` model in place of its `$ref` (fewer tokens for the model to read); a model
    that refers to itself keeps its definition."""
    definitions = cast(dict[str, Any], schema.get("$defs") or {})

    def inline(value: Any, seen: frozenset[str]) -> Any:
        if isinstance(value, list):
            return [inline(item, seen) for item in cast(list[Any], value)]
        if not isinstance(value, dict):
            return value
        node = cast(dict[str, Any], value)
        ref = node.get("$ref")
        name = ref.removeprefix("#/$defs/") if isinstance(ref, str) else None
        if name is not None and name in definitions and name not in seen:
            siblings = {key: item for key, item in node.items() if key != "$ref"}
            return {**inline(definitions[name], seen | {name}), **inline(siblings, seen)}
        return {key: inline(item, seen) for key, item in node.items()}

    body = {key: value for key, value in schema.items() if key != "$defs"}
    inlined = cast(dict[str, Any], inline(body, frozenset()))
    if "#/$defs/" in json.dumps(inlined):
        return schema
    return inlined


def compact_schema(schema: Any, *, in_properties: bool = False) -> Any:
    """Trim what the model reads: titles, `default: null`, and the null arm of optional arguments.

    Validation is unaffected (it runs on the pydantic argument model, which still accepts null).
    """
    if isinstance(schema, list):
        return [compact_schema(item) for item in cast(list[Any], schema)]
    if not isinstance(schema, dict):
        return schema
    source = cast(dict[str, Any], schema)
    if in_properties:
        return {name: compact_schema(value) for name, value in source.items()}
    out: dict[str, Any] = {}
    for key, value in source.items():
        if key == "title" or (key == "default" and value is None):
            continue
        out[key] = compact_schema(value, in_properties=key in ("properties", "$defs"))
    arms = out.get("anyOf")
    if isinstance(arms, list):
        kept = [arm for arm in cast(list[Any], arms) if arm != {"type": "null"}]
        if len(kept) == 1 and len(kept) < len(cast(list[Any], arms)):
            del out["anyOf"]
            out = {**cast(dict[str, Any], kept[0]), **out}
    return out


SMALL_DEF = 4
"""A nested definition with at most this many properties and no nesting of its own is kept whole."""


def slim_output_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The output schema a client validates structuredContent against, without the bulk.

    Structured content drops nulls and empty lists, so no null arms and no defaults are needed.
    The result's own fields and the rows of its lists are described property by property; an
    object nested deeper (or a single object field such as quote or budget_left) is described
    as an object with its description, unless it is a small leaf (an email, a phone). Each tool's
    schema stands alone in tools/list, so this is what keeps every tool from repeating the large
    nested definitions of the records. The server still validates against the full model.
    """
    slim = cast(dict[str, Any], compact_schema(schema))
    definitions = cast(dict[str, dict[str, Any]], slim.pop("$defs", {}))
    kept: dict[str, dict[str, Any]] = {}

    def leaf(definition: dict[str, Any]) -> bool:
        properties = cast(dict[str, Any], definition.get("properties", {}))
        return len(properties) <= SMALL_DEF and "$ref" not in str(properties)

    def loose(name: str, description: object) -> dict[str, Any]:
        definition = definitions[name]
        if leaf(definition) and "properties" in definition:
            kept[name] = _without_defaults(definition)
            return {"$ref": f"#/$defs/{name}"}
        shape = "object" if definition.get("type", "object") == "object" else definition.get("type")
        out: dict[str, Any] = {"type": shape} if shape else {}
        for key in ("enum", "items"):
            if key in definition:
                out[key] = definition[key]
        text = description or definition.get("description")
        return {**out, "description": text} if text else out

    def shallow(node: Any, description: object = None) -> Any:
        """Every $ref in `node` becomes a loose object (or a kept small leaf)."""
        if isinstance(node, list):
            return [shallow(item) for item in cast(list[Any], node)]
        if not isinstance(node, dict):
            return node
        source = cast(dict[str, Any], node)
        ref = source.get("$ref")
        if isinstance(ref, str):
            return {**loose(ref.rsplit("/", 1)[-1], source.get("description") or description)}
        return {key: shallow(value, source.get("description")) for key, value in source.items()}

    def row(node: Any) -> Any:
        """Top-level property: a list (or map) of records keeps the records' properties."""
        if not isinstance(node, dict):
            return node
        source = cast(dict[str, Any], node)
        for key in ("items", "additionalProperties"):
            inner = source.get(key)
            if isinstance(inner, dict) and "$ref" in inner:
                name = str(cast(dict[str, Any], inner)["$ref"]).rsplit("/", 1)[-1]
                if name not in kept:
                    kept[name] = {}
                    kept[name] = shallow(_without_defaults(definitions[name]))
                return {**source, key: {"$ref": f"#/$defs/{name}"}}
        return shallow(source)

    properties = cast(dict[str, Any], slim.get("properties", {}))
    slim["properties"] = {name: row(_without_defaults(value)) for name, value in properties.items()}
    if kept:
        slim["$defs"] = kept
    return _without_defaults(slim)


def _without_defaults(schema: dict[str, Any]) -> dict[str, Any]:
    out = {key: value for key, value in schema.items() if key != "default"}
    properties = out.get("properties")
    if isinstance(properties, dict):
        out["properties"] = {
            name: _without_defaults(cast(dict[str, Any], value)) if isinstance(value, dict) else value
            for name, value in cast(dict[str, Any], properties).items()
        }
    return out
