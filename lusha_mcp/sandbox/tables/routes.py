"""The wire of the 22 Tables operations: the declared requests, parsed; the backend; the answer.

`owner.email` comes in the body on POST/PATCH (and DELETE .../entities), as `?email=` on the
other GET/DELETE calls. Billing: Get Entities charges `export_api` per row returned, Add
Entities on companies tables `reveal_company` per newly added company, Run Column per row
processed at the column's tier; everything else is free.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lusha_mcp.sandbox.state import billing_json, charger, lusha_json, request_id
from lusha_mcp.sandbox.tables.backend import TablesBackend, tables_backend
from lusha_mcp.sandbox.tables.records import Entity
from lusha_mcp.sandbox.wire import Int, OneOf, QueryModel, Text, WireModel, parse_body, parse_query, problem

MAX_IDS = 500
MAX_PAGE = 100
DEFAULT_SIZE = 100

Visibility = Annotated[str, OneOf(("private", "shared"))]
Name = Annotated[Text, Field(max_length=255)]
EntityIds = Annotated[list[Text], Field(min_length=1, max_length=MAX_IDS)]


class Owner(WireModel):
    email: Text


class CreateTable(WireModel):
    name: Name
    visibility: Visibility | None = None
    owner: Owner
    ids: Annotated[list[Text], Field(max_length=MAX_IDS)] | None = None


class ListTables(WireModel):
    owner: Owner
    page: Annotated[Int, Field(ge=0, le=MAX_PAGE)] | None = None
    size: Annotated[Int, Field(ge=1)] | None = None
    name: Text | None = None
    status: Annotated[str, OneOf(("active", "archived"))] | None = None


class UpdateTable(WireModel):
    name: Name | None = None
    visibility: Visibility | None = None
    archived: bool | None = None
    owner: Owner


class AddEntities(WireModel):
    entity_ids: EntityIds
    company_ids: Annotated[list[Text], Field(max_length=MAX_IDS)] | None = None
    owner: Owner

    @model_validator(mode="after")
    def _aligned(self) -> Self:
        if self.company_ids is not None and len(self.company_ids) != len(self.entity_ids):
            raise problem(
                f"must be index-aligned with entityIds: {len(self.company_ids)} for {len(self.entity_ids)} ids",
                at="companyIds",
            )
        return self


class RemoveEntities(WireModel):
    entity_ids: EntityIds
    owner: Owner


class RunColumn(WireModel):
    run_scope: Annotated[str, OneOf(("all", "missing", "specific"))]
    entity_ids: Annotated[list[Text], Field(max_length=MAX_IDS)] | None = None
    owner: Owner

    @model_validator(mode="after")
    def _ids_with_specific(self) -> Self:
        if self.run_scope == "specific" and not self.entity_ids:
            raise problem(
                "is required" if self.entity_ids is None else "must contain at least 1 item", at="entityIds"
            )
        if self.run_scope != "specific" and self.entity_ids:
            raise problem(f"is only sent with runScope specific, not {self.run_scope}", at="entityIds")
        return self


class OwnerQuery(QueryModel):
    email: str | None = None


class EntitiesQuery(OwnerQuery):
    page: Annotated[Int, Field(ge=0, le=MAX_PAGE)] = 0
    size: Annotated[Int, Field(ge=1)] = DEFAULT_SIZE


def _entity(request: Request) -> Entity:
    return "contacts" if request.url.path.startswith("/v3/contacts/") else "companies"


def _query_email(request: Request) -> str:
    return TablesBackend.user(parse_query(request, OwnerQuery).email)


def _answer(
    request: Request, data: object, credits: int = 0, results: int = 0, status: int = 200
) -> Response:
    return lusha_json(
        {"requestId": request_id(request), "data": data, "billing": billing_json(credits, results)}, status
    )


async def create_table(request: Request) -> Response:
    body = await parse_body(request, CreateTable)
    backend = tables_backend(request)
    owner = backend.user(body.owner.email)
    data = backend.create(
        _entity(request), body.name.strip(), body.visibility or "private", owner, body.ids or []
    )
    return _answer(request, data, status=201)


async def list_tables(request: Request) -> Response:
    body = await parse_body(request, ListTables)
    page, size = body.page or 0, body.size or DEFAULT_SIZE
    backend = tables_backend(request)
    owner = backend.user(body.owner.email)
    tables, total = backend.list(_entity(request), owner, page, size, body.name, body.status)
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
    body = await parse_body(request, UpdateTable)
    changes: dict[str, object] = {}
    if body.name is not None:
        changes["name"] = body.name.strip()
    if body.visibility is not None:
        changes["visibility"] = body.visibility
    if body.archived is not None:
        changes["archived"] = body.archived
    backend = tables_backend(request)
    owner = backend.user(body.owner.email)
    data = backend.update(_entity(request), request.path_params["table_id"], owner, changes)
    return _answer(request, data)


async def delete_table(request: Request) -> Response:
    table_id = request.path_params["table_id"]
    tables_backend(request).delete(_entity(request), table_id, _query_email(request))
    return lusha_json({"requestId": request_id(request), "tableId": table_id, "status": "deleted"})


async def get_entities(request: Request) -> Response:
    query = parse_query(request, EntitiesQuery)
    backend = tables_backend(request)
    rows, total, credits = backend.entities(
        _entity(request),
        request.path_params["table_id"],
        backend.user(query.email),
        query.page,
        query.size,
        charger(request),
    )
    return lusha_json(
        {
            "requestId": request_id(request),
            "data": rows,
            "pagination": {"page": query.page, "size": query.size, "total": total},
            "billing": billing_json(credits, len(rows)),
        }
    )


async def add_entities(request: Request) -> Response:
    body = await parse_body(request, AddEntities)
    backend = tables_backend(request)
    data, credits, added = backend.add(
        _entity(request),
        request.path_params["table_id"],
        backend.user(body.owner.email),
        body.entity_ids,
        body.company_ids,
        charger(request),
    )
    return _answer(request, data, credits, added)


async def remove_entities(request: Request) -> Response:
    body = await parse_body(request, RemoveEntities)
    backend = tables_backend(request)
    owner = backend.user(body.owner.email)
    data = backend.remove(_entity(request), request.path_params["table_id"], owner, body.entity_ids)
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
    body = await parse_body(request, RunColumn)
    backend = tables_backend(request)
    column_id = request.path_params["column_id"]
    credits, rows = backend.run(
        _entity(request),
        request.path_params["table_id"],
        column_id,
        backend.user(body.owner.email),
        body.run_scope,
        body.entity_ids or [],
        charger(request),
    )
    return _answer(
        request, {"columnId": column_id, "runScope": body.run_scope, "status": "processing"}, credits, rows
    )


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
