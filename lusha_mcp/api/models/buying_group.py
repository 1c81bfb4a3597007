"""Buying group (the Decision Makers capability): ranked contacts to reach within companies."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from lusha_mcp.api.models.base import (
    CanReveal,
    CompanyRef,
    Domain,
    ItemError,
    JobTitle,
    LushaModel,
    LushaRequest,
    MeteredResponse,
    Pagination,
    PlaceSummary,
    SocialLinks,
)

Persona = Literal["decision_maker", "potential_champion", "end_user"]


class BuyingGroupCompany(LushaRequest):
    """A company by domain or Lusha id."""

    client_reference_id: str | None = None
    domain: Domain | None = None
    id: str | None = None

    @model_validator(mode="after")
    def _identified(self) -> BuyingGroupCompany:
        if not (self.domain or self.id):
            raise ValueError("a company needs a domain or an id")
        return self


class BuyingGroupPage(LushaRequest):
    page: int = Field(default=0, ge=0)
    size: int = Field(default=100, ge=10, le=100)


class BuyingGroupRequest(LushaRequest):
    """Decision makers of companies; more than 25 companies are split into batches."""

    companies: list[BuyingGroupCompany] = Field(min_length=1)
    personas: list[Persona] | None = None
    contacts_limit: int | None = Field(default=None, ge=1)
    pagination: BuyingGroupPage | None = None


class BuyingGroupContact(LushaModel):
    id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    job_title: JobTitle | None = None
    company: CompanyRef | None = None
    location: PlaceSummary | None = None
    social_links: SocialLinks | None = None
    has: list[str] = Field(default_factory=list[str])
    can_reveal: list[CanReveal] = Field(default_factory=list[CanReveal])
    roles: list[str] = Field(default_factory=list[str])
    score: float | None = None
    error: ItemError | None = None


class BuyingGroupResult(LushaModel):
    """The ranked contacts of one requested company (or why there are none)."""

    client_reference_id: str | None = None
    company_id: str | None = None
    contacts: list[BuyingGroupContact] = Field(default_factory=list[BuyingGroupContact])
    error: ItemError | None = None


class BuyingGroupResponse(MeteredResponse):
    results: list[BuyingGroupResult] = Field(default_factory=list[BuyingGroupResult])
    pagination: Pagination | None = None
