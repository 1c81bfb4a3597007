"""The wire of GET /v3/{contacts,companies}/prospecting/filters[/{filterType}].

`query` is 2-256 characters (surrounding spaces aside); filter types marked `requiresQuery`
need it, the others accept it to narrow the list (backend.py lists the value shapes).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lusha_mcp.sandbox.errors import bad_request
from lusha_mcp.sandbox.filters.backend import CATALOGUES, Entity, FiltersBackend
from lusha_mcp.sandbox.state import lusha_json, sandbox_state
from lusha_mcp.sandbox.wire import QueryModel, parse_query, problem


def _length(value: str) -> str:
    if not 2 <= len(value.strip()) <= 256:
        raise problem("must be 2-256 characters")
    return value.strip()


class ValuesQuery(QueryModel):
    query: Annotated[str, AfterValidator(_length)] | None = None


def _values(request: Request, entity: Entity) -> Response:
    filter_type = request.path_params["filterType"]
    requires_query = FiltersBackend.requires_query(entity, filter_type)
    if requires_query is None:
        bad_request(
            [
                f"filterType: unknown {entity} filter type {filter_type!r}; "
                f"use one of: {', '.join(CATALOGUES[entity])}"
            ],
            "Invalid filter type",
        )
    query = parse_query(request, ValuesQuery).query
    if requires_query and not query:
        bad_request([f"query: required for {filter_type} (2-256 characters, e.g. ?query=san)"])
    values = FiltersBackend(sandbox_state(request).dataset).values(entity, filter_type, query)
    return lusha_json({"values": values})


async def contact_filter_types(request: Request) -> Response:
    return lusha_json({"availableFilters": FiltersBackend.types("contact")})


async def contact_filter_values(request: Request) -> Response:
    return _values(request, "contact")


async def company_filter_types(request: Request) -> Response:
    return lusha_json({"availableFilters": FiltersBackend.types("company")})


async def company_filter_values(request: Request) -> Response:
    return _values(request, "company")


ROUTES = [
    Route("/v3/contacts/prospecting/filters", contact_filter_types, methods=["GET"]),
    Route("/v3/contacts/prospecting/filters/{filterType}", contact_filter_values, methods=["GET"]),
    Route("/v3/companies/prospecting/filters", company_filter_types, methods=["GET"]),
    Route("/v3/companies/prospecting/filters/{filterType}", company_filter_values, methods=["GET"]),
]
