"""The wire of POST /v3/contacts/prospecting and /v3/companies/prospecting.

Pagination: `page` 0-1000 and `size` 10-100 (V3PaginationRequest), and at most 50,000 results
per query, so the last reachable page is 50,000 / size - 1. The filters are declared in
criteria.py; billing and table writes are described in backend.py.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, PlainValidator, model_validator
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lusha_mcp.sandbox.prospecting.backend import Page, ProspectingBackend
from lusha_mcp.sandbox.prospecting.criteria import CompanyFilters, ContactFilters
from lusha_mcp.sandbox.state import billing_json, charger, lusha_json, request_id, sandbox_state
from lusha_mcp.sandbox.tables.backend import tables_backend
from lusha_mcp.sandbox.wire import Int, WireModel, parse_body, problem

MAX_PAGE = 1000
MIN_SIZE, MAX_SIZE = 10, 100
MAX_RESULTS = 50_000


class Pagination(WireModel):
    page: Annotated[Int, Field(ge=0, le=MAX_PAGE)]
    size: Annotated[Int, Field(ge=MIN_SIZE, le=MAX_SIZE)]

    @model_validator(mode="after")
    def _reachable(self) -> Self:
        if (self.page + 1) * self.size > MAX_RESULTS:
            raise problem(
                f"a query returns at most {MAX_RESULTS} results; with size {self.size} the last page is "
                f"{MAX_RESULTS // self.size - 1}. Narrow the filters instead",
                at="page",
            )
        return self


def _table_id(value: object) -> str:
    if not isinstance(value, str):
        raise problem("send the table's id as a string, as returned by list tables")
    return value


TableId = Annotated[str, PlainValidator(_table_id)]


class ContactOptions(WireModel):
    include_partial_profiles: bool | None = None
    exclude_dnc: bool | None = None


class CompanyOptions(WireModel):
    include_partial_profiles: bool | None = None


class ContactProspectingRequest(WireModel):
    pagination: Pagination
    filters: ContactFilters
    table_id: TableId | None = None
    options: ContactOptions | None = None


class CompanyProspectingRequest(WireModel):
    pagination: Pagination
    filters: CompanyFilters
    table_id: TableId | None = None
    options: CompanyOptions | None = None


def _backend(request: Request) -> ProspectingBackend:
    return ProspectingBackend(sandbox_state(request), tables_backend(request))


def _answer(request: Request, pagination: Pagination, page: Page) -> Response:
    return lusha_json(
        {
            "requestId": request_id(request),
            "results": page.results,
            "pagination": {"page": pagination.page, "size": pagination.size, "total": page.total},
            **({"tableWrite": page.table_write} if page.table_write is not None else {}),
            "billing": billing_json(page.credits, len(page.results)),
        }
    )


async def prospect_contacts(request: Request) -> Response:
    body = await parse_body(request, ContactProspectingRequest)
    exclude_dnc = bool(body.options and body.options.exclude_dnc)
    page = _backend(request).contacts(
        body.filters,
        body.pagination.page,
        body.pagination.size,
        exclude_dnc=exclude_dnc,
        table_id=body.table_id,
        charge=charger(request),
    )
    return _answer(request, body.pagination, page)


async def prospect_companies(request: Request) -> Response:
    body = await parse_body(request, CompanyProspectingRequest)
    page = _backend(request).companies(
        body.filters,
        body.pagination.page,
        body.pagination.size,
        table_id=body.table_id,
        charge=charger(request),
    )
    return _answer(request, body.pagination, page)


ROUTES = [
    Route("/v3/contacts/prospecting", prospect_contacts, methods=["POST"]),
    Route("/v3/companies/prospecting", prospect_companies, methods=["POST"]),
]
