"""The wire of website visits: POST /v3/companies/website-visits.

Companies that visited the account's tracked domains in a date window, each as a company preview
plus visit metrics. Any untracked domain fails the whole request with 400.

Rules: `startDate` <= `endDate`, at most 3 calendar months apart; `pagination` {page >= 0,
size 1-150} is required. `filters.visitorCountries` (ISO alpha-2 include / exclude) selects which
visits count; the other filters (`scoreBands` cold/warm/hot, `score` 1-100, `totalSessions`,
`uniqueVisitors`, `avgSessionMinutes`, `daysVisited`, `highIntentPageviews`,
`daysSinceLastVisit` as {min, max}) apply to each company's totals. `sort.by` is any metric
(default `score`), `sort.order` asc or desc (default desc).
"""

from __future__ import annotations

from typing import Annotated, Final, Self

from pydantic import AfterValidator, Field, model_validator
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lusha_mcp.sandbox.activity import TRACKED_DOMAINS, months_back
from lusha_mcp.sandbox.state import billing_json, charger, lusha_json, request_id, sandbox_state
from lusha_mcp.sandbox.website_visits.backend import Bounds, VisitsQuery, WebsiteVisitsBackend, tracked
from lusha_mcp.sandbox.website_visits.records import SCORE_BANDS, SORT_FIELDS
from lusha_mcp.sandbox.wire import Int, IsoDate, OneOf, Text, WireModel, parse_body, problem

MAX_WINDOW_MONTHS: Final = 3
MAX_PAGE_SIZE: Final = 150


def _tracked(domain: str) -> str:
    if not tracked(domain):
        raise problem(
            f"'{domain}' is not configured for tracking; tracked domains: {', '.join(TRACKED_DOMAINS)}"
        )
    return domain


def _country_code(code: str) -> str:
    if len(code) != 2 or not code.isalpha():
        raise problem(f"'{code}' is not an ISO 3166-1 alpha-2 code (e.g. US, GB)")
    return code.upper()


TrackedDomain = Annotated[Text, AfterValidator(_tracked)]
CountryCode = Annotated[Text, AfterValidator(_country_code)]
Count = Annotated[Int, Field(ge=0)]


class _Range(WireModel):
    @model_validator(mode="after")
    def _ordered(self) -> Self:
        low, high = self.bounds()
        if low is not None and high is not None and low > high:
            raise problem(f"min ({low:g}) must not exceed max ({high:g})")
        return self

    def bounds(self) -> Bounds:
        raise NotImplementedError


class CountRange(_Range):
    min: Count | None = None
    max: Count | None = None

    def bounds(self) -> Bounds:
        return self.min, self.max


class ScoreRange(_Range):
    min: Annotated[Int, Field(ge=1, le=100)] | None = None
    max: Annotated[Int, Field(ge=1, le=100)] | None = None

    def bounds(self) -> Bounds:
        return self.min, self.max


class MinutesRange(_Range):
    min: Annotated[float, Field(ge=0)] | None = None
    max: Annotated[float, Field(ge=0)] | None = None

    def bounds(self) -> Bounds:
        return self.min, self.max


class VisitorCountries(WireModel):
    include: list[CountryCode] | None = None
    exclude: list[CountryCode] | None = None


class VisitsFilters(WireModel):
    score_bands: Annotated[list[Annotated[str, OneOf(SCORE_BANDS)]], Field(min_length=1)] | None = None
    visitor_countries: VisitorCountries | None = None
    score: ScoreRange | None = None
    avg_session_minutes: MinutesRange | None = None
    total_sessions: CountRange | None = None
    unique_visitors: CountRange | None = None
    days_visited: CountRange | None = None
    high_intent_pageviews: CountRange | None = None
    days_since_last_visit: CountRange | None = None

    def ranges(self) -> dict[str, Bounds]:
        """Metric (wire name) -> the (min, max) its totals must lie in, for the ranges sent."""
        sent = {name: getattr(self, name) for name in type(self).model_fields}
        return {
            str(type(self).model_fields[name].alias): value.bounds()
            for name, value in sent.items()
            if isinstance(value, _Range)
        }


class VisitsPagination(WireModel):
    page: Count
    size: Annotated[Int, Field(ge=1, le=MAX_PAGE_SIZE)]


class VisitsSort(WireModel):
    by: Annotated[str, OneOf(SORT_FIELDS)] | None = None
    order: Annotated[str, OneOf(("asc", "desc"))] | None = None


class WebsiteVisitsRequest(WireModel):
    domains: Annotated[list[TrackedDomain], Field(min_length=1)]
    start_date: IsoDate
    end_date: IsoDate
    pagination: VisitsPagination
    sort: VisitsSort | None = None
    filters: VisitsFilters | None = None

    @model_validator(mode="after")
    def _window(self) -> Self:
        latest = months_back(self.start_date, -MAX_WINDOW_MONTHS)
        if self.start_date > self.end_date:
            raise problem(f"must not be after endDate ({self.end_date.isoformat()})", at="startDate")
        if self.end_date > latest:
            raise problem(
                f"the date range must be at most {MAX_WINDOW_MONTHS} months; with startDate "
                f"{self.start_date.isoformat()} send an endDate up to {latest.isoformat()}",
                at="endDate",
            )
        return self

    def query(self) -> VisitsQuery:
        sort = self.sort or VisitsSort()
        filters = self.filters or VisitsFilters()
        countries = filters.visitor_countries or VisitorCountries()
        return VisitsQuery(
            domains=self.domains,
            start=self.start_date,
            end=self.end_date,
            page=self.pagination.page,
            size=self.pagination.size,
            sort_by=sort.by or "score",
            descending=(sort.order or "desc") == "desc",
            bands=filters.score_bands,
            include_countries=set(countries.include) if countries.include is not None else None,
            exclude_countries=frozenset(countries.exclude or ()),
            ranges=filters.ranges(),
        )


async def website_visits(request: Request) -> JSONResponse:
    body = await parse_body(request, WebsiteVisitsRequest)
    state = sandbox_state(request)
    found = WebsiteVisitsBackend(state.dataset, state.account).visits(body.query(), charger(request))
    return lusha_json(
        {
            "requestId": request_id(request),
            "results": found.results,
            "pagination": {"size": body.pagination.size, "page": body.pagination.page, "total": found.total},
            "billing": billing_json(found.credits, len(found.results)),
        }
    )


ROUTES: list[Route] = [Route("/v3/companies/website-visits", website_visits, methods=["POST"])]
