"""The prospecting filters as Lusha's wire declares them: include / exclude criteria per side.

Documented filters the sandbox does not emulate are declared `Unsupported` (known, and refused
with a 400 naming them, never ignored). The SQL they compile to is in query.py.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import AfterValidator, Field, PlainValidator, model_validator

from lusha_mcp.sandbox import catalog
from lusha_mcp.sandbox.signal_filters import CompanySignalsFilter, ContactSignalsFilter
from lusha_mcp.sandbox.wire import Int, IsoDate, OneOf, Text, Unsupported, WireModel, problem

COUNTRY_GROUPINGS: dict[str, tuple[str, ...]] = {
    "EMEA": ("Europe", "Africa"),
    "NA": ("North America",),
    "NAM": ("North America",),
    "APAC": ("Asia", "Oceania"),
    "LATAM": ("South America",),
}
FUNDING_COVERAGES = ("last_funding", "any_round", "total_funds", "last_round")
FUNDING_ROUND_VALUES = (*catalog.FUNDING_ROUNDS, "series_f", "series_g", "series_h", "other")
FUNDING_NAME_VALUES = (
    "angel",
    "venture",
    "private_equity",
    "crowdfunding",
    "grant",
    "debt_financing",
    "other",
)
_DEPARTMENTS = {name.lower(): name for name in catalog.DEPARTMENT_BITS}


Texts = Annotated[list[Text], Field(min_length=1)]
"""A non-empty list of non-blank strings (values of one criterion are ORed)."""
SearchText = Annotated[Text, Field(max_length=200)]


def _join(options: str) -> AfterValidator:
    """`or` / `and` (and, where `options` lists them, `any` / `all`), case-insensitive, normalised."""

    def check(value: str) -> str:
        normalized = {"any": "or", "all": "and"}.get(value.lower(), value.lower())
        if normalized not in {"or", "and"}:
            raise problem(f"must be one of: {options}")
        return normalized

    return AfterValidator(check)


Condition = Annotated[Text, _join("or, and")]
Operator = Annotated[Text, _join("or, and, any, all")]


def _seniority(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in catalog.SENIORITIES:
        known = ", ".join(f"{key}={name}" for key, name in catalog.SENIORITIES.items())
        raise problem(f"must be a seniority id ({known})")
    return value


def _department(value: str) -> str:
    if value.strip().lower() not in _DEPARTMENTS:
        raise problem(f"unknown department {value!r}; see GET /v3/contacts/prospecting/filters/departments")
    return value


def _grouping(value: str) -> str:
    if value.strip().upper() not in COUNTRY_GROUPINGS:
        raise problem(f"must be one of: {', '.join(COUNTRY_GROUPINGS)}")
    return value


SeniorityId = Annotated[int, PlainValidator(_seniority)]
Department = Annotated[Text, AfterValidator(_department)]
DataPoint = Annotated[str, OneOf(tuple(catalog.EXISTING_DATA_POINTS))]


class Location(WireModel):
    """One place; its parts are ANDed, the locations of a criterion ORed."""

    city: Text | None = None
    state: Text | None = None
    region: Text | None = None
    country: Text | None = None
    continent: Text | None = None
    country_iso2: Text | None = None
    country_grouping: Annotated[Text, AfterValidator(_grouping)] | None = None

    @model_validator(mode="after")
    def _some_place(self) -> Self:
        parts = (self.city, self.state, self.region, self.country, self.continent, self.country_iso2)
        if all(part is None for part in (*parts, self.country_grouping)):
            raise problem(
                "needs at least one of city, state, country, continent, countryIso2, countryGrouping"
            )
        return self


class Range(WireModel):
    min: Annotated[Int, Field(ge=0)] | None = None
    max: Annotated[Int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        if self.min is None and self.max is None:
            raise problem("needs min, max or both")
        if self.min is not None and self.max is not None and self.max < self.min:
            raise problem("max must not be below min")
        return self


Ranges = Annotated[list[Range], Field(min_length=1)]
Locations = Annotated[list[Location], Field(min_length=1)]


class ContactsOnCompanyCriteria(WireModel):
    """Contact criteria of company prospecting (`filters.contacts.include|exclude`)."""

    job_titles: Texts | None = None
    departments: Annotated[list[Department], Field(min_length=1)] | None = None
    seniority_ids: Annotated[list[SeniorityId], Field(min_length=1)] | None = None
    locations: Locations | None = None
    existing_data_points: Annotated[list[DataPoint], Field(min_length=1)] | None = None
    skills: Unsupported = None


class ContactCriteria(ContactsOnCompanyCriteria):
    """Contact criteria of contact prospecting (`filters.contacts.include|exclude`)."""

    names: Texts | None = None
    job_titles_exact_match: Texts | None = None
    normalized_job_titles: Texts | None = None
    search_text: SearchText | None = None
    countries: Texts | None = None
    existing_data_points_condition: Condition | None = None
    linkedin_urls: Texts | None = None
    emails: Texts | None = None
    ids: Texts | None = None
    signals: ContactSignalsFilter | None = None
    previous_emails: Unsupported = None
    previous_job_title: Unsupported = None
    certifications: Unsupported = None
    awards: Unsupported = None
    job_changed_after_date: Unsupported = None
    job_changed_last_view_date: Unsupported = None
    education: Unsupported = None
    score: Unsupported = None
    geographic_details: Unsupported = None


class FundingRange(WireModel):
    coverage: Annotated[str, OneOf(FUNDING_COVERAGES)] | None = None
    min: Annotated[Int, Field(ge=0)] | None = None
    max: Annotated[Int, Field(ge=0)] | None = None


class FundingDate(WireModel):
    coverage: Annotated[str, OneOf(FUNDING_COVERAGES)] | None = None
    on: IsoDate = Field(alias="date")


class FundingRound(WireModel):
    coverage: Annotated[str, OneOf(FUNDING_COVERAGES)] | None = None
    round: Annotated[str, OneOf(FUNDING_ROUND_VALUES)]


class FundingName(WireModel):
    coverage: Annotated[str, OneOf(FUNDING_COVERAGES)] | None = None
    name: Annotated[str, OneOf(FUNDING_NAME_VALUES)]


class Funding(WireModel):
    is_ipo: bool | None = None
    ranges: Annotated[list[FundingRange], Field(min_length=1)] | None = None
    when: FundingDate | None = Field(None, alias="date")
    rounds: Annotated[list[FundingRound], Field(min_length=1)] | None = None
    names: Annotated[list[FundingName], Field(min_length=1)] | None = None
    investors: list[Text] | None = None
    types: list[Text] | None = None


class CompanyCriteria(WireModel):
    """Company criteria (`filters.companies.include|exclude`)."""

    names: Texts | None = None
    domains: Texts | None = None
    ids: Texts | None = None
    search_text: SearchText | None = None
    locations: Locations | None = None
    sizes: Ranges | None = None
    revenues: Ranges | None = None
    technologies: Texts | None = None
    technologies_condition: Condition | None = None
    industries_labels: Texts | None = None
    main_industries_ids: Annotated[list[Int], Field(min_length=1)] | None = None
    sub_industries_ids: Annotated[list[Int], Field(min_length=1)] | None = None
    intent_topics: Texts | None = None
    intent_topics_condition: Condition | None = None
    intent_topics_operator: Operator | None = None
    intent_min_score: Annotated[Int, Field(ge=1, le=100)] | None = None
    intent_max_score: Annotated[Int, Field(ge=1, le=100)] | None = None
    sic_codes: Texts | None = None
    naics_codes: Texts | None = None
    funding: Funding | None = None
    founded_year: Ranges | None = None
    business_model: (
        Annotated[list[Annotated[str, OneOf(catalog.BUSINESS_MODELS)]], Field(min_length=1)] | None
    ) = None
    company_type: (
        Annotated[list[Annotated[str, OneOf(catalog.COMPANY_TYPES)]], Field(min_length=1)] | None
    ) = None
    linkedin_urls: Texts | None = None
    keywords: Texts | None = None
    signals: CompanySignalsFilter | None = None
    topic_count_threshold: Unsupported = None
    specialities: Unsupported = None
    exact_specialities: Unsupported = None
    exact_keywords: Unsupported = None
    keywords_search_fields: Unsupported = None
    previous_company_domains: Unsupported = None
    previous_company_names: Unsupported = None
    geographic_details: Unsupported = None
    locations_zipcodes: Unsupported = None
    headquarter_zipcodes: Unsupported = None

    @model_validator(mode="after")
    def _scores_need_topics(self) -> Self:
        if not self.intent_topics and (
            self.intent_min_score is not None or self.intent_max_score is not None
        ):
            raise problem("needs intentTopics", at="intentMinScore")
        return self


class ContactSide(WireModel):
    include: ContactCriteria | None = None
    exclude: ContactCriteria | None = None


class CompanySide(WireModel):
    include: CompanyCriteria | None = None
    exclude: CompanyCriteria | None = None


class ContactsOnCompanySide(WireModel):
    include: ContactsOnCompanyCriteria | None = None
    exclude: ContactsOnCompanyCriteria | None = None


class CompaniesSide(WireModel):
    include: CompanyCriteria
    exclude: CompanyCriteria | None = None


class ContactFilters(WireModel):
    """`filters` of POST /v3/contacts/prospecting."""

    contacts: ContactSide | None = None
    companies: CompanySide | None = None


NOT_WITH_CONTACTS = ("searchText", "signals", "intentTopics", "technologies")
"""Company criteria that cannot be sent with `filters.contacts` on company prospecting."""


class CompanyFilters(WireModel):
    """`filters` of POST /v3/companies/prospecting."""

    companies: CompaniesSide
    contacts: ContactsOnCompanySide | None = None

    @model_validator(mode="after")
    def _contacts_alone(self) -> Self:
        if self.contacts is None:
            return self
        include = self.companies.include
        sent = (include.search_text, include.signals, include.intent_topics, include.technologies)
        clash = [
            f"filters.companies.include.{key}"
            for key, value in zip(NOT_WITH_CONTACTS, sent, strict=True)
            if value is not None
        ]
        if clash:
            raise problem(
                f"cannot be combined with {', '.join(clash)}; send them in separate requests", at="contacts"
            )
        return self
