"""Core contact tools: search (previews), enrich (reveal emails/phones), prospect (filters)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from lusha_mcp.api.errors import InvalidRequestError
from lusha_mcp.api.models import (
    ContactPreview,
    ContactSearchItem,
    EnrichedContact,
    Pagination,
)
from lusha_mcp.api.models.base import CompanyRef, ItemError, JobTitle, PlaceSummary, SocialLinks, known_fields
from lusha_mcp.api.models.contacts import ContactSignalType
from lusha_mcp.api.models.prospecting import ProspectingContactsRequest
from lusha_mcp.api.models.tables import TableWrite
from lusha_mcp.guard import PreviewCache, PriceBook, Quote, QuoteItem, quote_contact_reveals
from lusha_mcp.guard.pricing import REVEAL_ACTIONS, SEARCH_ACTION
from lusha_mcp.settings import Toolset
from lusha_mcp.tools.framework import (
    METERED_REVEAL,
    METERED_SEARCH,
    ArgumentError,
    Billed,
    MeteredResult,
    Plan,
    ToolCall,
    ToolGroup,
    billed,
    page_heading,
    table,
    until_failure,
)
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
from lusha_mcp.tools.signals import signal_item
from lusha_mcp.tools.tables import SaveToTableArg, table_write_note

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


def _name(first: str | None, last: str | None, full: str | None = None) -> str | None:
    return full or " ".join(part for part in (first, last) if part) or None


class ContactFields(BaseModel):
    """Who a contact is and where they work (company id and domain for the next step)."""

    id: str | None = None
    client_reference_id: str | None = Field(default=None, description="Index of the lookup it answers.")
    name: str | None = None
    title: str | None = None
    seniority: str | None = None
    departments: list[str] = Field(default_factory=list[str])
    company_id: str | None = None
    company: str | None = None
    domain: str | None = None
    country: str | None = None
    linkedin: str | None = None
    error: str | None = Field(default=None, description="Why this item has no result (code: message).")


class ContactRow(ContactFields):
    """A contact preview (no emails or phones): who, at which company, what can be revealed."""

    can_reveal: dict[str, int] = Field(
        default_factory=dict[str, int], description="Field -> credits enrich_contacts would charge."
    )
    signals: list[str] = Field(default_factory=list[str], description="Recent signal types.")

    @classmethod
    def of(cls, preview: ContactPreview) -> ContactRow:
        """The row of a preview: only its model's fields reach the model (unknown ones are dropped
        and logged once by name)."""
        record = known_fields(preview)
        return cls(
            **_person(record.job_title, record.company, record.location, record.social_links, city=False),
            id=record.id,
            client_reference_id=record.client_reference_id,
            name=_name(record.first_name, record.last_name),
            can_reveal={entry.field: entry.credits or 0 for entry in record.can_reveal},
            signals=record.signal_types,
            error=_error(record.error),
        )


def _person(
    job: JobTitle | None,
    company: CompanyRef | None,
    place: PlaceSummary | None,
    social: SocialLinks | None,
    *,
    city: bool = True,
) -> dict[str, Any]:
    """The fields a preview and a revealed contact share (a preview leaves the city out)."""
    return {
        "title": job.title if job else None,
        "seniority": job.seniority if job else None,
        "departments": job.departments if job else [],
        "company_id": company.id if company else None,
        "company": company.name if company else None,
        "domain": company.domain if company else None,
        "country": place.country if place else None,
        "linkedin": social.linkedin if social else None,
    } | ({"city": place.city if place else None} if city else {})


def _error(error: ItemError | None) -> str | None:
    if error is None:
        return None
    return f"{error.code}: {error.message}" if error.message else error.code


class Email(BaseModel):
    email: str
    type: str | None = Field(default=None, description="work or private.")
    confidence: str | None = None


class Phone(BaseModel):
    number: str
    type: str | None = Field(default=None, description="mobile, direct, work...")
    do_not_call: bool | None = None


class RevealedContact(ContactFields):
    """A contact with its revealed emails and phones (the full record stays in the reveal cache)."""

    city: str | None = None
    emails: list[Email] = Field(default_factory=list[Email])
    phones: list[Phone] = Field(default_factory=list[Phone])

    @classmethod
    def of(cls, record: EnrichedContact) -> RevealedContact:
        return cls(
            **_person(record.job_title, record.company, record.location, record.social_links),
            id=record.id,
            client_reference_id=record.client_reference_id,
            name=_name(record.first_name, record.last_name, record.full_name),
            emails=[
                Email(email=entry.email, type=entry.type, confidence=entry.confidence)
                for entry in record.emails
                if entry.email
            ],
            phones=[
                Phone(number=entry.number, type=entry.type, do_not_call=entry.do_not_call)
                for entry in record.phones
                if entry.number
            ],
            error=_error(record.error),
        )


def _revealed(records: Iterable[EnrichedContact]) -> list[RevealedContact]:
    return [RevealedContact.of(record) for record in records]


def _typed(value: str, *labels: object) -> str:
    shown = [str(label) for label in labels if label]
    return f"{value} ({', '.join(shown)})" if shown else value


def emails_cell(emails: Sequence[Email]) -> str:
    """Every email, whole, each with its type and confidence."""
    return "; ".join(_typed(entry.email, entry.type, entry.confidence) for entry in emails)


def phones_cell(phones: Sequence[Phone]) -> str:
    """Every phone, whole, each with its type and do-not-call flag."""
    return "; ".join(
        _typed(entry.number, entry.type, "do not call" if entry.do_not_call else None) for entry in phones
    )


class ContactPreviews(MeteredResult):
    """Contact previews (no emails or phones); enrich_contacts reveals them by id."""

    contacts: list[ContactRow] = Field(default_factory=list[ContactRow])
    pagination: Pagination | None = Field(default=None, description="Page, size and total of prospecting.")
    table_write: TableWrite | None = Field(default=None, description="What saving into table_id did.")

    def render(self) -> str:
        rows = [
            (
                contact.id or "-",
                contact.name,
                contact.title,
                contact.company,
                contact.company_id,
                contact.domain,
                contact.country,
                ", ".join(f"{field} {credits}cr" for field, credits in contact.can_reveal.items())
                or contact.error
                or "",
            )
            for contact in self.contacts
        ]
        head = page_heading(len(self.contacts), "contacts", self.pagination)
        body = table(
            ("id", "name", "title", "company", "company id", "domain", "country", "can reveal"),
            rows,
            shorten=("name", "title", "company"),
        )
        return f"{head}. Reveal emails/phones with enrich_contacts(ids=[...]).\n{body}"


class RevealedContacts(MeteredResult):
    """Contacts with revealed emails and phones."""

    contacts: list[RevealedContact] = Field(default_factory=list[RevealedContact])
    from_cache: list[str] = Field(
        default_factory=list[str], description="Ids served from the cache at 0 credits."
    )

    def render(self) -> str:
        rows = [
            (
                contact.id or "-",
                contact.name,
                contact.title,
                contact.company,
                contact.company_id,
                contact.domain,
                emails_cell(contact.emails),
                phones_cell(contact.phones),
                contact.error or "",
            )
            for contact in self.contacts
        ]
        cached = f", {len(self.from_cache)} from the cache" if self.from_cache else ""
        return f"{len(self.contacts)} contacts{cached}; every revealed email and phone in full.\n" + table(
            ("id", "name", "title", "company", "company id", "domain", "emails", "phones", "error"),
            rows,
            shorten=("name", "title", "company"),
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
        response, stopped = await until_failure(call.client.contacts.search(items, on_progress=call.progress))
        remember_previews(call.guard.previews, response.results)
        return billed(
            ContactPreviews(contacts=[ContactRow.of(r) for r in response.results]), response, stopped
        )

    return Plan(quote=quote, run=run)


async def _cached_contacts(
    call: ToolCall, ids: Sequence[str], reveal: Sequence[str]
) -> dict[str, EnrichedContact]:
    found = await call.guard.cache.get_contacts(ids, reveal)
    return {contact_id: EnrichedContact.model_validate(data) for contact_id, data in found.items()}


async def _store(call: ToolCall, records: Iterable[EnrichedContact], reveal: Sequence[str]) -> None:
    """Keep revealed contacts; called per batch, so a failure or a crash later loses none of them."""
    await call.guard.cache.store_contacts(
        (
            record.model_dump(mode="json", by_alias=True, exclude_none=True)
            for record in records
            if record.id and record.error is None
        ),
        reveal,
    )


@group.tool(toolset=Toolset.core, title="Reveal contact details", annotations=METERED_REVEAL, metered=True)
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
    fields: list[RevealField] = list(dict.fromkeys(reveal))
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
    call: ToolCall, ids: list[str], fields: list[RevealField]
) -> Plan[RevealedContacts] | RevealedContacts:
    if len(ids) > 500:
        raise ArgumentError("ids", f"{len(ids)} ids", "at most 500 ids per call")
    keys = [f"contact:{contact_id}" for contact_id in ids]
    await call.guard.inflight.wait(keys)  # a reveal of these ids under way: its results get cached
    cached = await _cached_contacts(call, ids, fields)
    missing = [contact_id for contact_id in ids if contact_id not in cached]
    cache_note = f"{len(cached)} contacts served from the cache at 0 credits." if cached else None
    if not missing:
        return RevealedContacts(
            status="cached",
            contacts=_revealed(cached[contact_id] for contact_id in ids),
            from_cache=list(cached),
            notes=[cache_note] if cache_note else [],
        )
    book = await call.guard.pricing.book()
    quote = quote_contact_reveals(book, call.guard.previews, missing, fields)

    async def run() -> Billed[RevealedContacts]:
        async with call.guard.inflight.claim(f"contact:{contact_id}" for contact_id in missing):
            # Another call revealed some of these meanwhile: what it cached is served at 0 credits.
            served = {**cached, **(await _cached_contacts(call, missing, fields))}
            still = [contact_id for contact_id in missing if contact_id not in served]
            if not still:
                found = [served[contact_id] for contact_id in ids if contact_id in served]
                return Billed(RevealedContacts(contacts=_revealed(found), from_cache=list(served)), 0)
            response, stopped = await until_failure(
                call.client.contacts.enrich(
                    still,
                    reveal=fields,
                    on_progress=call.progress,
                    on_batch=lambda batch: _store(call, batch.results, fields),
                )
            )
        fetched = {record.id: record for record in response.results if record.id}
        ordered = [served.get(contact_id) or fetched.get(contact_id) for contact_id in ids]
        return billed(
            RevealedContacts(
                contacts=_revealed(record for record in ordered if record is not None),
                from_cache=list(served),
            ),
            response,
            stopped,
        )

    return Plan(quote=quote, run=run, notes=(cache_note,) if cache_note else ())


async def _enrich_by_identifiers(
    call: ToolCall, contacts: list[ContactLookup], fields: list[RevealField]
) -> Plan[RevealedContacts] | RevealedContacts:
    items = _lookups(contacts, "contacts")
    cache = call.guard.cache
    known: dict[int, str] = {}
    for index, contact in enumerate(contacts):
        contact_id = contact.id or await cache.contact_id_for(
            email=contact.email, linkedin=contact.linkedin_url
        )
        if contact_id:
            known[index] = contact_id
    cached = await _cached_contacts(call, list(known.values()), fields)
    served = {index: cached[contact_id] for index, contact_id in known.items() if contact_id in cached}
    remaining = [item for index, item in enumerate(items) if index not in served]
    cache_note = f"{len(served)} contacts served from the cache at 0 credits." if served else None
    if not remaining:
        return RevealedContacts(
            status="cached",
            contacts=_revealed(served[index] for index in sorted(served)),
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
            call.client.contacts.search_and_enrich(
                remaining,
                reveal=fields,
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
            RevealedContacts(contacts=_revealed(ordered), from_cache=[r.id for r in served.values() if r.id]),
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
    table_id: SaveToTableArg = None,
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
        ProspectingContactsRequest,
        {"pagination": {"page": page, "size": size}, "filters": filters, "tableId": table_id},
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
        response = await call.client.prospecting.contacts(request)
        remember_previews(call.guard.previews, response.results)
        result = ContactPreviews(
            contacts=[ContactRow.of(r) for r in response.results],
            pagination=response.pagination,
            table_write=response.table_write,
        )
        result.notes.extend(note for note in [table_write_note(response.table_write)] if note)
        return billed(result, response)

    return Plan(quote=quote, run=run)
