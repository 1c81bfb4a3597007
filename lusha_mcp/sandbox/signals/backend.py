"""Behaviour of signals over the dataset's activity tables: events, sub-filter values, scores, and
the `signals` filter of search and prospecting.

Every window is matched on each row's `days_ago` (its age today), never on the `signal_date`
stored when the dataset was generated, so a dataset generated long ago answers the same way.
A dataset without activity tables has no signals: a signals filter matches nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, Literal

from lusha_mcp.sandbox.account import ChargeItem
from lusha_mcp.sandbox.activity import (
    COMPANY_SIGNAL_TYPES,
    CONTACT_SIGNAL_TYPES,
    days_before,
    months_back,
    today,
)
from lusha_mcp.sandbox.identity import find_company, find_contact
from lusha_mcp.sandbox.signals.records import (
    INTENT_SIGNAL,
    JsonObject,
    dated,
    filter_values_json,
    location_values_json,
    no_score_json,
    not_found_json,
    passes,
    reference_json,
    score_json,
)
from lusha_mcp.sandbox.state import Answer, Charger

Entity = Literal["contact", "company"]

INTENT_WINDOW_DAYS: Final = 90
"""linkedinActivityIntent is always limited to the trailing 90 days..."""
INTENT_MAX_RESULTS: Final = 50
"""...and to 50 items per company."""
SCORE_WINDOW_DAYS: Final = 90
"""A signal type is active for a score when it occurred in the trailing 90 days."""
DEFAULT_WINDOW_MONTHS: Final = 6
"""Without startDate, signals of the last six months count (as the docs say)."""

Event = tuple[str, int, JsonObject]
"""(signal type, days ago, stored payload)."""


def default_start_date(day: date | None = None) -> str:
    """Six calendar months before today (UTC), clamped to the month's last day."""
    return months_back(day or today(), DEFAULT_WINDOW_MONTHS).isoformat()


def _table(entity: Entity) -> tuple[str, str]:
    return ("contact_signals", "contact_id") if entity == "contact" else ("company_signals", "company_id")


def _table_exists(conn: sqlite3.Connection, table: str) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
    return row is not None


@dataclass(frozen=True, slots=True)
class SignalRequest:
    """The `signals` filter of a search or prospecting request."""

    types: tuple[str, ...]
    """Concrete signal types (allSignals expanded)."""
    start_date: str
    """ISO date; signals on or after it match."""

    @property
    def max_days_ago(self) -> int:
        """The oldest matching age in days, counted back from today as `days_ago` is."""
        return days_before(date.fromisoformat(self.start_date))


def signal_subquery(
    conn: sqlite3.Connection, entity: Entity, request: SignalRequest
) -> tuple[str, list[object]]:
    """SQL selecting the ids with a matching signal (an always-empty select when there is no table)."""
    table, column = _table(entity)
    if not _table_exists(conn, table):
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
    if not ids or not _table_exists(conn, table):
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


class SignalsBackend:
    """Signal events, sub-filter values and signal scores of one sandbox dataset."""

    def __init__(self, dataset: sqlite3.Connection) -> None:
        self.dataset = dataset

    # --- events ----------------------------------------------------------------------------------

    def _events(
        self, entity: Entity, ids: Sequence[str], types: Sequence[str], max_days: int
    ) -> dict[str, list[Event]]:
        """id -> its events of `types` at most `max_days` old, newest first."""
        found: dict[str, list[Event]] = {}
        if not ids or not types:
            return found
        table, column = _table(entity)
        id_marks = ",".join("?" * len(ids))
        type_marks = ",".join("?" * len(types))
        rows = self.dataset.execute(
            f"SELECT {column}, signal_type, days_ago, payload FROM {table} "
            f"WHERE {column} IN ({id_marks}) AND signal_type IN ({type_marks}) AND days_ago <= ? AND days_ago >= 0 "
            "ORDER BY days_ago, rowid",
            [*ids, *types, max_days],
        ).fetchall()
        for entity_id, signal_type, days_ago, payload in rows:
            found.setdefault(str(entity_id), []).append(
                (str(signal_type), int(days_ago), json.loads(payload))
            )
        return found

    def _known(self, entity: Entity, ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
        """id -> (id,) of the contacts, (id, name, domain) of the companies, that exist."""
        marks = ",".join("?" * len(ids))
        sql = (
            f"SELECT id FROM contacts WHERE id IN ({marks})"
            if entity == "contact"
            else f"SELECT id, name, domain FROM companies WHERE id IN ({marks})"
        )
        return {str(row[0]): tuple(row) for row in self.dataset.execute(sql, list(ids)).fetchall()}

    def signals(
        self,
        entity: Entity,
        ids: Sequence[str],
        types: Sequence[str],
        start: date,
        max_per: int | None,
        charge: Charger,
        filters: dict[str, set[str]] | None = None,
    ) -> tuple[list[JsonObject], int]:
        """(a result per known id, credits): its events of each type since `start`, newest first,
        at most `max_per` per type, passing the company sub-filters; linkedinActivityIntent keeps
        to its own window and cap. Unknown ids are left out. One `showSignalsContact` /
        `showSignalsCompany` unit per signal type with at least one event, per result."""
        unique_ids = list(dict.fromkeys(ids))
        known = self._known(entity, unique_ids)
        events = self._events(entity, list(known), types, days_before(start))
        results: list[JsonObject] = []
        matched = 0
        for entity_id in unique_ids:
            row = known.get(entity_id)
            if row is None:
                continue
            result: JsonObject = {"id": entity_id}
            if entity == "company":
                result |= {"companyName": row[1], "domain": row[2]}
            result |= {signal_type: [] for signal_type in types}
            for signal_type, days_ago, payload in events.get(entity_id, []):
                bucket: list[JsonObject] = result[signal_type]
                cap = max_per
                if signal_type == INTENT_SIGNAL:
                    if days_ago > INTENT_WINDOW_DAYS:
                        continue
                    cap = min(cap or INTENT_MAX_RESULTS, INTENT_MAX_RESULTS)
                if (cap is None or len(bucket) < cap) and passes(signal_type, payload, filters or {}):
                    bucket.append(dated(payload, days_ago, signal_type))
            matched += sum(1 for signal_type in types if result[signal_type])
            results.append(result)
        action = "showSignalsContact" if entity == "contact" else "showSignalsCompany"
        return results, charge([ChargeItem(action, matched)], ())

    # --- sub-filter values -----------------------------------------------------------------------

    def filter_values(self, filter_type: str, query: str | None) -> list[JsonObject]:
        """The values of a company sub-filter type, those holding `query` when one is given."""
        if filter_type == "hiringByLocations":
            rows = self.dataset.execute(
                "SELECT DISTINCT json_extract(payload, '$.location.country'), "
                "json_extract(payload, '$.location.countryIso2'), json_extract(payload, '$.location.city') "
                "FROM company_signals WHERE signal_type = 'surgeInHiringByLocation'"
            ).fetchall()
            return location_values_json(rows, query or "")
        values = filter_values_json(filter_type)
        if query is not None:
            needle = query.lower()
            values = [value for value in values if needle in str(value["value"]).lower()]
        return values

    # --- scores ----------------------------------------------------------------------------------

    def _active_types(self, entity: Entity, entity_id: str) -> tuple[bool, list[str]]:
        """(has any signal history, signal types active in the score window)."""
        table, column = _table(entity)
        rows = self.dataset.execute(
            f"SELECT signal_type, MIN(days_ago) FROM {table} WHERE {column} = ? "
            "GROUP BY signal_type ORDER BY signal_type",
            (entity_id,),
        ).fetchall()
        return bool(rows), [str(kind) for kind, age in rows if 0 <= int(age) <= SCORE_WINDOW_DAYS]

    def company_scores(self, items: Sequence[tuple[str | None, str, str]], charge: Charger) -> Answer:
        """An entry per (clientReferenceId, key, value), with the scored rows as successes: one
        `signal_score_company_reveal` unit per scored row; NOT_FOUND / NO_SCORE rows are free."""
        results: list[JsonObject] = []
        scored = 0
        for reference, key, value in items:
            entry = reference_json(reference)
            company = find_company(self.dataset, key, value)
            if company is None:
                echoed = value.split("@", 1)[1] if key == "email" else value
                results.append(entry | {"id": echoed, "error": not_found_json("Company")})
                continue
            entry |= {"id": str(company[0]), "name": company[1], "domain": company[2]}
            has_history, active = self._active_types("company", str(company[0]))
            if not has_history:
                entry["error"] = no_score_json("company")
            else:
                entry |= score_json(active, len(COMPANY_SIGNAL_TYPES))
                scored += 1
            results.append(entry)
        return Answer(results, charge([ChargeItem("signal_score_company_reveal", scored)], ()), scored)

    def contact_scores(self, items: Sequence[tuple[str | None, dict[str, str]]], charge: Charger) -> Answer:
        """An entry per (clientReferenceId, identifiers), with the scored rows as successes: the contact's and
        its company's active types over both universes; one `signal_score_contact_reveal` unit
        per scored row."""
        universe = len(CONTACT_SIGNAL_TYPES) + len(COMPANY_SIGNAL_TYPES)
        results: list[JsonObject] = []
        scored = 0
        for reference, given in items:
            entry = reference_json(reference)
            contact = find_contact(self.dataset, given)
            if contact is None:
                if "id" in given:
                    entry["id"] = given["id"]
                results.append(entry | {"error": not_found_json("Contact")})
                continue
            entry |= {"id": str(contact[0]), "fullName": f"{contact[1] or ''} {contact[2] or ''}".strip()}
            if contact[3] is not None:
                entry["company"] = {"id": str(contact[3]), "name": contact[4], "domain": contact[5]}
            own_history, own_active = self._active_types("contact", str(contact[0]))
            company_history, company_active = (
                self._active_types("company", str(contact[3])) if contact[3] else (False, [])
            )
            if not own_history and not company_history:
                entry["error"] = no_score_json("contact")
            else:
                entry |= score_json(own_active + company_active, universe)
                scored += 1
            results.append(entry)
        return Answer(results, charge([ChargeItem("signal_score_contact_reveal", scored)], ()), scored)
