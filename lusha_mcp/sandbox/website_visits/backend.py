"""Behaviour of website visits: the companies that visited the account's tracked domains in a
window, filtered, ranked and paged.

The sandbox account tracks exactly `TRACKED_DOMAINS` (lusha.com, google.com, acme-sandbox.com,
acme-sandbox.io; `www.` and a scheme are ignored). `visitorCountries` (include / exclude)
selects which visits count; the other filters apply to each company's totals as {min, max}.
Equal values of the sort field are ordered by `TIE_BREAKS` in turn, then by id.
Billing: `websiteVisits` per result, free in the sandbox (the spec's example charges 0).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from lusha_mcp.sandbox.account import AccountState, ChargeItem
from lusha_mcp.sandbox.activity import TRACKED_DOMAINS, days_before
from lusha_mcp.sandbox.companies.records import company_preview
from lusha_mcp.sandbox.identity import bare_domain
from lusha_mcp.sandbox.rows import rows_by_id
from lusha_mcp.sandbox.state import Charger
from lusha_mcp.sandbox.website_visits.records import JsonObject, VisitTotals

TIE_BREAKS: Final = (
    "score",
    "highIntentPageviews",
    "totalSessions",
    "daysVisited",
    "avgSessionMinutes",
    "lastVisit",
)
"""Order of equal values of the sort field: these metrics in turn (same direction), then id."""

Bounds = tuple[float | None, float | None]


def tracked(domain: str) -> bool:
    """Whether the account tracks this domain (`www.` and a scheme ignored)."""
    return bare_domain(domain) in TRACKED_DOMAINS


@dataclass(frozen=True, slots=True)
class VisitsQuery:
    domains: Sequence[str]
    start: date
    end: date
    page: int
    size: int
    sort_by: str = "score"
    descending: bool = True
    bands: Sequence[str] | None = None
    include_countries: set[str] | None = None
    exclude_countries: frozenset[str] = frozenset()
    ranges: Mapping[str, Bounds] | None = None
    """Metric -> (min, max) the company's totals must lie in."""


@dataclass(frozen=True, slots=True)
class VisitsPage:
    results: list[JsonObject]
    total: int
    credits: int


class WebsiteVisitsBackend:
    """The website visits of one sandbox app."""

    def __init__(self, dataset: sqlite3.Connection, account: AccountState) -> None:
        self.dataset = dataset
        self.account = account

    def _totals(self, query: VisitsQuery) -> list[VisitTotals]:
        newest_ago = max(0, days_before(query.end))
        oldest_ago = days_before(query.start)
        if oldest_ago < 0:
            return []
        domains = list(dict.fromkeys(bare_domain(domain) for domain in query.domains))
        marks = ",".join("?" * len(domains))
        rows = self.dataset.execute(
            "SELECT company_id, days_ago, sessions, unique_visitors, session_minutes, high_intent_pageviews, "
            f"visitor_country FROM website_visits WHERE tracked_domain IN ({marks}) AND days_ago BETWEEN ? AND ?",
            [*domains, newest_ago, oldest_ago],
        ).fetchall()
        totals: dict[str, VisitTotals] = {}
        include, exclude = query.include_countries, query.exclude_countries
        for company_id, days_ago, sessions, visitors, minutes, high_intent, country in rows:
            if (include is not None and country not in include) or country in exclude:
                continue
            entry = totals.setdefault(str(company_id), VisitTotals(str(company_id)))
            entry.add(
                int(days_ago), int(sessions), int(visitors), float(minutes), int(high_intent), str(country)
            )
        return list(totals.values())

    def visits(self, query: VisitsQuery, charge: Charger) -> VisitsPage:
        visits: list[JsonObject] = []
        ranges = query.ranges or {}
        for totals in self._totals(query):
            metrics = totals.metrics()
            if query.bands is not None and metrics["scoreBand"] not in query.bands:
                continue
            if any(
                (low is not None and metrics[key] < low) or (high is not None and metrics[key] > high)
                for key, (low, high) in ranges.items()
            ):
                continue
            visits.append({"id": totals.company_id, **metrics})
        keys = [query.sort_by, *(key for key in TIE_BREAKS if key != query.sort_by)]
        visits.sort(key=lambda item: item["id"])
        visits.sort(key=lambda item: tuple(item[key] for key in keys), reverse=query.descending)
        window = visits[query.page * query.size : (query.page + 1) * query.size]
        results: list[JsonObject] = []
        if window:
            ids = [item["id"] for item in window]
            rows = rows_by_id(self.dataset, "companies", ids)
            revealed = self.account.revealed_fields("company", ids)
            for item in window:
                metrics = {key: value for key, value in item.items() if key != "id"}
                results.append(company_preview(rows[item["id"]], revealed.get(item["id"], set())) | metrics)
        credits = charge([ChargeItem("websiteVisits", len(results))], ())
        return VisitsPage(results, len(visits), credits)
