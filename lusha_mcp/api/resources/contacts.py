"""client.contacts: search, enrich, search-and-enrich, buying group."""

from __future__ import annotations

from collections.abc import Sequence

from lusha_mcp.api.bulk import SMALL_BATCH_LIMIT, BatchCallback, ProgressCallback, merge_buying_group
from lusha_mcp.api.models import (
    BuyingGroupRequest,
    BuyingGroupResponse,
    ContactReveal,
    ContactSearchItem,
    ContactsEnrichRequest,
    ContactsEnrichResponse,
    ContactSignalsOptions,
    ContactsSearchAndEnrichRequest,
    ContactsSearchAndEnrichResponse,
    ContactsSearchRequest,
    ContactsSearchResponse,
    SearchOptions,
)
from lusha_mcp.api.resources._base import Resource
from lusha_mcp.api.transport import Operation

__all__ = ["Contacts"]


class Contacts(Resource):
    SEARCH = Operation("contacts.search", "POST", "/v3/contacts/search", ContactsSearchResponse, metered=True)
    ENRICH = Operation("contacts.enrich", "POST", "/v3/contacts/enrich", ContactsEnrichResponse, metered=True)
    SEARCH_AND_ENRICH = Operation(
        "contacts.search_and_enrich",
        "POST",
        "/v3/contacts/search-and-enrich",
        ContactsSearchAndEnrichResponse,
        metered=True,
    )
    BUYING_GROUP = Operation(
        "contacts.buying_group", "POST", "/v3/contacts/buying-group", BuyingGroupResponse, metered=True
    )

    async def search(
        self,
        contacts: Sequence[ContactSearchItem],
        *,
        options: SearchOptions | None = None,
        signals: ContactSignalsOptions | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> ContactsSearchResponse:
        """Previews of contacts by identifier (metered per result: api_search)."""
        request = ContactsSearchRequest(contacts=list(contacts), options=options, signals=signals)
        return await self._bulk(self.SEARCH, request, "contacts", on_progress=on_progress)

    async def enrich(
        self,
        ids: Sequence[str],
        *,
        reveal: Sequence[ContactReveal],
        waterfall_enabled: bool | None = None,
        on_progress: ProgressCallback | None = None,
        on_batch: BatchCallback[ContactsEnrichResponse] | None = None,
    ) -> ContactsEnrichResponse:
        """Reveal emails and/or phones of contacts by Lusha id (metered per revealed field)."""
        request = ContactsEnrichRequest(
            ids=list(ids), reveal=list(reveal), waterfall_enabled=waterfall_enabled
        )
        return await self._bulk(self.ENRICH, request, "ids", on_progress=on_progress, on_batch=on_batch)

    async def search_and_enrich(
        self,
        contacts: Sequence[ContactSearchItem],
        *,
        reveal: Sequence[ContactReveal],
        options: SearchOptions | None = None,
        on_progress: ProgressCallback | None = None,
        on_batch: BatchCallback[ContactsSearchAndEnrichResponse] | None = None,
    ) -> ContactsSearchAndEnrichResponse:
        """Search contacts by identifier and reveal them in one step (metered: search + reveals)."""
        request = ContactsSearchAndEnrichRequest(
            contacts=list(contacts), reveal=list(reveal), options=options
        )
        return await self._bulk(
            self.SEARCH_AND_ENRICH, request, "contacts", on_progress=on_progress, on_batch=on_batch
        )

    async def buying_group(
        self, request: BuyingGroupRequest, *, on_progress: ProgressCallback | None = None
    ) -> BuyingGroupResponse:
        """Decision makers within companies (metered per contact); more than 25 companies are batched."""
        return await self._bulk(
            self.BUYING_GROUP,
            request,
            "companies",
            limit=SMALL_BATCH_LIMIT,
            merge=merge_buying_group,
            on_progress=on_progress,
        )
