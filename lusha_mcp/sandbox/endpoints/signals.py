"""Signals: contact and company signal events, signal types, signal filters and signal scores.

- POST /v3/contacts/signals, /v3/companies/signals: events by Lusha ids (up to 100), for the
  requested `signalTypes` (or `allSignals`) since `startDate` (default: six months back), at most
  `maxResultsPerSignal` per type and entity, newest first. Company requests take sub-filters under
  `filters.include`: `newsEventTypes`, `hiringByDepartments`, `hiringByLocations`, `intentCategories`.
  `linkedinActivityIntent` is always limited to the trailing 90 days and 50 items per company.
  Ids not in the dataset are left out of `results`. Billing: one `showSignalsContact` /
  `showSignalsCompany` unit per signal type with at least one event, per result.
- GET signal types and company signal filter discovery / values (free).
- POST /v3/companies/signal-score, /v3/contacts/signal-score: per item a score (the share of signal
  types active in the trailing 90 days), or a NOT_FOUND / NO_SCORE error entry. One
  `signal_score_company_reveal` / `signal_score_contact_reveal` unit per scored row (free while unlisted); error rows are free.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import date
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lusha_mcp.sandbox.activity import (
    COMPANY_SIGNAL_TYPES,
    CONTACT_SIGNAL_TYPES,
    HIRING_DEPARTMENTS,
    INTENT_CATEGORIES,
    NEWS_EVENT_TYPES,
    date_of,
    days_before,
    today,
)
from lusha_mcp.sandbox.errors import bad_request
from lusha_mcp.sandbox.identity import find_company, find_contact
from lusha_mcp.sandbox.state import billing_json, lusha_json, request_id, sandbox_state
from lusha_mcp.sandbox.validation import FieldCheck, JsonObject, read_json_object

ALL_SIGNALS: Final = "allSignals"
INTENT_SIGNAL: Final = "linkedinActivityIntent"
INTENT_WINDOW_DAYS: Final = 90
INTENT_MAX_RESULTS: Final = 50
SCORE_WINDOW_DAYS: Final = 90
DEFAULT_LOOKBACK_MONTHS: Final = 6

COMPANY_SIGNAL_FILTERS: Final[dict[str, bool]] = {
    "newsEventTypes": False,
    "hiringByDepartments": False,
    "hiringByLocations": True,
    "intentCategories": False,
}
"""Company signal sub-filter types -> whether their values endpoint needs `query`."""


def months_back(day: date, months: int) -> date:
    """`day` moved back by whole calendar months (clamped to the month's last day)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for candidate in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _start_date(check: FieldCheck, body: JsonObject) -> date:
    now = today()
    default = months_back(now, DEFAULT_LOOKBACK_MONTHS)
    raw = check.string(body, "startDate")
    if raw is None:
        return default
    try:
        start = date.fromisoformat(raw)
    except ValueError:
        check.fail("startDate", f"must be a date as YYYY-MM-DD, got '{raw}'")
        return default
    if start > now:
        check.fail("startDate", f"must not be in the future (today is {now.isoformat()})")
    return start


def _requested_types(check: FieldCheck, body: JsonObject, known: Sequence[str]) -> list[str]:
    types = check.strings(body, "signalTypes", required=True, min_items=1, choices=(ALL_SIGNALS, *known))
    if types is None:
        return []
    if ALL_SIGNALS in types:
        return list(known)
    return list(dict.fromkeys(types))


def _rows_by_entity(
    conn: sqlite3.Connection, table: str, column: str, ids: Sequence[str], types: Sequence[str], max_days: int
) -> dict[str, list[tuple[str, int, dict[str, Any]]]]:
    found: dict[str, list[tuple[str, int, dict[str, Any]]]] = {}
    if not ids or not types:
        return found
    id_marks = ",".join("?" * len(ids))
    type_marks = ",".join("?" * len(types))
    rows = conn.execute(
        f"SELECT {column}, signal_type, days_ago, payload FROM {table} "
        f"WHERE {column} IN ({id_marks}) AND signal_type IN ({type_marks}) AND days_ago <= ? AND days_ago >= 0 "
        "ORDER BY days_ago, rowid",
        [*ids, *types, max_days],
    ).fetchall()
    for entity_id, signal_type, days_ago, payload in rows:
        found.setdefault(str(entity_id), []).append((str(signal_type), int(days_ago), json.loads(payload)))
    return found


def _dated(payload: dict[str, Any], days_ago: int, signal_type: str) -> dict[str, Any]:
    """The stored payload with its dates moved to the signal's age as of today."""
    on = date_of(days_ago)
    if signal_type == INTENT_SIGNAL:
        return payload | {"activityPublicationDate": on}
    dated = payload | {"signalDate": on}
    if "articlePublishedDate" in payload:
        dated["articlePublishedDate"] = on
    if "eventEffectiveDate" in payload:
        shift = date.fromisoformat(payload["signalDate"]) - date.fromisoformat(payload["eventEffectiveDate"])
        dated["eventEffectiveDate"] = (date.fromisoformat(on) - shift).isoformat()
    return dated


def _known_ids(conn: sqlite3.Connection, table: str, ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    marks = ",".join("?" * len(ids))
    columns = "id, name, domain" if table == "companies" else "id"
    rows = conn.execute(f"SELECT {columns} FROM {table} WHERE id IN ({marks})", list(ids)).fetchall()
    return {str(row[0]): tuple(row) for row in rows}


async def contact_signals(request: Request) -> JSONResponse:
    body = await read_json_object(request)
    check = FieldCheck()
    check.unknown_keys(body, ("tableId", "ids", "signalTypes", "startDate", "maxResultsPerSignal"))
    if body.get("tableId") is not None:
        check.fail("tableId", "tables are not available in the sandbox; send the request without tableId")
    ids = check.strings(body, "ids", required=True, min_items=1, max_items=100) or []
    types = _requested_types(check, body, CONTACT_SIGNAL_TYPES)
    start = _start_date(check, body)
    max_per = check.integer(body, "maxResultsPerSignal", minimum=1, maximum=100)
    check.raise_if_any()
    state = sandbox_state(request)
    unique_ids = list(dict.fromkeys(ids))
    known = _known_ids(state.dataset, "contacts", unique_ids)
    events = _rows_by_entity(
        state.dataset, "contact_signals", "contact_id", list(known), types, days_before(start)
    )
    results: list[dict[str, Any]] = []
    matched = 0
    for contact_id in unique_ids:
        if contact_id not in known:
            continue
        result: dict[str, Any] = {"id": contact_id, **{signal_type: [] for signal_type in types}}
        for signal_type, days_ago, payload in events.get(contact_id, []):
            bucket: list[dict[str, Any]] = result[signal_type]
            if max_per is None or len(bucket) < max_per:
                bucket.append(_dated(payload, days_ago, signal_type))
        matched += sum(1 for signal_type in types if result[signal_type])
        results.append(result)
    credits = state.charge(request, "showSignalsContact", matched)
    return lusha_json(
        {
            "requestId": request_id(request),
            "results": results,
            "startDate": start.isoformat(),
            "endDate": today().isoformat(),
            "billing": billing_json(credits, len(results)),
        }
    )


def _company_filters(check: FieldCheck, body: JsonObject) -> dict[str, set[str]]:
    filters = check.obj(body, "filters")
    if filters is None:
        return {}
    check.unknown_keys(filters, ("include",), at="filters")
    include = check.obj(filters, "include", at="filters")
    if include is None:
        return {}
    check.unknown_keys(include, COMPANY_SIGNAL_FILTERS, at="filters.include")
    chosen: dict[str, set[str]] = {}
    event_types = sorted({event for events in NEWS_EVENT_TYPES.values() for event in events})
    choices: dict[str, Sequence[str] | None] = {
        "newsEventTypes": event_types,
        "hiringByDepartments": HIRING_DEPARTMENTS,
        "hiringByLocations": None,
        "intentCategories": sorted(INTENT_CATEGORIES),
    }
    for key, allowed in choices.items():
        values = check.strings(include, key, at="filters.include", min_items=1, choices=allowed)
        if values is not None:
            chosen[key] = {value.lower() for value in values}
    return chosen


def _passes(signal_type: str, payload: dict[str, Any], filters: dict[str, set[str]]) -> bool:
    if signal_type in NEWS_EVENT_TYPES and "newsEventTypes" in filters:
        return str(payload.get("eventType", "")).lower() in filters["newsEventTypes"]
    if signal_type == "surgeInHiringByDepartment" and "hiringByDepartments" in filters:
        return str(payload.get("department", "")).lower() in filters["hiringByDepartments"]
    if signal_type == "surgeInHiringByLocation" and "hiringByLocations" in filters:
        location: dict[str, Any] = payload.get("location") or {}
        names = {str(value).lower() for value in location.values() if value}
        return bool(names & filters["hiringByLocations"])
    if signal_type == INTENT_SIGNAL and "intentCategories" in filters:
        topics: list[dict[str, Any]] = payload.get("intentTopics") or []
        return any(str(topic.get("category", "")).lower() in filters["intentCategories"] for topic in topics)
    return True


async def company_signals(request: Request) -> JSONResponse:
    body = await read_json_object(request)
    check = FieldCheck()
    check.unknown_keys(body, ("tableId", "ids", "signalTypes", "startDate", "maxResultsPerSignal", "filters"))
    if body.get("tableId") is not None:
        check.fail("tableId", "tables are not available in the sandbox; send the request without tableId")
    ids = check.strings(body, "ids", required=True, min_items=1, max_items=100) or []
    types = _requested_types(check, body, COMPANY_SIGNAL_TYPES)
    start = _start_date(check, body)
    max_per = check.integer(body, "maxResultsPerSignal", minimum=1, maximum=100)
    filters = _company_filters(check, body)
    check.raise_if_any()
    state = sandbox_state(request)
    unique_ids = list(dict.fromkeys(ids))
    known = _known_ids(state.dataset, "companies", unique_ids)
    max_days = days_before(start)
    events = _rows_by_entity(state.dataset, "company_signals", "company_id", list(known), types, max_days)
    results: list[dict[str, Any]] = []
    matched = 0
    for company_id in unique_ids:
        row = known.get(company_id)
        if row is None:
            continue
        result: dict[str, Any] = {"id": company_id, "companyName": row[1], "domain": row[2]}
        result |= {signal_type: [] for signal_type in types}
        for signal_type, days_ago, payload in events.get(company_id, []):
            bucket: list[dict[str, Any]] = result[signal_type]
            cap = max_per
            if signal_type == INTENT_SIGNAL:
                if days_ago > INTENT_WINDOW_DAYS:
                    continue
                cap = min(cap or INTENT_MAX_RESULTS, INTENT_MAX_RESULTS)
            if (cap is None or len(bucket) < cap) and _passes(signal_type, payload, filters):
                bucket.append(_dated(payload, days_ago, signal_type))
        matched += sum(1 for signal_type in types if result[signal_type])
        results.append(result)
    credits = state.charge(request, "showSignalsCompany", matched)
    return lusha_json(
        {
            "requestId": request_id(request),
            "results": results,
            "startDate": start.isoformat(),
            "endDate": today().isoformat(),
            "billing": billing_json(credits, len(results)),
        }
    )


async def contact_signal_types(request: Request) -> JSONResponse:
    return lusha_json({"signalTypes": [ALL_SIGNALS, *CONTACT_SIGNAL_TYPES]})


async def company_signal_types(request: Request) -> JSONResponse:
    return lusha_json({"signalTypes": [ALL_SIGNALS, *COMPANY_SIGNAL_TYPES]})


async def company_signal_filters(request: Request) -> JSONResponse:
    return lusha_json(
        {
            "availableFilters": [
                {"filterType": name, "requiresQuery": needs_query}
                for name, needs_query in COMPANY_SIGNAL_FILTERS.items()
            ]
        }
    )


def _hiring_locations(conn: sqlite3.Connection, query: str) -> list[dict[str, str]]:
    rows = conn.execute(
        "SELECT DISTINCT json_extract(payload, '$.location.country'), json_extract(payload, '$.location.countryIso2'), "
        "json_extract(payload, '$.location.city') FROM company_signals WHERE signal_type = 'surgeInHiringByLocation'"
    ).fetchall()
    needle = query.lower()
    values: dict[str, dict[str, str]] = {}
    for country, iso2, city in rows:
        for kind, name in (("country", country), ("city", city)):
            if name and needle in str(name).lower():
                entry = {"value": str(name), "type": kind}
                if iso2:
                    entry["countryIso2"] = str(iso2)
                values.setdefault(f"{kind}:{name}", entry)
    return sorted(values.values(), key=lambda item: (item["type"], item["value"]))[:100]


async def company_signal_filter_values(request: Request) -> JSONResponse:
    filter_type = str(request.path_params["filterType"])
    if filter_type not in COMPANY_SIGNAL_FILTERS:
        bad_request(
            [f"filterType: must be one of: {', '.join(COMPANY_SIGNAL_FILTERS)} (got '{filter_type}')"]
        )
    query = request.query_params.get("query")
    if query is not None and not 2 <= len(query) <= 256:
        bad_request(["query: must be 2-256 characters"])
    if filter_type == "intentCategories" and query is not None:
        bad_request(["query: not supported for intentCategories; call it without query"])
    if COMPANY_SIGNAL_FILTERS[filter_type] and query is None:
        bad_request([f"query: required for {filter_type} (2-256 characters, e.g. ?query=united)"])
    values: list[Any]
    if filter_type == "newsEventTypes":
        values = [
            {"value": event, "label": event.replace("_", " ").capitalize(), "signalType": signal_type}
            for signal_type, events in NEWS_EVENT_TYPES.items()
            for event in events
        ]
    elif filter_type == "hiringByDepartments":
        values = [{"value": name, "label": name} for name in HIRING_DEPARTMENTS]
    elif filter_type == "intentCategories":
        values = [
            {"value": name, "label": name, "topics": list(topics)}
            for name, topics in INTENT_CATEGORIES.items()
        ]
    else:
        values = _hiring_locations(sandbox_state(request).dataset, query or "")
    if query is not None and filter_type != "hiringByLocations":
        needle = query.lower()
        values = [value for value in values if needle in str(value["value"]).lower()]
    return lusha_json({"values": values})


# --- signal scores -------------------------------------------------------------------------------


def _active_types(
    conn: sqlite3.Connection, table: str, column: str, entity_id: str
) -> tuple[bool, list[str]]:
    """(has any signal history, signal types active in the score window)."""
    rows = conn.execute(
        f"SELECT signal_type, MIN(days_ago) FROM {table} WHERE {column} = ? GROUP BY signal_type ORDER BY signal_type",
        (entity_id,),
    ).fetchall()
    return bool(rows), [str(kind) for kind, age in rows if 0 <= int(age) <= SCORE_WINDOW_DAYS]


def _score(active: Sequence[str], universe: int) -> float:
    return round(len(active) / universe, 4)


async def company_signal_scores(request: Request) -> JSONResponse:
    body = await read_json_object(request)
    check = FieldCheck()
    check.unknown_keys(body, ("companies",))
    items = check.objects(
        check.array(body, "companies", required=True, min_items=1, max_items=100), at="companies"
    )
    requests: list[tuple[str | None, str, str]] = []
    for index, item in items:
        at = f"companies[{index}]"
        check.unknown_keys(item, ("clientReferenceId", "id", "domain", "name", "email"), at=at)
        reference = check.string(item, "clientReferenceId", at=at, max_length=256)
        given = [key for key in ("id", "domain", "name", "email") if item.get(key) is not None]
        if len(given) != 1:
            check.fail(at, f"must contain exactly one of id, domain, name or email (got {len(given)})")
            continue
        value = check.string(item, given[0], at=at)
        if value is None:
            continue
        if given[0] == "email" and ("@" not in value or "." not in value.split("@", 1)[1]):
            check.fail(f"{at}.email", f"'{value}' is not a valid email address")
            continue
        requests.append((reference, given[0], value))
    check.raise_if_any()
    conn = sandbox_state(request).dataset
    results: list[dict[str, Any]] = []
    scored = 0
    for reference, key, value in requests:
        entry: dict[str, Any] = {} if reference is None else {"clientReferenceId": reference}
        company = find_company(conn, key, value)
        if company is None:
            echoed = value.split("@", 1)[1] if key == "email" else value
            entry |= {"id": echoed, "error": {"code": "NOT_FOUND", "message": "Company not found"}}
            results.append(entry)
            continue
        entry |= {"id": str(company[0]), "name": company[1], "domain": company[2]}
        has_history, active = _active_types(conn, "company_signals", "company_id", str(company[0]))
        if not has_history:
            entry["error"] = {"code": "NO_SCORE", "message": "No signal data to score this company"}
        else:
            entry |= {
                "signalScore": _score(active, len(COMPANY_SIGNAL_TYPES)),
                "signalTypes": active,
                "noActiveSignals": not active,
            }
            scored += 1
        results.append(entry)
    credits = sandbox_state(request).charge(request, "signal_score_company_reveal", scored)
    return lusha_json(
        {"requestId": request_id(request), "results": results, "billing": billing_json(credits, scored)}
    )


async def contact_signal_scores(request: Request) -> JSONResponse:
    body = await read_json_object(request)
    check = FieldCheck()
    check.unknown_keys(body, ("contacts",))
    items = check.objects(
        check.array(body, "contacts", required=True, min_items=1, max_items=100), at="contacts"
    )
    keys = (
        "clientReferenceId",
        "id",
        "linkedinUrl",
        "email",
        "firstName",
        "lastName",
        "companyName",
        "companyDomain",
    )
    requests: list[tuple[str | None, dict[str, str]]] = []
    for index, item in items:
        at = f"contacts[{index}]"
        check.unknown_keys(item, keys, at=at)
        values = {
            key: check.string(item, key, at=at, max_length=256 if key == "clientReferenceId" else None)
            for key in keys
        }
        given = {
            key: value for key, value in values.items() if value is not None and key != "clientReferenceId"
        }
        by_name = {"firstName", "lastName"} <= given.keys() and (
            {"companyName", "companyDomain"} & given.keys()
        )
        if not ({"id", "linkedinUrl", "email"} & given.keys()) and not by_name:
            check.fail(
                at, "needs id, linkedinUrl, email, or firstName + lastName + (companyName or companyDomain)"
            )
            continue
        email = given.get("email")
        if email is not None and ("@" not in email or "." not in email.split("@", 1)[1]):
            check.fail(f"{at}.email", f"'{email}' is not a valid email address")
            continue
        requests.append((values["clientReferenceId"], given))
    check.raise_if_any()
    conn = sandbox_state(request).dataset
    universe = len(CONTACT_SIGNAL_TYPES) + len(COMPANY_SIGNAL_TYPES)
    results: list[dict[str, Any]] = []
    scored = 0
    for reference, given in requests:
        entry: dict[str, Any] = {} if reference is None else {"clientReferenceId": reference}
        contact = find_contact(conn, given)
        if contact is None:
            if "id" in given:
                entry["id"] = given["id"]
            entry["error"] = {"code": "NOT_FOUND", "message": "Contact not found"}
            results.append(entry)
            continue
        entry |= {"id": str(contact[0]), "fullName": f"{contact[1] or ''} {contact[2] or ''}".strip()}
        if contact[3] is not None:
            entry["company"] = {"id": str(contact[3]), "name": contact[4], "domain": contact[5]}
        own_history, own_active = _active_types(conn, "contact_signals", "contact_id", str(contact[0]))
        company_history, company_active = (
            _active_types(conn, "company_signals", "company_id", str(contact[3]))
            if contact[3]
            else (False, [])
        )
        if not own_history and not company_history:
            entry["error"] = {"code": "NO_SCORE", "message": "No signal data to score this contact"}
        else:
            active = own_active + company_active
            entry |= {
                "signalScore": _score(active, universe),
                "signalTypes": active,
                "noActiveSignals": not active,
            }
            scored += 1
        results.append(entry)
    credits = sandbox_state(request).charge(request, "signal_score_contact_reveal", scored)
    return lusha_json(
        {"requestId": request_id(request), "results": results, "billing": billing_json(credits, scored)}
    )


ROUTES: list[Route] = [
    Route("/v3/contacts/signals", contact_signals, methods=["POST"]),
    Route("/v3/companies/signals", company_signals, methods=["POST"]),
    Route("/v3/contacts/signals/types", contact_signal_types, methods=["GET"]),
    Route("/v3/companies/signals/types", company_signal_types, methods=["GET"]),
    Route("/v3/companies/signals/filters", company_signal_filters, methods=["GET"]),
    Route("/v3/companies/signals/filters/{filterType}", company_signal_filter_values, methods=["GET"]),
    Route("/v3/companies/signal-score", company_signal_scores, methods=["POST"]),
    Route("/v3/contacts/signal-score", contact_signal_scores, methods=["POST"]),
]
