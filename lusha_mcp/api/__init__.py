"""The Lusha V3 HTTP client, its typed models and its error tree."""

from lusha_mcp.api import errors, models
from lusha_mcp.api.client import BATCH_LIMIT, SMALL_BATCH_LIMIT, LushaClient, ProgressCallback
from lusha_mcp.api.ratelimit import RateLimitState, RateWindow

__all__ = [
    "BATCH_LIMIT",
    "SMALL_BATCH_LIMIT",
    "LushaClient",
    "ProgressCallback",
    "RateLimitState",
    "RateWindow",
    "errors",
    "models",
]
