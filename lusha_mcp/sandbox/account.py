"""Mutable account state of the sandbox, persisted in <data_dir>/sandbox/account.sqlite.

Holds the credit balance, the charge log, and the fields already revealed per entity (a
repeat reveal of those costs 0). Other modules may keep their own tables in the same file
through `AccountState.db` (use CREATE TABLE IF NOT EXISTS and `with state.account.lock:`).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lusha_mcp.private import private_file
from lusha_mcp.sandbox.errors import payment_required
from lusha_mcp.sandbox.pricing import price

_SCHEMA = """
CREATE TABLE IF NOT EXISTS account_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS charges (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    request_id TEXT NOT NULL,
    operation TEXT NOT NULL,
    action TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    credits INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS revealed (
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    field TEXT NOT NULL,
    PRIMARY KEY (entity, entity_id, field)
) WITHOUT ROWID;
"""


@dataclass(frozen=True, slots=True)
class ChargeItem:
    """One priced line of a call: `quantity` units of `action`."""

    action: str
    quantity: int

    @property
    def credits(self) -> int:
        return price(self.action, self.quantity)


Reveal = tuple[str, str, str]
"""(entity, entity_id, field), e.g. ("contact", "c123", "emails")."""


class AccountState:
    """Credit balance, charge log and revealed fields of the one sandbox account."""

    def __init__(self, path: Path, *, initial_credits: int) -> None:
        private_file(path)
        self.lock = threading.RLock()
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        with self.lock:
            self.db.executescript(_SCHEMA)
            self.db.execute(
                "INSERT OR IGNORE INTO account_meta(key, value) VALUES ('remaining', ?), ('used', 0)",
                (initial_credits,),
            )

    def close(self) -> None:
        self.db.close()

    # --- balance -----------------------------------------------------------------------------
    def _meta(self, key: str) -> int:
        row = self.db.execute("SELECT value FROM account_meta WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    @property
    def remaining(self) -> int:
        with self.lock:
            return self._meta("remaining")

    @property
    def used(self) -> int:
        with self.lock:
            return self._meta("used")

    def set_remaining(self, remaining: int) -> None:
        with self.lock:
            self.db.execute("UPDATE account_meta SET value = ? WHERE key = 'remaining'", (remaining,))

    # --- charging ----------------------------------------------------------------------------
    def charge(
        self,
        action: str,
        quantity: int,
        *,
        operation: str,
        request_id: str,
        reveals: Iterable[Reveal] = (),
    ) -> int:
        """Charge `quantity` units of `action`; 402 (nothing charged) when the balance is short."""
        return self.charge_all(
            [ChargeItem(action, quantity)], operation=operation, request_id=request_id, reveals=reveals
        )

    def charge_all(
        self,
        items: Sequence[ChargeItem],
        *,
        operation: str,
        request_id: str,
        reveals: Iterable[Reveal] = (),
    ) -> int:
        """Charge every item at once, or nothing (402) when the balance cannot pay the total.

        `reveals` are recorded as revealed in the same transaction, so a later reveal of them is free.
        Returns the credits charged.
        """
        priced = [(item, item.credits) for item in items if item.quantity > 0]
        total = sum(credits for _, credits in priced)
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                remaining = self._meta("remaining")
                if total > remaining:
                    self.db.execute("ROLLBACK")
                    payment_required(
                        f"Insufficient credits for this operation: it costs {total} credits and "
                        f"{remaining} remain"
                    )
                if total:
                    self.db.execute(
                        "UPDATE account_meta SET value = value - ? WHERE key = 'remaining'", (total,)
                    )
                    self.db.execute("UPDATE account_meta SET value = value + ? WHERE key = 'used'", (total,))
                self.db.executemany(
                    "INSERT INTO charges(at, request_id, operation, action, quantity, credits) VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (now, request_id, operation, item.action, item.quantity, credits)
                        for item, credits in priced
                    ],
                )
                self.db.executemany(
                    "INSERT OR IGNORE INTO revealed(entity, entity_id, field) VALUES (?, ?, ?)", list(reveals)
                )
                self.db.execute("COMMIT")
            except sqlite3.Error:
                self.db.execute("ROLLBACK")
                raise
        return total

    def can_pay(self, credits: int) -> bool:
        return credits <= self.remaining

    # --- revealed fields ---------------------------------------------------------------------
    def revealed_fields(self, entity: str, entity_ids: Sequence[str]) -> dict[str, set[str]]:
        """entity_id -> fields already revealed (and paid) by this account."""
        result: dict[str, set[str]] = {}
        if not entity_ids:
            return result
        with self.lock:
            for start in range(0, len(entity_ids), 500):
                chunk = list(entity_ids[start : start + 500])
                marks = ",".join("?" * len(chunk))
                rows = self.db.execute(
                    f"SELECT entity_id, field FROM revealed WHERE entity = ? AND entity_id IN ({marks})",
                    [entity, *chunk],
                ).fetchall()
                for entity_id, field in rows:
                    result.setdefault(str(entity_id), set()).add(str(field))
        return result

    # --- charge log (for /_sandbox/charges) ---------------------------------------------------
    def charge_log(self) -> dict[str, Any]:
        with self.lock:
            rows = self.db.execute(
                "SELECT at, request_id, operation, action, quantity, credits FROM charges ORDER BY seq"
            ).fetchall()
        calls: dict[str, dict[str, Any]] = {}
        total = 0
        for at, request_id, operation, action, quantity, credits in rows:
            call = calls.setdefault(
                request_id,
                {"requestId": request_id, "operation": operation, "at": at, "creditsCharged": 0, "items": []},
            )
            call["creditsCharged"] += credits
            call["items"].append({"action": action, "quantity": quantity, "credits": credits})
            total += credits
        return {
            "totalCreditsCharged": total,
            "creditsRemaining": self.remaining,
            "calls": list(calls.values()),
        }
