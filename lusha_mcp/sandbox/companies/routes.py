"""The wire of POST /v3/companies/search, /v3/companies/enrich, /v3/companies/search-and-enrich:
the declared requests, parsed and handed to the backend; billing is described in backend.py."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, model_validator
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lusha_mcp.sandbox.companies.backend import COMPANY_IDENTIFIERS, CompaniesBackend
from lusha_mcp.sandbox.companies.records import COMPANY_REVEAL_FIELDS
from lusha_mcp.sandbox.search import MAX_ITEMS, NO_TABLES, SearchOptions
from lusha_mcp.sandbox.signal_filters import CompanySignalsFilter
from lusha_mcp.sandbox.state import charger, results_json, sandbox_state
from lusha_mcp.sandbox.wire import OneOf, Refuse, Text, WireModel, dedupe, parse_body, problem


class CompanyItem(WireModel):
    """One company to find: by id, domain or name."""

    client_reference_id: Text | None = None
    id: Text | None = None
    name: Text | None = None
    domain: Text | None = None

    @model_validator(mode="after")
    def _one_identifier(self) -> Self:
        if not (self.id or self.name or self.domain):
            raise problem(f"needs one identifier: {COMPANY_IDENTIFIERS}")
        return self


CompanyItems = Annotated[list[CompanyItem], Field(min_length=1, max_length=MAX_ITEMS)]


class SearchRequest(WireModel):
    companies: CompanyItems
    options: SearchOptions | None = None
    signals: CompanySignalsFilter | None = None


class EnrichRequest(WireModel):
    ids: Annotated[list[Text], Field(min_length=1, max_length=MAX_ITEMS)]
    reveal: list[Annotated[str, OneOf(COMPANY_REVEAL_FIELDS)]] | None = None
    table_id: Annotated[None, Refuse(NO_TABLES)] = None


class SearchAndEnrichRequest(WireModel):
    companies: CompanyItems
    options: SearchOptions | None = None


def _backend(request: Request) -> CompaniesBackend:
    return CompaniesBackend(sandbox_state(request))


async def search_companies(request: Request) -> Response:
    body = await parse_body(request, SearchRequest)
    signals = body.signals.request() if body.signals is not None else None
    return results_json(request, _backend(request).search(body.companies, signals, charger(request)))


async def enrich_companies(request: Request) -> Response:
    body = await parse_body(request, EnrichRequest)
    extras = dedupe(body.reveal or [])
    return results_json(request, _backend(request).enrich(body.ids, extras, charger(request)))


async def search_and_enrich_companies(request: Request) -> Response:
    body = await parse_body(request, SearchAndEnrichRequest)
    return results_json(request, _backend(request).search_and_enrich(body.companies, charger(request)))


ROUTES = [
    Route("/v3/companies/search", search_companies, methods=["POST"]),
    Route("/v3/companies/enrich", enrich_companies, methods=["POST"]),
    Route("/v3/companies/search-and-enrich", search_and_enrich_companies, methods=["POST"]),
]
