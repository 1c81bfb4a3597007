"""Companies: search, enrich, search-and-enrich."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from lusha_mcp.api.models.base import (
    CanReveal,
    EmployeeCount,
    IdsRequest,
    ItemError,
    ItemIdentifiers,
    LushaModel,
    LushaRequest,
    MeteredResponse,
    PlaceSummary,
    SignalsOptions,
    SocialLinks,
)
from lusha_mcp.api.models.contacts import SearchOptions

CompanyReveal = Literal[
    "employeesByDepartment",
    "employeesByLocation",
    "employeesBySeniority",
    "competitors",
    "intent",
    "estimatedAnnualItSpend",
    "monthlyWebsiteTraffic",
]
CompanySignalType = Literal[
    "allSignals",
    "linkedinActivityIntent",
    "websiteTrafficDecrease",
    "websiteTrafficIncrease",
    "itSpendIncrease",
    "itSpendDecrease",
    "surgeInHiring",
    "headcountIncrease1m",
    "headcountIncrease3m",
    "headcountIncrease6m",
    "headcountIncrease12m",
    "headcountDecrease1m",
    "headcountDecrease3m",
    "headcountDecrease6m",
    "headcountDecrease12m",
    "surgeInHiringByDepartment",
    "surgeInHiringByLocation",
    "riskNews",
    "commercialActivityNews",
    "corporateStrategyNews",
    "financialEventsNews",
    "peopleNews",
    "marketIntelligenceNews",
    "productActivityNews",
]


class CompanySearchItem(ItemIdentifiers):
    """One company to look up by Lusha id, name or domain."""

    missing: ClassVar[str] = "a company needs one identifier: id, name or domain"

    name: str | None = None
    domain: str | None = None

    def identified(self) -> bool:
        return bool(self.id or self.name or self.domain)


class CompanySignalsOptions(SignalsOptions[CompanySignalType]):
    """Signals to attach to each search result."""


class CompaniesSearchRequest(LushaRequest):
    """Companies to search; more than 100 are split into batches by the client."""

    companies: list[CompanySearchItem] = Field(min_length=1)
    options: SearchOptions | None = None
    signals: CompanySignalsOptions | None = None


class CompaniesEnrichRequest(IdsRequest):
    """Company ids to enrich (plus optional extras); more than 100 are split into batches."""

    reveal: list[CompanyReveal] | None = None


class CompaniesSearchAndEnrichRequest(LushaRequest):
    """Companies to search and enrich in one step; more than 100 are split into batches."""

    companies: list[CompanySearchItem] = Field(min_length=1)
    options: SearchOptions | None = None


class CompanyLocation(PlaceSummary):
    state_code: str | None = None
    zip_code: str | None = None


class CompanyPreview(LushaModel):
    """A firmographic preview of a company."""

    client_reference_id: str | None = None
    id: str | None = None
    name: str | None = None
    domain: str | None = None
    employee_count: EmployeeCount | None = None
    industry: str | None = None
    location: CompanyLocation | None = None
    social_links: SocialLinks | None = None
    has: list[str] = Field(default_factory=list[str])
    can_reveal: list[CanReveal] = Field(default_factory=list[CanReveal])
    signal_types: list[str] = Field(default_factory=list[str])
    error: ItemError | None = None


class CompaniesSearchResponse(MeteredResponse):
    results: list[CompanyPreview] = Field(default_factory=list[CompanyPreview])


class Code(LushaModel):
    code: int | str | None = None


class IndustryPair(LushaModel):
    industry: str | None = None
    sub_industry: str | None = None


class MoneyValue(LushaModel):
    value: float | None = None
    currency: str | None = None
    value_usd: float | None = None


class WebsiteTraffic(LushaModel):
    visits: float | None = None
    mom_change_percent: float | None = None
    month: str | None = None


class CompanySocialLinks(SocialLinks):
    facebook: str | None = None
    x: str | None = None


class NumericRange(LushaModel):
    min: float | None = None
    max: float | None = None


class DepartmentCount(LushaModel):
    department: str | None = None
    count: int | None = None


class LocationCount(LushaModel):
    country: str | None = None
    state: str | None = None
    count: int | None = None


class SeniorityCount(LushaModel):
    seniority: str | None = None
    count: int | None = None


class Competitor(LushaModel):
    id: str | None = None
    name: str | None = None
    domain: str | None = None


class EnrichedCompany(LushaModel):
    """A company with full firmographics (and any extras asked for with `reveal`)."""

    client_reference_id: str | None = None
    id: str | None = None
    name: str | None = None
    alternative_name: str | None = None
    domain: str | None = None
    alternative_domains: list[str] = Field(default_factory=list[str])
    company_type: str | None = None
    year_founded: float | None = None
    employee_count: EmployeeCount | None = None
    industry: str | None = None
    sub_industry: str | None = None
    specialities: list[str] = Field(default_factory=list[str])
    industry_tags: list[str] = Field(default_factory=list[str])
    sic_codes: list[Code] = Field(default_factory=list[Code])
    naics_codes: list[Code] = Field(default_factory=list[Code])
    company_offering: str | None = None
    email_domain: str | None = None
    additional_industries: list[IndustryPair] = Field(default_factory=list[IndustryPair])
    estimated_annual_it_spend: MoneyValue | None = None
    monthly_website_traffic: WebsiteTraffic | None = None
    location: CompanyLocation | None = None
    additional_locations: list[CompanyLocation] = Field(default_factory=list[CompanyLocation])
    social_links: CompanySocialLinks | None = None
    linkedin_followers: float | None = None
    revenue_range: NumericRange | None = None
    funding: Any = None
    intent: Any = None
    technologies: list[str] = Field(default_factory=list[str])
    popularity_tier: float | None = None
    logo_url: str | None = None
    employees_by_department: list[DepartmentCount] | None = None
    employees_by_location: list[LocationCount] | None = None
    employees_by_seniority: list[SeniorityCount] | None = None
    competitors: list[Competitor] | None = None
    business_model: list[str] = Field(default_factory=list[str])
    phone: str | None = None
    email: str | None = None
    keywords: list[str] = Field(default_factory=list[str])
    error: ItemError | None = None


class CompaniesEnrichResponse(MeteredResponse):
    results: list[EnrichedCompany] = Field(default_factory=list[EnrichedCompany])


class CompaniesSearchAndEnrichResponse(MeteredResponse):
    results: list[EnrichedCompany] = Field(default_factory=list[EnrichedCompany])
