"""The credit guard: every metered call is quoted, authorized, recorded and its reveals kept.

Public API:
- `CreditGuard(settings, pricing)`: `preflight(quote)`, `authorize(...)` -> `Authorized` or
  `ConfirmationRequest`, `settle(...)`, `fail(...)`, `budget_left()`, `.previews`, `.cache`, `.ledger`.
- `Quote`, `QuoteItem`, `PriceBook`, `PricingSource`, `quote_contact_reveals` (pricing).
- `CreditPolicy` and the `GuardRefusal` family (policy, confirm).
- `ledger_report(data_dir, group_by)` and `purge_cache(data_dir, ...)` for the CLI.

The ledger, the reveal cache and the other stores live in `lusha_mcp.storage` (SQLite or
PostgreSQL behind one interface); `Ledger` and `RevealCache` are its SQLite ones.
"""

from lusha_mcp.guard.confirm import (
    QuoteAboveConfirmed,
    TokenExpired,
    TokenForged,
    TokenMismatch,
    TokenOtherClient,
    TokenRefusal,
    TokenReplayed,
)
from lusha_mcp.guard.credit_guard import Authorized, BudgetLeft, ConfirmationRequest, CreditGuard, Settlement
from lusha_mcp.guard.policy import (
    CreditPolicy,
    GuardRefusal,
    LedgerUnavailable,
    NoSpendRefusal,
    OverBudget,
    OverCallCap,
    RevealNotAllowed,
)
from lusha_mcp.guard.pricing import (
    PreviewCache,
    PriceBook,
    PricingSource,
    Quote,
    QuoteItem,
    UnknownPriceError,
    quote_contact_reveals,
)
from lusha_mcp.storage.base import LedgerEntry, LedgerGroup, PurgeReport
from lusha_mcp.storage.sqlite_cache import RevealCache, purge_cache
from lusha_mcp.storage.sqlite_ledger import Ledger, ledger_report

__all__ = [
    "Authorized",
    "BudgetLeft",
    "ConfirmationRequest",
    "CreditGuard",
    "CreditPolicy",
    "GuardRefusal",
    "Ledger",
    "LedgerEntry",
    "LedgerGroup",
    "LedgerUnavailable",
    "NoSpendRefusal",
    "OverBudget",
    "OverCallCap",
    "PreviewCache",
    "PriceBook",
    "PricingSource",
    "PurgeReport",
    "Quote",
    "QuoteAboveConfirmed",
    "QuoteItem",
    "RevealCache",
    "RevealNotAllowed",
    "Settlement",
    "TokenExpired",
    "TokenForged",
    "TokenMismatch",
    "TokenOtherClient",
    "TokenRefusal",
    "TokenReplayed",
    "UnknownPriceError",
    "ledger_report",
    "purge_cache",
    "quote_contact_reveals",
]
