"""The wire of lookalikes: POST /v3/contacts/lookalike and /v3/companies/lookalike.

Contacts take 5-100 seeds (LinkedIn URLs, emails, ids, legacy numeric contactIds, or name +
company); companies take 1-100 seeds (domains, LinkedIn URLs). `exclude` has the seeds' shape,
`limit` is 1-100 (default 25), `dedupeSessionId` pages a session (see the backend), `tableId`
also saves the results into a table. Sandbox control (tests): `POST /_sandbox/lookalikes/age`
(endpoints/control.py).
"""

from __future__ import annotations

import threading
from typing import Annotated, Final, Self, cast

from pydantic import ConfigDict, Field, model_validator
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lusha_mcp.sandbox.lookalikes.backend import LookalikePage, LookalikesBackend, LookalikeSessions
from lusha_mcp.sandbox.state import billing_json, charger, lusha_json, sandbox_state
from lusha_mcp.sandbox.tables.backend import tables_backend
from lusha_mcp.sandbox.wire import Email, Int, Text, WireModel, problem, read_json_object, validate

MIN_CONTACT_SEEDS: Final = 5
MAX_SEEDS: Final = 100

Texts = Annotated[list[Text], Field(max_length=MAX_SEEDS)]
Limit = Annotated[Int, Field(ge=1, le=100)]


# --- declared requests ---------------------------------------------------------------------------


class ContactByName(WireModel):
    first_name: Text
    last_name: Text
    company_domain: Text | None = None
    company_name: Text | None = None

    @model_validator(mode="after")
    def _with_company(self) -> Self:
        if self.company_domain is None and self.company_name is None:
            raise problem("needs companyDomain or companyName")
        return self

    def item(self) -> dict[str, str]:
        company = (
            {"companyDomain": self.company_domain}
            if self.company_domain is not None
            else {"companyName": cast(str, self.company_name)}
        )
        return {"firstName": self.first_name, "lastName": self.last_name} | company


class ContactIdentifiers(WireModel):
    """A ContactIdentifiersBatch: contacts by LinkedIn URL, email, id, legacy numeric id or name."""

    linkedin_urls: Texts | None = None
    emails: Annotated[list[Email], Field(max_length=MAX_SEEDS)] | None = None
    ids: Texts | None = None
    contact_ids: Annotated[list[Int], Field(max_length=MAX_SEEDS)] | None = None
    contacts: Annotated[list[ContactByName], Field(max_length=MAX_SEEDS)] | None = None

    def items(self) -> list[dict[str, str]]:
        """The identifiers as find_contact items, in the order of the batch's fields."""
        return [
            *({"linkedinUrl": url} for url in self.linkedin_urls or []),
            *({"email": email} for email in self.emails or []),
            *({"id": contact_id} for contact_id in self.ids or []),
            *({"id": str(number)} for number in self.contact_ids or []),
            *(contact.item() for contact in self.contacts or []),
        ]


class CompanyIdentifiers(WireModel):
    """A CompanyIdentifiersBatch: companies by domain and/or LinkedIn URL."""

    domains: Texts | None = None
    linkedin_urls: Texts | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if self.domains is None and self.linkedin_urls is None:
            raise problem("must be an object with domains and/or linkedinUrls")
        return self

    def items(self) -> list[tuple[str, str]]:
        return [("domain", domain) for domain in self.domains or []] + [
            ("linkedinUrl", url) for url in self.linkedin_urls or []
        ]


class SessionRef(WireModel):
    """The session a request pages, read before the rest: a dead session answers 410 whatever
    else the body holds (as Lusha's own example shows)."""

    model_config = ConfigDict(extra="ignore")
    dedupe_session_id: Text | None = None


class _LookalikesRequest(WireModel):
    table_id: Text | None = None
    dedupe_session_id: Text | None = None
    limit: Limit | None = None

    @property
    def page_size(self) -> int:
        return self.limit or 25


class ContactLookalikesRequest(_LookalikesRequest):
    seeds: ContactIdentifiers | None = None
    exclude: ContactIdentifiers | None = None

    @model_validator(mode="after")
    def _seed_count(self) -> Self:
        if self.seeds is None:
            raise problem(
                "is required: send 5-100 contacts as linkedinUrls, emails, ids or contacts (name + company)",
                at="seeds",
            )
        if not MIN_CONTACT_SEEDS <= len(self.seeds.items()) <= MAX_SEEDS:
            raise problem(
                f"must hold {MIN_CONTACT_SEEDS}-{MAX_SEEDS} contacts in total, got {len(self.seeds.items())}",
                at="seeds",
            )
        return self


class CompanyLookalikesRequest(_LookalikesRequest):
    seeds: CompanyIdentifiers | None = None
    exclude: CompanyIdentifiers | None = None

    @model_validator(mode="after")
    def _seed_count(self) -> Self:
        if self.seeds is None:
            raise problem("is required: send 1-100 companies as domains and/or linkedinUrls", at="seeds")
        if not 1 <= len(self.seeds.items()) <= MAX_SEEDS:
            raise problem(
                f"must hold 1-{MAX_SEEDS} companies in total, got {len(self.seeds.items())}", at="seeds"
            )
        return self


# --- handlers ------------------------------------------------------------------------------------

_lock = threading.Lock()


def lookalikes_backend(request: Request) -> LookalikesBackend:
    """The lookalikes backend of this request's sandbox app (created on first use)."""
    state = sandbox_state(request)
    with _lock:
        backend = cast(LookalikesBackend | None, getattr(request.app.state, "lookalikes", None))
        if backend is None:
            backend = LookalikesBackend(
                state.dataset, LookalikeSessions(state.account), tables_backend(request)
            )
            request.app.state.lookalikes = backend
        return backend


def _answer(page: LookalikePage) -> JSONResponse:
    return lusha_json(
        {
            "dedupeSessionId": page.session_id,
            "results": page.results,
            "meta": {"returned": len(page.results), "hasMore": page.has_more},
            **({"tableWrite": page.table_write} if page.table_write is not None else {}),
            "billing": billing_json(page.credits, len(page.results)),
        }
    )


async def contact_lookalikes(request: Request) -> JSONResponse:
    raw = await read_json_object(request)
    backend = lookalikes_backend(request)
    session_id = backend.live_session(validate(SessionRef, raw).dedupe_session_id, "contact")
    body = validate(ContactLookalikesRequest, raw)
    seeds = body.seeds.items() if body.seeds is not None else []
    exclude = body.exclude.items() if body.exclude is not None else []
    page = backend.contacts(seeds, exclude, body.page_size, session_id, body.table_id, charger(request))
    return _answer(page)


async def company_lookalikes(request: Request) -> JSONResponse:
    raw = await read_json_object(request)
    backend = lookalikes_backend(request)
    session_id = backend.live_session(validate(SessionRef, raw).dedupe_session_id, "company")
    body = validate(CompanyLookalikesRequest, raw)
    seeds = body.seeds.items() if body.seeds is not None else []
    exclude = body.exclude.items() if body.exclude is not None else []
    page = backend.companies(seeds, exclude, body.page_size, session_id, body.table_id, charger(request))
    return _answer(page)


ROUTES: list[Route] = [
    Route("/v3/contacts/lookalike", contact_lookalikes, methods=["POST"]),
    Route("/v3/companies/lookalike", company_lookalikes, methods=["POST"]),
]
