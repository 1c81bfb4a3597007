"""State and behaviour of the buying group: the product category the account sells, persona
scores, and the ranked, paged buying group of target companies.

Lusha's model picks the buying group for what the account sells; Lusha's request carries no
product category, so the sandbox account has one (default `sales`: it sells a sales tool), which
tests and demos switch through the control surface (endpoints/control.py).

The 0-1 relevance score is the seniority weight, a bonus when the contact's first department is
the category's first (its home department), and a small stable per-contact spread. `personas`
keeps only contacts holding one of the requested roles (roles outside it are not listed);
contacts are ranked by score, at most `contactsLimit` per company, then the page (page, size)
of the flattened list is shown. Billing: one `buyingGroupContact` unit per contact shown.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from lusha_mcp.sandbox.account import AccountState, ChargeItem
from lusha_mcp.sandbox.buying_group.records import (
    DEFAULT_PRODUCT_CATEGORY,
    HOME_DEPARTMENTS,
    PERSONAS,
    PRODUCT_CATEGORIES,
    ROLE_WEIGHTS,
    JsonObject,
    member_json,
    not_found_json,
)
from lusha_mcp.sandbox.identity import find_company
from lusha_mcp.sandbox.rows import rows_by_id
from lusha_mcp.sandbox.state import Charger

Ranked = list[tuple[Sequence[Any], list[str], float]]
"""(contact row, its requested roles, its best score among them), best first."""

_CONTACT_SELECT: Final = "SELECT id, departments, seniority FROM contacts WHERE company_id = ? ORDER BY seq"


def _spread(contact_id: str) -> float:
    """A stable value in [-0.05, 0.05) from the contact id."""
    digest = hashlib.blake2b(contact_id.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") / 2**32 / 10 - 0.05


def persona_scores(
    contact_id: str, seniority: str, departments: Sequence[str], category: str = DEFAULT_PRODUCT_CATEGORY
) -> dict[str, float]:
    """Persona -> relevance score (0-1) of one contact for a product of `category`; personas it
    does not fit are absent."""
    fits = PRODUCT_CATEGORIES[category]
    bonus = 0.04 if departments and departments[0] == HOME_DEPARTMENTS[category] else 0.0
    scores: dict[str, float] = {}
    for persona, weights in ROLE_WEIGHTS.items():
        base = weights.get(seniority)
        if base is not None and fits[persona].intersection(departments):
            scores[persona] = round(min(1.0, max(0.0, base + bonus + _spread(contact_id))), 4)
    return scores


@dataclass(frozen=True, slots=True)
class BuyingGroupPage:
    results: list[JsonObject]
    """One entry per target: its buying group on this page, or a NOT_FOUND error."""
    total: int
    """Contacts in the whole (flattened) buying group."""
    shown: int
    credits: int


class BuyingGroupBackend:
    """The buying groups of one sandbox app, for the product category it sells."""

    def __init__(self, dataset: sqlite3.Connection, account: AccountState) -> None:
        self.dataset = dataset
        self.account = account
        self.product_category = DEFAULT_PRODUCT_CATEGORY

    def _ranked(self, company_id: str, personas: Sequence[str], limit: int) -> Ranked:
        ranked: Ranked = []
        for row in self.dataset.execute(_CONTACT_SELECT, (company_id,)):
            departments: list[Any] = json.loads(row[1]) if row[1] else []
            scores = persona_scores(
                str(row[0]), str(row[2]), [str(item) for item in departments], self.product_category
            )
            roles = [persona for persona in PERSONAS if persona in scores and persona in personas]
            if roles:
                ranked.append((row, roles, max(scores[role] for role in roles)))
        ranked.sort(key=lambda item: (-item[2], str(item[0][0])))
        return ranked[:limit]

    def group(
        self,
        targets: Sequence[tuple[str | None, str, str]],
        personas: Sequence[str],
        limit: int,
        page: int,
        size: int,
        charge: Charger,
    ) -> BuyingGroupPage:
        """The buying groups of (clientReferenceId, domain | id, value) targets, one page shown."""
        groups: list[tuple[JsonObject, Sequence[Any] | None, Ranked]] = []
        for reference, key, value in targets:
            head: JsonObject = {} if reference is None else {"clientReferenceId": reference}
            company = find_company(self.dataset, key, value)
            if company is None:
                groups.append((head | {"error": not_found_json(key, value)}, None, []))
                continue
            head["companyId"] = str(company[0])
            groups.append((head, company, self._ranked(str(company[0]), personas, limit)))

        flat = [(index, entry) for index, (_, _, ranked) in enumerate(groups) for entry in ranked]
        window = flat[page * size : (page + 1) * size]
        shown_ids = [str(row[0]) for _, (row, _, _) in window]
        revealed = self.account.revealed_fields("contact", shown_ids)
        contacts = rows_by_id(self.dataset, "contacts", shown_ids)
        companies = rows_by_id(
            self.dataset, "companies", [str(group[1][0]) for group in groups if group[1] is not None]
        )
        per_group: dict[int, list[JsonObject]] = {}
        for index, (row, roles, score) in window:
            contact = contacts[str(row[0])]
            member = member_json(
                contact, companies[contact["company_id"]], revealed.get(str(row[0]), set()), roles, score
            )
            per_group.setdefault(index, []).append(member)
        results: list[JsonObject] = []
        for index, (head, company, _) in enumerate(groups):
            result = dict(head)
            if company is not None:
                result["contacts"] = per_group.get(index, [])
            results.append(result)
        credits = charge([ChargeItem("buyingGroupContact", len(window))], ())
        return BuyingGroupPage(results, len(flat), len(window), credits)
