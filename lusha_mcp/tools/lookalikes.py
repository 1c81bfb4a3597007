"""find_lookalikes: contacts or companies like a set of seeds, continued by named dedupe sessions.

A `session` name ("fintech-expansion") keeps Lusha's dedupeSessionId in the data dir, so asking
again with the same name returns only new results, across server restarts, for the 30 days Lusha
keeps a session after its last use. When Lusha no longer knows the session (410) or it is older
than that, the stored id is dropped and a fresh session starts in the same call; the result says
so, since earlier results may then come back.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from lusha_mcp.api.errors import GoneError, InvalidRequestError
from lusha_mcp.api.models import (
    CompanyLookalikesRequest,
    CompanyLookalikesResponse,
    ContactLookalikesRequest,
    ContactLookalikesResponse,
)
from lusha_mcp.api.models.tables import TableWrite
from lusha_mcp.guard import Quote
from lusha_mcp.settings import Toolset
from lusha_mcp.storage.base import LookalikeEntity
from lusha_mcp.storage.sqlite_lookalikes import account_key
from lusha_mcp.tools.framework import (
    METERED_SEARCH,
    ArgumentError,
    Billed,
    MeteredResult,
    Plan,
    ToolCall,
    ToolGroup,
    table,
)
from lusha_mcp.tools.tables import SaveToTableArg, table_write_note

group = ToolGroup()
register = group.register

ACTIONS = {"contacts": "lookalikeContact", "companies": "lookalikeCompany"}
SESSION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.:-]{0,63}$")


class Lookalike(BaseModel):
    """One similar contact or company (a preview: enrich it by id)."""

    id: str | None = None
    name: str | None = None
    title: str | None = Field(default=None, description="Job title (contacts).")
    company: str | None = Field(default=None, description="Company (contacts) or industry (companies).")
    company_id: str | None = Field(default=None, description="Lusha company id (contacts).")
    domain: str | None = None
    country: str | None = None
    linkedin: str | None = None


class Lookalikes(MeteredResult):
    """Lookalike previews; ask again with the same session for more without repeats."""

    entity: LookalikeEntity | None = None
    results: list[Lookalike] = Field(default_factory=list[Lookalike])
    has_more: bool = Field(default=False, description="Lusha has more for this session.")
    session: str | None = Field(default=None, description="Session name to continue with.")
    session_results: int | None = Field(default=None, description="Results returned in this session so far.")
    table_write: TableWrite | None = Field(default=None, description="What saving into table_id did.")

    def render(self) -> str:
        contacts = self.entity == "contacts"
        head = f"{len(self.results)} lookalike {self.entity}"
        if self.session:
            head += f" (session '{self.session}': {self.session_results} so far)"
        if self.session and self.has_more:
            head += f". More: call find_lookalikes again with the same seeds and session='{self.session}'"
        elif self.session:
            head += ". No more in this session"
        else:
            head += ". For more without repeats, call again with a session name"
        enrich = "enrich_contacts" if contacts else "enrich_companies"
        if contacts:
            headers: tuple[str, ...] = ("id", "name", "title", "company", "company id", "domain", "country")
            rows = [
                (r.id, r.name, r.title, r.company, r.company_id, r.domain, r.country) for r in self.results
            ]
        else:
            headers = ("id", "name", "industry", "domain", "country")
            rows = [(r.id, r.name, r.company, r.domain, r.country) for r in self.results]
        return f"{head}. Reveal with {enrich}(ids=[...]).\n" + table(
            headers, rows, shorten=("name", "title", "company", "industry")
        )


def _identifiers(entity: LookalikeEntity, values: list[str], field: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for raw in values:
        value = raw.strip()
        if not value:
            raise ArgumentError(field, "an entry is blank", "ids, emails, LinkedIn URLs or domains")
        if "linkedin.com/" in value.lower():
            kind = "linkedin_urls"
        elif entity == "contacts":
            kind = "emails" if "@" in value else "ids"
        else:
            kind = "domains"
            value = re.sub(r"^(https?://)?(www\.)?", "", value.lower()).split("/")[0]
        found.setdefault(kind, [])
        if value not in found[kind]:
            found[kind].append(value)
    return found


def _request(
    entity: LookalikeEntity, seeds: list[str], exclude: list[str] | None, limit: int
) -> ContactLookalikesRequest | CompanyLookalikesRequest:
    body: dict[str, Any] = {"seeds": _identifiers(entity, seeds, "seeds"), "limit": limit}
    if exclude:
        body["exclude"] = _identifiers(entity, exclude, "exclude")
    try:
        if entity == "contacts":
            return ContactLookalikesRequest.model_validate(body)
        return CompanyLookalikesRequest.model_validate(body)
    except InvalidRequestError as exc:
        accepted = (
            "5 to 100 contact ids, emails or LinkedIn URLs"
            if entity == "contacts"
            else "1 to 100 company domains or LinkedIn URLs"
        )
        problems = "; ".join(p.removeprefix("request: ") for p in exc.problems)
        raise ArgumentError("seeds", problems or exc.message, accepted) from None


def _rows(response: ContactLookalikesResponse | CompanyLookalikesResponse) -> list[Lookalike]:
    if isinstance(response, ContactLookalikesResponse):
        return [
            Lookalike(
                id=r.id,
                name=" ".join(part for part in (r.first_name, r.last_name) if part) or None,
                title=r.job_title.title if r.job_title else None,
                company=r.company.name if r.company else None,
                company_id=r.company.id if r.company else None,
                domain=r.company.domain if r.company else None,
                country=r.location.country if r.location else None,
                linkedin=r.social_links.linkedin if r.social_links else None,
            )
            for r in response.results
        ]
    return [
        Lookalike(
            id=r.id,
            name=r.name,
            company=r.industry,
            domain=r.domain,
            country=r.location.country if r.location else None,
            linkedin=r.social_links.linkedin if r.social_links else None,
        )
        for r in response.results
    ]


@group.tool(toolset=Toolset.lookalikes, title="Find lookalikes", annotations=METERED_SEARCH, metered=True)
async def find_lookalikes(
    call: ToolCall,
    entity: Annotated[Literal["contacts", "companies"], Field(description="What to find.")],
    seeds: Annotated[
        list[str],
        Field(
            description="Contacts: 5-100 ids, emails or LinkedIn URLs. Companies: domains or LinkedIn URLs."
        ),
    ],
    session: Annotated[
        str | None, Field(description='Name to continue later without repeats, e.g. "fintech-expansion".')
    ] = None,
    limit: Annotated[int, Field(description="Results (1-100).", ge=1, le=100)] = 25,
    exclude: Annotated[list[str] | None, Field(description="Same formats as seeds.")] = None,
    table_id: SaveToTableArg = None,
) -> Plan[Lookalikes]:
    """Find contacts or companies similar to seeds (AI lookalikes).

    Use this to expand a list of good customers or buyers. Cost: lookalike credits per result
    (at most limit). Reuse the same session name for "more like these": no repeats, 30 days.
    """
    if session is not None and not SESSION_NAME.match(session):
        raise ArgumentError(
            "session", f"'{session}' is not a usable name", "1-64 letters, digits, spaces, _ . : -"
        )
    request = _request(entity, seeds, exclude, limit).model_copy(update={"table_id": table_id})
    book = await call.guard.pricing.book()
    saving = [book.item("companies saved to the table", "reveal_company", limit)] if table_id else []
    quote = Quote.of(
        [
            book.item(f"lookalike {entity}", ACTIONS[entity], limit),
            *(saving if entity == "companies" else []),
        ],
        records=limit,
    )
    settings = call.settings
    api_key = settings.api_key.get_secret_value() if settings.api_key else ""
    store = call.guard.storage.lookalikes(account_key(settings.base_url, api_key))
    notes: list[str] = []
    stored = None
    if session is not None:
        stored, expired = await store.get(entity, session)
        if expired:
            notes.append(f"Session '{session}' was unused for 30 days and expired; a fresh one started.")

    async def send(dedupe_session_id: str | None) -> ContactLookalikesResponse | CompanyLookalikesResponse:
        session_uuid = UUID(dedupe_session_id) if dedupe_session_id else None
        body = request.model_copy(update={"dedupe_session_id": session_uuid})
        if isinstance(body, ContactLookalikesRequest):
            return await call.client.lookalikes.contacts(body)
        return await call.client.lookalikes.companies(body)

    async def run() -> Billed[Lookalikes]:
        try:
            response = await send(stored.dedupe_session_id if stored else None)
        except GoneError:
            if stored is None or session is None:
                raise
            await store.drop(entity, session)
            notes.append(
                f"Lusha no longer knows session '{session}'; a fresh one started, so earlier results may repeat."
            )
            response = await send(None)
        result = Lookalikes(
            entity=entity, results=_rows(response), has_more=response.meta.has_more, notes=list(notes)
        )
        result.table_write = response.table_write
        result.notes.extend(note for note in [table_write_note(response.table_write)] if note)
        if session is not None and response.dedupe_session_id:
            saved = await store.save(entity, session, response.dedupe_session_id, len(result.results))
            result.session, result.session_results = session, saved.results
        billing = response.billing
        return Billed(result, billing.credits_charged if billing else 0, response.request_id)

    return Plan(quote=quote, run=run)
