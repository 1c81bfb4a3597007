"""Lusha's own example request of each of the 22 Tables operations gets a 2xx answer from the
sandbox that validates against the operation's response schema in the V3 spec."""

from __future__ import annotations

import copy
import sqlite3
from typing import Any, cast

import httpx
import pytest

from lusha_mcp.settings import Settings
from tests.spec.sandbox_schema import assert_response_matches_spec

pytestmark = pytest.mark.anyio

JsonObject = dict[str, Any]
TAGS = {"Contacts Tables", "Companies Tables"}
LIFE = ("create", "list", "get", "update", "addentities", "getentities", "listcolumns", "runcolumn",
        "removecolumn", "removeentities", "delete")  # fmt: skip
"""The operations in the order a table lives through them."""


def _rank(operation_id: str) -> int:
    """createContactsTable -> create, removeCompaniesTableColumn -> removecolumn, ..."""
    key = operation_id.lower()
    for word in ("contacts", "companies", "tables", "table"):
        key = key.replace(word, "")
    return LIFE.index(key)


def _operations(spec: JsonObject) -> list[tuple[str, str, JsonObject]]:
    found: list[tuple[str, str, JsonObject]] = []
    for path, item in cast(dict[str, JsonObject], spec["paths"]).items():
        for method, operation in item.items():
            if isinstance(operation, dict) and TAGS & set(cast(JsonObject, operation).get("tags", [])):
                found.append((path, method.upper(), cast(JsonObject, operation)))
    return found


def _ids(settings: Settings, table: str, count: int) -> list[str]:
    with sqlite3.connect(settings.sandbox_db_path()) as db:
        where = " WHERE gdpr_blocked = 0" if table == "contacts" else ""
        rows = db.execute(f"SELECT id FROM {table}{where} ORDER BY seq LIMIT ?", (count,)).fetchall()
    return [str(row[0]) for row in rows]


async def test_every_table_operation_answers_its_example_per_the_spec(
    unthrottled_http: httpx.AsyncClient, spec: JsonObject, sandbox_settings: Settings
) -> None:
    http = unthrottled_http
    operations = _operations(spec)
    assert len(operations) == 22, f"the spec has {len(operations)} Tables operations, not 22"
    answered: list[str] = []
    for entity in ("contacts", "companies"):
        own = sorted(
            (op for op in operations if op[0].startswith(f"/v3/{entity}/")),
            key=lambda op: _rank(op[2]["operationId"]),
        )
        ids = _ids(sandbox_settings, entity, 4)
        company_ids = _ids(sandbox_settings, "companies", 4)
        column = "col_email" if entity == "contacts" else "col_firmographics"
        table_id = ""
        for path, method, operation in own:
            content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            body = copy.deepcopy(content.get("example"))
            if isinstance(body, dict):
                body = cast(JsonObject, body)
                for key, source in (("ids", ids), ("entityIds", ids), ("companyIds", company_ids)):
                    if key in body:
                        body[key] = source[: len(body[key])]
            params = {"email": "user@example.com"} if method in ("GET", "DELETE") and body is None else {}
            removing = _rank(operation["operationId"]) == LIFE.index("removecolumn")
            concrete_column = "col_signal_score" if removing else column
            url = path.replace("{table_id}", table_id).replace("{column_id}", concrete_column)
            response = await http.request(method, url, json=body, params=params)
            assert 200 <= response.status_code < 300, (
                f"{operation['operationId']}: {response.status_code} {response.text}"
            )
            if response.status_code == 201:
                table_id = str(response.json()["data"]["tableId"])
            assert_response_matches_spec(spec, method, path, response)
            answered.append(operation["operationId"])
    assert len(set(answered)) == 22
