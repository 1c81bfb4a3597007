"""Lusha's own example requests, sent to the sandbox: every operation it emulates answers them.

Each operation's request examples (body examples, path and query parameter examples, every value
of an enumerated path parameter) go to the sandbox; the answer must be 2xx and match the spec's
schema, except where the spec's own text documents a 4xx for that input (`DOCUMENTED_4XX`, each
tied to the sentence of the spec that says so). Tables operations are covered by the Tables tests;
`tableId` is left out of the examples for the same reason.

State an example presumes is set up first, through the API itself: the account secret exists
(regenerated before anything else), and `{id}` of a subscription names one created by Lusha's
own create example (the example's id belongs to Lusha's example account).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import httpx
import pytest

from tests.spec.sandbox_schema import assert_response_matches_spec

pytestmark = pytest.mark.anyio

JsonObject = dict[str, Any]
METHODS = ("get", "post", "patch", "put", "delete")

QUERY_REQUIRED = "Yes (2-256 chars)"
DOCUMENTED_4XX: dict[tuple[str, str, str], tuple[int, str]] = {
    ("POST", "/v3/contacts/lookalike", "firstRequest"): (400, "Provide 5-100 seed contacts"),
    ("POST", "/v3/companies/lookalike", "firstRequest"): (400, "Provide 5-100 seed companies"),
    ("POST", "/v3/contacts/lookalike", "secondRequest"): (410, "dedupeSessionId is invalid or expired"),
    ("POST", "/v3/companies/lookalike", "secondRequest"): (410, "dedupeSessionId is invalid or expired"),
    **{
        ("GET", f"/v3/{path}/{name}", "no body"): (400, f"| `{name}` | {QUERY_REQUIRED} |")
        for path, names in (
            ("companies/prospecting/filters", ("names", "locations", "technologies")),
            ("contacts/prospecting/filters", ("locations",)),
            ("companies/signals/filters", ("hiringByLocations",)),
        )
        for name in names
    },
}
"""(method, concrete path, example) -> (status, the spec's words documenting it). The lookalike
examples carry 3 seeds where the spec asks for 5-100, and a dedupeSessionId no session of ours
issued; the filter types whose values need a `query` (the spec's tables) have no query example."""

FIRST = ("/api/account/secret/regenerate", "/api/subscriptions")
LAST = ("/api/subscriptions/delete",)


def _resolve(spec: JsonObject, node: Any) -> Any:
    found: Any = node
    while isinstance(found, dict) and "$ref" in found:
        reference = str(cast(JsonObject, found)["$ref"])
        found = spec
        for part in reference.removeprefix("#/").split("/"):
            found = found[part.replace("~1", "/").replace("~0", "~")]
    return cast(Any, found)


def _order(path: str, method: str) -> tuple[int, str, str]:
    if path in FIRST and method == "post":
        return FIRST.index(path) - len(FIRST), path, method
    return (1 if path in LAST else 0), path, method


def _bodies(spec: JsonObject, operation: JsonObject) -> Iterator[tuple[str, JsonObject | None]]:
    body = _resolve(spec, operation.get("requestBody"))
    if not isinstance(body, dict):
        yield "no body", None
        return
    content = cast(JsonObject, cast(JsonObject, body).get("content", {})).get("application/json", {})
    examples = [("example", content["example"])] if "example" in content else []
    examples += [
        (str(name), _resolve(spec, example)["value"])
        for name, example in cast(JsonObject, content.get("examples") or {}).items()
    ]
    assert examples, "an operation with a request body and no example"
    for name, example in examples:
        yield name, {key: value for key, value in cast(JsonObject, example).items() if key != "tableId"}


def _parameters(
    spec: JsonObject, path: str, item: JsonObject, operation: JsonObject
) -> Iterator[tuple[str, JsonObject]]:
    """(concrete path, query) for each example value of the path parameters."""
    query: JsonObject = {}
    paths = [path]
    for raw in [*item.get("parameters", []), *operation.get("parameters", [])]:
        parameter = cast(JsonObject, _resolve(spec, raw))
        schema = cast(JsonObject, parameter.get("schema") or {})
        example = parameter.get("example", schema.get("example"))
        if parameter["in"] == "query" and example is not None:
            query[str(parameter["name"])] = example
        elif parameter["in"] == "path":
            values = schema.get("enum") or [example]
            placeholder = "{" + str(parameter["name"]) + "}"
            paths = [concrete.replace(placeholder, str(value)) for concrete in paths for value in values]
    for concrete in paths:
        yield concrete, query


async def test_the_sandbox_answers_lusha_example_requests(
    unthrottled_http: httpx.AsyncClient, spec: JsonObject
) -> None:
    http = unthrottled_http
    operations = sorted(
        (
            (path, method)
            for path, item in cast(JsonObject, spec["paths"]).items()
            for method in cast(JsonObject, item)
            if method in METHODS and "/tables" not in path
        ),
        key=lambda pair: _order(*pair),
    )
    spec_text = str(spec)
    subscription_id: str | None = None
    sent = 0
    failures: list[str] = []
    for path, method in operations:
        item = cast(JsonObject, spec["paths"][path])
        operation = cast(JsonObject, item[method])
        for concrete, query in _parameters(spec, path, item, operation):
            if subscription_id is not None and path.startswith("/api/subscriptions/{id}"):
                concrete = path.replace("{id}", subscription_id)
            for name, body in _bodies(spec, operation):
                response = await http.request(method.upper(), concrete, params=query, json=body)
                sent += 1
                where = f"{method.upper()} {concrete} [{name}]"
                documented = DOCUMENTED_4XX.get((method.upper(), concrete, name))
                status, words = documented or (None, "")
                if words not in spec_text:
                    failures.append(f"{where}: the spec no longer says {words!r}")
                elif status is not None and response.status_code != status:
                    failures.append(f"{where}: {response.status_code} (documented: {status}) {response.text}")
                elif status is None and not 200 <= response.status_code < 300:
                    failures.append(f"{where}: {response.status_code} {response.text}")
                else:
                    assert_response_matches_spec(spec, method.upper(), path, response)
                if path == "/api/subscriptions" and method == "post" and subscription_id is None:
                    subscription_id = str(response.json()["results"][0]["subscription"]["id"])
    assert not failures, "\n".join(failures)
    assert subscription_id is not None
    assert sent > 40
