"""The sandbox's price list: action -> (credits, perQuantity), served as `pricing` by /v3/account/usage.

Derived from the spec's examples:
- `api_search`: 1 credit per 25 results, rounded up per call (PricingEntry's example perQuantity is 25;
  contacts search charges 1 for 3 results, prospecting 2 for 48 rows, 1 for 1 row).
- `revealEmail` 1 and `revealPhone` 5 per revealed field (the account usage example).
- `reveal_company` 1 per company; the company extras 1 per company each, `intent` free
  (enrich companies example: 2 companies with four paid extras and intent = 10 credits;
  search-and-enrich: 1 search + 2 reveals = 3); `estimatedAnnualItSpend` and `monthlyWebsiteTraffic`
  1 each, charged only when a value exists (as their field descriptions say).
- `lookalikeContact` / `lookalikeCompany` 3 per result (both lookalike examples charge 3 for 1 result).
- signals, buying group and signal scores 1 per item; website visits free (its example charges 0).
- signal scores are charged as `signal_score_contact_reveal` / `signal_score_company_reveal` (the
  spec's action names) and, as the spec says, stay free while the action is not on the pricebook
  (`POST /_sandbox/pricing {"unlisted": [...]}` takes actions off the pricebook the sandbox lists).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PriceEntry:
    credits: int
    per_quantity: int = 1

    def cost(self, quantity: int) -> int:
        """Credits for `quantity` units in one call (partial blocks round up)."""
        if quantity <= 0:
            return 0
        blocks = -(-quantity // self.per_quantity)
        return blocks * self.credits

    def as_json(self) -> dict[str, int]:
        return {"credits": self.credits, "perQuantity": self.per_quantity}


API_SEARCH = "api_search"
REVEAL_EMAIL = "revealEmail"
REVEAL_PHONE = "revealPhone"
REVEAL_COMPANY = "reveal_company"

COMPANY_EXTRA_ACTIONS: dict[str, str] = {
    "employeesByDepartment": "revealEmployeesByDepartment",
    "employeesByLocation": "revealEmployeesByLocation",
    "employeesBySeniority": "revealEmployeesBySeniority",
    "competitors": "revealCompetitors",
    "intent": "revealIntent",
    "estimatedAnnualItSpend": "revealEstimatedAnnualItSpend",
    "monthlyWebsiteTraffic": "revealMonthlyWebsiteTraffic",
}
"""Company enrich `reveal` values -> the action each is charged under."""

CONTACT_REVEAL_ACTIONS: dict[str, str] = {"emails": REVEAL_EMAIL, "phones": REVEAL_PHONE}

PRICING: dict[str, PriceEntry] = {
    API_SEARCH: PriceEntry(1, 25),
    REVEAL_EMAIL: PriceEntry(1),
    REVEAL_PHONE: PriceEntry(5),
    REVEAL_COMPANY: PriceEntry(1),
    "revealEmployeesByDepartment": PriceEntry(1),
    "revealEmployeesByLocation": PriceEntry(1),
    "revealEmployeesBySeniority": PriceEntry(1),
    "revealCompetitors": PriceEntry(1),
    "revealIntent": PriceEntry(0),
    "revealEstimatedAnnualItSpend": PriceEntry(1),
    "revealMonthlyWebsiteTraffic": PriceEntry(1),
    "showSignalsContact": PriceEntry(1),
    "showSignalsCompany": PriceEntry(1),
    "lookalikeContact": PriceEntry(3),
    "lookalikeCompany": PriceEntry(3),
    "buyingGroupContact": PriceEntry(1),
    "signal_score_contact_reveal": PriceEntry(1),
    "signal_score_company_reveal": PriceEntry(1),
    "websiteVisits": PriceEntry(0),
    "export_api": PriceEntry(1),
}


FREE_WHILE_UNLISTED = frozenset({"signal_score_contact_reveal", "signal_score_company_reveal"})
"""Actions the spec says are free until they are seeded on the account's pricebook."""


def price(action: str, quantity: int) -> int:
    """Credits for `quantity` units of `action`; unknown actions are a programming error."""
    return PRICING[action].cost(quantity)


def pricing_json(unlisted: frozenset[str] = frozenset()) -> dict[str, dict[str, int]]:
    return {action: entry.as_json() for action, entry in PRICING.items() if action not in unlisted}
