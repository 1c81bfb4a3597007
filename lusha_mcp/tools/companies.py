"""Core company tools: search (previews), enrich (firmographics + optional extras), prospect."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import to_jsonable_python

from lusha_mcp.api.errors import InvalidRequestError
from lusha_mcp.api.models import (
    CompanyPreview,
    CompanySearchItem,
    CompanySignalType,
    EnrichedCompany,
    MeteredResponse,
    Pagination,
)
from lusha_mcp.api.models.base import known_fields
from lusha_mcp.api.models.prospecting import ProspectingCompaniesRequest
from lusha_mcp.api.models.tables import TableWrite
from lusha_mcp.guard import PriceBook, Quote, QuoteItem
from lusha_mcp.guard.pricing import COMPANY_REVEAL_ACTION, SEARCH_ACTION
from lusha_mcp.settings import Toolset
from lusha_mcp.tools.contacts import BATCH, PageArg, SizeArg
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
    compact,
    page_heading,
    table,
    until_failure,
)
from lusha_mcp.tools.prospecting_filters import (
    AllTechnologiesArg,
    CountriesArg,
    DomainsArg,
    ExcludeArg,
    FilterVocabulary,
    IndustriesArg,
    RawFiltersArg,
    RevenuesArg,
    SearchTextArg,
    SizesArg,
    TechnologiesArg,
    bands,
    checked_request,
    company_locations,
    merge,
    prune,
    signal_types,
    technologies_condition,
)
from lusha_mcp.tools.signals import signal_item
from lusha_mcp.tools.tables import SaveToTableArg, table_write_note

group = ToolGroup()
register = group.register

CompanyExtra = Literal[
    "employeesByDepartment",
    "employeesByLocation",
    "employeesBySeniority",
    "competitors",
    "intent",
    "estimatedAnnualItSpend",
    "monthlyWebsiteTraffic",
]


class CompanyLookup(BaseModel):
    """Give id, domain or name."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, description="Lusha id")
    domain: str | None = Field(default=None, description="e.g. lusha.com")
    name: str | None = Field(default=None, description="Company name")


def _lookups(companies: Sequence[CompanyLookup]) -> list[CompanySearchItem]:
    if not companies:
        raise ArgumentError("companies", "the list is empty", "1 to 500 companies")
    items: list[CompanySearchItem] = []
    for index, company in enumerate(companies):
        try:
            items.append(
                CompanySearchItem(client_reference_id=str(index), **company.model_dump(exclude_none=True))
            )
        except InvalidRequestError as exc:
            raise ArgumentError(
                f"companies[{index}]",
                "; ".join(problem.removeprefix("request: ") for problem in exc.problems),
                "one identifier: id, domain or name",
            ) from None
    return items


def _size(record: CompanyPreview | EnrichedCompany) -> str | None:
    count = record.employee_count
    if count is None:
        return None
    if count.exact is not None:
        return str(count.exact)
    return f"{count.min or '?'}-{count.max or '?'}"


class CompanyPreviews(MeteredResult):
    """Company previews; enrich_companies reveals full firmographics by id."""

    companies: list[CompanyPreview] = Field(default_factory=list[CompanyPreview])
    pagination: Pagination | None = Field(default=None, description="Page, size and total of prospecting.")
    table_write: TableWrite | None = Field(default=None, description="What saving into table_id did.")

    @field_validator("companies")
    @classmethod
    def _previews_only(cls, companies: list[CompanyPreview]) -> list[CompanyPreview]:
        return [known_fields(company) for company in companies]

    def render(self) -> str:
        rows = [
            (
                company.id or "-",
                company.name,
                company.domain,
                company.industry,
                _size(company),
                company.location.country if company.location else None,
                company.error.code if company.error else "",
            )
            for company in self.companies
        ]
        head = page_heading(len(self.companies), "companies", self.pagination)
        body = table(
            ("id", "name", "domain", "industry", "employees", "country", "error"),
            rows,
            shorten=("name", "industry"),
        )
        return f"{head}. Full firmographics: enrich_companies(ids=[...]).\n{body}"


class EnrichedCompanies(MeteredResult):
    """Companies with full firmographics and any extras asked for."""

    companies: list[EnrichedCompany] = Field(default_factory=list[EnrichedCompany])
    from_cache: list[str] = Field(
        default_factory=list[str], description="Ids served from the cache at 0 credits."
    )

    def render(self) -> str:
        rows = [
            (
                company.id or "-",
                company.name,
                company.domain,
                " / ".join(part for part in (company.industry, company.sub_industry) if part),
                _size(company),
                _revenue(company),
                f"{company.year_founded:g}" if company.year_founded else None,
                company.location.country if company.location else None,
                company.error.code if company.error else "",
            )
            for company in self.companies
        ]
        lines = [
            f"{len(self.companies)} companies (every field in structuredContent; paid extras below).",
            table(
                (
                    "id",
                    "name",
                    "domain",
                    "industry",
                    "employees",
                    "revenue USD",
                    "founded",
                    "country",
                    "error",
                ),
                rows,
                shorten=("name", "industry"),
            ),
        ]
        for company in self.companies:
            lines.extend(
                f"- {company.id} {extra}: {compact_json(getattr(company, field))}"
                for extra, field in EXTRA_FIELDS.items()
                if getattr(company, field) not in (None, [], {})
            )
        return "\n".join(lines)


EXTRA_FIELDS = {
    "employeesByDepartment": "employees_by_department",
    "employeesByLocation": "employees_by_location",
    "employeesBySeniority": "employees_by_seniority",
    "competitors": "competitors",
    "intent": "intent",
    "estimatedAnnualItSpend": "estimated_annual_it_spend",
    "monthlyWebsiteTraffic": "monthly_website_traffic",
}
"""Paid extras shown whole in the text, one line per company and extra."""


def compact_json(value: object) -> str:
    return json.dumps(
        compact(to_jsonable_python(value, by_alias=True, exclude_none=True)), separators=(",", ":")
    )


def _revenue(record: EnrichedCompany) -> str | None:
    band = record.revenue_range
    if band is None or (band.min is None and band.max is None):
        return None
    return f"{band.min or 0:,.0f}-{band.max:,.0f}" if band.max is not None else f"{band.min:,.0f}+"


def _search_item(book: PriceBook, count: int) -> QuoteItem:
    return book.item("search results", SEARCH_ACTION, count, batch_size=BATCH)


def _extra_items(book: PriceBook, extras: Sequence[str], count: int) -> list[QuoteItem]:
    items: list[QuoteItem] = []
    for extra in extras:
        action = book.action_for(f"reveal{extra[0].upper()}{extra[1:]}", extra, f"reveal_{extra}")
        items.append(book.item(f"{extra} extra", action, count))
    return items


@group.tool(toolset=Toolset.core, title="Search companies", annotations=METERED_SEARCH, metered=True)
async def search_companies(
    call: ToolCall,
    companies: Annotated[
        list[CompanyLookup], Field(description="Companies to look up, up to 500.", max_length=500)
    ],
) -> Plan[CompanyPreviews]:
    """Look up known companies by id, domain or name and get previews (industry, size, location).

    Use this to identify companies before enriching them. Cost: api_search per result
    (1 per 25 on standard plans). Pass result ids to enrich_companies for full data.
    """
    items = _lookups(companies)
    book = await call.guard.pricing.book()
    quote = Quote.of([_search_item(book, len(items))], records=len(items))

    async def run() -> Billed[CompanyPreviews]:
        response, stopped = await until_failure(
            call.client.companies.search(items, on_progress=call.progress)
        )
        return billed(CompanyPreviews(companies=response.results), response, stopped)

    return Plan(quote=quote, run=run)


async def _cached(call: ToolCall, keys: Sequence[str], extras: Sequence[str]) -> dict[str, EnrichedCompany]:
    found = await call.guard.cache.get_companies(keys, extras)
    return {key: EnrichedCompany.model_validate(data) for key, data in found.items()}


async def _store(call: ToolCall, records: Iterable[EnrichedCompany], extras: Sequence[str]) -> None:
    await call.guard.cache.store_companies(
        (
            record.model_dump(mode="json", by_alias=True, exclude_none=True)
            for record in records
            if record.id and record.error is None
        ),
        extras,
    )


@group.tool(toolset=Toolset.core, title="Enrich companies", annotations=METERED_REVEAL, metered=True)
async def enrich_companies(
    call: ToolCall,
    ids: Annotated[list[str] | None, Field(description="Lusha company ids.")] = None,
    companies: Annotated[
        list[CompanyLookup] | None, Field(description="Or identifiers, searched and enriched in one call.")
    ] = None,
    extras: Annotated[
        list[CompanyExtra], Field(description="Optional paid extras, each charged per company.")
    ] = [],  # noqa: B006 - pydantic copies defaults
) -> Plan[EnrichedCompanies] | EnrichedCompanies:
    """Get full firmographics of companies: size, revenue, industry codes, locations, technologies, funding.

    Use this when the user needs company details beyond a preview. Cost: reveal_company per
    company, plus each extra per company; identifiers add a search. Companies enriched before
    are served from the cache at 0 credits.
    """
    wanted = list(dict.fromkeys(extras))
    if bool(ids) == bool(companies):
        raise ArgumentError(
            "ids", "give either ids or companies (not both, not neither)", "ids=[...] or companies=[...]"
        )
    if companies and wanted:
        raise ArgumentError(
            "extras",
            "extras can only be revealed by id",
            "ids from search_companies with extras, or no extras",
        )
    cache = call.guard.cache
    if ids:
        unique = list(dict.fromkeys(ids))
        if len(unique) > 500:
            raise ArgumentError("ids", f"{len(unique)} ids", "at most 500 ids per call")
        keys = unique
        items: list[CompanySearchItem] = []
    else:
        assert companies is not None
        items = _lookups(companies)
        keys = [
            company.id
            or ((await cache.company_id_for(company.domain)) if company.domain else None)
            or f"#{index}"
            for index, company in enumerate(companies)
        ]
    if ids:  # a reveal of these ids under way: wait, its results get cached
        await call.guard.inflight.wait(f"company:{key}" for key in keys)
    cached = await _cached(call, keys, wanted)
    note = f"{len(cached)} companies served from the cache at 0 credits." if cached else None
    missing = [index for index, key in enumerate(keys) if key not in cached]
    if not missing:
        return EnrichedCompanies(
            status="cached",
            companies=[cached[key] for key in keys],
            from_cache=list(cached),
            notes=[note] if note else [],
        )
    book = await call.guard.pricing.book()
    count = len(missing)
    lines = [book.item("company records", COMPANY_REVEAL_ACTION, count), *_extra_items(book, wanted, count)]
    if not ids:
        lines.insert(0, _search_item(book, count))
    quote = Quote.of(lines, records=count)

    async def run() -> Billed[EnrichedCompanies]:
        ordered: list[EnrichedCompany | None]
        served = cached
        if ids:
            asked = [keys[index] for index in missing]
            async with call.guard.inflight.claim(f"company:{key}" for key in asked):
                # Another call enriched some of these meanwhile: served from the cache at 0 credits.
                served = {**cached, **(await _cached(call, asked, wanted))}
                still = [key for key in asked if key not in served]
                if not still:
                    found = [served[key] for key in keys if key in served]
                    return Billed(EnrichedCompanies(companies=found, from_cache=list(served)), 0)
                response, stopped = await until_failure(
                    call.client.companies.enrich(
                        still,
                        reveal=wanted,
                        on_progress=call.progress,
                        on_batch=lambda batch: _store(call, batch.results, wanted),
                    )
                )
            fetched = {record.id: record for record in response.results if record.id}
            ordered = [served.get(key) or fetched.get(key) for key in keys]
            metered: MeteredResponse = response
        else:
            found, stopped = await until_failure(
                call.client.companies.search_and_enrich(
                    [items[index] for index in missing],
                    on_progress=call.progress,
                    on_batch=lambda batch: _store(call, batch.results, wanted),
                )
            )
            by_reference = {record.client_reference_id: record for record in found.results}
            ordered = [cached.get(keys[index]) or by_reference.get(str(index)) for index in range(len(keys))]
            metered = found
        return billed(
            EnrichedCompanies(
                companies=[record for record in ordered if record is not None], from_cache=list(served)
            ),
            metered,
            stopped,
        )

    return Plan(quote=quote, run=run, notes=(note,) if note else ())


@group.tool(toolset=Toolset.core, title="Prospect companies", annotations=METERED_SEARCH, metered=True)
async def prospect_companies(
    call: ToolCall,
    domains: DomainsArg = None,
    sizes: SizesArg = None,
    revenues: RevenuesArg = None,
    industries: IndustriesArg = None,
    sic_codes: Annotated[list[str] | None, Field(description="SIC codes.")] = None,
    naics_codes: Annotated[list[str] | None, Field(description="NAICS codes.")] = None,
    technologies: TechnologiesArg = None,
    all_technologies: AllTechnologiesArg = False,
    intent_topics: Annotated[list[str] | None, Field(description="Intent topic names.")] = None,
    countries: CountriesArg = None,
    search_text: SearchTextArg = None,
    signals: Annotated[list[str] | None, Field(description="Recent signal types.")] = None,
    exclude_domains: ExcludeArg = None,
    exclude_industries: ExcludeArg = None,
    raw_filters: RawFiltersArg = None,
    page: PageArg = 0,
    size: SizeArg = 25,
    table_id: SaveToTableArg = None,
) -> Plan[CompanyPreviews]:
    """Find companies by size, revenue, industry, country, technologies, intent, signals.

    Use this to build an account list. Filters AND, list values OR; valid names and signal
    types: list_filter_values (free). Cost: api_search per result (1 per 25 on standard plans);
    signals (typed or raw) add a charge per matched type per result, quoted at size x types
    (allSignals: 23), so keep size small.
    """
    vocabulary = FilterVocabulary(call.client)
    include = prune(
        {
            "domains": domains or None,
            "sizes": bands("sizes", sizes, "51-200"),
            "revenues": bands("revenues", revenues, "1M-10M"),
            **await vocabulary.industries("industries", industries),
            "sicCodes": sic_codes or None,
            "naicsCodes": naics_codes or None,
            "technologies": technologies or None,
            "technologiesCondition": technologies_condition(technologies, all_technologies),
            "intentTopics": intent_topics or None,
            "locations": company_locations("countries", countries),
            "searchText": search_text or None,
            "signals": {"types": signal_types("signals", signals, get_args(CompanySignalType))}
            if signals
            else None,
        }
    )
    exclude = prune(
        {
            "domains": exclude_domains or None,
            **await vocabulary.industries("exclude_industries", exclude_industries),
        }
    )
    filters: dict[str, Any] = {"companies": {"include": include, **({"exclude": exclude} if exclude else {})}}
    if raw_filters:
        filters = merge(filters, raw_filters)
    if not include and not exclude and filters == {"companies": {"include": {}}}:
        raise ArgumentError("industries", "no filter was given", 'at least one filter, e.g. sizes=["51-200"]')
    request = checked_request(
        ProspectingCompaniesRequest,
        {"pagination": {"page": page, "size": size}, "filters": filters, "tableId": table_id},
    )
    book = await call.guard.pricing.book()
    lines = [_search_item(book, size)]
    company_filters = request.filters.companies
    signal_filters = [
        criteria.signals
        for criteria in (company_filters.include, company_filters.exclude)
        if criteria is not None and criteria.signals is not None
    ]
    if signal_filters:
        kinds = [kind for found in signal_filters for kind in (found.types or ["allSignals"])]
        lines.append(signal_item(book, "companies", size, kinds))
    saving = [book.item("companies saved to the table", "reveal_company", size)] if table_id else []
    quote = Quote.of([*lines, *saving], records=size, min_records=10)

    async def run() -> Billed[CompanyPreviews]:
        response = await call.client.prospecting.companies(request)
        result = CompanyPreviews(
            companies=response.results, pagination=response.pagination, table_write=response.table_write
        )
        result.notes.extend(note for note in [table_write_note(response.table_write)] if note)
        return billed(result, response)

    return Plan(quote=quote, run=run)
