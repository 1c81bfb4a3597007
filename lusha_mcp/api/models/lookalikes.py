"""Lookalikes: contacts and companies similar to seeds, with dedupe sessions."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field, model_validator

from lusha_mcp.api.models.base import (
    CompanyRef,
    Domain,
    Email,
    EmployeeCount,
    JobTitle,
    LushaModel,
    LushaRequest,
    MeteredResponse,
    PlaceSummary,
    SocialLinks,
)
from lusha_mcp.api.models.tables import TableWrite


class SeedContact(LushaRequest):
    first_name: str = Field(min_length=1)
    last_name: str = Field(min_length=1)
    company_domain: str | None = None
    company_name: str | None = None


class ContactIdentifiers(LushaRequest):
    """Contacts named by any mix of identifiers (at most 100 of each kind)."""

    linkedin_urls: list[str] | None = Field(default=None, max_length=100)
    contacts: list[SeedContact] | None = Field(default=None, max_length=100)
    emails: list[Email] | None = Field(default=None, max_length=100)
    ids: list[str] | None = Field(default=None, max_length=100)
    contact_ids: list[int] | None = Field(default=None, max_length=100)

    def count(self) -> int:
        parts = (self.linkedin_urls, self.contacts, self.emails, self.ids, self.contact_ids)
        return sum(len(part or ()) for part in parts)


class CompanyIdentifiers(LushaRequest):
    """Companies named by domains or LinkedIn URLs (at most 100 of each kind)."""

    domains: list[Domain] | None = Field(default=None, max_length=100)
    linkedin_urls: list[str] | None = Field(default=None, max_length=100)

    def count(self) -> int:
        return len(self.domains or ()) + len(self.linkedin_urls or ())


class ContactLookalikesRequest(LushaRequest):
    """Contacts similar to 5-100 seed contacts; pass dedupe_session_id to page without repeats."""

    seeds: ContactIdentifiers
    exclude: ContactIdentifiers | None = None
    dedupe_session_id: UUID | None = None
    limit: int = Field(default=25, ge=1, le=100)
    table_id: str | None = Field(
        default=None, min_length=1, description="Also save the results into this table."
    )

    @model_validator(mode="after")
    def _seed_count(self) -> ContactLookalikesRequest:
        count = self.seeds.count()
        if not 5 <= count <= 100:
            raise ValueError(f"seeds must name 5 to 100 contacts in total (got {count})")
        return self


class CompanyLookalikesRequest(LushaRequest):
    """Companies similar to seed companies; pass dedupe_session_id to page without repeats."""

    seeds: CompanyIdentifiers
    exclude: CompanyIdentifiers | None = None
    dedupe_session_id: UUID | None = None
    limit: int = Field(default=25, ge=1, le=100)
    table_id: str | None = Field(
        default=None, min_length=1, description="Also save the results into this table."
    )

    @model_validator(mode="after")
    def _seed_count(self) -> CompanyLookalikesRequest:
        if self.seeds.count() == 0:
            raise ValueError("seeds must name at least one company by domain or LinkedIn URL")
        return self


class LookalikeMeta(LushaModel):
    returned: int = 0
    has_more: bool = False


class LookalikeContact(LushaModel):
    id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    social_links: SocialLinks | None = None
    company: CompanyRef | None = None
    job_title: JobTitle | None = None
    location: PlaceSummary | None = None


class LookalikeCompany(LushaModel):
    id: str | None = None
    name: str | None = None
    domain: str | None = None
    employee_count: EmployeeCount | None = None
    industry: str | None = None
    location: PlaceSummary | None = None
    social_links: SocialLinks | None = None


class ContactLookalikesResponse(MeteredResponse):
    """Lookalike contacts; keep dedupe_session_id to ask for more without repeats."""

    dedupe_session_id: str | None = None
    results: list[LookalikeContact] = Field(default_factory=list[LookalikeContact])
    meta: LookalikeMeta = Field(default_factory=LookalikeMeta)
    table_write: TableWrite | None = None


class CompanyLookalikesResponse(MeteredResponse):
    """Lookalike companies; keep dedupe_session_id to ask for more without repeats."""

    dedupe_session_id: str | None = None
    results: list[LookalikeCompany] = Field(default_factory=list[LookalikeCompany])
    meta: LookalikeMeta = Field(default_factory=LookalikeMeta)
    table_write: TableWrite | None = None
