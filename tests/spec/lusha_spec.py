"""Lusha's published V3 spec as a Lusha stand-in: requests are validated against it and answered
with its own examples (assembled from property examples where an operation has none)."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any, cast

import httpx
import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from tests.api.conftest import LushaStandIn

_SPEC_URI = "urn:lusha-v3"
_METHODS = ("get", "post", "patch", "put", "delete")

JSON = dict[str, Any]


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def _ref_of(node: object) -> str | None:
    if isinstance(node, dict):
        ref = cast("JSON", node).get("$ref")
        return ref if isinstance(ref, str) else None
    return None


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    pointer: str
    spec: JSON


class LushaSpec:
    """The parsed spec: operations, request validation and example responses."""

    def __init__(self, document: JSON) -> None:
        self.document = document
        resource: Resource[Any] = Resource.from_contents(document, default_specification=DRAFT7)
        self.registry: Registry[Any] = Registry().with_resource(_SPEC_URI, resource)  # pyright: ignore[reportUnknownArgumentType]
        self.operations: list[Operation] = []
        for template, item in cast("dict[str, JSON]", document["paths"]).items():
            regex = "^" + re.sub(r"\{[^/]+\}", "[^/]+", template) + "$"
            for method in _METHODS:
                if method in item:
                    pointer = f"/paths/{_escape(template)}/{method}"
                    self.operations.append(
                        Operation(method.upper(), template, re.compile(regex), pointer, item[method])
                    )
        # literal paths win over templated ones (/api/subscriptions/delete vs /api/subscriptions/{id})
        self.operations.sort(key=lambda op: op.template.count("{"))

    def resolve(self, node: Any) -> Any:
        current: Any = node
        while (ref := _ref_of(current)) is not None:
            target: Any = self.document
            for part in ref.removeprefix("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            current = target
        return current

    def operation(self, method: str, path: str) -> Operation:
        for op in self.operations:
            if op.method == method and op.pattern.match(path):
                return op
        raise AssertionError(f"{method} {path} is not an operation of the spec")

    def request_errors(self, op: Operation, body: Any, params: dict[str, str]) -> list[str]:
        errors: list[str] = []
        content = self.resolve(op.spec.get("requestBody", {})).get("content", {}).get("application/json")
        if content is not None:
            pointer = f"{op.pointer}/requestBody/content/application~1json/schema"
            validator = jsonschema.Draft7Validator(
                {"$ref": f"{_SPEC_URI}#{pointer}"},
                registry=self.registry,
                format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER,
            )
            errors += [f"body {list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
        elif body is not None:
            errors.append("this operation takes no body")
        declared = {p["name"]: p for p in (self.resolve(x) for x in op.spec.get("parameters", []))}
        for name, raw in params.items():
            param = declared.get(name)
            if param is None or param.get("in") != "query":
                errors.append(f"query parameter {name!r} is not in the spec")
                continue
            schema = param.get("schema", {})
            value: Any = int(raw) if schema.get("type") == "integer" and raw.lstrip("-").isdigit() else raw
            errors += [
                f"query {name}: {e.message}" for e in jsonschema.Draft7Validator(schema).iter_errors(value)
            ]
        return errors

    def example_response(self, op: Operation) -> tuple[int, Any]:
        for status, response in op.spec["responses"].items():
            if not str(status).startswith("2"):
                continue
            content = self.resolve(response).get("content", {}).get("application/json", {})
            if "example" in content:
                return int(status), copy.deepcopy(content["example"])
            if content.get("examples"):
                first = next(iter(content["examples"].values()))
                return int(status), copy.deepcopy(self.resolve(first)["value"])
            return int(status), self.example_of(content.get("schema", {}))
        raise AssertionError(f"{op.method} {op.template} documents no 2xx response")

    def error_example(self, name: str) -> Any:
        """The example body of a shared error response (BadRequest, Forbidden...)."""
        content = self.document["components"]["responses"][name]["content"]["application/json"]
        if "example" in content:
            return copy.deepcopy(content["example"])
        return [copy.deepcopy(e["value"]) for e in content["examples"].values()]

    def example_of(self, schema: Any, depth: int = 0) -> Any:
        schema = self.resolve(schema)
        if not isinstance(schema, dict) or depth > 12:
            return None
        node = cast("JSON", schema)
        if "example" in node:
            return copy.deepcopy(node["example"])
        if "allOf" in node:
            merged: JSON = {}
            for part in node["allOf"]:
                value = self.example_of(part, depth + 1)
                if isinstance(value, dict):
                    merged.update(cast("JSON", value))
            return merged
        for key in ("oneOf", "anyOf"):
            if key in node:
                return self.example_of(node[key][0], depth + 1)
        if "enum" in node:
            return node["enum"][0]
        kind = node.get("type")
        if kind == "object" or "properties" in node:
            return {
                name: self.example_of(prop, depth + 1) for name, prop in node.get("properties", {}).items()
            }
        if kind == "array":
            return [self.example_of(node.get("items", {}), depth + 1)]
        return {"string": "example", "integer": 1, "number": 1.0, "boolean": True}.get(str(kind))


@dataclass
class LushaSpecTransport(LushaStandIn):
    """Answers per the spec: validates every unscripted request and answers with the spec's example."""

    spec: LushaSpec | None = None
    invalid: list[str] = field(default_factory=list[str])

    async def answer(self, request: httpx.Request, body: Any, params: dict[str, str]) -> httpx.Response:
        assert self.spec is not None
        path = request.url.path
        op = self.spec.operation(request.method, path)
        problems = self.spec.request_errors(op, body, params)
        if problems:
            self.invalid.extend(f"{request.method} {path}: {p}" for p in problems)
            return httpx.Response(400, json={"statusCode": 400, "message": "; ".join(problems)})
        status, example = self.spec.example_response(op)
        return httpx.Response(status, json=example)
