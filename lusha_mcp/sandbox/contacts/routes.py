"""The wire of POST /v3/contacts/search, /v3/contacts/enrich, /v3/contacts/search-and-enrich:
the declared requests, parsed and handed to the backend; billing and GDPR are in backend.py."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, model_validator
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lusha_mcp.sandbox.contacts.backend import CONTACT_IDENTIFIERS, ContactsBackend
from lusha_mcp.sandbox.contacts.records import CONTACT_REVEAL_FIELDS
from lusha_mcp.sandbox.search import MAX_ITEMS, NO_TABLES, SearchOptions
from lusha_mcp.sandbox.signal_filters import ContactSignalsFilter
from lusha_mcp.sandbox.state import charger, results_json, sandbox_state
from lusha_mcp.sandbox.wire import Email, OneOf, Refuse, Text, WireModel, dedupe, parse_body, problem


class ContactItem(WireModel):
    """One contact to find: by id, LinkedIn URL, email, or name and company."""

    client_reference_id: Text | None = None
    id: Text | None = None
    linkedin_url: Text | None = None
    email: Email | None = None
    first_name: Text | None = None
    last_name: Text | None = None
    company_name: Text | None = None
    company_domain: Text | None = None

    @model_validator(mode="after")
    def _one_identifier(self) -> Self:
        by_name = self.first_name and self.last_name and (self.company_name or self.company_domain)
        if not (self.id or self.linkedin_url or self.email or by_name):
            raise problem(f"needs one identifier: {CONTACT_IDENTIFIERS}")
        return self


ContactItems = Annotated[list[ContactItem], Field(min_length=1, max_length=MAX_ITEMS)]
RevealList = Annotated[list[Annotated[str, OneOf(CONTACT_REVEAL_FIELDS)]], Field(min_length=1)]


class SearchRequest(WireModel):
    contacts: ContactItems
    options: SearchOptions | None = None
    signals: ContactSignalsFilter | None = None


class EnrichRequest(WireModel):
    ids: Annotated[list[Text], Field(min_length=1, max_length=MAX_ITEMS)]
    reveal: RevealList | None = None
    waterfall_enabled: bool | None = None
    table_id: Annotated[None, Refuse(NO_TABLES)] = None


class SearchAndEnrichRequest(WireModel):
    contacts: ContactItems
    reveal: RevealList | None = None
    options: SearchOptions | None = None


def reveal_fields(reveal: list[str] | None) -> list[str]:
    """The `reveal` list (default: emails and phones), de-duplicated."""
    return dedupe(reveal) if reveal is not None else list(CONTACT_REVEAL_FIELDS)


def _backend(request: Request) -> ContactsBackend:
    return ContactsBackend(sandbox_state(request))


async def search_contacts(request: Request) -> Response:
    body = await parse_body(request, SearchRequest)
    signals = body.signals.request() if body.signals is not None else None
    return results_json(request, _backend(request).search(body.contacts, signals, charger(request)))


async def enrich_contacts(request: Request) -> Response:
    body = await parse_body(request, EnrichRequest)
    answer = _backend(request).enrich(body.ids, reveal_fields(body.reveal), charger(request))
    return results_json(request, answer)


async def search_and_enrich_contacts(request: Request) -> Response:
    body = await parse_body(request, SearchAndEnrichRequest)
    answer = _backend(request).search_and_enrich(body.contacts, reveal_fields(body.reveal), charger(request))
    return results_json(request, answer)


ROUTES = [
    Route("/v3/contacts/search", search_contacts, methods=["POST"]),
    Route("/v3/contacts/enrich", enrich_contacts, methods=["POST"]),
    Route("/v3/contacts/search-and-enrich", search_and_enrich_contacts, methods=["POST"]),
]
