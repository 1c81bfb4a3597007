"""Signals (contact and company), signal types, company signal filters and signal scores."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from lusha_mcp.api.models.base import (
    CompanyRef,
    Email,
    ItemError,
    LushaModel,
    LushaRequest,
    LushaResponse,
    MeteredResponse,
    SignalsRequest,
)
from lusha_mcp.api.models.companies import CompanySearchItem, CompanySignalType
from lusha_mcp.api.models.contacts import ContactSearchItem, ContactSignalType

CompanySignalFilterType = Literal[
    "newsEventTypes", "hiringByDepartments", "hiringByLocations", "intentCategories"
]


class ContactSignalsRequest(SignalsRequest[ContactSignalType]):
    """Signals of contacts by Lusha id; more than 100 ids are split into batches."""


class IntentCategoryFilter(LushaRequest):
    """Company signal sub-filters; values from /v3/companies/signals/filters/{type}."""

    intent_categories: list[str] | None = None
    news_event_types: list[str] | None = None
    hiring_by_departments: list[str] | None = None
    hiring_by_locations: list[str] | None = None


class CompanySignalsFilters(LushaRequest):
    include: IntentCategoryFilter | None = None


class CompanySignalsRequest(SignalsRequest[CompanySignalType]):
    """Signals of companies by Lusha id; more than 100 ids are split into batches."""

    filters: CompanySignalsFilters | None = None


def _signal_lists(
    model: LushaModel, known: dict[str, list[dict[str, Any]]]
) -> dict[str, list[dict[str, Any]]]:
    out = {name: items for name, items in known.items() if items}
    for name, value in (model.model_extra or {}).items():
        if isinstance(value, list):
            out[name] = value
    return out


class ContactSignalsResult(LushaModel):
    """Signals of one contact, keyed by signal type (promotion, companyChange...)."""

    id: str | None = None
    company_change: list[dict[str, Any]] = Field(default_factory=list[dict[str, Any]])
    promotion: list[dict[str, Any]] = Field(default_factory=list[dict[str, Any]])
    error: ItemError | None = None

    def by_type(self) -> dict[str, list[dict[str, Any]]]:
        """Every non-empty signal list of this contact, by signal type."""
        return _signal_lists(self, {"companyChange": self.company_change, "promotion": self.promotion})


class ContactSignalsResponse(MeteredResponse):
    results: list[ContactSignalsResult] = Field(default_factory=list[ContactSignalsResult])
    start_date: str | None = None
    end_date: str | None = None


class CompanySignalsResult(LushaModel):
    """Signals of one company, keyed by signal type (headcountIncrease3m, riskNews...)."""

    id: str | None = None
    company_name: str | None = None
    domain: str | None = None
    linkedin_activity_intent: list[dict[str, Any]] = Field(default_factory=list[dict[str, Any]])
    error: ItemError | None = None

    def by_type(self) -> dict[str, list[dict[str, Any]]]:
        """Every non-empty signal list of this company, by signal type."""
        return _signal_lists(self, {"linkedinActivityIntent": self.linkedin_activity_intent})


class CompanySignalsResponse(MeteredResponse):
    results: list[CompanySignalsResult] = Field(default_factory=list[CompanySignalsResult])
    start_date: str | None = None
    end_date: str | None = None


class ContactSignalTypes(LushaResponse):
    signal_types: list[str] = Field(default_factory=list[str])


class CompanySignalTypes(LushaResponse):
    signal_types: list[str] = Field(default_factory=list[str])


class SignalScoreContactItem(ContactSearchItem):
    """A contact to score: id, LinkedIn URL, email, or first + last name with company name or domain."""

    client_reference_id: str | None = Field(default=None, max_length=256)


class SignalScoreCompanyItem(CompanySearchItem):
    """A company to score: id, domain, name or an email at the company."""

    missing: ClassVar[str] = "a company needs one identifier: id, domain, name or email"

    client_reference_id: str | None = Field(default=None, max_length=256)
    email: Email | None = None

    def identified(self) -> bool:
        return bool(super().identified() or self.email)


class ContactSignalScoresRequest(LushaRequest):
    """Signal scores of contacts; more than 100 are split into batches."""

    contacts: list[SignalScoreContactItem] = Field(min_length=1)


class CompanySignalScoresRequest(LushaRequest):
    """Signal scores of companies; more than 100 are split into batches."""

    companies: list[SignalScoreCompanyItem] = Field(min_length=1)


class ContactSignalScore(LushaModel):
    client_reference_id: str | None = None
    id: str | None = None
    full_name: str | None = None
    company: CompanyRef | None = None
    signal_score: float | None = None
    signal_types: list[str] = Field(default_factory=list[str])
    no_active_signals: bool | None = None
    error: ItemError | None = None


class CompanySignalScore(LushaModel):
    client_reference_id: str | None = None
    id: str | None = None
    name: str | None = None
    domain: str | None = None
    signal_score: float | None = None
    signal_types: list[str] = Field(default_factory=list[str])
    no_active_signals: bool | None = None
    error: ItemError | None = None


class ContactSignalScoresResponse(MeteredResponse):
    results: list[ContactSignalScore] = Field(default_factory=list[ContactSignalScore])


class CompanySignalScoresResponse(MeteredResponse):
    results: list[CompanySignalScore] = Field(default_factory=list[CompanySignalScore])
