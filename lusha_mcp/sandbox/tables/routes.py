"""The wire of the 22 Tables operations: parse the request, call the backend, answer.

`owner.email` comes in the body on POST/PATCH (and DELETE .../entities), as `?email=` on the
other GET/DELETE calls. Billing: Get Entities charges `export_api` per row returned, Add
Entities on companies tables `reveal_company` per newly added company, Run Column per row
processed at the column's tier; everything else is free.
"""

from __future__ import annotations

from typing import Literal

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lusha_mcp.sandbox.errors import bad_request
from lusha_mcp.sandbox.state import billing_json, lusha_json, request_id
from lusha_mcp.sandbox.tables.backend import TablesBackend, charger, tables_backend
from lusha_mcp.sandbox.tables.records import Entity, JsonObject
from lusha_mcp.sandbox.validation import FieldCheck, read_json_object

MAX_IDS = 500
MAX_PAGE = 100
DEFAULT_SIZE = 100


def _entity(request: Request) -> Entity:
    return "contacts" if request.url.path.startswith("/v3/contacts/") else "companies"


def _owner(fields: FieldCheck, body: JsonObject) -> str | None:
    owner = fields.obj(body, "owner", required=True)
    if owner is None:
        return None
    fields.unknown_keys(owner, ["email"], at="owner")
    return fields.string(owner, "email", at="owner", required=True)


def _query_email(request: Request) -> str:
    return TablesBackend.user(request.query_params.get("email"))


def _query_int(request: Request, name: str, default: int, low: int, high: int | None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.lstrip("-").isdigit() or int(raw) < low or (high is not None and int(raw) > high):
        accepted = f"{low} to {high}" if high is not None else f"{low} or more"
        bad_request([f"{name}: must be an integer from {accepted}, got {raw!r}"])
    return int(raw)


def _answer(
    request: Request, data: object, credits: int = 0, results: int = 0, status: int = 200
) -> Response:
    return lusha_json(
        {"requestId": request_id(request), "data": data, "billing": billing_json(credits, results)}, status
    )


async def create_table(request: Request) -> Response:
    body = await read_json_object(request)
    fields = FieldCheck()
    fields.unknown_keys(body, ["name", "visibility", "owner", "ids"])
    name = fields.string(body, "name", required=True, max_length=255)
    visibility = fields.string(body, "visibility", choices=("private", "shared")) or "private"
    email = _owner(fields, body)
    ids = fields.strings(body, "ids", max_items=MAX_IDS) or []
    fields.raise_if_any()
    assert name is not None
    backend = tables_backend(request)
    data = backend.create(_entity(request), name.strip(), visibility, backend.user(email), ids)
    return _answer(request, data, status=201)


async def list_tables(request: Request) -> Response:
    body = await read_json_object(request)
    fields = FieldCheck()
    fields.unknown_keys(body, ["owner", "page", "size", "name", "status"])
    email = _owner(fields, body)
    page = fields.integer(body, "page", minimum=0, maximum=MAX_PAGE) or 0
    size = fields.integer(body, "size", minimum=1) or DEFAULT_SIZE
    name = fields.string(body, "name")
    status = fields.string(body, "status", choices=("active", "archived"))
    fields.raise_if_any()
    backend = tables_backend(request)
    tables, total = backend.list(_entity(request), backend.user(email), page, size, name, status)
    return lusha_json(
        {
            "requestId": request_id(request),
            "data": tables,
            "pagination": {"page": page, "size": size, "total": total},
            "billing": billing_json(0, 0),
        }
    )


async def get_table(request: Request) -> Response:
    backend = tables_backend(request)
    return _answer(
        request, backend.status(_entity(request), request.path_params["table_id"], _query_email(request))
    )


async def update_table(request: Request) -> Response:
    body = await read_json_object(request)
    fields = FieldCheck()
    fields.unknown_keys(body, ["name", "visibility", "archived", "owner"])
    email = _owner(fields, body)
    changes: dict[str, object] = {}
    name = fields.string(body, "name", max_length=255)
    if name is not None:
        changes["name"] = name.strip()
    visibility = fields.string(body, "visibility", choices=("private", "shared"))
    if visibility is not None:
        changes["visibility"] = visibility
    archived = fields.boolean(body, "archived")
    if archived is not None:
        changes["archived"] = archived
    fields.raise_if_any()
    backend = tables_backend(request)
    data = backend.update(_entity(request), request.path_params["table_id"], backend.user(email), changes)
    return _answer(request, data)


async def delete_table(request: Request) -> Response:
    table_id = request.path_params["table_id"]
    tables_backend(request).delete(_entity(request), table_id, _query_email(request))
    return lusha_json({"requestId": request_id(request), "tableId": table_id, "status": "deleted"})


async def get_entities(request: Request) -> Response:
    page = _query_int(request, "page", 0, 0, MAX_PAGE)
    size = _query_int(request, "size", DEFAULT_SIZE, 1, None)
    backend = tables_backend(request)
    rows, total, credits = backend.entities(
        _entity(request), request.path_params["table_id"], _query_email(request), page, size, charger(request)
    )
    return lusha_json(
        {
            "requestId": request_id(request),
            "data": rows,
            "pagination": {"page": page, "size": size, "total": total},
            "billing": billing_json(credits, len(rows)),
        }
    )


def _entity_ids(fields: FieldCheck, body: JsonObject, key: str, required: bool) -> list[str] | None:
    return fields.strings(body, key, required=required, min_items=1 if required else 0, max_items=MAX_IDS)


async def add_entities(request: Request) -> Response:
    body = await read_json_object(request)
    fields = FieldCheck()
    fields.unknown_keys(body, ["entityIds", "companyIds", "owner"])
    ids = _entity_ids(fields, body, "entityIds", True) or []
    company_ids = _entity_ids(fields, body, "companyIds", False)
    if company_ids is not None and len(company_ids) != len(ids):
        fields.fail(
            "companyIds", f"must be index-aligned with entityIds: {len(company_ids)} for {len(ids)} ids"
        )
    email = _owner(fields, body)
    fields.raise_if_any()
    backend = tables_backend(request)
    data, credits, added = backend.add(
        _entity(request),
        request.path_params["table_id"],
        backend.user(email),
        ids,
        company_ids,
        charger(request),
    )
    return _answer(request, data, credits, added)


async def remove_entities(request: Request) -> Response:
    body = await read_json_object(request)
    fields = FieldCheck()
    fields.unknown_keys(body, ["entityIds", "owner"])
    ids = _entity_ids(fields, body, "entityIds", True) or []
    email = _owner(fields, body)
    fields.raise_if_any()
    backend = tables_backend(request)
    data = backend.remove(_entity(request), request.path_params["table_id"], backend.user(email), ids)
    return _answer(request, data)


async def list_columns(request: Request) -> Response:
    backend = tables_backend(request)
    data = backend.list_columns(_entity(request), request.path_params["table_id"], _query_email(request))
    return _answer(request, data)


async def remove_column(request: Request) -> Response:
    table_id, column_id = request.path_params["table_id"], request.path_params["column_id"]
    tables_backend(request).remove_column(_entity(request), table_id, column_id, _query_email(request))
    return lusha_json(
        {"requestId": request_id(request), "tableId": table_id, "columnId": column_id, "removed": True}
    )


async def run_column(request: Request) -> Response:
    body = await read_json_object(request)
    fields = FieldCheck()
    fields.unknown_keys(body, ["runScope", "entityIds", "owner"])
    scope = fields.string(body, "runScope", required=True, choices=("all", "missing", "specific"))
    ids = _entity_ids(fields, body, "entityIds", scope == "specific") or []
    if scope in ("all", "missing") and ids:
        fields.fail("entityIds", f"is only sent with runScope specific, not {scope}")
    email = _owner(fields, body)
    fields.raise_if_any()
    assert scope is not None
    backend = tables_backend(request)
    column_id = request.path_params["column_id"]
    credits, rows = backend.run(
        _entity(request),
        request.path_params["table_id"],
        column_id,
        backend.user(email),
        scope,
        ids,
        charger(request),
    )
    return _answer(request, {"columnId": column_id, "runScope": scope, "status": "processing"}, credits, rows)


def _routes(entity: Literal["contacts", "companies"]) -> list[Route]:
    base = f"/v3/{entity}/tables"
    one = base + "/{table_id}"
    return [
        Route(base, create_table, methods=["POST"]),
        Route(base + "/list", list_tables, methods=["POST"]),
        Route(one, get_table, methods=["GET"]),
        Route(one, update_table, methods=["PATCH"]),
        Route(one, delete_table, methods=["DELETE"]),
        Route(one + "/entities", get_entities, methods=["GET"]),
        Route(one + "/entities", add_entities, methods=["POST"]),
        Route(one + "/entities", remove_entities, methods=["DELETE"]),
        Route(one + "/columns", list_columns, methods=["GET"]),
        Route(one + "/columns/{column_id}", remove_column, methods=["DELETE"]),
        Route(one + "/columns/{column_id}/run", run_column, methods=["POST"]),
    ]


ROUTES: list[Route] = [*_routes("contacts"), *_routes("companies")]
"""The 22 operations, 11 per entity type."""
