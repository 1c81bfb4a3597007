"""Checking sandbox responses against the response schemas of the V3 spec.

OpenAPI 3.0 schemas become JSON Schema (2020-12) by turning `nullable: true` into an allowance
for null; `$ref`s resolve inside the spec document through a referencing registry.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any, cast

import httpx
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.conftest import SPEC_V3

JsonObject = dict[str, Any]
SPEC_URI = "urn:lusha-v3-spec"


def load_spec() -> JsonObject | None:
    """The parsed V3 spec, or None when ../shared is not present."""
    return _load() if SPEC_V3.exists() else None


@cache
def _load() -> JsonObject:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC_V3.open(encoding="utf-8") as handle:
        return cast(JsonObject, yaml.load(handle, Loader=loader))  # noqa: S506


def _nullable_as_null(node: Any) -> Any:
    if isinstance(node, list):
        return [_nullable_as_null(item) for item in cast(list[Any], node)]
    if not isinstance(node, dict):
        return node
    converted = {key: _nullable_as_null(value) for key, value in cast(JsonObject, node).items()}
    if converted.pop("nullable", False) is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


COMPANY_CAN_REVEAL_FIELDS = [
    "employeesByDepartment",
    "employeesByLocation",
    "employeesBySeniority",
    "competitors",
    "intent",
    "estimatedAnnualItSpend",
    "monthlyWebsiteTraffic",
]


def _fix_known_defects(document: JsonObject) -> None:
    """The spec's V3CanRevealItem limits `field` to emails/phones, yet V3CompanyPreview (which uses
    it) documents and exemplifies the company extras there; the sandbox follows the documented
    company behaviour, so the enum is widened to those fields for validation."""
    item = document["components"]["schemas"]["V3CanRevealItem"]["properties"]["field"]
    item["enum"] = [*item["enum"], *COMPANY_CAN_REVEAL_FIELDS]


@cache
def _registry(spec_id: int) -> Registry[Any]:
    del spec_id
    document = cast(JsonObject, _nullable_as_null(copy.deepcopy(_load())))
    _fix_known_defects(document)
    resource: Resource[Any] = Resource.from_contents(document, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry()
    return registry.with_resource(SPEC_URI, resource)


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def response_schema_pointer(spec: JsonObject, method: str, path: str, status: int) -> str:
    """JSON pointer (in the spec) of the body schema of `method path` answering `status`."""
    operation = cast(JsonObject, spec["paths"][path][method.lower()])
    responses = cast(JsonObject, operation["responses"])
    key = str(status)
    if key not in responses:
        key = f"{key[0]}XX" if f"{key[0]}XX" in responses else key
    assert key in responses, (
        f"{method} {path}: status {status} is not documented (documented: {sorted(responses)})"
    )
    entry = cast(JsonObject, responses[key])
    if "$ref" in entry:
        name = str(entry["$ref"]).rsplit("/", 1)[1]
        return f"#/components/responses/{_escape(name)}/content/application~1json/schema"
    return f"#/paths/{_escape(path)}/{method.lower()}/responses/{key}/content/application~1json/schema"


def assert_response_matches_spec(spec: JsonObject, method: str, path: str, response: httpx.Response) -> None:
    """The response's JSON body validates against the spec's schema for (method, path, status)."""
    pointer = response_schema_pointer(spec, method, path, response.status_code)
    validator = Draft202012Validator({"$ref": f"{SPEC_URI}{pointer}"}, registry=_registry(id(spec)))
    errors = sorted(validator.iter_errors(response.json()), key=lambda error: list(error.absolute_path))
    assert not errors, f"{method} {path} -> {response.status_code}: " + "; ".join(
        f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}" for error in errors[:5]
    )
