"""The wire of signals: contact and company signal events, signal types, company sub-filters and
their values, and signal scores.

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
  `signal_score_company_reveal` / `signal_score_contact_reveal` unit per scored row (free while
  unlisted); error rows are free.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lusha_mcp.sandbox.activity import COMPANY_SIGNAL_TYPES, CONTACT_SIGNAL_TYPES, today
from lusha_mcp.sandbox.errors import bad_request
from lusha_mcp.sandbox.signals.backend import SignalsBackend, default_start_date
from lusha_mcp.sandbox.signals.records import (
    ALL_SIGNALS,
    COMPANY_SIGNAL_FILTERS,
    SUB_FILTER_CHOICES,
    JsonObject,
    available_filters_json,
    concrete_types,
)
from lusha_mcp.sandbox.state import billing_json, lusha_json, request_id, sandbox_state
from lusha_mcp.sandbox.tables.backend import charger
from lusha_mcp.sandbox.validation import FieldCheck, read_json_object


def _backend(request: Request) -> SignalsBackend:
    return SignalsBackend(sandbox_state(request).dataset)


def _start_date(check: FieldCheck, body: JsonObject) -> date:
    default = date.fromisoformat(default_start_date())
    raw = check.string(body, "startDate")
    if raw is None:
        return default
    try:
        start = date.fromisoformat(raw)
    except ValueError:
        check.fail("startDate", f"must be a date as YYYY-MM-DD, got '{raw}'")
        return default
    if start > today():
        check.fail("startDate", f"must not be in the future (today is {today().isoformat()})")
    return start


def _requested_types(check: FieldCheck, body: JsonObject, known: Sequence[str]) -> tuple[str, ...]:
    types = check.strings(body, "signalTypes", required=True, min_items=1, choices=(ALL_SIGNALS, *known))
    return () if types is None else concrete_types(types, known)


def _events_request(
    check: FieldCheck, body: JsonObject, known: Sequence[str], extra: Sequence[str] = ()
) -> tuple[list[str], tuple[str, ...], date, int | None]:
    check.unknown_keys(body, ("tableId", "ids", "signalTypes", "startDate", "maxResultsPerSignal", *extra))
    if body.get("tableId") is not None:
        check.fail("tableId", "tables are not available in the sandbox; send the request without tableId")
    ids = check.strings(body, "ids", required=True, min_items=1, max_items=100) or []
    types = _requested_types(check, body, known)
    start = _start_date(check, body)
    max_per = check.integer(body, "maxResultsPerSignal", minimum=1, maximum=100)
    return ids, types, start, max_per


def _events_answer(request: Request, results: list[JsonObject], credits: int, start: date) -> JSONResponse:
    return lusha_json(
        {
            "requestId": request_id(request),
            "results": results,
            "startDate": start.isoformat(),
            "endDate": today().isoformat(),
            "billing": billing_json(credits, len(results)),
        }
    )


async def contact_signals(request: Request) -> JSONResponse:
    body = await read_json_object(request)
    check = FieldCheck()
    ids, types, start, max_per = _events_request(check, body, CONTACT_SIGNAL_TYPES)
    check.raise_if_any()
    results, credits = _backend(request).contact_signals(ids, types, start, max_per, charger(request))
    return _events_answer(request, results, credits, start)


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
    for key, allowed in SUB_FILTER_CHOICES.items():
        values = check.strings(include, key, at="filters.include", min_items=1, choices=allowed)
        if values is not None:
            chosen[key] = {value.lower() for value in values}
    return chosen


async def company_signals(request: Request) -> JSONResponse:
    body = await read_json_object(request)
    check = FieldCheck()
    ids, types, start, max_per = _events_request(check, body, COMPANY_SIGNAL_TYPES, ("filters",))
    filters = _company_filters(check, body)
    check.raise_if_any()
    results, credits = _backend(request).company_signals(
        ids, types, start, max_per, filters, charger(request)
    )
    return _events_answer(request, results, credits, start)


async def contact_signal_types(request: Request) -> JSONResponse:
    return lusha_json({"signalTypes": [ALL_SIGNALS, *CONTACT_SIGNAL_TYPES]})


async def company_signal_types(request: Request) -> JSONResponse:
    return lusha_json({"signalTypes": [ALL_SIGNALS, *COMPANY_SIGNAL_TYPES]})


async def company_signal_filters(request: Request) -> JSONResponse:
    return lusha_json(available_filters_json())


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
    return lusha_json({"values": _backend(request).filter_values(filter_type, query)})


def _valid_email(value: str) -> bool:
    return "@" in value and "." in value.split("@", 1)[1]


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
        if given[0] == "email" and not _valid_email(value):
            check.fail(f"{at}.email", f"'{value}' is not a valid email address")
            continue
        requests.append((reference, given[0], value))
    check.raise_if_any()
    results, scored, credits = _backend(request).company_scores(requests, charger(request))
    return lusha_json(
        {"requestId": request_id(request), "results": results, "billing": billing_json(credits, scored)}
    )


_CONTACT_SCORE_KEYS = (
    "clientReferenceId",
    "id",
    "linkedinUrl",
    "email",
    "firstName",
    "lastName",
    "companyName",
    "companyDomain",
)


async def contact_signal_scores(request: Request) -> JSONResponse:
    body = await read_json_object(request)
    check = FieldCheck()
    check.unknown_keys(body, ("contacts",))
    items = check.objects(
        check.array(body, "contacts", required=True, min_items=1, max_items=100), at="contacts"
    )
    requests: list[tuple[str | None, dict[str, str]]] = []
    for index, item in items:
        at = f"contacts[{index}]"
        check.unknown_keys(item, _CONTACT_SCORE_KEYS, at=at)
        values = {
            key: check.string(item, key, at=at, max_length=256 if key == "clientReferenceId" else None)
            for key in _CONTACT_SCORE_KEYS
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
        if email is not None and not _valid_email(email):
            check.fail(f"{at}.email", f"'{email}' is not a valid email address")
            continue
        requests.append((values["clientReferenceId"], given))
    check.raise_if_any()
    results, scored, credits = _backend(request).contact_scores(requests, charger(request))
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
