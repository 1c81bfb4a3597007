"""What the search and enrich requests of contacts and companies declare alike."""

from __future__ import annotations

from lusha_mcp.sandbox.wire import WireModel

MAX_ITEMS = 100
"""Items (or ids) one search or enrich request may carry."""
NO_TABLES = "tables are not available in the sandbox; send the request without tableId"
"""Why enrich refuses `tableId` (the sandbox does not fill table columns from enrich)."""


class SearchOptions(WireModel):
    include_partial_profiles: bool | None = None
