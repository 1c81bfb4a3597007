"""The credit guard: every metered call is quoted, authorized, recorded and its reveals kept.

Public API:
- `CreditGuard(settings, pricing)`: `preflight(quote)`, `authorize(...)` -> `Authorized` or
  `ConfirmationRequest`, `settle(...)`, `fail(...)`, `budget_left()`, `.previews`, `.cache`, `.ledger`.
- `Quote`, `QuoteItem`, `PriceBook`, `PricingSource`, `quote_contact_reveals` (pricing).
- `CreditPolicy` and the `GuardRefusal` family (policy, confirm).
- `ledger_report(data_dir, group_by)` and `purge_cache(data_dir, ...)` for the CLI.
"""

from lusha_mcp.guard.cache import PurgeReport, RevealCache, purge_cache
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
from lusha_mcp.guard.ledger import Ledger, LedgerEntry, LedgerGroup, ledger_report
from lusha_mcp.guard.policy import (
    CreditPolicy,
    GuardRefusal,
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
