"""client.companies: search, enrich, search-and-enrich, website visits."""

from __future__ import annotations

from collections.abc import Sequence

from lusha_mcp.api.bulk import BatchCallback, ProgressCallback
from lusha_mcp.api.models import (
    CompaniesEnrichRequest,
    CompaniesEnrichResponse,
    CompaniesSearchAndEnrichRequest,
    CompaniesSearchAndEnrichResponse,
    CompaniesSearchRequest,
    CompaniesSearchResponse,
    CompanySearchItem,
    CompanySignalsOptions,
    SearchOptions,
    WebsiteVisitsRequest,
    WebsiteVisitsResponse,
)
from lusha_mcp.api.resources._base import Resource
from lusha_mcp.api.transport import Operation

__all__ = ["Companies"]


class Companies(Resource):
    SEARCH = Operation(
        "companies.search", "POST", "/v3/companies/search", CompaniesSearchResponse, metered=True
    )
    ENRICH = Operation(
        "companies.enrich", "POST", "/v3/companies/enrich", CompaniesEnrichResponse, metered=True
    )
    SEARCH_AND_ENRICH = Operation(
        "companies.search_and_enrich",
        "POST",
        "/v3/companies/search-and-enrich",
        CompaniesSearchAndEnrichResponse,
        metered=True,
    )
    WEBSITE_VISITS = Operation(
        "companies.website_visits",
        "POST",
        "/v3/companies/website-visits",
        WebsiteVisitsResponse,
        metered=True,
    )

    async def search(
        self,
        companies: Sequence[CompanySearchItem],
        *,
        options: SearchOptions | None = None,
        signals: CompanySignalsOptions | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> CompaniesSearchResponse:
        """Previews of companies by id, name or domain (metered per result: api_search)."""
        request = CompaniesSearchRequest(companies=list(companies), options=options, signals=signals)
        return await self._bulk(self.SEARCH, request, "companies", on_progress=on_progress)

    async def enrich(
        self,
        ids: Sequence[str],
        *,
        reveal: Sequence[str] = (),
        on_progress: ProgressCallback | None = None,
        on_batch: BatchCallback[CompaniesEnrichResponse] | None = None,
    ) -> CompaniesEnrichResponse:
        """Full firmographics of companies by id, plus extras named in `reveal` (CompanyReveal values).

        Metered per result (reveal_company) and per extra.
        """
        request = CompaniesEnrichRequest.model_validate({"ids": list(ids), "reveal": list(reveal) or None})
        return await self._bulk(self.ENRICH, request, "ids", on_progress=on_progress, on_batch=on_batch)

    async def search_and_enrich(
        self,
        companies: Sequence[CompanySearchItem],
        *,
        options: SearchOptions | None = None,
        on_progress: ProgressCallback | None = None,
        on_batch: BatchCallback[CompaniesSearchAndEnrichResponse] | None = None,
    ) -> CompaniesSearchAndEnrichResponse:
        """Search companies by identifier and enrich them in one step (metered)."""
        request = CompaniesSearchAndEnrichRequest(companies=list(companies), options=options)
        return await self._bulk(
            self.SEARCH_AND_ENRICH, request, "companies", on_progress=on_progress, on_batch=on_batch
        )

    async def website_visits(self, request: WebsiteVisitsRequest) -> WebsiteVisitsResponse:
        """Companies that visited the tracked domains in a date range (metered)."""
        return await self._send(self.WEBSITE_VISITS, body=request)
