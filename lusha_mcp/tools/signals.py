"""get_signals: job changes, promotions, hiring, headcount, traffic and news events by Lusha id.

Signal scores (the signal-score endpoints) are an option of the same tool (`score=True`) rather
than a tool of their own: same ids, same question ("which of these are active?"), and one tool
less in every prompt.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Annotated, Any, Literal, cast, get_args

from pydantic import BaseModel, Field

from lusha_mcp.api.models import (
    CompanySignalScoresRequest,
    CompanySignalsRequest,
    ContactSignalScoresRequest,
    ContactSignalsRequest,
    MeteredResponse,
)
from lusha_mcp.api.models.companies import CompanySignalType
from lusha_mcp.api.models.contacts import ContactSignalType
from lusha_mcp.api.models.signals import CompanySignalsFilters, IntentCategoryFilter
from lusha_mcp.guard import PriceBook, Quote, QuoteItem
from lusha_mcp.settings import Toolset
from lusha_mcp.tools.framework import (
    METERED_SEARCH,
    ArgumentError,
    Billed,
    MeteredResult,
    Plan,
    ToolCall,
    ToolGroup,
    billed,
    table,
    until_failure,
)

group = ToolGroup()
register = group.register
logger = logging.getLogger(__name__)

Entity = Literal["contacts", "companies"]
SignalType = Literal[ContactSignalType, CompanySignalType]
ALL_SIGNALS = "allSignals"
CONTACT_TYPES: tuple[str, ...] = tuple(t for t in get_args(ContactSignalType) if t != ALL_SIGNALS)
COMPANY_TYPES: tuple[str, ...] = tuple(t for t in get_args(CompanySignalType) if t != ALL_SIGNALS)
SIGNAL_ACTIONS = {"contacts": "showSignalsContact", "companies": "showSignalsCompany"}
SCORE_ACTIONS = {
    "contacts": ("signal_score_contact_reveal", "signalScoreContact"),
    "companies": ("signal_score_company_reveal", "signalScoreCompany"),
}
MAX_IDS = 500
_SUMMARY_KEYS = ("eventSummary", "articleTitle", "department", "location", "topic", "change", "percentage")


Polarity = Literal["positive", "negative", "neutral"]

NEGATIVE_SIGNALS = frozenset(
    {
        "websiteTrafficDecrease",
        "itSpendDecrease",
        "headcountDecrease1m",
        "headcountDecrease3m",
        "headcountDecrease6m",
        "headcountDecrease12m",
        "riskNews",
    }
)
NEUTRAL_SIGNALS = frozenset(
    {"corporateStrategyNews", "financialEventsNews", "peopleNews", "marketIntelligenceNews"}
)
"""News whose direction Lusha does not give (a funding round or a layoff): read the summary."""

SCORE_DEFINITION = (
    "Score: Lusha's Signal Score, 0-1, the share of its signal types active for the id; it counts "
    "negative types (headcount or traffic decreases, risk news) like positive ones, so read the "
    "positive and negative counts beside it."
)
MARKS: dict[Polarity, str] = {"positive": "+", "negative": "-", "neutral": "~"}


def polarity(kind: str) -> Polarity:
    """Positive: a reason to reach out now (hiring, growth, promotion, job change, intent);
    negative: a warning (decreases, risk news); neutral: news to read."""
    if kind in NEGATIVE_SIGNALS:
        return "negative"
    return "neutral" if kind in NEUTRAL_SIGNALS else "positive"


def _marked(kinds: list[str]) -> str:
    return ", ".join(f"{MARKS[polarity(kind)]}{kind}" for kind in kinds)


class SignalEvent(BaseModel):
    """One signal event."""

    type: str = Field(description="Signal type.")
    polarity: Polarity = Field(description="positive, negative or neutral indicator for a seller.")
    date: str | None = Field(default=None, description="signalDate.")
    summary: str = Field(description="Short description.")
    detail: dict[str, Any] = Field(default_factory=dict[str, Any], description="The event as Lusha sent it.")


class EntitySignals(BaseModel):
    """The signals of one contact or company."""

    id: str
    name: str | None = None
    domain: str | None = None
    events: list[SignalEvent] = Field(default_factory=list[SignalEvent])
    score: float | None = Field(
        default=None, description="Share of signal types active, 0-1; negative types count too."
    )
    active_types: list[str] = Field(
        default_factory=list[str], description="Active signal types (score=true)."
    )
    positive: int | None = Field(default=None, description="Active positive types (score=true).")
    negative: int | None = Field(default=None, description="Active negative types (score=true).")
    error: str | None = None


ERROR_REASONS = {
    "NOT_FOUND": "Lusha could not resolve the id",
    "NO_SCORE": "the id resolved but Lusha's scoring engine returned nothing for it",
}


class Signals(MeteredResult):
    """Signals per id; ids with nothing in the window are listed in `without_signals`."""

    entity: Entity | None = None
    mode: Literal["events", "scores"] = "events"
    start_date: str | None = None
    end_date: str | None = None
    results: list[EntitySignals] = Field(default_factory=list[EntitySignals])
    without_signals: list[str] = Field(default_factory=list[str], description="Ids with no signal.")

    def render(self) -> str:
        return self._scores() if self.mode == "scores" else self._events()

    def _failures(self) -> list[str]:
        failed = [result for result in self.results if result.error]
        if not failed:
            return []
        what = "score (error rows are not charged)" if self.mode == "scores" else "signals"
        lines = [f"No {what} for {len(failed)} ids:"]
        by_code: dict[str, list[str]] = {}
        for result in failed:
            by_code.setdefault(result.error or "", []).append(result.id)
        for code, ids in by_code.items():
            lines.append(f"- {code} ({ERROR_REASONS.get(code, 'Lusha gave no reason')}): {', '.join(ids)}")
        return lines

    def _scores(self) -> str:
        scored = [result for result in self.results if not result.error]
        rows = [
            (
                r.id,
                r.name or r.domain,
                f"{r.score:g}" if r.score is not None else "",
                r.positive,
                r.negative,
                _marked(r.active_types) or "none active",
            )
            for r in scored
        ]
        head = f"Signal scores of {len(scored)} of {len(self.results)} {self.entity}. {SCORE_DEFINITION}"
        lines = [head, "Types: + positive, - negative, ~ neutral news."]
        if rows:
            lines.append(table(("id", "name", "score", "positive", "negative", "active signals"), rows))
        return "\n".join([*lines, *self._failures()])

    def _events(self) -> str:
        rows = [
            (
                result.id,
                result.name or result.domain,
                MARKS[event.polarity],
                event.type,
                event.date,
                event.summary,
            )
            for result in self.results
            for event in result.events
        ]
        window = f" from {self.start_date} to {self.end_date}" if self.start_date else ""
        with_events = sum(1 for result in self.results if result.events)
        lines = [
            f"{len(rows)} signals for {with_events} {self.entity}{window}. "
            "Marks: + positive (reach out now), - negative (a warning), ~ neutral news."
        ]
        if rows:
            lines.append(
                table(("id", "name", "+/-", "type", "date", "summary"), rows, shorten=("name", "summary"))
            )
        if self.without_signals:
            lines.append(f"No signals of the types asked{window}: " + ", ".join(self.without_signals))
        return "\n".join([*lines, *self._failures()])


def _summary(kind: str, event: dict[str, Any]) -> str:
    if "previousTitle" in event or "currentTitle" in event:
        return f"{event.get('previousTitle', '?')} -> {event.get('currentTitle', '?')}"
    if "previousCompany" in event or "newCompany" in event:
        return f"{event.get('previousCompany', '?')} -> {event.get('newCompany', '?')}"
    for key in _SUMMARY_KEYS:
        if event.get(key) not in (None, ""):
            return f"{key}: {event[key]}" if key not in ("eventSummary", "articleTitle") else str(event[key])
    shown = [f"{key}={value}" for key, value in event.items() if key not in ("id", "signalDate", "signalId")]
    return ", ".join(shown[:3]) or kind


CONTACT_DATA_KEYS = frozenset(
    {
        "emails",
        "email",
        "emailAddress",
        "phones",
        "phone",
        "phoneNumber",
        "phoneNumbers",
        "mobile",
        "mobilePhone",
    }
)
"""Keys of revealed contact data, dropped from signal events (which the spec leaves open)."""


def _without_contact_data(value: Any) -> Any:
    """A signal event without emails or phones at any depth: those are paid reveals, never
    passed on from a signal; every other field of the (open) event shape is kept."""
    if isinstance(value, dict):
        kept: dict[str, Any] = {}
        for key, item in cast(dict[str, Any], value).items():
            if key in CONTACT_DATA_KEYS:
                logger.debug("Dropped field %r from a signal event", key)
                continue
            kept[key] = _without_contact_data(item)
        return kept
    if isinstance(value, list):
        return [_without_contact_data(item) for item in cast(list[Any], value)]
    return value


def _events(by_type: dict[str, list[dict[str, Any]]]) -> list[SignalEvent]:
    events = [
        SignalEvent(
            type=kind,
            polarity=polarity(kind),
            date=str(event.get("signalDate")) if event.get("signalDate") else None,
            summary=_summary(kind, event),
            detail=event,
        )
        for kind, items in by_type.items()
        for event in cast(list[dict[str, Any]], _without_contact_data(items))
    ]
    return sorted(events, key=lambda event: event.date or "", reverse=True)


def _concrete_types(entity: Entity, signal_types: list[str]) -> list[str]:
    allowed = CONTACT_TYPES if entity == "contacts" else COMPANY_TYPES
    if ALL_SIGNALS in signal_types:
        return list(allowed)
    wrong = [kind for kind in signal_types if kind not in allowed]
    if wrong:
        raise ArgumentError(
            "signal_types",
            f"{', '.join(wrong)} are not {entity} signal types",
            f"allSignals or some of {', '.join(allowed)}",
        )
    return list(dict.fromkeys(signal_types))


def _company_filters(entity: Entity, chosen: dict[SubFilter, list[str]]) -> CompanySignalsFilters | None:
    kept = {name: values for name, values in chosen.items() if values}
    if not kept:
        return None
    if entity != "companies":
        raise ArgumentError("company_filters", "they apply to company signals only", 'entity="companies"')
    return CompanySignalsFilters(include=IntentCategoryFilter.model_validate(kept))


def requested_signal_types(entity: Entity, types: Iterable[str] | None) -> list[str]:
    """The signal types a request can be charged for: every known type for allSignals or a
    signals filter without types; otherwise each distinct type asked (unknown names included)."""
    asked = list(dict.fromkeys(types or ()))
    if not asked or ALL_SIGNALS in asked:
        known = CONTACT_TYPES if entity == "contacts" else COMPANY_TYPES
        return list(dict.fromkeys([*known, *(kind for kind in asked if kind != ALL_SIGNALS)]))
    return asked


def signal_item(book: PriceBook, entity: Entity, results: int, types: Iterable[str] | None) -> QuoteItem:
    """Signals on top of a search: Lusha charges per matched signal type per result, so at most
    results x the types requested (allSignals counts every type) x the signal price."""
    kinds = requested_signal_types(entity, types)
    return book.item(
        f"signals (up to {len(kinds)} types x {results} results)",
        SIGNAL_ACTIONS[entity],
        results * len(kinds),
    )


def _score_quote(book: PriceBook, entity: Entity, count: int) -> Quote:
    # Lusha documents 1 credit per scored row, free while the action is not on the account's
    # pricebook; an unlisted action is still quoted (at the "price unknown" ceiling), never 0.
    action = book.action_for(*SCORE_ACTIONS[entity])
    return Quote.of([book.item("scored ids", action, count)], records=count)


SubFilter = Literal["newsEventTypes", "hiringByDepartments", "hiringByLocations", "intentCategories"]


@group.tool(toolset=Toolset.signals, title="Signals", annotations=METERED_SEARCH, metered=True)
async def get_signals(
    call: ToolCall,
    entity: Annotated[Entity, Field(description="Whose signals.")],
    ids: Annotated[list[str], Field(description="Lusha ids from search/prospect results.", min_length=1)],
    signal_types: Annotated[list[SignalType] | None, Field(description="Default allSignals.")] = None,
    start_date: Annotated[dt.date | None, Field(description="Since (default 6 months back).")] = None,
    max_results_per_signal: Annotated[int, Field(description="Events per type per id.", ge=1, le=100)] = 5,
    score: Annotated[bool, Field(description="Only a 0-1 score + active types per id.")] = False,
    company_filters: Annotated[
        dict[SubFilter, list[str]] | None, Field(description="Values: list_filter_values(company_signals).")
    ] = None,
) -> Plan[Signals]:
    """Buying signals of contacts (promotion, job change) or companies (hiring, headcount, traffic, IT spend, news, intent).

    Use this when timing outreach on ids you have; results mark types + positive or - negative.
    score=true: Lusha's 0-1 share of signal types active per id; it counts negative types too. Cost:
    per signal type matched per id (at most ids x types); score=true: per scored id.
    """
    unique = list(dict.fromkeys(ids))
    if len(unique) > MAX_IDS:
        raise ArgumentError("ids", f"{len(unique)} ids", f"at most {MAX_IDS} ids per call")
    types = _concrete_types(entity, list(signal_types or [ALL_SIGNALS]))
    filters = _company_filters(entity, company_filters or {})
    book = await call.guard.pricing.book()
    if score:
        return Plan(quote=_score_quote(book, entity, len(unique)), run=lambda: _scores(call, entity, unique))
    quote = Quote.of(
        [
            book.item(
                f"signal types matched ({len(types)} types x {len(unique)} ids)",
                SIGNAL_ACTIONS[entity],
                len(unique) * len(types),
            )
        ],
        records=len(unique),
    )
    wanted = (
        [ALL_SIGNALS]
        if len(types) == len(CONTACT_TYPES if entity == "contacts" else COMPANY_TYPES)
        else types
    )

    async def run() -> Billed[Signals]:
        if entity == "contacts":
            request = ContactSignalsRequest.model_validate(
                {
                    "ids": unique,
                    "signal_types": wanted,
                    "start_date": start_date,
                    "max_results_per_signal": max_results_per_signal,
                }
            )
            response, stopped = await until_failure(
                call.client.signals.contacts(request, on_progress=call.progress)
            )
            found = [
                EntitySignals(
                    id=r.id or "", events=_events(r.by_type()), error=r.error.code if r.error else None
                )
                for r in response.results
            ]
        else:
            company_request = CompanySignalsRequest.model_validate(
                {
                    "ids": unique,
                    "signal_types": wanted,
                    "start_date": start_date,
                    "max_results_per_signal": max_results_per_signal,
                    "filters": filters,
                }
            )
            response, stopped = await until_failure(
                call.client.signals.companies(company_request, on_progress=call.progress)
            )
            found = [
                EntitySignals(
                    id=r.id or "",
                    name=r.company_name,
                    domain=r.domain,
                    events=_events(r.by_type()),
                    error=r.error.code if r.error else None,
                )
                for r in response.results
            ]
        with_events = [result for result in found if result.events or result.error]
        listed = {result.id for result in with_events}
        # After a failure midway only the answered ids are known to have no signals.
        checked = unique if stopped is None else [result.id for result in found]
        result = Signals(
            entity=entity,
            start_date=response.start_date,
            end_date=response.end_date,
            results=with_events,
            without_signals=[entity_id for entity_id in checked if entity_id not in listed],
        )
        return billed(result, response, stopped)

    return Plan(quote=quote, run=run)


def _count(kinds: list[str], wanted: Polarity, scored: bool) -> int | None:
    """Active types of one polarity; None for an id that was not scored."""
    return sum(1 for kind in kinds if polarity(kind) == wanted) if scored else None


async def _scores(call: ToolCall, entity: Entity, ids: list[str]) -> Billed[Signals]:
    items = [{"client_reference_id": str(index), "id": entity_id} for index, entity_id in enumerate(ids)]
    if entity == "contacts":
        response, stopped = await until_failure(
            call.client.signals.contact_scores(
                ContactSignalScoresRequest.model_validate({"contacts": items}), on_progress=call.progress
            )
        )
        results = [
            EntitySignals(
                id=r.id or ids[int(r.client_reference_id or 0)],
                name=r.full_name,
                score=r.signal_score,
                active_types=r.signal_types,
                positive=_count(r.signal_types, "positive", r.error is None),
                negative=_count(r.signal_types, "negative", r.error is None),
                error=r.error.code if r.error else None,
            )
            for r in response.results
        ]
        metered: MeteredResponse = response
    else:
        company_response, stopped = await until_failure(
            call.client.signals.company_scores(
                CompanySignalScoresRequest.model_validate({"companies": items}), on_progress=call.progress
            )
        )
        results = [
            EntitySignals(
                id=r.id or ids[int(r.client_reference_id or 0)],
                name=r.name,
                domain=r.domain,
                score=r.signal_score,
                active_types=r.signal_types,
                positive=_count(r.signal_types, "positive", r.error is None),
                negative=_count(r.signal_types, "negative", r.error is None),
                error=r.error.code if r.error else None,
            )
            for r in company_response.results
        ]
        metered = company_response
    return billed(Signals(entity=entity, mode="scores", results=results), metered, stopped)
