"""A Lusha stand-in built from the V3 spec itself, served through httpx.MockTransport.

Every request the client sends is validated against the spec's request schema (and query
parameter schemas); the answer is the spec's own example response of that operation,
assembled from the property examples when the operation has no whole example.
"""

from __future__ import annotations

import copy
import inspect
import json
import re
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import httpx
import jsonschema
import pytest
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from lusha_mcp.api import LushaClient, authorized_spend
from lusha_mcp.sandbox import SANDBOX_BASE_URL, sandbox_transport
from lusha_mcp.settings import SANDBOX_API_KEY, Settings
from tests.conftest import SPEC_V3

API_KEY = "lk_live_9f3c2e7a1b5d4c8e"
BASE_URL = "https://api.lusha.test"
_SPEC_URI = "urn:lusha-v3"
_METHODS = ("get", "post", "patch", "put", "delete")

JSON = dict[str, Any]
Responder = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response | None] | None]


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


@dataclass
class SeenRequest:
    method: str
    path: str
    params: dict[str, str]
    body: Any
    headers: httpx.Headers


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
class SpecTransport:
    """Answers like Lusha would, per the spec; records and validates every request."""

    spec: LushaSpec
    seen: list[SeenRequest] = field(default_factory=list[SeenRequest])
    invalid: list[str] = field(default_factory=list[str])
    script: deque[Responder] = field(default_factory=deque[Responder])
    fallback: Responder | None = None
    per_endpoint_per_second: int | None = None
    rejected_for_rate: int = 0
    _hits: dict[str, deque[float]] = field(default_factory=dict[str, deque[float]])

    async def _respond(self, responder: Responder, request: httpx.Request) -> httpx.Response | None:
        answer = responder(request)
        if inspect.isawaitable(answer):
            return await answer
        return answer

    async def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        params = dict(request.url.params)
        path = request.url.path
        self.seen.append(SeenRequest(request.method, path, params, body, request.headers))
        if self.per_endpoint_per_second is not None:
            now = time.monotonic()
            hits = self._hits.setdefault(path, deque())
            while hits and hits[0] <= now - 1.0:
                hits.popleft()
            if len(hits) >= self.per_endpoint_per_second:
                self.rejected_for_rate += 1
                return httpx.Response(429, json={"statusCode": 429, "message": "Too many requests."})
            hits.append(now)
        if self.script:
            scripted = await self._respond(self.script.popleft(), request)
            if scripted is not None:
                return scripted
        if self.fallback is not None:
            answer = await self._respond(self.fallback, request)
            if answer is not None:
                return answer
        op = self.spec.operation(request.method, path)
        problems = self.spec.request_errors(op, body, params)
        if problems:
            self.invalid.extend(f"{request.method} {path}: {p}" for p in problems)
            return httpx.Response(400, json={"statusCode": 400, "message": "; ".join(problems)})
        status, example = self.spec.example_response(op)
        return httpx.Response(status, json=example)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]


@pytest.fixture(scope="session")
def lusha_spec() -> LushaSpec:
    if not SPEC_V3.exists():
        pytest.skip(reason=f"the Lusha V3 spec is not at {SPEC_V3}; these tests need ../shared/lusha-api")
    with SPEC_V3.open(encoding="utf-8") as handle:
        return LushaSpec(yaml.safe_load(handle))


@pytest.fixture
def lusha(lusha_spec: LushaSpec) -> SpecTransport:
    return SpecTransport(lusha_spec)


def make_client(server: SpecTransport, **options: Any) -> LushaClient:
    options.setdefault("retry_base_delay", 0.001)
    options.setdefault("retry_max_delay", 0.01)
    return LushaClient(API_KEY, base_url=BASE_URL, transport=server.transport(), **options)


@pytest.fixture
async def sandbox_http(sandbox_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Plain HTTP to the in-process sandbox of the test (its Lusha routes and /_sandbox controls)."""
    async with httpx.AsyncClient(
        transport=sandbox_transport(sandbox_settings),
        base_url=SANDBOX_BASE_URL,
        headers={"api_key": SANDBOX_API_KEY},
    ) as http:
        yield http


@asynccontextmanager
async def spend_authorised() -> AsyncGenerator[None]:
    """These tests drive the client itself, not the guard: they authorise its metered calls
    the way the guard does (a metered call outside an authorised plan is refused)."""
    with authorized_spend("tests/api: the client under test"):
        yield


@pytest.fixture
async def client(lusha: SpecTransport) -> AsyncIterator[LushaClient]:
    api = make_client(lusha)
    yield api
    await api.aclose()
