"""The wire of lookalikes: POST /v3/contacts/lookalike and /v3/companies/lookalike.

Contacts take 5-100 seeds (LinkedIn URLs, emails, ids, legacy numeric contactIds, or name +
company); companies take 1-100 seeds (domains, LinkedIn URLs). `exclude` has the seeds' shape,
`limit` is 1-100 (default 25), `dedupeSessionId` pages a session (see the backend), `tableId`
also saves the results into a table. Sandbox control (tests): `POST /_sandbox/lookalikes/age`
(endpoints/control.py).
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Final, Self, cast

from pydantic import ConfigDict, Field, model_validator
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lusha_mcp.sandbox.lookalikes.backend import Kind, LookalikePage, LookalikesBackend, LookalikeSessions
from lusha_mcp.sandbox.state import app_backend, billing_json, charger, lusha_json, sandbox_state
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
    KIND: ClassVar[Kind]
    MIN_SEEDS: ClassVar[int]
    SEEDS_AS: ClassVar[str]
    """How seeds are sent (for the message when none are)."""

    table_id: Text | None = None
    dedupe_session_id: Text | None = None
    limit: Limit | None = None

    @property
    def page_size(self) -> int:
        return self.limit or 25

    def seed_count(self) -> int | None:
        raise NotImplementedError

    @model_validator(mode="after")
    def _seed_count(self) -> Self:
        count = self.seed_count()
        noun = "contacts" if self.KIND == "contact" else "companies"
        if count is None:
            raise problem(
                f"is required: send {self.MIN_SEEDS}-{MAX_SEEDS} {noun} as {self.SEEDS_AS}", at="seeds"
            )
        if not self.MIN_SEEDS <= count <= MAX_SEEDS:
            raise problem(f"must hold {self.MIN_SEEDS}-{MAX_SEEDS} {noun} in total, got {count}", at="seeds")
        return self


class ContactLookalikesRequest(_LookalikesRequest):
    KIND = "contact"
    MIN_SEEDS = MIN_CONTACT_SEEDS
    SEEDS_AS = "linkedinUrls, emails, ids or contacts (name + company)"
    seeds: ContactIdentifiers | None = None
    exclude: ContactIdentifiers | None = None

    def seed_count(self) -> int | None:
        return None if self.seeds is None else len(self.seeds.items())

    def items(self) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
        """(seeds, exclude) as find_contact items."""
        return (self.seeds.items() if self.seeds else [], self.exclude.items() if self.exclude else [])


class CompanyLookalikesRequest(_LookalikesRequest):
    KIND = "company"
    MIN_SEEDS = 1
    SEEDS_AS = "domains and/or linkedinUrls"
    seeds: CompanyIdentifiers | None = None
    exclude: CompanyIdentifiers | None = None

    def seed_count(self) -> int | None:
        return None if self.seeds is None else len(self.seeds.items())

    def items(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(seeds, exclude) as (domain | linkedinUrl, value) pairs."""
        return (self.seeds.items() if self.seeds else [], self.exclude.items() if self.exclude else [])


# --- handlers ------------------------------------------------------------------------------------


def lookalikes_backend(request: Request) -> LookalikesBackend:
    """The lookalikes backend of this request's sandbox app (its sessions in the account file)."""
    state = sandbox_state(request)
    return app_backend(
        request,
        "lookalikes",
        lambda: LookalikesBackend(state.dataset, LookalikeSessions(state.account), tables_backend(request)),
    )


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


async def _lookalikes(
    request: Request, model: type[ContactLookalikesRequest] | type[CompanyLookalikesRequest]
) -> JSONResponse:
    raw = await read_json_object(request)
    backend = lookalikes_backend(request)
    session_id = backend.live_session(validate(SessionRef, raw).dedupe_session_id, model.KIND)
    body = validate(model, raw)
    charge = charger(request)
    if isinstance(body, ContactLookalikesRequest):
        seeds, exclude = body.items()
        page = backend.contacts(seeds, exclude, body.page_size, session_id, body.table_id, charge)
    else:
        pairs, excluded = body.items()
        page = backend.companies(pairs, excluded, body.page_size, session_id, body.table_id, charge)
    return _answer(page)


async def contact_lookalikes(request: Request) -> JSONResponse:
    return await _lookalikes(request, ContactLookalikesRequest)


async def company_lookalikes(request: Request) -> JSONResponse:
    return await _lookalikes(request, CompanyLookalikesRequest)


ROUTES: list[Route] = [
    Route("/v3/contacts/lookalike", contact_lookalikes, methods=["POST"]),
    Route("/v3/companies/lookalike", company_lookalikes, methods=["POST"]),
]
