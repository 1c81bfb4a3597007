"""client.signals: signals and signal scores of contacts and companies, their types and filters."""

from __future__ import annotations

from typing import get_args

from lusha_mcp.api.bulk import ProgressCallback
from lusha_mcp.api.models import (
    CompanySignalFilterType,
    CompanySignalScoresRequest,
    CompanySignalScoresResponse,
    CompanySignalsRequest,
    CompanySignalsResponse,
    CompanySignalTypes,
    ContactSignalScoresRequest,
    ContactSignalScoresResponse,
    ContactSignalsRequest,
    ContactSignalsResponse,
    ContactSignalTypes,
    FilterTypes,
    FilterValues,
)
from lusha_mcp.api.resources._base import Resource
from lusha_mcp.api.transport import Operation

__all__ = ["Signals"]


class Signals(Resource):
    CONTACTS = Operation(
        "signals.contacts", "POST", "/v3/contacts/signals", ContactSignalsResponse, metered=True
    )
    COMPANIES = Operation(
        "signals.companies", "POST", "/v3/companies/signals", CompanySignalsResponse, metered=True
    )
    CONTACT_SCORES = Operation(
        "signals.contact_scores",
        "POST",
        "/v3/contacts/signal-score",
        ContactSignalScoresResponse,
        metered=True,
    )
    COMPANY_SCORES = Operation(
        "signals.company_scores",
        "POST",
        "/v3/companies/signal-score",
        CompanySignalScoresResponse,
        metered=True,
    )
    CONTACT_TYPES = Operation(
        "signals.contact_types", "GET", "/v3/contacts/signals/types", ContactSignalTypes
    )
    COMPANY_TYPES = Operation(
        "signals.company_types", "GET", "/v3/companies/signals/types", CompanySignalTypes
    )
    COMPANY_FILTER_TYPES = Operation(
        "signals.company_filter_types", "GET", "/v3/companies/signals/filters", FilterTypes
    )
    COMPANY_FILTER_VALUES = Operation(
        "signals.company_filter_values", "GET", "/v3/companies/signals/filters/{id}", FilterValues
    )

    async def contacts(
        self, request: ContactSignalsRequest, *, on_progress: ProgressCallback | None = None
    ) -> ContactSignalsResponse:
        """Signals of contacts by id (metered per matched signal); more than 100 ids are batched."""
        return await self._bulk(self.CONTACTS, request, "ids", on_progress=on_progress)

    async def companies(
        self, request: CompanySignalsRequest, *, on_progress: ProgressCallback | None = None
    ) -> CompanySignalsResponse:
        """Signals of companies by id (metered per matched signal); more than 100 ids are batched."""
        return await self._bulk(self.COMPANIES, request, "ids", on_progress=on_progress)

    async def contact_scores(
        self, request: ContactSignalScoresRequest, *, on_progress: ProgressCallback | None = None
    ) -> ContactSignalScoresResponse:
        """Signal scores of contacts (metered); more than 100 are batched."""
        return await self._bulk(self.CONTACT_SCORES, request, "contacts", on_progress=on_progress)

    async def company_scores(
        self, request: CompanySignalScoresRequest, *, on_progress: ProgressCallback | None = None
    ) -> CompanySignalScoresResponse:
        """Signal scores of companies (metered); more than 100 are batched."""
        return await self._bulk(self.COMPANY_SCORES, request, "companies", on_progress=on_progress)

    async def contact_types(self) -> ContactSignalTypes:
        return await self._send(self.CONTACT_TYPES)

    async def company_types(self) -> CompanySignalTypes:
        return await self._send(self.COMPANY_TYPES)

    async def company_filter_types(self) -> FilterTypes:
        return await self._send(self.COMPANY_FILTER_TYPES)

    async def company_filter_values(self, filter_type: str, *, query: str | None = None) -> FilterValues:
        """Valid values of a company signal sub-filter (newsEventTypes, hiringByDepartments...)."""
        return await self._filter_values(
            self.COMPANY_FILTER_VALUES, filter_type, get_args(CompanySignalFilterType), query
        )
