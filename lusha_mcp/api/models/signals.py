"""Signals (contact and company), signal types, company signal filters and signal scores."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field, model_validator

from lusha_mcp.api.models.base import (
    CompanyRef,
    Email,
    ItemError,
    LushaId,
    LushaModel,
    LushaRequest,
    LushaResponse,
    MeteredResponse,
)
from lusha_mcp.api.models.companies import CompanySignalType
from lusha_mcp.api.models.contacts import ContactSignalType

CompanySignalFilterType = Literal[
    "newsEventTypes", "hiringByDepartments", "hiringByLocations", "intentCategories"
]


class ContactSignalsRequest(LushaRequest):
    """Signals of contacts by Lusha id; more than 100 ids are split into batches."""

    ids: list[LushaId] = Field(min_length=1)
    signal_types: list[ContactSignalType] = Field(min_length=1)
    start_date: dt.date | None = None
    max_results_per_signal: int | None = Field(default=None, ge=1, le=100)


class IntentCategoryFilter(LushaRequest):
    """Company signal sub-filters; values from /v3/companies/signals/filters/{type}."""

    intent_categories: list[str] | None = None
    news_event_types: list[str] | None = None
    hiring_by_departments: list[str] | None = None
    hiring_by_locations: list[str] | None = None


class CompanySignalsFilters(LushaRequest):
    include: IntentCategoryFilter | None = None


class CompanySignalsRequest(LushaRequest):
    """Signals of companies by Lusha id; more than 100 ids are split into batches."""

    ids: list[LushaId] = Field(min_length=1)
    signal_types: list[CompanySignalType] = Field(min_length=1)
    start_date: dt.date | None = None
    max_results_per_signal: int | None = Field(default=None, ge=1, le=100)
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


class SignalScoreContactItem(LushaRequest):
    """A contact to score: id, LinkedIn URL, email, or first + last name with company name or domain."""

    client_reference_id: str | None = Field(default=None, max_length=256)
    id: str | None = None
    linkedin_url: str | None = None
    email: Email | None = None
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    company_domain: str | None = None

    @model_validator(mode="after")
    def _identified(self) -> SignalScoreContactItem:
        by_name = bool(self.first_name and self.last_name and (self.company_name or self.company_domain))
        if not (self.id or self.linkedin_url or self.email or by_name):
            raise ValueError(
                "a contact needs one identifier: id, linkedinUrl, email, or firstName + lastName "
                "with companyName or companyDomain"
            )
        return self


class SignalScoreCompanyItem(LushaRequest):
    """A company to score: id, domain, name or an email at the company."""

    client_reference_id: str | None = Field(default=None, max_length=256)
    id: str | None = None
    domain: str | None = None
    name: str | None = None
    email: Email | None = None

    @model_validator(mode="after")
    def _identified(self) -> SignalScoreCompanyItem:
        if not (self.id or self.domain or self.name or self.email):
            raise ValueError("a company needs one identifier: id, domain, name or email")
        return self


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
