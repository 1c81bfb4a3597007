"""Core contact tools: search (previews), enrich (reveal emails/phones), prospect (filters)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lusha_mcp.api.errors import InvalidRequestError
from lusha_mcp.api.models import (
    ContactPreview,
    ContactSearchItem,
    EnrichedContact,
    Pagination,
)
from lusha_mcp.api.models.base import known_fields
from lusha_mcp.api.models.contacts import ContactSignalType
from lusha_mcp.api.models.prospecting import ProspectingContactsRequest
from lusha_mcp.guard import PreviewCache, PriceBook, Quote, QuoteItem, quote_contact_reveals
from lusha_mcp.guard.pricing import REVEAL_ACTIONS, SEARCH_ACTION
from lusha_mcp.settings import Toolset
from lusha_mcp.tools.catalog import (
    METERED_REVEAL,
    METERED_SEARCH,
    Billed,
    Plan,
    ToolCall,
    ToolGroup,
    billed,
    until_failure,
)
from lusha_mcp.tools.errors import ArgumentError
from lusha_mcp.tools.prospecting_filters import (
    AllTechnologiesArg,
    CountriesArg,
    DataPoint,
    DepartmentsArg,
    DomainsArg,
    ExcludeArg,
    FilterVocabulary,
    IndustriesArg,
    RawFiltersArg,
    RevenuesArg,
    SearchTextArg,
    SeniorityArg,
    SizesArg,
    TechnologiesArg,
    TitlesArg,
    bands,
    checked_request,
    country_codes,
    merge,
    prune,
    technologies_condition,
)
from lusha_mcp.tools.results import MeteredResult, page_heading, table
from lusha_mcp.tools.signals import signal_item

BATCH = 100
group = ToolGroup()
register = group.register

RevealField = Literal["emails", "phones"]


class ContactLookup(BaseModel):
    """Give id, linkedin_url, email, or first+last name with company."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, description="Lusha id")
    linkedin_url: str | None = Field(default=None, description="Profile URL")
    email: str | None = Field(default=None, description="Email")
    first_name: str | None = Field(default=None, description="First name")
    last_name: str | None = Field(default=None, description="Last name")
    company_name: str | None = Field(default=None, description="Company name")
    company_domain: str | None = Field(default=None, description="Company domain")

    def to_item(self, reference: int) -> ContactSearchItem:
        data = self.model_dump(exclude_none=True)
        return ContactSearchItem(client_reference_id=str(reference), **data)


def _lookups(contacts: Sequence[ContactLookup], field: str) -> list[ContactSearchItem]:
    if not contacts:
        raise ArgumentError(field, "the list is empty", "1 to 500 contacts")
    items: list[ContactSearchItem] = []
    for index, contact in enumerate(contacts):
        try:
            items.append(contact.to_item(index))
        except InvalidRequestError as exc:
            raise ArgumentError(
                f"{field}[{index}]",
                "; ".join(problem.removeprefix("request: ") for problem in exc.problems),
                "one identifier: id, linkedin_url, email, or first_name + last_name + company_name/company_domain",
            ) from None
    return items


def remember_previews(previews: PreviewCache, records: Iterable[ContactPreview]) -> None:
    """Keep has/canReveal of every preview so a later reveal is quoted without spending."""
    for record in records:
        if record.id:
            previews.remember(
                record.id, record.has, {entry.field: float(entry.credits or 0) for entry in record.can_reveal}
            )


def _name(first: str | None, last: str | None, full: str | None = None) -> str:
    return full or " ".join(part for part in (first, last) if part)


class ContactPreviews(MeteredResult):
    """Contact previews (no emails or phones); enrich_contacts reveals them by id."""

    contacts: list[ContactPreview] = Field(default_factory=list[ContactPreview])
    pagination: Pagination | None = Field(default=None, description="Page, size and total of prospecting.")

    @field_validator("contacts")
    @classmethod
    def _previews_only(cls, contacts: list[ContactPreview]) -> list[ContactPreview]:
        return [known_fields(contact) for contact in contacts]

    def render(self) -> str:
        rows = [
            (
                contact.id or "-",
                _name(contact.first_name, contact.last_name),
                contact.job_title.title if contact.job_title else None,
                contact.company.name if contact.company else None,
                contact.location.country if contact.location else None,
                ", ".join(f"{entry.field} {entry.credits or 0}cr" for entry in contact.can_reveal)
                or (contact.error.code if contact.error else ""),
            )
            for contact in self.contacts
        ]
        head = page_heading(len(self.contacts), "contacts", self.pagination)
        body = table(("id", "name", "title", "company", "country", "can reveal"), rows)
        return f"{head}. Reveal emails/phones with enrich_contacts(ids=[...]).\n{body}"


class RevealedContacts(MeteredResult):
    """Contacts with revealed emails and phones."""

    contacts: list[EnrichedContact] = Field(default_factory=list[EnrichedContact])
    from_cache: list[str] = Field(
        default_factory=list[str], description="Ids served from the cache at 0 credits."
    )

    def render(self) -> str:
        rows = [
            (
                contact.id or "-",
                _name(contact.first_name, contact.last_name, contact.full_name),
                contact.company.name if contact.company else None,
                ", ".join(email.email for email in contact.emails if email.email),
                ", ".join(phone.number for phone in contact.phones if phone.number),
                contact.error.code if contact.error else "",
            )
            for contact in self.contacts
        ]
        return f"{len(self.contacts)} contacts.\n" + table(
            ("id", "name", "company", "emails", "phones", "error"), rows
        )


def _search_item(book: PriceBook, count: int) -> QuoteItem:
    return book.item("search results", SEARCH_ACTION, count, batch_size=BATCH)


@group.tool(toolset=Toolset.core, title="Search contacts", annotations=METERED_SEARCH, metered=True)
async def search_contacts(
    call: ToolCall,
    contacts: Annotated[
        list[ContactLookup], Field(description="Contacts to look up, up to 500.", max_length=500)
    ],
) -> Plan[ContactPreviews]:
    """Look up known people: title, company, location, and what emails/phones can be revealed at what price.

    Use this when you have names, emails, LinkedIn URLs or ids of people. Cost: api_search per
    result (1 credit per 25 on standard plans). Reveals nothing: pass ids to enrich_contacts.
    """
    items = _lookups(contacts, "contacts")
    book = await call.guard.pricing.book()
    quote = Quote.of([_search_item(book, len(items))], records=len(items))

    async def run() -> Billed[ContactPreviews]:
        response, stopped = await until_failure(call.client.search_contacts(items, on_progress=call.progress))
        remember_previews(call.guard.previews, response.results)
        return billed(ContactPreviews(contacts=response.results), response, stopped)

    return Plan(quote=quote, run=run)


def _cached_contacts(call: ToolCall, ids: Sequence[str], reveal: Sequence[str]) -> dict[str, EnrichedContact]:
    found = call.guard.cache.contacts(ids, reveal)
    return {contact_id: EnrichedContact.model_validate(data) for contact_id, data in found.items()}


def _store(call: ToolCall, records: Iterable[EnrichedContact], reveal: Sequence[str]) -> None:
    """Keep revealed contacts; called per batch, so a failure or a crash later loses none of them."""
    call.guard.cache.put_contacts(
        (
            record.model_dump(mode="json", by_alias=True, exclude_none=True)
            for record in records
            if record.id and record.error is None
        ),
        reveal,
    )


@group.tool(
    toolset=Toolset.core, title="Reveal contact emails and phones", annotations=METERED_REVEAL, metered=True
)
async def enrich_contacts(
    call: ToolCall,
    reveal: Annotated[list[RevealField], Field(description="Fields to reveal.", min_length=1)],
    ids: Annotated[
        list[str] | None, Field(description="Lusha contact ids from a search or prospecting result.")
    ] = None,
    contacts: Annotated[
        list[ContactLookup] | None, Field(description="Or identifiers, searched and revealed in one call.")
    ] = None,
) -> Plan[RevealedContacts] | RevealedContacts:
    """Reveal emails and/or phones of contacts.

    Use this when the user wants details of specific people. Prefer ids from a search or
    prospecting result (priced exactly; identifiers add a search). Cost: revealEmail/revealPhone
    per field found; data revealed before is free from the cache. Ask only for needed fields.
    """
    fields: list[str] = list(dict.fromkeys(reveal))
    call.guard.policy.check_reveals(fields)
    if bool(ids) == bool(contacts):
        raise ArgumentError(
            "ids", "give either ids or contacts (not both, not neither)", "ids=[...] or contacts=[...]"
        )
    if ids:
        return await _enrich_by_ids(call, list(dict.fromkeys(ids)), fields)
    assert contacts is not None
    return await _enrich_by_identifiers(call, contacts, fields)


async def _enrich_by_ids(
    call: ToolCall, ids: list[str], fields: list[str]
) -> Plan[RevealedContacts] | RevealedContacts:
    if len(ids) > 500:
        raise ArgumentError("ids", f"{len(ids)} ids", "at most 500 ids per call")
    keys = [f"contact:{contact_id}" for contact_id in ids]
    await call.guard.inflight.wait(keys)  # a reveal of these ids under way: its results get cached
    cached = _cached_contacts(call, ids, fields)
    missing = [contact_id for contact_id in ids if contact_id not in cached]
    cache_note = f"{len(cached)} contacts served from the cache at 0 credits." if cached else None
    if not missing:
        return RevealedContacts(
            status="cached",
            contacts=[cached[contact_id] for contact_id in ids],
            from_cache=list(cached),
            notes=[cache_note] if cache_note else [],
        )
    book = await call.guard.pricing.book()
    quote = quote_contact_reveals(book, call.guard.previews, missing, fields)

    async def run() -> Billed[RevealedContacts]:
        async with call.guard.inflight.claim(f"contact:{contact_id}" for contact_id in missing):
            # Another call revealed some of these meanwhile: what it cached is served at 0 credits.
            served = {**cached, **_cached_contacts(call, missing, fields)}
            still = [contact_id for contact_id in missing if contact_id not in served]
            if not still:
                found = [served[contact_id] for contact_id in ids if contact_id in served]
                return Billed(RevealedContacts(contacts=found, from_cache=list(served)), 0)
            response, stopped = await until_failure(
                call.client.enrich_contacts(
                    still,
                    reveal=fields,  # pyright: ignore[reportArgumentType]
                    on_progress=call.progress,
                    on_batch=lambda batch: _store(call, batch.results, fields),
                )
            )
        fetched = {record.id: record for record in response.results if record.id}
        ordered = [served.get(contact_id) or fetched.get(contact_id) for contact_id in ids]
        return billed(
            RevealedContacts(
                contacts=[record for record in ordered if record is not None], from_cache=list(served)
            ),
            response,
            stopped,
        )

    return Plan(quote=quote, run=run, notes=(cache_note,) if cache_note else ())


async def _enrich_by_identifiers(
    call: ToolCall, contacts: list[ContactLookup], fields: list[str]
) -> Plan[RevealedContacts] | RevealedContacts:
    items = _lookups(contacts, "contacts")
    cache = call.guard.cache
    known: dict[int, str] = {}
    for index, contact in enumerate(contacts):
        contact_id = contact.id or cache.contact_id_by(email=contact.email, linkedin=contact.linkedin_url)
        if contact_id:
            known[index] = contact_id
    cached = _cached_contacts(call, list(known.values()), fields)
    served = {index: cached[contact_id] for index, contact_id in known.items() if contact_id in cached}
    remaining = [item for index, item in enumerate(items) if index not in served]
    cache_note = f"{len(served)} contacts served from the cache at 0 credits." if served else None
    if not remaining:
        return RevealedContacts(
            status="cached",
            contacts=[served[index] for index in sorted(served)],
            from_cache=[record.id for record in served.values() if record.id],
            notes=[cache_note] if cache_note else [],
        )
    book = await call.guard.pricing.book()
    count = len(remaining)
    quote = Quote.of(
        [
            _search_item(book, count),
            *(
                book.item(f"{field} (identifiers: full price)", REVEAL_ACTIONS[field], count)
                for field in fields
            ),
        ],
        reveals=fields,
        records=count,
    )

    async def run() -> Billed[RevealedContacts]:
        response, stopped = await until_failure(
            call.client.search_and_enrich_contacts(
                remaining,
                reveal=fields,  # pyright: ignore[reportArgumentType]
                on_progress=call.progress,
                on_batch=lambda batch: _store(call, batch.results, fields),
            )
        )
        by_reference = {record.client_reference_id: record for record in response.results}
        ordered: list[EnrichedContact] = []
        for index, item in enumerate(items):
            record = served.get(index) or by_reference.get(item.client_reference_id)
            if record is not None:
                ordered.append(record)
        return billed(
            RevealedContacts(contacts=ordered, from_cache=[r.id for r in served.values() if r.id]),
            response,
            stopped,
        )

    return Plan(quote=quote, run=run, notes=(cache_note,) if cache_note else ())


PageArg = Annotated[int, Field(description="Page number, from 0.", ge=0, le=1000)]
SizeArg = Annotated[int, Field(description="Results per page (10-100).", ge=10, le=100)]
SignalsArg = Annotated[list[ContactSignalType] | None, Field(description="Recent signals.")]


@group.tool(toolset=Toolset.core, title="Prospect contacts", annotations=METERED_SEARCH, metered=True)
async def prospect_contacts(
    call: ToolCall,
    job_titles: TitlesArg = None,
    seniority: SeniorityArg = None,
    departments: DepartmentsArg = None,
    countries: CountriesArg = None,
    has_data: Annotated[list[DataPoint] | None, Field(description="Must have these.")] = None,
    search_text: SearchTextArg = None,
    signals: SignalsArg = None,
    company_domains: DomainsArg = None,
    company_sizes: SizesArg = None,
    company_revenues: RevenuesArg = None,
    company_industries: IndustriesArg = None,
    company_technologies: TechnologiesArg = None,
    all_technologies: AllTechnologiesArg = False,
    exclude_job_titles: ExcludeArg = None,
    exclude_company_domains: ExcludeArg = None,
    raw_filters: RawFiltersArg = None,
    page: PageArg = 0,
    size: SizeArg = 25,
) -> Plan[ContactPreviews]:
    """Find new people by title, seniority, department, country and company firmographics.

    Use this when the user describes who they want. Filters AND, list values OR; valid names:
    list_filter_values (free). Cost: api_search per result (1 per 25 on standard plans);
    signals (typed or raw) add a charge per matched type per result, quoted at size x types.
    Returns previews; reveal with enrich_contacts(ids=...).
    """
    vocabulary = FilterVocabulary(call.client)
    filters = prune(
        {
            "contacts": {
                "include": {
                    "jobTitles": job_titles or None,
                    "seniorityIds": await vocabulary.seniority_ids("seniority", seniority),
                    "departments": await vocabulary.departments("departments", departments),
                    "countries": country_codes("countries", countries),
                    "existingDataPoints": list(dict.fromkeys(has_data)) if has_data else None,
                    "searchText": search_text or None,
                    "signals": {"types": list(dict.fromkeys(signals))} if signals else None,
                },
                "exclude": {
                    "jobTitles": exclude_job_titles or None,
                },
            },
            "companies": {
                "include": {
                    "domains": company_domains or None,
                    "sizes": bands("company_sizes", company_sizes, "51-200"),
                    "revenues": bands("company_revenues", company_revenues, "1M-10M"),
                    **await vocabulary.industries("company_industries", company_industries),
                    "technologies": company_technologies or None,
                    "technologiesCondition": technologies_condition(company_technologies, all_technologies),
                },
                "exclude": {
                    "domains": exclude_company_domains or None,
                },
            },
        }
    )
    if raw_filters:
        filters = merge(filters, raw_filters)
    if not filters:
        raise ArgumentError(
            "job_titles", "no filter was given", 'at least one filter, e.g. departments=["Sales"]'
        )
    request = checked_request(
        ProspectingContactsRequest, {"pagination": {"page": page, "size": size}, "filters": filters}
    )
    book = await call.guard.pricing.book()
    lines = [_search_item(book, size)]
    contact_filters = request.filters.contacts
    sides = (contact_filters.include, contact_filters.exclude) if contact_filters is not None else ()
    signal_filters = [criteria.signals for criteria in sides if criteria is not None and criteria.signals]
    if signal_filters:
        kinds = [kind for found in signal_filters for kind in (found.types or ["allSignals"])]
        lines.append(signal_item(book, "contacts", size, kinds))
    quote = Quote.of(lines, records=size, min_records=10)

    async def run() -> Billed[ContactPreviews]:
        response = await call.client.prospect_contacts(request)
        remember_previews(call.guard.previews, response.results)
        return billed(ContactPreviews(contacts=response.results, pagination=response.pagination), response)

    return Plan(quote=quote, run=run)
