"""The records of the buying group: personas, the product categories the account may sell, and the
preview of a buying-group contact.

The categories and the departments of each persona live in `data/activity.json`
(`product_categories`). A contact holds a persona when its seniority is one of the persona's
(`ROLE_WEIGHTS`) and one of its departments is among the category's departments for it:

    decision_maker      C-Suite, Founder, Partner, Vice President, Director
    potential_champion  Director, Manager, Senior
    end_user            Senior, Non-Manager

(for a sales tool: decision makers in Sales, General Management or Business Development;
champions and end users in Sales or Business Development, which includes revenue operations
and sales engineering).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, cast

from lusha_mcp.sandbox.contacts.records import contact_preview
from lusha_mcp.sandbox.data import load
from lusha_mcp.sandbox.rows import Row

JsonObject = dict[str, Any]

PERSONAS: Final = ("decision_maker", "potential_champion", "end_user")

ROLE_WEIGHTS: Final[dict[str, dict[str, float]]] = {
    "decision_maker": {
        "C-Suite": 0.95,
        "Founder": 0.93,
        "Partner": 0.9,
        "Vice President": 0.86,
        "Director": 0.76,
    },
    "potential_champion": {"Director": 0.8, "Manager": 0.84, "Senior": 0.72},
    "end_user": {"Senior": 0.7, "Non-Manager": 0.82},
}
"""Persona -> seniority -> base relevance."""

_DATA: Final = load("activity")
_CATEGORIES: Final = cast(dict[str, dict[str, Any]], _DATA["product_categories"])
PRODUCT_CATEGORIES: Final[dict[str, dict[str, frozenset[str]]]] = {
    str(name): {persona: frozenset(str(item) for item in entry[persona]) for persona in PERSONAS}
    for name, entry in _CATEGORIES.items()
}
"""Product category -> persona -> the departments a contact of that persona works in."""
CATEGORY_LABELS: Final[dict[str, str]] = {
    str(name): str(entry["label"]) for name, entry in _CATEGORIES.items()
}
HOME_DEPARTMENTS: Final[dict[str, str]] = {
    str(name): str(entry["end_user"][0]) for name, entry in _CATEGORIES.items()
}
"""Product category -> the department that uses the product most (a score bonus)."""
DEFAULT_PRODUCT_CATEGORY: Final = str(_DATA["default_product_category"])


def category_json(chosen: str) -> JsonObject:
    return {"productCategory": chosen, "categories": CATEGORY_LABELS}


def member_json(
    contact: Row, company: Row | None, revealed: set[str], roles: Sequence[str], score: float
) -> JsonObject:
    """A buying-group contact: the free search-result preview, its roles and relevance score."""
    return contact_preview(contact, company, revealed) | {"roles": list(roles), "score": score}


def not_found_json(key: str, value: str) -> JsonObject:
    return {"code": "NOT_FOUND", "message": f"Company not found for {key} '{value}'"}
