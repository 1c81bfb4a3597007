"""The records of signals: the vocabulary the API offers and the JSON of events, results and scores.

Events are stored with their age (`days_ago`, see lusha_mcp.sandbox.activity); `dated` gives an
event the dates it has as of today. The signal types, news event types, hiring departments and
intent categories are the ones the activity data is generated from.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Final

from lusha_mcp.sandbox.activity import (
    COMPANY_SIGNAL_TYPES,
    CONTACT_SIGNAL_TYPES,
    HIRING_DEPARTMENTS,
    INTENT_CATEGORIES,
    NEWS_EVENT_TYPES,
    date_of,
)

JsonObject = dict[str, Any]

ALL_SIGNALS: Final = "allSignals"
INTENT_SIGNAL: Final = "linkedinActivityIntent"
CONTACT_SIGNAL_CHOICES: Final[tuple[str, ...]] = (ALL_SIGNALS, *CONTACT_SIGNAL_TYPES)
"""Contact signal types a request may name: every type the dataset has, and allSignals."""
COMPANY_SIGNAL_CHOICES: Final[tuple[str, ...]] = (ALL_SIGNALS, *COMPANY_SIGNAL_TYPES)
"""Company signal types a request may name: every type the dataset has, and allSignals."""
NEWS_EVENTS: Final[tuple[str, ...]] = tuple(
    sorted({event for events in NEWS_EVENT_TYPES.values() for event in events})
)
"""Every news event type (the values of the newsEventTypes sub-filter)."""

COMPANY_SIGNAL_FILTERS: Final[dict[str, bool]] = {
    "newsEventTypes": False,
    "hiringByDepartments": False,
    "hiringByLocations": True,
    "intentCategories": False,
}
"""Company signal sub-filter types -> whether their values endpoint needs `query`."""
SUB_FILTER_CHOICES: Final[dict[str, Sequence[str] | None]] = {
    "newsEventTypes": NEWS_EVENTS,
    "hiringByDepartments": HIRING_DEPARTMENTS,
    "hiringByLocations": None,
    "intentCategories": tuple(sorted(INTENT_CATEGORIES)),
}
"""Company signal sub-filter types -> the values they accept (None: any location name)."""


def concrete_types(requested: Sequence[str], known: Sequence[str]) -> tuple[str, ...]:
    """The requested signal types, `allSignals` expanded to every known type, each once."""
    return tuple(known) if ALL_SIGNALS in requested else tuple(dict.fromkeys(requested))


def dated(payload: JsonObject, days_ago: int, signal_type: str) -> JsonObject:
    """The stored payload with its dates moved to the signal's age as of today."""
    on = date_of(days_ago)
    if signal_type == INTENT_SIGNAL:
        return payload | {"activityPublicationDate": on}
    moved = payload | {"signalDate": on}
    if "articlePublishedDate" in payload:
        moved["articlePublishedDate"] = on
    if "eventEffectiveDate" in payload:
        shift = date.fromisoformat(payload["signalDate"]) - date.fromisoformat(payload["eventEffectiveDate"])
        moved["eventEffectiveDate"] = (date.fromisoformat(on) - shift).isoformat()
    return moved


def passes(signal_type: str, payload: JsonObject, filters: dict[str, set[str]]) -> bool:
    """Whether a company event passes the sub-filters (lower-cased values by sub-filter type)."""
    if signal_type in NEWS_EVENT_TYPES and "newsEventTypes" in filters:
        return str(payload.get("eventType", "")).lower() in filters["newsEventTypes"]
    if signal_type == "surgeInHiringByDepartment" and "hiringByDepartments" in filters:
        return str(payload.get("department", "")).lower() in filters["hiringByDepartments"]
    if signal_type == "surgeInHiringByLocation" and "hiringByLocations" in filters:
        location: JsonObject = payload.get("location") or {}
        names = {str(value).lower() for value in location.values() if value}
        return bool(names & filters["hiringByLocations"])
    if signal_type == INTENT_SIGNAL and "intentCategories" in filters:
        topics: list[JsonObject] = payload.get("intentTopics") or []
        return any(str(topic.get("category", "")).lower() in filters["intentCategories"] for topic in topics)
    return True


def available_filters_json() -> JsonObject:
    return {
        "availableFilters": [
            {"filterType": name, "requiresQuery": needs_query}
            for name, needs_query in COMPANY_SIGNAL_FILTERS.items()
        ]
    }


def filter_values_json(filter_type: str) -> list[JsonObject]:
    """The values of a sub-filter type without a query (not hiringByLocations: see the backend)."""
    if filter_type == "newsEventTypes":
        return [
            {"value": event, "label": event.replace("_", " ").capitalize(), "signalType": signal_type}
            for signal_type, events in NEWS_EVENT_TYPES.items()
            for event in events
        ]
    if filter_type == "hiringByDepartments":
        return [{"value": name, "label": name} for name in HIRING_DEPARTMENTS]
    return [
        {"value": name, "label": name, "topics": list(topics)} for name, topics in INTENT_CATEGORIES.items()
    ]


def location_values_json(rows: Sequence[tuple[Any, ...]], query: str) -> list[JsonObject]:
    """The hiring locations (country, countryIso2, city rows) whose country or city holds `query`."""
    needle = query.lower()
    values: dict[str, JsonObject] = {}
    for country, iso2, city in rows:
        for kind, name in (("country", country), ("city", city)):
            if name and needle in str(name).lower():
                entry = {"value": str(name), "type": kind}
                if iso2:
                    entry["countryIso2"] = str(iso2)
                values.setdefault(f"{kind}:{name}", entry)
    return sorted(values.values(), key=lambda item: (item["type"], item["value"]))[:100]


def reference_json(reference: str | None) -> JsonObject:
    return {} if reference is None else {"clientReferenceId": reference}


def score_json(active: Sequence[str], universe: int) -> JsonObject:
    """A scored entry: the share of the signal types active in the score window."""
    return {
        "signalScore": round(len(active) / universe, 4),
        "signalTypes": list(active),
        "noActiveSignals": not active,
    }


def not_found_json(entity: str) -> JsonObject:
    return {"code": "NOT_FOUND", "message": f"{entity} not found"}


def no_score_json(entity: str) -> JsonObject:
    return {"code": "NO_SCORE", "message": f"No signal data to score this {entity}"}
