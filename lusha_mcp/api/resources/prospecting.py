"""client.prospecting: pages of contacts and companies by filters, and the filters' values."""

from __future__ import annotations

from typing import get_args

from lusha_mcp.api.models import (
    CompanyFilterType,
    ContactFilterType,
    FilterTypes,
    FilterValues,
    ProspectingCompaniesRequest,
    ProspectingCompaniesResponse,
    ProspectingContactsRequest,
    ProspectingContactsResponse,
)
from lusha_mcp.api.resources._base import Resource
from lusha_mcp.api.transport import Operation

__all__ = ["Prospecting"]


class Prospecting(Resource):
    CONTACTS = Operation(
        "prospecting.contacts", "POST", "/v3/contacts/prospecting", ProspectingContactsResponse, metered=True
    )
    COMPANIES = Operation(
        "prospecting.companies",
        "POST",
        "/v3/companies/prospecting",
        ProspectingCompaniesResponse,
        metered=True,
    )
    CONTACT_FILTER_TYPES = Operation(
        "prospecting.contact_filter_types", "GET", "/v3/contacts/prospecting/filters", FilterTypes
    )
    CONTACT_FILTER_VALUES = Operation(
        "prospecting.contact_filter_values", "GET", "/v3/contacts/prospecting/filters/{id}", FilterValues
    )
    COMPANY_FILTER_TYPES = Operation(
        "prospecting.company_filter_types", "GET", "/v3/companies/prospecting/filters", FilterTypes
    )
    COMPANY_FILTER_VALUES = Operation(
        "prospecting.company_filter_values", "GET", "/v3/companies/prospecting/filters/{id}", FilterValues
    )

    async def contacts(self, request: ProspectingContactsRequest) -> ProspectingContactsResponse:
        """One page of contacts matching prospecting filters (metered per result)."""
        return await self._send(self.CONTACTS, body=request)

    async def companies(self, request: ProspectingCompaniesRequest) -> ProspectingCompaniesResponse:
        """One page of companies matching prospecting filters (metered per result)."""
        return await self._send(self.COMPANIES, body=request)

    async def contact_filter_types(self) -> FilterTypes:
        return await self._send(self.CONTACT_FILTER_TYPES)

    async def contact_filter_values(self, filter_type: str, *, query: str | None = None) -> FilterValues:
        """Valid values of a contact prospecting filter (some types need a `query`)."""
        return await self._filter_values(
            self.CONTACT_FILTER_VALUES, filter_type, get_args(ContactFilterType), query
        )

    async def company_filter_types(self) -> FilterTypes:
        return await self._send(self.COMPANY_FILTER_TYPES)

    async def company_filter_values(self, filter_type: str, *, query: str | None = None) -> FilterValues:
        """Valid values of a company prospecting filter (some types need a `query`)."""
        return await self._filter_values(
            self.COMPANY_FILTER_VALUES, filter_type, get_args(CompanyFilterType), query
        )
