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

from datetime import date
from typing import Final

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lusha_mcp.sandbox.activity import TRACKED_DOMAINS, months_back
from lusha_mcp.sandbox.state import billing_json, lusha_json, request_id, sandbox_state
from lusha_mcp.sandbox.tables.backend import charger
from lusha_mcp.sandbox.validation import FieldCheck, JsonObject, read_json_object
from lusha_mcp.sandbox.website_visits.backend import Bounds, VisitsQuery, WebsiteVisitsBackend, tracked
from lusha_mcp.sandbox.website_visits.records import INT_METRICS, SCORE_BANDS, SORT_FIELDS

MAX_WINDOW_MONTHS: Final = 3
MAX_PAGE_SIZE: Final = 150


def _date(check: FieldCheck, body: JsonObject, key: str) -> date | None:
    raw = check.string(body, key, required=True)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        check.fail(key, f"must be a date as YYYY-MM-DD, got '{raw}'")
        return None


def _range(check: FieldCheck, filters: JsonObject, key: str, *, integer: bool) -> Bounds:
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


async def website_visits(request: Request) -> JSONResponse:
    body = await read_json_object(request)
    check = FieldCheck()
    check.unknown_keys(body, ("domains", "startDate", "endDate", "pagination", "sort", "filters"))
    domains = check.strings(body, "domains", required=True, min_items=1) or []
    for index, raw in enumerate(domains):
        if not tracked(raw):
            check.fail(
                f"domains[{index}]",
                f"'{raw}' is not configured for tracking; tracked domains: {', '.join(TRACKED_DOMAINS)}",
            )
    start = _date(check, body, "startDate")
    end = _date(check, body, "endDate")
    if start is not None and end is not None:
        latest = months_back(start, -MAX_WINDOW_MONTHS)
        if start > end:
            check.fail("startDate", f"must not be after endDate ({end.isoformat()})")
        elif end > latest:
            check.fail(
                "endDate",
                f"the date range must be at most {MAX_WINDOW_MONTHS} months; with startDate "
                f"{start.isoformat()} send an endDate up to {latest.isoformat()}",
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
    ranges: dict[str, Bounds] = {
        key: _range(check, filters, key, integer=key != "avgSessionMinutes")
        for key in ("score", "avgSessionMinutes", *INT_METRICS)
    }
    check.raise_if_any()
    assert start is not None
    assert end is not None
    assert page is not None
    assert size is not None
    state = sandbox_state(request)
    query = VisitsQuery(
        domains, start, end, page, size, sort_by, order == "desc", bands, include, frozenset(exclude), ranges
    )
    found = WebsiteVisitsBackend(state.dataset, state.account).visits(query, charger(request))
    return lusha_json(
        {
            "requestId": request_id(request),
            "results": found.results,
            "pagination": {"size": size, "page": page, "total": found.total},
            "billing": billing_json(found.credits, len(found.results)),
        }
    )


ROUTES: list[Route] = [Route("/v3/companies/website-visits", website_visits, methods=["POST"])]
