"""client.lookalikes: contacts and companies similar to seeds."""

from __future__ import annotations

from lusha_mcp.api.models import (
    CompanyLookalikesRequest,
    CompanyLookalikesResponse,
    ContactLookalikesRequest,
    ContactLookalikesResponse,
)
from lusha_mcp.api.resources._base import Resource
from lusha_mcp.api.transport import Operation

__all__ = ["Lookalikes"]


class Lookalikes(Resource):
    CONTACTS = Operation(
        "lookalikes.contacts", "POST", "/v3/contacts/lookalike", ContactLookalikesResponse, metered=True
    )
    COMPANIES = Operation(
        "lookalikes.companies", "POST", "/v3/companies/lookalike", CompanyLookalikesResponse, metered=True
    )

    async def contacts(self, request: ContactLookalikesRequest) -> ContactLookalikesResponse:
        """Contacts similar to the seeds (metered per result); keep dedupe_session_id for more."""
        return await self._send(self.CONTACTS, body=request)

    async def companies(self, request: CompanyLookalikesRequest) -> CompanyLookalikesResponse:
        """Companies similar to the seeds (metered per result); keep dedupe_session_id for more."""
        return await self._send(self.COMPANIES, body=request)
