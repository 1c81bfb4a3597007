"""The resources of the Lusha client, one module per API domain (`client.contacts`, ...).

Each resource declares its endpoints as `Operation`s (method, path, response model, metered or
not) and sends them through the shared transport; bulk lists go through `Resource._bulk`.
"""

from lusha_mcp.api.resources._base import Resource
from lusha_mcp.api.resources.account import Account
from lusha_mcp.api.resources.companies import Companies
from lusha_mcp.api.resources.contacts import Contacts
from lusha_mcp.api.resources.lookalikes import Lookalikes
from lusha_mcp.api.resources.prospecting import Prospecting
from lusha_mcp.api.resources.signals import Signals
from lusha_mcp.api.resources.webhooks import Webhooks

__all__ = ["Account", "Companies", "Contacts", "Lookalikes", "Prospecting", "Resource", "Signals", "Webhooks"]
