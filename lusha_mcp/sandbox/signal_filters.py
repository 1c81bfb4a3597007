"""The optional `signals` filter of search and prospecting requests, declared as wire models
(and the signal-type lists the signals endpoints declare too).

Its behaviour (the SQL over the activity tables, the default window) is the signals domain's:
lusha_mcp/sandbox/signals/backend.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from pydantic import Field

from lusha_mcp.sandbox.activity import COMPANY_SIGNAL_TYPES, CONTACT_SIGNAL_TYPES
from lusha_mcp.sandbox.signals.backend import SignalRequest, default_start_date
from lusha_mcp.sandbox.signals.records import COMPANY_SIGNAL_CHOICES, CONTACT_SIGNAL_CHOICES, concrete_types
from lusha_mcp.sandbox.wire import Int, IsoDate, OneOf, Refuse, Text, WireModel

ContactSignalTypes = Annotated[list[Annotated[Text, OneOf(CONTACT_SIGNAL_CHOICES)]], Field(min_length=1)]
"""Contact signal types a request names (allSignals: every one)."""
CompanySignalTypes = Annotated[list[Annotated[Text, OneOf(COMPANY_SIGNAL_CHOICES)]], Field(min_length=1)]
"""Company signal types a request names (allSignals: every one)."""
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

    def _request(self, known: Sequence[str]) -> SignalRequest:
        start = self.start_date.isoformat() if self.start_date is not None else default_start_date()
        return SignalRequest(concrete_types(self.types, known), start)


class ContactSignalsFilter(_SignalsFilter):
    types: ContactSignalTypes

    def request(self) -> SignalRequest:
        return self._request(CONTACT_SIGNAL_TYPES)


class CompanySignalsFilter(_SignalsFilter):
    types: CompanySignalTypes

    def request(self) -> SignalRequest:
        return self._request(COMPANY_SIGNAL_TYPES)
