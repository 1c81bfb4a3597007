"""The Lusha V3 HTTP client (by resource), its transport, its typed models and its error tree."""

from lusha_mcp.api import errors, models
from lusha_mcp.api.client import BATCH_LIMIT, SMALL_BATCH_LIMIT, LushaClient, ProgressCallback
from lusha_mcp.api.ratelimit import RateLimitState, RateWindow
from lusha_mcp.api.spend import UnauthorizedSpendError, authorized_spend

__all__ = [
    "BATCH_LIMIT",
    "SMALL_BATCH_LIMIT",
    "LushaClient",
    "ProgressCallback",
    "RateLimitState",
    "RateWindow",
    "UnauthorizedSpendError",
    "authorized_spend",
    "errors",
    "models",
]
