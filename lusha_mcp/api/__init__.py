"""The Lusha V3 HTTP client, its typed models and its error tree."""

from lusha_mcp.api import errors, models

__all__ = ["errors", "models"]
