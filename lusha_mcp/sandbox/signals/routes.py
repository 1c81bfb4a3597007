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

from datetime import date
from typing import Annotated, Self

from pydantic import Field, field_validator, model_validator
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lusha_mcp.sandbox.activity import COMPANY_SIGNAL_TYPES, CONTACT_SIGNAL_TYPES, today
from lusha_mcp.sandbox.contacts.routes import ContactItem
from lusha_mcp.sandbox.search import NO_TABLES
from lusha_mcp.sandbox.signal_filters import CompanySignalTypes, ContactSignalTypes
from lusha_mcp.sandbox.signals.backend import SignalsBackend, default_start_date
from lusha_mcp.sandbox.signals.records import (
    COMPANY_SIGNAL_CHOICES,
    COMPANY_SIGNAL_FILTERS,
    CONTACT_SIGNAL_CHOICES,
    HIRING_DEPARTMENTS,
    INTENT_CATEGORIES,
    NEWS_EVENTS,
    JsonObject,
    available_filters_json,
    concrete_types,
)
from lusha_mcp.sandbox.state import billing_json, charger, lusha_json, request_id, results_json, sandbox_state
from lusha_mcp.sandbox.wire import (
    Email,
    Int,
    IsoDate,
    OneOf,
    QueryModel,
    Refuse,
    Text,
    WireModel,
    parse_body,
    parse_query,
    problem,
    validate,
)

MAX_IDS = 100
MaxPerSignal = Annotated[Int, Field(ge=1, le=100)]


NewsEventTypes = Annotated[list[Annotated[Text, OneOf(NEWS_EVENTS)]], Field(min_length=1)]
Departments = Annotated[list[Annotated[Text, OneOf(HIRING_DEPARTMENTS)]], Field(min_length=1)]
IntentCategories = Annotated[
    list[Annotated[Text, OneOf(tuple(sorted(INTENT_CATEGORIES)))]], Field(min_length=1)
]
Locations = Annotated[list[Text], Field(min_length=1)]


# --- declared requests ---------------------------------------------------------------------------


class _EventsRequest(WireModel):
    ids: Annotated[list[Text], Field(min_length=1, max_length=MAX_IDS)]
    start_date: IsoDate | None = None
    max_results_per_signal: MaxPerSignal | None = None
    table_id: Annotated[None, Refuse(NO_TABLES)] = None

    @field_validator("start_date")
    @classmethod
    def _not_in_future(cls, value: date | None) -> date | None:
        if value is not None and value > today():
            raise problem(f"must not be in the future (today is {today().isoformat()})")
        return value

    @property
    def start(self) -> date:
        """startDate, or six months back."""
        return self.start_date or date.fromisoformat(default_start_date())


class ContactSignalsRequest(_EventsRequest):
    signal_types: ContactSignalTypes

    @property
    def types(self) -> tuple[str, ...]:
        return concrete_types(self.signal_types, CONTACT_SIGNAL_TYPES)


class SubFilters(WireModel):
    """Company signal sub-filters: values an event must have (case-insensitive)."""

    news_event_types: NewsEventTypes | None = None
    hiring_by_departments: Departments | None = None
    hiring_by_locations: Locations | None = None
    intent_categories: IntentCategories | None = None

    def chosen(self) -> dict[str, set[str]]:
        """Sub-filter type -> its lower-cased values, for the types sent."""
        sent: dict[str, list[str]] = self.model_dump(by_alias=True, exclude_none=True)
        return {key: {value.lower() for value in values} for key, values in sent.items()}


class CompanySignalFilters(WireModel):
    include: SubFilters | None = None


class CompanySignalsRequest(_EventsRequest):
    signal_types: CompanySignalTypes
    filters: CompanySignalFilters | None = None

    @property
    def types(self) -> tuple[str, ...]:
        return concrete_types(self.signal_types, COMPANY_SIGNAL_TYPES)

    @property
    def sub_filters(self) -> dict[str, set[str]]:
        include = self.filters.include if self.filters is not None else None
        return include.chosen() if include is not None else {}


class FilterValuesQuery(QueryModel):
    """The query string of GET .../signals/filters/{filterType}."""

    query: Annotated[str, Field(min_length=2, max_length=256)] | None = None


class FilterValuesRequest(WireModel):
    """GET .../signals/filters/{filterType}?query=: the path parameter with the parsed query."""

    filter_type: Annotated[str, OneOf(tuple(COMPANY_SIGNAL_FILTERS))]
    query: str | None = None

    @model_validator(mode="after")
    def _query_fits_the_type(self) -> Self:
        if self.filter_type == "intentCategories" and self.query is not None:
            raise problem("not supported for intentCategories; call it without query", at="query")
        if COMPANY_SIGNAL_FILTERS[self.filter_type] and self.query is None:
            raise problem(
                f"required for {self.filter_type} (2-256 characters, e.g. ?query=united)", at="query"
            )
        return self


class CompanyScoreItem(WireModel):
    """A company to score, named by exactly one of id, domain, name or email."""

    client_reference_id: Annotated[Text, Field(max_length=256)] | None = None
    id: Text | None = None
    domain: Text | None = None
    name: Text | None = None
    email: Email | None = None

    @model_validator(mode="after")
    def _one_identifier(self) -> Self:
        if len(self.identifiers()) != 1:
            raise problem(
                f"must contain exactly one of id, domain, name or email (got {len(self.identifiers())})"
            )
        return self

    def identifiers(self) -> list[tuple[str, str]]:
        given = (("id", self.id), ("domain", self.domain), ("name", self.name), ("email", self.email))
        return [(key, value) for key, value in given if value is not None]


class CompanyScoresRequest(WireModel):
    companies: Annotated[list[CompanyScoreItem], Field(min_length=1, max_length=MAX_IDS)]


class ContactScoreItem(ContactItem):
    """A contact to score: one to find, as search names it, with a reference of at most 256 characters."""

    client_reference_id: Annotated[Text, Field(max_length=256)] | None = None

    def identifiers(self) -> dict[str, str]:
        return self.model_dump(by_alias=True, exclude_none=True, exclude={"client_reference_id"})


class ContactScoresRequest(WireModel):
    contacts: Annotated[list[ContactScoreItem], Field(min_length=1, max_length=MAX_IDS)]


# --- handlers ------------------------------------------------------------------------------------


def _backend(request: Request) -> SignalsBackend:
    return SignalsBackend(sandbox_state(request).dataset)


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
    body = await parse_body(request, ContactSignalsRequest)
    results, credits = _backend(request).signals(
        "contact", body.ids, body.types, body.start, body.max_results_per_signal, charger(request)
    )
    return _events_answer(request, results, credits, body.start)


async def company_signals(request: Request) -> JSONResponse:
    body = await parse_body(request, CompanySignalsRequest)
    results, credits = _backend(request).signals(
        "company",
        body.ids,
        body.types,
        body.start,
        body.max_results_per_signal,
        charger(request),
        body.sub_filters,
    )
    return _events_answer(request, results, credits, body.start)


async def contact_signal_types(request: Request) -> JSONResponse:
    return lusha_json({"signalTypes": list(CONTACT_SIGNAL_CHOICES)})


async def company_signal_types(request: Request) -> JSONResponse:
    return lusha_json({"signalTypes": list(COMPANY_SIGNAL_CHOICES)})


async def company_signal_filters(request: Request) -> JSONResponse:
    return lusha_json(available_filters_json())


async def company_signal_filter_values(request: Request) -> JSONResponse:
    query = parse_query(request, FilterValuesQuery).query
    asked = validate(FilterValuesRequest, {"filterType": request.path_params["filterType"], "query": query})
    return lusha_json({"values": _backend(request).filter_values(asked.filter_type, asked.query)})


async def company_signal_scores(request: Request) -> JSONResponse:
    body = await parse_body(request, CompanyScoresRequest)
    items = [(item.client_reference_id, *item.identifiers()[0]) for item in body.companies]
    return results_json(request, _backend(request).company_scores(items, charger(request)))


async def contact_signal_scores(request: Request) -> JSONResponse:
    body = await parse_body(request, ContactScoresRequest)
    items = [(item.client_reference_id, item.identifiers()) for item in body.contacts]
    return results_json(request, _backend(request).contact_scores(items, charger(request)))


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
