"""The wire of the buying group (the Decision Makers capability): POST /v3/contacts/buying-group.

Up to 25 companies, each named by exactly one of `domain` or Lusha `id`; `personas` (default all
three), `contactsLimit` per company (default 60), `pagination` {page >= 0, size 10-100} (default
0/100) over the flattened list. Results are free previews (the search-result shape, with has /
canReveal) plus roles and score. Sandbox control: GET/POST /_sandbox/buying-group
(endpoints/control.py) reads and sets the product category the account sells.
"""

from __future__ import annotations

from typing import Annotated, Final, Self, cast

from pydantic import Field, model_validator
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lusha_mcp.sandbox.buying_group.backend import BuyingGroupBackend
from lusha_mcp.sandbox.buying_group.records import PERSONAS
from lusha_mcp.sandbox.state import app_backend, billing_json, charger, lusha_json, request_id, sandbox_state
from lusha_mcp.sandbox.wire import Int, OneOf, Text, WireModel, parse_body, problem

DEFAULT_CONTACTS_LIMIT: Final = 60
MAX_COMPANIES: Final = 25


class TargetCompany(WireModel):
    """A company whose buying group is asked for, named by exactly one of domain or id."""

    client_reference_id: Text | None = None
    domain: Text | None = None
    id: Text | None = None

    @model_validator(mode="after")
    def _one_identifier(self) -> Self:
        given = [key for key, value in (("domain", self.domain), ("id", self.id)) if value is not None]
        if len(given) != 1:
            raise problem(f"must contain exactly one of domain or id (got {len(given)})")
        return self

    def target(self) -> tuple[str | None, str, str]:
        """(clientReferenceId, "domain" | "id", value)."""
        if self.domain is not None:
            return self.client_reference_id, "domain", self.domain
        return self.client_reference_id, "id", cast(str, self.id)


class Pagination(WireModel):
    page: Annotated[Int, Field(ge=0)] | None = None
    size: Annotated[Int, Field(ge=10, le=100)] | None = None


class BuyingGroupRequest(WireModel):
    companies: Annotated[list[TargetCompany], Field(min_length=1, max_length=MAX_COMPANIES)]
    personas: Annotated[list[Annotated[str, OneOf(PERSONAS)]], Field(min_length=1)] | None = None
    contacts_limit: Annotated[Int, Field(ge=1)] | None = None
    pagination: Pagination | None = None

    @property
    def page(self) -> int:
        return (self.pagination.page if self.pagination else None) or 0

    @property
    def size(self) -> int:
        return (self.pagination.size if self.pagination else None) or 100


def buying_group_backend(request: Request) -> BuyingGroupBackend:
    """The buying-group backend of this request's sandbox app (it holds the product category)."""
    state = sandbox_state(request)
    return app_backend(request, "buying_group", lambda: BuyingGroupBackend(state.dataset, state.account))


async def buying_group(request: Request) -> JSONResponse:
    body = await parse_body(request, BuyingGroupRequest)
    page, size = body.page, body.size
    found = buying_group_backend(request).group(
        [company.target() for company in body.companies],
        body.personas or PERSONAS,
        body.contacts_limit or DEFAULT_CONTACTS_LIMIT,
        page,
        size,
        charger(request),
    )
    return lusha_json(
        {
            "requestId": request_id(request),
            "results": found.results,
            "pagination": {"page": page, "size": size, "total": found.total},
            "billing": billing_json(found.credits, found.shown),
        }
    )


ROUTES: list[Route] = [Route("/v3/contacts/buying-group", buying_group, methods=["POST"])]
