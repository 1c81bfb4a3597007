"""Contacts: search, enrich, search-and-enrich."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from lusha_mcp.api.models.base import (
    CanReveal,
    CompanyRef,
    Email,
    IdsRequest,
    ItemError,
    ItemIdentifiers,
    JobTitle,
    LushaModel,
    LushaRequest,
    MeteredResponse,
    PlaceSummary,
    SignalsOptions,
    SocialLinks,
)

ContactReveal = Literal["emails", "phones"]
ContactSignalType = Literal["allSignals", "promotion", "companyChange"]


class ContactSearchItem(ItemIdentifiers):
    """One contact to look up: a Lusha id, a LinkedIn URL, an email, or first + last name with company name or domain."""

    missing: ClassVar[str] = (
        "a contact needs one identifier: id, linkedinUrl, email, or firstName + lastName "
        "with companyName or companyDomain"
    )

    linkedin_url: str | None = None
    email: Email | None = None
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    company_domain: str | None = None

    def identified(self) -> bool:
        by_name = bool(self.first_name and self.last_name and (self.company_name or self.company_domain))
        return bool(self.id or self.linkedin_url or self.email or by_name)


class SearchOptions(LushaRequest):
    include_partial_profiles: bool | None = None


class ContactSignalsOptions(SignalsOptions[ContactSignalType]):
    """Signals to attach to each search result."""


class ContactsSearchRequest(LushaRequest):
    """Contacts to search; more than 100 are split into batches by the client."""

    contacts: list[ContactSearchItem] = Field(min_length=1)
    options: SearchOptions | None = None
    signals: ContactSignalsOptions | None = None


class ContactsEnrichRequest(IdsRequest):
    """Contact ids to reveal; more than 100 are split into batches by the client."""

    reveal: list[ContactReveal] = Field(min_length=1)
    waterfall_enabled: bool | None = None


class ContactsSearchAndEnrichRequest(LushaRequest):
    """Contacts to search and reveal in one step; more than 100 are split into batches."""

    contacts: list[ContactSearchItem] = Field(min_length=1)
    reveal: list[ContactReveal] = Field(min_length=1)
    options: SearchOptions | None = None


class ContactPreview(LushaModel):
    """A non-PII preview of a contact; `can_reveal` says what enrichment would cost."""

    client_reference_id: str | None = None
    id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    job_title: JobTitle | None = None
    company: CompanyRef | None = None
    location: PlaceSummary | None = None
    social_links: SocialLinks | None = None
    has: list[str] = Field(default_factory=list[str])
    can_reveal: list[CanReveal] = Field(default_factory=list[CanReveal])
    signal_types: list[str] = Field(default_factory=list[str])
    error: ItemError | None = None


class ContactsSearchResponse(MeteredResponse):
    results: list[ContactPreview] = Field(default_factory=list[ContactPreview])


class EmailAddress(LushaModel):
    email: str | None = None
    type: str | None = None
    confidence: str | None = None
    update_date: str | None = None


class PhoneNumber(LushaModel):
    number: str | None = None
    type: str | None = None
    do_not_call: bool | None = None
    update_date: str | None = None


class ContactTag(LushaModel):
    id: str | None = None
    name: str | None = None
    color: str | None = None


class ContactLocation(PlaceSummary):
    coordinates: list[float] | None = None
    is_eu_contact: bool | None = None


class EnrichedContactCompany(CompanyRef):
    industry: str | None = None


class ContactSocialLinks(SocialLinks):
    x_url: str | None = None


class PreviousEmployment(LushaModel):
    company: CompanyRef | None = None
    job_title: JobTitle | None = None


class EnrichedContact(LushaModel):
    """A contact with revealed data (emails, phones) when enrichment succeeded."""

    client_reference_id: str | None = None
    id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    full_name: str | None = None
    job_title: JobTitle | None = None
    location: ContactLocation | None = None
    tags: list[ContactTag] = Field(default_factory=list[ContactTag])
    emails: list[EmailAddress] = Field(default_factory=list[EmailAddress])
    phones: list[PhoneNumber] = Field(default_factory=list[PhoneNumber])
    company: EnrichedContactCompany | None = None
    social_links: ContactSocialLinks | None = None
    previous_employment: list[PreviousEmployment] = Field(default_factory=list[PreviousEmployment])
    update_date: str | None = None
    error: ItemError | None = None


class ContactsEnrichResponse(MeteredResponse):
    results: list[EnrichedContact] = Field(default_factory=list[EnrichedContact])


class ContactsSearchAndEnrichResponse(MeteredResponse):
    results: list[EnrichedContact] = Field(default_factory=list[EnrichedContact])
