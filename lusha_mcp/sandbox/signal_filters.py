"""The optional `signals` filter of search and prospecting: its declared request and its SQL
over the activity tables.

The tables (contact_signals, company_signals) come from lusha_mcp.sandbox.activity; when a
dataset has none, a signals filter simply matches nothing. Like the signals endpoints, the
window is matched on each row's `days_ago` (its age today), never on the `signal_date` stored
when the dataset was generated, so a dataset generated long ago answers the same way.
"""

from __future__ import annotations

import calendar
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import Field

from lusha_mcp.sandbox.activity import COMPANY_SIGNAL_TYPES, CONTACT_SIGNAL_TYPES, days_before
from lusha_mcp.sandbox.wire import Int, IsoDate, OneOf, Refuse, WireModel

ALL_SIGNALS = "allSignals"
CONTACT_SIGNAL_CHOICES: tuple[str, ...] = (ALL_SIGNALS, *CONTACT_SIGNAL_TYPES)
"""Contact signal types a request may name: every type the dataset has, and allSignals."""
COMPANY_SIGNAL_CHOICES: tuple[str, ...] = (ALL_SIGNALS, *COMPANY_SIGNAL_TYPES)
"""Company signal types a request may name: every type the dataset has, and allSignals."""

Entity = Literal["contact", "company"]


DEFAULT_WINDOW_MONTHS = 6
"""Without startDate, signals of the last six months count (as the docs say)."""


@dataclass(frozen=True, slots=True)
class SignalRequest:
    types: tuple[str, ...]
    """Concrete signal types (allSignals expanded)."""
    start_date: str
    """ISO date; signals on or after it match."""

    @property
    def max_days_ago(self) -> int:
        """The oldest matching age in days, counted back from today as `days_ago` is."""
        return days_before(date.fromisoformat(self.start_date))


def default_start_date(today: date | None = None) -> str:
    """Six calendar months before today (UTC), clamped to the month's last day."""
    day = today or datetime.now(UTC).date()
    year, month = divmod(day.year * 12 + day.month - 1 - DEFAULT_WINDOW_MONTHS, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day)).isoformat()


NOT_EMULATED = "is not supported by the sandbox; filter by types and startDate"
NotEmulated = Annotated[None, Refuse(NOT_EMULATED)]


class _SignalsFilter(WireModel):
    """The `signals` object of search and prospecting requests (types declared per entity)."""

    types: list[str]
    start_date: IsoDate | None = None
    max_results_per_signal: Annotated[Int, Field(ge=1, le=100)] | None = None
    filter_by_location: NotEmulated = None
    filter_by_department: NotEmulated = None
    filter_by_intent_category: NotEmulated = None

    def _request(self, allowed: Sequence[str]) -> SignalRequest:
        concrete = tuple(item for item in allowed if item != ALL_SIGNALS)
        chosen = concrete if ALL_SIGNALS in self.types else tuple(dict.fromkeys(self.types))
        start = self.start_date.isoformat() if self.start_date is not None else default_start_date()
        return SignalRequest(chosen, start)


class ContactSignalsFilter(_SignalsFilter):
    types: Annotated[list[Annotated[str, OneOf(CONTACT_SIGNAL_CHOICES)]], Field(min_length=1)]

    def request(self) -> SignalRequest:
        return self._request(CONTACT_SIGNAL_CHOICES)


class CompanySignalsFilter(_SignalsFilter):
    types: Annotated[list[Annotated[str, OneOf(COMPANY_SIGNAL_CHOICES)]], Field(min_length=1)]

    def request(self) -> SignalRequest:
        return self._request(COMPANY_SIGNAL_CHOICES)


def activity_table_exists(conn: sqlite3.Connection, table: str) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
    return row is not None


def _table(entity: Entity) -> tuple[str, str]:
    return ("contact_signals", "contact_id") if entity == "contact" else ("company_signals", "company_id")


def signal_subquery(
    conn: sqlite3.Connection, entity: Entity, request: SignalRequest
) -> tuple[str, list[object]]:
    """SQL selecting the ids with a matching signal (an always-empty select when there is no table)."""
    table, column = _table(entity)
    if not activity_table_exists(conn, table):
        return "SELECT NULL WHERE 0", []
    marks = ",".join("?" * len(request.types))
    sql = f"SELECT {column} FROM {table} WHERE signal_type IN ({marks}) AND days_ago BETWEEN 0 AND ?"
    return sql, [*request.types, request.max_days_ago]


def matched_signal_types(
    conn: sqlite3.Connection, entity: Entity, ids: Sequence[str], request: SignalRequest
) -> dict[str, list[str]]:
    """id -> the requested signal types it had (since startDate)."""
    table, column = _table(entity)
    found: dict[str, list[str]] = {}
    if not ids or not activity_table_exists(conn, table):
        return found
    type_marks = ",".join("?" * len(request.types))
    for start in range(0, len(ids), 400):
        chunk = list(ids[start : start + 400])
        sql = (
            f"SELECT DISTINCT {column}, signal_type FROM {table} WHERE {column} IN ({','.join('?' * len(chunk))}) "
            f"AND signal_type IN ({type_marks}) AND days_ago BETWEEN 0 AND ?"
        )
        params: list[object] = [*chunk, *request.types, request.max_days_ago]
        for entity_id, signal_type in conn.execute(sql + f" ORDER BY {column}, signal_type", params):
            found.setdefault(str(entity_id), []).append(str(signal_type))
    return found
