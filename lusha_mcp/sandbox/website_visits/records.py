"""The records of website visits: a company's visit totals in a window, and their metrics.

Score (1-100, `visit_score`) grows with sessions, days visited, high-intent pageviews and session
length and fades with days since the last visit, without a ceiling (few accounts come near 100);
bands: cold < 40 <= warm < 70 <= hot.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

from lusha_mcp.sandbox.activity import date_of

JsonObject = dict[str, Any]

SCORE_BANDS: Final = ("cold", "warm", "hot")
INT_METRICS: Final = (
    "totalSessions",
    "uniqueVisitors",
    "daysVisited",
    "highIntentPageviews",
    "daysSinceLastVisit",
)
"""The integer metrics (each also a {min, max} filter)."""
SORT_FIELDS: Final = ("score", *INT_METRICS, "avgSessionMinutes", "lastVisit")

SCORE_HALF_WAY: Final = 60.0
"""Engagement at which the score is 50: the score is 100 * e / (e + this), so it never saturates."""
RECENCY_DAYS: Final = 30.0
"""Engagement fades by a factor e for every this many days since the last visit."""


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
    """The visits of one company in a window, summed over its visit rows."""

    company_id: str
    sessions: int = 0
    unique_visitors: int = 0
    minutes: float = 0.0
    days: set[int] = field(default_factory=set[int])
    high_intent: int = 0
    countries: Counter[str] = field(default_factory=Counter[str])

    def add(
        self, days_ago: int, sessions: int, visitors: int, minutes: float, high_intent: int, country: str
    ) -> None:
        self.sessions += sessions
        self.unique_visitors += visitors
        self.minutes += minutes
        self.days.add(days_ago)
        self.high_intent += high_intent
        self.countries[country] += sessions

    def metrics(self) -> JsonObject:
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
