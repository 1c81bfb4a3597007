"""Contacts and companies prospecting: one page of the rows the compiled filters match.

Billing: `api_search` per result returned (1 credit per 25, rounded up per call); when a signals
filter is sent, plus `showSignalsContact` / `showSignalsCompany` per matched signal type per
result. GDPR-blocked contacts never appear in prospecting results. With a table the page is also
saved into it (`tableWrite`; companies tables charge reveal_company per newly added company).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from lusha_mcp.sandbox.account import AccountState, ChargeItem
from lusha_mcp.sandbox.companies.records import company_preview
from lusha_mcp.sandbox.contacts.records import contact_preview
from lusha_mcp.sandbox.errors import bad_request
from lusha_mcp.sandbox.pricing import API_SEARCH
from lusha_mcp.sandbox.prospecting.criteria import CompanyFilters, ContactFilters
from lusha_mcp.sandbox.prospecting.query import compile_company_prospecting, compile_contact_prospecting
from lusha_mcp.sandbox.rows import JsonObject, Row, rows_by_id
from lusha_mcp.sandbox.signals.backend import Entity, SignalRequest, matched_signal_types
from lusha_mcp.sandbox.state import Charger, SandboxState
from lusha_mcp.sandbox.tables.backend import TablesBackend

SIGNAL_ACTIONS: dict[Entity, str] = {"contact": "showSignalsContact", "company": "showSignalsCompany"}
"""What a matched signal type costs per result, by entity."""


@dataclass(frozen=True, slots=True)
class Page:
    """One page of prospecting results, what it charged and, with a table, what was written."""

    results: list[JsonObject]
    total: int
    credits: int
    table_write: JsonObject | None


def _rows(conn: sqlite3.Connection, sql: str, params: list[Any]) -> list[Row]:
    cursor = conn.cursor()
    cursor.row_factory = sqlite3.Row
    return list(cursor.execute(sql, params))


def _page(
    conn: sqlite3.Connection, source: str, order: str, where: str, params: list[Any], page: int, size: int
) -> tuple[int, list[Row]]:
    """(total matches, the rows of one page); filters too large to combine are a 400."""
    try:
        total = int(conn.execute(f"SELECT COUNT(*) FROM {source} WHERE {where}", params).fetchone()[0])
        rows = _rows(
            conn,
            f"SELECT * FROM {source} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
            [*params, size, page * size],
        )
    except sqlite3.OperationalError as exc:
        if "too large" not in str(exc) and "too many" not in str(exc):
            raise
        bad_request(["filters: too many values to combine in one query; send fewer values per filter"])
    return total, rows


class ProspectingBackend:
    """Prospecting over one sandbox's dataset and account, writing pages into its Tables."""

    def __init__(self, state: SandboxState, tables: TablesBackend) -> None:
        self.dataset = state.dataset
        self.account: AccountState = state.account
        self.tables = tables

    def _with_signals(
        self, entity: Entity, ids: list[str], previews: list[JsonObject], signals: SignalRequest | None
    ) -> tuple[list[JsonObject], list[ChargeItem]]:
        """The previews with their matched `signalTypes` when a signals filter was sent, and the
        charges of the page: api_search per result, plus each matched signal type per result."""
        charges = [ChargeItem(API_SEARCH, len(previews))]
        if signals is None:
            return previews, charges
        matched = matched_signal_types(self.dataset, entity, ids, signals)
        for entity_id, preview in zip(ids, previews, strict=True):
            preview["signalTypes"] = matched.get(entity_id, [])
        units = sum(len(preview["signalTypes"]) for preview in previews)
        if units:
            charges.append(ChargeItem(SIGNAL_ACTIONS[entity], units))
        return previews, charges

    def contacts(
        self,
        filters: ContactFilters,
        page: int,
        size: int,
        *,
        exclude_dnc: bool,
        table_id: str | None,
        charge: Charger,
    ) -> Page:
        query = compile_contact_prospecting(self.dataset, filters)
        query.conditions.add("c.gdpr_blocked = 0")
        if exclude_dnc:
            query.conditions.add("c.do_not_call = 0")
        where, params = query.conditions.where(), query.conditions.params
        total, rows = _page(self.dataset, "contacts c", "c.seq", where, params, page, size)
        ids = [row["id"] for row in rows]
        companies = rows_by_id(self.dataset, "companies", [row["company_id"] for row in rows])
        revealed = self.account.revealed_fields("contact", ids)
        previews = [
            contact_preview(row, companies.get(row["company_id"]), revealed.get(row["id"], set()))
            for row in rows
        ]
        results, charges = self._with_signals("contact", ids, previews, query.contact_signals)
        write = self.tables.prepare_write("contacts", table_id, ids, [row["company_id"] for row in rows])
        credits = charge([*charges, *(write.charges if write else [])], ())
        return Page(results, total, credits, write.apply() if write else None)

    def companies(
        self, filters: CompanyFilters, page: int, size: int, *, table_id: str | None, charge: Charger
    ) -> Page:
        query = compile_company_prospecting(self.dataset, filters)
        where, params = query.conditions.where(), query.conditions.params
        total, rows = _page(self.dataset, "companies co", "co.seq", where, params, page, size)
        ids = [row["id"] for row in rows]
        revealed = self.account.revealed_fields("company", ids)
        previews = [company_preview(row, revealed.get(row["id"], set())) for row in rows]
        results, charges = self._with_signals("company", ids, previews, query.company_signals)
        write = self.tables.prepare_write("companies", table_id, ids)
        credits = charge([*charges, *(write.charges if write else [])], ())
        return Page(results, total, credits, write.apply() if write else None)
