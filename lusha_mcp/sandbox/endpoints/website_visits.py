"""Website visits: POST /v3/companies/website-visits.

Companies that visited the account's tracked domains in a date window, each as a company preview
plus visit metrics. The sandbox account tracks exactly these domains (`TRACKED_DOMAINS`):

    lusha.com, google.com, acme-sandbox.com, acme-sandbox.io

(`www.` and a scheme are ignored). Any other domain fails the whole request with 400.

Rules: `startDate` <= `endDate`, at most 3 calendar months apart; `pagination` {page >= 0,
size 1-150} is required. `filters.visitorCountries` (ISO alpha-2 include / exclude) selects which
visits count; the other filters (`scoreBands` cold/warm/hot, `score` 1-100, `totalSessions`,
`uniqueVisitors`, `avgSessionMinutes`, `daysVisited`, `highIntentPageviews`,
`daysSinceLastVisit` as {min, max}) apply to each company's totals. `sort.by` is any metric
(default `score`), `sort.order` asc or desc (default desc).

Score (1-100, `visit_score`) grows with sessions, days visited, high-intent pageviews and session
length and fades with days since the last visit, without a ceiling (few accounts come near 100);
bands: cold < 40 <= warm < 70 <= hot. Equal values of the sort field are ordered by score,
high-intent pageviews, sessions, days visited, session length and last visit in turn
(`TIE_BREAKS`), then by id.
Billing: `websiteVisits`, free in the sandbox (the spec's example charges 0).
"""

from __future__ import annotations

import math
import sqlite3
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lusha_mcp.sandbox.activity import TRACKED_DOMAINS, date_of, days_before
from lusha_mcp.sandbox.identity import bare_domain
from lusha_mcp.sandbox.records import company_preview, rows_by_id
from lusha_mcp.sandbox.state import billing_json, lusha_json, request_id, sandbox_state
from lusha_mcp.sandbox.validation import FieldCheck, JsonObject, read_json_object

MAX_WINDOW_MONTHS: Final = 3
MAX_PAGE_SIZE: Final = 150
SCORE_BANDS: Final = ("cold", "warm", "hot")
INT_METRICS: Final = (
    "totalSessions",
    "uniqueVisitors",
    "daysVisited",
    "highIntentPageviews",
    "daysSinceLastVisit",
)
SORT_FIELDS: Final = ("score", *INT_METRICS, "avgSessionMinutes", "lastVisit")


def months_after(day: date, months: int) -> date:
    """`day` moved forward by whole calendar months (clamped to the month's last day)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    for last in (31, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


SCORE_HALF_WAY: Final = 60.0
"""Engagement at which the score is 50: the score is 100 * e / (e + this), so it never saturates."""
RECENCY_DAYS: Final = 30.0
"""Engagement fades by a factor e for every this many days since the last visit."""
TIE_BREAKS: Final = (
    "score",
    "highIntentPageviews",
    "totalSessions",
    "daysVisited",
    "avgSessionMinutes",
    "lastVisit",
)
"""Order of equal values of the sort field: these metrics in turn (same direction), then id."""


def visit_score(sessions: int, days_visited: int, high_intent: int, avg_minutes: float, last_ago: int) -> int:
    """The 1-100 score of a company's visits in a window.

    Engagement grows with sessions (logarithmically), days visited, high-intent pageviews and
    session length, and fades with the days since the last visit; the score maps engagement
    onto 1-100 without a ceiling, so only the most engaged accounts come near 100.
    """
    engagement = 8 * math.log1p(sessions) + 2.5 * days_visited + 1.2 * high_intent + 1.5 * avg_minutes
    recent = engagement * math.exp(-last_ago / RECENCY_DAYS)
    return max(1, min(100, round(100 * recent / (recent + SCORE_HALF_WAY))))


def score_band(score: int) -> str:
    return "hot" if score >= 70 else "warm" if score >= 40 else "cold"


@dataclass(slots=True)
class VisitTotals:
    company_id: str
    sessions: int = 0
    unique_visitors: int = 0
    minutes: float = 0.0
    days: set[int] = field(default_factory=set[int])
    high_intent: int = 0
    countries: Counter[str] = field(default_factory=Counter[str])

    def metrics(self) -> dict[str, Any]:
        last_ago = min(self.days)
        avg_minutes = round(self.minutes / self.sessions, 1) if self.sessions else 0.0
        score = visit_score(self.sessions, len(self.days), self.high_intent, avg_minutes, last_ago)
        return {
            "score": score,
            "scoreBand": score_band(score),
            "totalSessions": self.sessions,
            "uniqueVisitors": min(self.unique_visitors, self.sessions),
            "avgSessionMinutes": avg_minutes,
            "daysVisited": len(self.days),
            "highIntentPageviews": self.high_intent,
            "daysSinceLastVisit": last_ago,
            "lastVisit": date_of(last_ago),
            "visitorCountry": sorted(self.countries.items(), key=lambda item: (-item[1], item[0]))[0][0],
        }


def _date(check: FieldCheck, body: JsonObject, key: str) -> date | None:
    raw = check.string(body, key, required=True)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        check.fail(key, f"must be a date as YYYY-MM-DD, got '{raw}'")
        return None


def _range(
    check: FieldCheck, filters: JsonObject, key: str, *, integer: bool
) -> tuple[float | None, float | None]:
    bounds = check.obj(filters, key, at="filters")
    if bounds is None:
        return None, None
    at = f"filters.{key}"
    check.unknown_keys(bounds, ("min", "max"), at=at)
    minimum = 1 if key == "score" else 0
    maximum = 100 if key == "score" else None
    values: list[float | None] = []
    for bound in ("min", "max"):
        value: float | None
        if integer:
            value = check.integer(bounds, bound, at=at, minimum=minimum, maximum=maximum)
        else:
            value = check.number(bounds, bound, at=at)
            if value is not None and value < 0:
                check.fail(f"{at}.{bound}", "must be at least 0")
        values.append(value)
    low, high = values
    if low is not None and high is not None and low > high:
        check.fail(at, f"min ({low:g}) must not exceed max ({high:g})")
    return low, high


def _countries(check: FieldCheck, filters: JsonObject) -> tuple[set[str] | None, set[str]]:
    spec = check.obj(filters, "visitorCountries", at="filters")
    if spec is None:
        return None, set()
    at = "filters.visitorCountries"
    check.unknown_keys(spec, ("include", "exclude"), at=at)
    chosen: list[set[str]] = []
    for key in ("include", "exclude"):
        codes = check.strings(spec, key, at=at) or []
        for index, code in enumerate(codes):
            if len(code) != 2 or not code.isalpha():
                check.fail(
                    f"{at}.{key}[{index}]", f"'{code}' is not an ISO 3166-1 alpha-2 code (e.g. US, GB)"
                )
        chosen.append({code.upper() for code in codes})
    include = chosen[0] if spec.get("include") is not None else None
    return include, chosen[1]


def _aggregate(
    conn: sqlite3.Connection,
    domains: Sequence[str],
    newest_ago: int,
    oldest_ago: int,
    include: set[str] | None,
    exclude: set[str],
) -> list[VisitTotals]:
    marks = ",".join("?" * len(domains))
    rows = conn.execute(
        "SELECT company_id, days_ago, sessions, unique_visitors, session_minutes, high_intent_pageviews, "
        f"visitor_country FROM website_visits WHERE tracked_domain IN ({marks}) AND days_ago BETWEEN ? AND ?",
        [*domains, newest_ago, oldest_ago],
    ).fetchall()
    totals: dict[str, VisitTotals] = {}
    for company_id, days_ago, sessions, visitors, minutes, high_intent, country in rows:
        if (include is not None and country not in include) or country in exclude:
            continue
        entry = totals.setdefault(str(company_id), VisitTotals(str(company_id)))
        entry.sessions += int(sessions)
        entry.unique_visitors += int(visitors)
        entry.minutes += float(minutes)
        entry.days.add(int(days_ago))
        entry.high_intent += int(high_intent)
        entry.countries[str(country)] += int(sessions)
    return list(totals.values())


async def website_visits(request: Request) -> JSONResponse:
    body = await read_json_object(request)
    check = FieldCheck()
    check.unknown_keys(body, ("domains", "startDate", "endDate", "pagination", "sort", "filters"))
    raw_domains = check.strings(body, "domains", required=True, min_items=1) or []
    domains: list[str] = []
    for index, raw in enumerate(raw_domains):
        domain = bare_domain(raw)
        if domain not in TRACKED_DOMAINS:
            check.fail(
                f"domains[{index}]",
                f"'{raw}' is not configured for tracking; tracked domains: {', '.join(TRACKED_DOMAINS)}",
            )
        domains.append(domain)
    start = _date(check, body, "startDate")
    end = _date(check, body, "endDate")
    if start is not None and end is not None:
        if start > end:
            check.fail("startDate", f"must not be after endDate ({end.isoformat()})")
        elif end > months_after(start, MAX_WINDOW_MONTHS):
            check.fail(
                "endDate",
                f"the date range must be at most {MAX_WINDOW_MONTHS} months; with startDate "
                f"{start.isoformat()} send an endDate up to {months_after(start, MAX_WINDOW_MONTHS).isoformat()}",
            )
    pagination = check.obj(body, "pagination", required=True) or {}
    if pagination:
        check.unknown_keys(pagination, ("page", "size"), at="pagination")
    page = check.integer(pagination, "page", at="pagination", required=bool(pagination), minimum=0)
    size = check.integer(
        pagination, "size", at="pagination", required=bool(pagination), minimum=1, maximum=MAX_PAGE_SIZE
    )
    sort = check.obj(body, "sort") or {}
    if sort:
        check.unknown_keys(sort, ("by", "order"), at="sort")
    sort_by = check.string(sort, "by", at="sort", choices=SORT_FIELDS) or "score"
    order = check.string(sort, "order", at="sort", choices=("asc", "desc")) or "desc"
    filters = check.obj(body, "filters") or {}
    if filters:
        check.unknown_keys(
            filters,
            ("scoreBands", "visitorCountries", "score", "avgSessionMinutes", *INT_METRICS),
            at="filters",
        )
    bands = check.strings(filters, "scoreBands", at="filters", min_items=1, choices=SCORE_BANDS)
    include, exclude = _countries(check, filters)
    ranges: dict[str, tuple[float | None, float | None]] = {
        key: _range(check, filters, key, integer=key != "avgSessionMinutes")
        for key in ("score", "avgSessionMinutes", *INT_METRICS)
    }
    check.raise_if_any()
    assert start is not None
    assert end is not None
    assert page is not None
    assert size is not None

    state = sandbox_state(request)
    newest_ago = max(0, days_before(end))
    oldest_ago = days_before(start)
    visits: list[dict[str, Any]] = []
    if oldest_ago >= 0:
        for totals in _aggregate(
            state.dataset, list(dict.fromkeys(domains)), newest_ago, oldest_ago, include, exclude
        ):
            metrics = totals.metrics()
            if bands is not None and metrics["scoreBand"] not in bands:
                continue
            if any(
                (low is not None and metrics[key] < low) or (high is not None and metrics[key] > high)
                for key, (low, high) in ranges.items()
            ):
                continue
            visits.append({"id": totals.company_id, **metrics})
    keys = [sort_by, *(key for key in TIE_BREAKS if key != sort_by)]
    visits.sort(key=lambda item: item["id"])
    visits.sort(key=lambda item: tuple(item[key] for key in keys), reverse=order == "desc")
    window = visits[page * size : (page + 1) * size]
    results: list[dict[str, Any]] = []
    if window:
        ids = [item["id"] for item in window]
        rows = rows_by_id(state.dataset, "companies", ids)
        revealed = state.account.revealed_fields("company", ids)
        previews = {
            company_id: company_preview(row, revealed.get(company_id, set()))
            for company_id, row in rows.items()
        }
        for item in window:
            metrics = {key: value for key, value in item.items() if key != "id"}
            results.append(previews[item["id"]] | metrics)
    credits = state.charge(request, "websiteVisits", len(results))
    return lusha_json(
        {
            "requestId": request_id(request),
            "results": results,
            "pagination": {"size": size, "page": page, "total": len(visits)},
            "billing": billing_json(credits, len(results)),
        }
    )


ROUTES: list[Route] = [Route("/v3/companies/website-visits", website_visits, methods=["POST"])]
