"""client.account: credits, quotas, plan and per-action pricing."""

from __future__ import annotations

from lusha_mcp.api.models import AccountUsage
from lusha_mcp.api.resources._base import Resource
from lusha_mcp.api.transport import Operation

__all__ = ["Account"]


class Account(Resource):
    USAGE = Operation("account.usage", "GET", "/v3/account/usage", AccountUsage)

    async def usage(self) -> AccountUsage:
        """Credits, quotas, plan and per-action pricing (Lusha allows 5 calls a minute: cache it)."""
        return await self._send(self.USAGE)
