"""get_website_visits: companies that visited the account's tracked domains, ranked by intent.

Billing: the spec documents no charge for this endpoint (its example bills 0 credits). The quote
prices each result at the account's `websiteVisits` price when the pricebook lists one; when it
does not, the price is unknown, never 0: each result is quoted at the pricebook's dearest
per-unit price (see guard/pricing.py), the user must confirm, and the cap and budgets hold.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator

from lusha_mcp.api.errors import InvalidRequestError
from lusha_mcp.api.models import WebsiteVisitsRequest
from lusha_mcp.api.models.base import known_fields
from lusha_mcp.api.models.website_visits import MAX_SPAN_MONTHS, ScoreBand, WebsiteVisit, latest_end_date
from lusha_mcp.guard import Quote
from lusha_mcp.settings import Toolset
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

group = ToolGroup()
register = group.register

ACTION = "websiteVisits"
DEFAULT_DAYS = 30

Metric = Literal[
    "score", "totalSessions", "uniqueVisitors", "avgSessionMinutes", "daysVisited", "highIntentPageviews",
    "daysSinceLastVisit",
]  # fmt: skip


SortKey = Literal[Metric, "lastVisit"]


class MetricRange(BaseModel):
    min: float | None = Field(default=None, description="At least.")
    max: float | None = Field(default=None, description="At most.")


class VisitingCompanies(MeteredResult):
    """Visiting companies (firmographic previews + visit metrics); enrich_companies takes their ids."""

    start_date: str | None = None
    end_date: str | None = None
    companies: list[WebsiteVisit] = Field(default_factory=list[WebsiteVisit])
    page: int = 0
    total: int | None = Field(default=None, description="Companies matching in all.")
    next_page: int | None = Field(default=None, description="Page to ask for next, if any.")

    @field_validator("companies")
    @classmethod
    def _previews_only(cls, companies: list[WebsiteVisit]) -> list[WebsiteVisit]:
        return [known_fields(company) for company in companies]

    def render(self) -> str:
        rows = [
            (
                c.id,
                c.name,
                c.domain,
                c.score_band,
                _number(c.score),
                _number(c.total_sessions),
                _number(c.unique_visitors),
                c.last_visit,
            )
            for c in self.companies
        ]
        head = f"{len(self.companies)} visiting companies, {self.start_date} to {self.end_date}"
        if self.total is not None:
            head += f" ({self.total} in all"
            head += f"; next: page={self.next_page})" if self.next_page is not None else ")"
        head += ". Full firmographics: enrich_companies(ids=[...])."
        return (
            head
            + "\n"
            + table(
                ("id", "name", "domain", "band", "score", "sessions", "visitors", "last visit"),
                rows,
                shorten=("name",),
            )
        )


def _number(value: float | None) -> str:
    return f"{value:g}" if value is not None else ""


def _filters(
    bands: list[ScoreBand] | None,
    ranges: dict[Metric, MetricRange] | None,
    countries: list[str] | None,
    exclude_countries: list[str] | None,
) -> dict[str, Any] | None:
    filters: dict[str, Any] = {}
    if bands:
        filters["scoreBands"] = list(dict.fromkeys(bands))
    for metric, bounds in (ranges or {}).items():
        if bounds.min is None and bounds.max is None:
            raise ArgumentError(
                f"ranges.{metric}", "neither min nor max is set", '{"min": n} and/or {"max": n}'
            )
        if bounds.min is not None and bounds.max is not None and bounds.min > bounds.max:
            raise ArgumentError(f"ranges.{metric}", "min is above max", "min <= max")
        filters[metric] = bounds.model_dump(exclude_none=True)
    if countries or exclude_countries:
        filters["visitorCountries"] = {
            key: [code.upper() for code in values]
            for key, values in (("include", countries), ("exclude", exclude_countries))
            if values
        }
    return filters or None


@group.tool(
    toolset=Toolset.website_visits, title="Website visitors", annotations=METERED_SEARCH, metered=True
)
async def get_website_visits(
    call: ToolCall,
    domains: Annotated[list[str], Field(description="Your tracked domains.", min_length=1)],
    start_date: Annotated[dt.date | None, Field(description="Default: end_date - 30 days.")] = None,
    end_date: Annotated[dt.date | None, Field(description="Default: today. Span <= 3 months.")] = None,
    score_bands: Annotated[list[ScoreBand] | None, Field(description="Intent bands.")] = None,
    ranges: Annotated[
        dict[Metric, MetricRange] | None, Field(description='Metric bounds, e.g. {"score":{"min":50}}.')
    ] = None,
    countries: Annotated[list[str] | None, Field(description="Visitor countries (ISO-2).")] = None,
    exclude_countries: Annotated[list[str] | None, Field(description="Visitor countries to skip.")] = None,
    sort_by: Annotated[SortKey, Field(description="Sorted descending.")] = "score",
    page: Annotated[int, Field(description="Page, from 0.", ge=0)] = 0,
    size: Annotated[int, Field(description="Results per page (1-150).", ge=1, le=150)] = 25,
) -> Plan[VisitingCompanies]:
    """List companies that visited your tracked websites, ranked by visit intent.

    Use this to follow up on warm accounts. Cost: websiteVisits per result, at most size (if
    unpriced: confirmed at a stated ceiling). Narrow with score_bands, ranges, a smaller size.
    """
    end = end_date or dt.date.today()
    start = start_date or end - dt.timedelta(days=DEFAULT_DAYS)
    if start > end:
        raise ArgumentError(
            "start_date", f"{start} is after end_date {end}", "a start_date on or before end_date"
        )
    latest = latest_end_date(start)
    if end > latest:
        raise ArgumentError(
            "start_date",
            f"{start} to {end} spans more than {MAX_SPAN_MONTHS} calendar months",
            f"an end_date up to {latest.isoformat()} for that start_date, or a later start_date",
        )
    body = {
        "domains": domains,
        "start_date": start,
        "end_date": end,
        "pagination": {"page": page, "size": size},
        "sort": {"by": sort_by, "order": "desc"},
        "filters": _filters(score_bands, ranges, countries, exclude_countries),
    }
    try:
        request = WebsiteVisitsRequest.model_validate(body)
    except InvalidRequestError as exc:
        problems = "; ".join(p.removeprefix("request: ") for p in exc.problems)
        raise ArgumentError(
            "domains", problems or exc.message, "bare tracked domains like acme.com"
        ) from None
    book = await call.guard.pricing.book()
    quote = Quote.of([book.item("visiting companies", ACTION, size)], records=size)

    async def run() -> Billed[VisitingCompanies]:
        response = await call.client.companies.website_visits(request)
        pagination = response.pagination
        total = pagination.total if pagination else None
        shown = page * size + len(response.results)
        result = VisitingCompanies(
            start_date=start.isoformat(),
            end_date=end.isoformat(),
            companies=response.results,
            page=page,
            total=total,
            next_page=page + 1 if total is not None and shown < total and response.results else None,
        )
        billing = response.billing
        return Billed(result, billing.credits_charged if billing else 0, response.request_id)

    return Plan(quote=quote, run=run)
