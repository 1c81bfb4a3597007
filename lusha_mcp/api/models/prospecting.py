"""Prospecting (filter-based discovery of contacts and companies) and its filter catalogue."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from lusha_mcp.api.models.base import (
    Email,
    LushaModel,
    LushaRequest,
    LushaResponse,
    MeteredResponse,
    PageRequest,
    Pagination,
    Range,
)
from lusha_mcp.api.models.companies import CompanyPreview
from lusha_mcp.api.models.contacts import ContactPreview, ContactSignalType
from lusha_mcp.api.models.tables import TableWrite

Condition = Literal["or", "and"]
FundingCoverage = Literal["last_funding", "any_round", "total_funds", "last_round"]
FundingRoundName = Literal[
    "pre_seed", "seed", "series_a", "series_b", "series_c", "series_d", "series_e", "series_f", "series_g",
    "series_h", "other",
]  # fmt: skip
FundingTypeName = Literal[
    "angel", "venture", "private_equity", "crowdfunding", "grant", "debt_financing", "other"
]
BusinessModel = Literal["B2B", "B2C", "B2G"]
CompanyType = Literal[
    "Government", "Private Company", "Public Company", "Educational", "Non Profit", "Self Employed"
]
ContactFilterType = Literal["departments", "seniority", "existingDataPoints", "countries", "locations"]
CompanyFilterType = Literal[
    "names", "sizes", "revenues", "locations", "sics", "naics", "industriesLabels", "intentTopics", "technologies"
]  # fmt: skip


class Location(LushaRequest):
    city: str | None = None
    state: str | None = None
    country: str | None = None
    continent: str | None = None
    country_grouping: str | None = None
    region: str | None = None
    country_iso2: str | None = Field(default=None, min_length=2, max_length=2)


class GeographicDetail(LushaRequest):
    country: str | None = None
    zipcode: str | None = None
    distance: int | None = None


class Zipcode(LushaRequest):
    country_iso2: str | None = None
    zipcode: str | None = None


class YearRange(LushaRequest):
    min: int | None = None
    max: int | None = None


class ScoreRange(LushaRequest):
    min_score: int | None = Field(default=None, ge=0, le=100)
    max_score: int | None = Field(default=None, ge=0, le=100)


class Education(LushaRequest):
    degrees: list[str] | None = None
    fields_of_study: list[str] | None = None
    schools: list[str] | None = None
    start_year_gte: int | None = None
    graduation_year_lte: int | None = None


class ContactSignalFilter(LushaRequest):
    types: list[ContactSignalType] | None = None
    start_date: dt.date | None = None


class ContactFilterCriteria(LushaRequest):
    """Contact-level prospecting filters (values from get_contact_filter_values)."""

    names: list[str] | None = None
    job_titles: list[str] | None = None
    job_titles_exact_match: list[str] | None = None
    normalized_job_titles: list[str] | None = None
    search_text: str | None = Field(default=None, max_length=200)
    countries: list[str] | None = None
    locations: list[Location] | None = None
    seniority_ids: list[int] | None = None
    departments: list[str] | None = None
    linkedin_urls: list[str] | None = None
    existing_data_points: list[str] | None = None
    existing_data_points_condition: Condition | None = None
    signals: ContactSignalFilter | None = None
    emails: list[Email] | None = None
    previous_emails: list[Email] | None = None
    previous_job_title: list[str] | None = None
    skills: list[str] | None = None
    certifications: list[str] | None = None
    awards: list[str] | None = None
    ids: list[str] | None = None
    job_changed_after_date: dt.date | None = None
    job_changed_last_view_date: dt.date | None = None
    education: Education | None = None
    score: ScoreRange | None = None
    geographic_details: list[GeographicDetail] | None = None


class FundingRange(LushaRequest):
    coverage: FundingCoverage | None = None
    min: int | None = None
    max: int | None = None


class FundingDate(LushaRequest):
    coverage: FundingCoverage | None = None
    date: dt.date | None = None


class FundingRound(LushaRequest):
    coverage: FundingCoverage | None = None
    round: FundingRoundName | None = None


class FundingName(LushaRequest):
    coverage: FundingCoverage | None = None
    name: FundingTypeName | None = None


class FundingFilter(LushaRequest):
    is_ipo: bool | None = None
    ranges: list[FundingRange] | None = None
    date: FundingDate | None = None
    rounds: list[FundingRound] | None = None
    names: list[FundingName] | None = None
    investors: list[str] | None = None
    types: list[str] | None = None


class CompanyFilterCriteria(LushaRequest):
    """Company-level prospecting filters (values from get_company_filter_values)."""

    names: list[str] | None = None
    domains: list[str] | None = None
    ids: list[str] | None = None
    locations: list[Location] | None = None
    sizes: list[Range] | None = None
    revenues: list[Range] | None = None
    technologies: list[str] | None = None
    technologies_condition: Condition | None = None
    industries_labels: list[str] | None = None
    main_industries_ids: list[int] | None = None
    sub_industries_ids: list[int] | None = None
    intent_topics: list[str] | None = None
    intent_topics_condition: Condition | None = None
    intent_min_score: int | None = Field(default=None, ge=1, le=100)
    intent_max_score: int | None = Field(default=None, ge=1, le=100)
    intent_topics_operator: Literal["or", "and", "any", "all"] | None = None
    topic_count_threshold: list[Range] | None = None
    sic_codes: list[str] | None = None
    naics_codes: list[str] | None = None
    funding: FundingFilter | None = None
    founded_year: list[YearRange] | None = None
    business_model: list[BusinessModel] | None = None
    company_type: list[CompanyType] | None = None
    linkedin_urls: list[str] | None = None
    keywords: list[str] | None = None
    specialities: list[str] | None = None
    exact_specialities: list[str] | None = None
    exact_keywords: list[str] | None = None
    keywords_search_fields: list[str] | None = None
    previous_company_domains: list[str] | None = None
    previous_company_names: list[str] | None = None
    geographic_details: list[GeographicDetail] | None = None
    locations_zipcodes: list[Zipcode] | None = None
    headquarter_zipcodes: list[Zipcode] | None = None


class SignalLocationFilter(LushaRequest):
    country: str | None = None
    state: str | None = None
    start_date: dt.date | None = None


class SignalDepartmentFilter(LushaRequest):
    department: str
    start_date: dt.date | None = None


class CompanySignalFilter(LushaRequest):
    types: list[str] | None = None
    start_date: dt.date | None = None
    filter_by_location: list[SignalLocationFilter] | None = None
    filter_by_department: list[SignalDepartmentFilter] | None = None
    filter_by_intent_category: list[str] | None = None


class CompanyProspectingCriteria(CompanyFilterCriteria):
    """Company filters of company prospecting (adds free text and signals)."""

    search_text: str | None = Field(default=None, max_length=200)
    signals: CompanySignalFilter | None = None


class ContactOnCompanyCriteria(LushaRequest):
    """Contact filters that narrow a company prospecting query."""

    job_titles: list[str] | None = None
    departments: list[str] | None = None
    seniority_ids: list[int] | None = None
    skills: list[str] | None = None
    locations: list[Location] | None = None
    existing_data_points: list[str] | None = None


class ContactIncludeExclude(LushaRequest):
    include: ContactFilterCriteria | None = None
    exclude: ContactFilterCriteria | None = None


class CompanyIncludeExclude(LushaRequest):
    include: CompanyFilterCriteria | None = None
    exclude: CompanyFilterCriteria | None = None


class ProspectingContactFilters(LushaRequest):
    contacts: ContactIncludeExclude | None = None
    companies: CompanyIncludeExclude | None = None


class ProspectingContactsOptions(LushaRequest):
    include_partial_profiles: bool | None = None
    exclude_dnc: bool | None = None


class ProspectingContactsRequest(LushaRequest):
    """A page of contacts matching filters."""

    pagination: PageRequest = Field(default_factory=PageRequest)
    filters: ProspectingContactFilters
    table_id: str | None = Field(
        default=None, min_length=1, description="Also save the page into this table."
    )
    options: ProspectingContactsOptions | None = None


class CompanyProspectingIncludeExclude(LushaRequest):
    include: CompanyProspectingCriteria
    exclude: CompanyProspectingCriteria | None = None


class ContactOnCompanyIncludeExclude(LushaRequest):
    include: ContactOnCompanyCriteria | None = None
    exclude: ContactOnCompanyCriteria | None = None


class ProspectingCompanyFilters(LushaRequest):
    companies: CompanyProspectingIncludeExclude
    contacts: ContactOnCompanyIncludeExclude | None = None


class ProspectingCompaniesOptions(LushaRequest):
    include_partial_profiles: bool | None = None


class ProspectingCompaniesRequest(LushaRequest):
    """A page of companies matching filters."""

    pagination: PageRequest = Field(default_factory=PageRequest)
    filters: ProspectingCompanyFilters
    table_id: str | None = Field(
        default=None, min_length=1, description="Also save the page into this table."
    )
    options: ProspectingCompaniesOptions | None = None


class ProspectingContactsResponse(MeteredResponse):
    results: list[ContactPreview] = Field(default_factory=list[ContactPreview])
    pagination: Pagination | None = None
    table_write: TableWrite | None = None


class ProspectingCompaniesResponse(MeteredResponse):
    results: list[CompanyPreview] = Field(default_factory=list[CompanyPreview])
    pagination: Pagination | None = None
    table_write: TableWrite | None = None


class FilterType(LushaModel):
    filter_type: str
    requires_query: bool = False


class FilterTypes(LushaResponse):
    """The filter types an endpoint offers; those with requires_query need a search text."""

    available_filters: list[FilterType] = Field(default_factory=list[FilterType])


class FilterValues(LushaResponse):
    """Valid values of one filter type (shape varies by type: strings or objects)."""

    values: Any = None
