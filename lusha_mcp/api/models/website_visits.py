"""Website visits: companies that visited the account's tracked domains."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from lusha_mcp.api.models.base import Domain, LushaRequest, MeteredResponse, Pagination
from lusha_mcp.api.models.companies import CompanyPreview

ScoreBand = Literal["cold", "warm", "hot"]
VisitSortField = Literal[
    "score", "totalSessions", "uniqueVisitors", "avgSessionMinutes", "daysVisited", "highIntentPageviews",
    "daysSinceLastVisit", "lastVisit",
]  # fmt: skip

MAX_SPAN_MONTHS = 3
"""The widest date range Lusha accepts: 3 calendar months (so 89 to 92 days, by start date)."""


def latest_end_date(start: dt.date, months: int = MAX_SPAN_MONTHS) -> dt.date:
    """The last endDate allowed for `start`: the same day `months` calendar months later,
    or that month's last day when it is shorter (Jan 31 -> Apr 30)."""
    year, month_index = divmod(start.year * 12 + start.month - 1 + months, 12)
    month = month_index + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


class IntRange(LushaRequest):
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)


class FloatRange(LushaRequest):
    min: float | None = Field(default=None, ge=0)
    max: float | None = Field(default=None, ge=0)


class CountryFilter(LushaRequest):
    include: list[str] | None = None
    exclude: list[str] | None = None


class WebsiteVisitsFilters(LushaRequest):
    score_bands: list[ScoreBand] | None = None
    visitor_countries: CountryFilter | None = None
    score: IntRange | None = None
    total_sessions: IntRange | None = None
    avg_session_minutes: FloatRange | None = None
    unique_visitors: IntRange | None = None
    days_visited: IntRange | None = None
    high_intent_pageviews: IntRange | None = None
    days_since_last_visit: IntRange | None = None


class WebsiteVisitsPage(LushaRequest):
    page: int = Field(default=0, ge=0)
    size: int = Field(default=50, ge=1, le=150)


class WebsiteVisitsSort(LushaRequest):
    by: str
    order: Literal["asc", "desc"] = "desc"


class WebsiteVisitsRequest(LushaRequest):
    """Companies that visited the tracked domains between start_date and end_date (at most 3 months)."""

    domains: list[Domain] = Field(min_length=1)
    start_date: dt.date
    end_date: dt.date
    pagination: WebsiteVisitsPage = Field(default_factory=WebsiteVisitsPage)
    sort: WebsiteVisitsSort | None = None
    filters: WebsiteVisitsFilters | None = None

    @model_validator(mode="after")
    def _date_span(self) -> WebsiteVisitsRequest:
        if self.end_date < self.start_date:
            raise ValueError("endDate must be on or after startDate")
        latest = latest_end_date(self.start_date)
        if self.end_date > latest:
            raise ValueError(
                f"the date range may span at most {MAX_SPAN_MONTHS} months (calendar months); "
                f"with startDate {self.start_date.isoformat()} send an endDate up to {latest.isoformat()}"
            )
        return self


class WebsiteVisit(CompanyPreview):
    """A visiting company (firmographic preview) with its visit metrics."""

    score: float | None = None
    score_band: str | None = None
    total_sessions: float | None = None
    unique_visitors: float | None = None
    avg_session_minutes: float | None = None
    days_visited: float | None = None
    high_intent_pageviews: float | None = None
    days_since_last_visit: float | None = None
    last_visit: str | None = None
    visitor_country: str | None = None


class WebsiteVisitsResponse(MeteredResponse):
    results: list[WebsiteVisit] = Field(default_factory=list[WebsiteVisit])
    pagination: Pagination | None = None
