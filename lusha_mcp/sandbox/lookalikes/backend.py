"""State and behaviour of lookalikes: dedupe sessions, resolving seeds, ranking candidates.

A contact result shares a seed's seniority and either one of its departments or its company's
industry; ranking adds company size band and country. A company result shares a seed's
industry, ranked by sub-industry, size band, country and shared technologies. Ties are broken
by a stable hash of the id.

The first call (no `dedupeSessionId`) opens a session; each later call with it returns only
entities not returned before in that session. Sessions live in the account database and expire
30 days after their last use; an unknown or expired id answers 410. Billing: `lookalikeContact`
/ `lookalikeCompany` per result (and the table write's own charges with a `tableId`).
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from lusha_mcp.sandbox.account import AccountState, ChargeItem
from lusha_mcp.sandbox.errors import LushaHTTPError, bad_request, not_found
from lusha_mcp.sandbox.identity import bare_domain, find_company, find_contact
from lusha_mcp.sandbox.lookalikes.records import (
    COMPANY_SELECT,
    CONTACT_SELECT,
    ContactProfile,
    JsonObject,
    company_json,
    contact_json,
    contact_profile,
    size_band,
    technologies,
)
from lusha_mcp.sandbox.state import Charger
from lusha_mcp.sandbox.tables.backend import TablesBackend

SESSION_TTL_S: Final = 30 * 86_400

Kind = Literal["contact", "company"]

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS lookalike_sessions (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, created_at REAL NOT NULL, last_used_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS lookalike_session_items (
    session_id TEXT NOT NULL, entity_id TEXT NOT NULL, PRIMARY KEY (session_id, entity_id)) WITHOUT ROWID;
"""


class LookalikeSessions:
    """Dedupe sessions in the account database: which entities each session has returned."""

    def __init__(self, account: AccountState) -> None:
        self.db = account.db
        self.lock = account.lock
        with self.lock:
            self.db.executescript(_SCHEMA)

    def open(self, kind: Kind) -> str:
        session_id = str(uuid.uuid4())
        now = time.time()
        with self.lock:
            self.db.execute(
                "INSERT INTO lookalike_sessions(id, kind, created_at, last_used_at) VALUES (?, ?, ?, ?)",
                (session_id, kind, now, now),
            )
        return session_id

    def is_live(self, session_id: str, kind: Kind) -> bool:
        with self.lock:
            row = self.db.execute(
                "SELECT kind, last_used_at FROM lookalike_sessions WHERE id = ?", (session_id,)
            ).fetchone()
            if row is not None and time.time() - float(row[1]) > SESSION_TTL_S:
                self.db.execute("DELETE FROM lookalike_session_items WHERE session_id = ?", (session_id,))
                self.db.execute("DELETE FROM lookalike_sessions WHERE id = ?", (session_id,))
                return False
        return row is not None and row[0] == kind

    def seen(self, session_id: str) -> set[str]:
        with self.lock:
            rows = self.db.execute(
                "SELECT entity_id FROM lookalike_session_items WHERE session_id = ?", (session_id,)
            ).fetchall()
        return {str(row[0]) for row in rows}

    def record(self, session_id: str, entity_ids: Iterable[str]) -> None:
        with self.lock:
            self.db.executemany(
                "INSERT OR IGNORE INTO lookalike_session_items(session_id, entity_id) VALUES (?, ?)",
                [(session_id, entity_id) for entity_id in entity_ids],
            )
            self.db.execute(
                "UPDATE lookalike_sessions SET last_used_at = ? WHERE id = ?", (time.time(), session_id)
            )

    def age(self, session_id: str, days: float) -> bool:
        with self.lock:
            cursor = self.db.execute(
                "UPDATE lookalike_sessions SET last_used_at = last_used_at - ? WHERE id = ?",
                (days * 86_400, session_id),
            )
        return cursor.rowcount > 0


def _gone(kind: Kind) -> LushaHTTPError:
    message = (
        "The provided dedupeSessionId is invalid or expired. Send the request without dedupeSessionId "
        "to start a fresh session."
    )
    if kind == "contact":
        return LushaHTTPError(410, body={"code": "DEDUPE_SESSION_INVALID", "message": message})
    return LushaHTTPError(410, message)


def _tiebreak(entity_id: str) -> str:
    return hashlib.blake2b(entity_id.encode(), digest_size=8).hexdigest()


def _contact_score(candidate: ContactProfile, seeds: Sequence[ContactProfile]) -> float:
    best = 0.0
    for seed in seeds:
        if candidate.seniority != seed.seniority:
            continue
        shares_department = bool(candidate.departments & seed.departments)
        same_industry = bool(candidate.industry) and candidate.industry == seed.industry
        if not (shares_department or same_industry):
            continue
        score = 3.0 + 3.0 * shares_department + 2.0 * same_industry
        score += 1.0 * (candidate.size_band == seed.size_band) + 0.5 * (candidate.country == seed.country)
        best = max(best, score)
    return best


def _company_score(candidate: Sequence[Any], seeds: Sequence[Sequence[Any]]) -> float:
    best = 0.0
    for seed in seeds:
        if not candidate[3] or candidate[3] != seed[3]:
            continue
        score = 4.0 + 2.0 * (candidate[4] == seed[4]) + 2.0 * (size_band(candidate[5]) == size_band(seed[5]))
        score += 1.0 * (candidate[6] == seed[6]) + 0.5 * (candidate[7] == seed[7])
        score += min(2.0, 0.5 * len(technologies(candidate[8]) & technologies(seed[8])))
        best = max(best, score)
    return best


@dataclass(frozen=True, slots=True)
class LookalikePage:
    """One answer: the session it belongs to, its results, whether more remain, the table write."""

    session_id: str
    results: list[JsonObject]
    has_more: bool
    table_write: JsonObject | None
    credits: int


class LookalikesBackend:
    """Contact and company lookalikes of one sandbox app."""

    def __init__(
        self, dataset: sqlite3.Connection, sessions: LookalikeSessions, tables: TablesBackend
    ) -> None:
        self.dataset = dataset
        self.sessions = sessions
        self.tables = tables

    def live_session(self, raw: str | None, kind: Kind) -> str | None:
        """The live session `raw` names (410 when it is not a live session of `kind`), or None."""
        if raw is None:
            return None
        try:
            session_id = str(uuid.UUID(raw))
        except ValueError:
            raise _gone(kind) from None
        if not self.sessions.is_live(session_id, kind):
            raise _gone(kind)
        return session_id

    def age(self, session_id: str, days: float) -> None:
        """Move a session's last use back by `days` (404 for an unknown session)."""
        if not self.sessions.age(session_id, days):
            not_found(f"No lookalike session '{session_id}'")

    def _page(
        self,
        kind: Kind,
        session_id: str | None,
        ranked: list[tuple[float, str, Sequence[Any]]],
        limit: int,
        table_id: str | None,
        charge: Charger,
    ) -> LookalikePage:
        """The best `limit` candidates, charged (with the table write), recorded in the session."""
        ranked.sort(key=lambda item: (item[0], item[1]))
        render = contact_json if kind == "contact" else company_json
        page = [render(row) for _, _, row in ranked[:limit]]
        ids = [str(item["id"]) for item in page]
        write = self.tables.prepare_write("contacts" if kind == "contact" else "companies", table_id, ids)
        action = "lookalikeContact" if kind == "contact" else "lookalikeCompany"
        credits = charge([ChargeItem(action, len(page)), *(write.charges if write else [])], ())
        if session_id is None:
            session_id = self.sessions.open(kind)
        self.sessions.record(session_id, ids)
        return LookalikePage(session_id, page, len(ranked) > limit, write.apply() if write else None, credits)

    @staticmethod
    def _seeds(kind: Kind, found: list[str], sent: int) -> list[str]:
        """The seeds' ids; 400 when none of them is known."""
        if not found:
            hint = (
                "LinkedIn URLs, emails or ids of known contacts"
                if kind == "contact"
                else ("domains or LinkedIn URLs of known companies")
            )
            bad_request([f"seeds: none of the {sent} seeds matches a {kind}; send {hint}"])
        return found

    @staticmethod
    def _rank(
        rows: Iterable[Sequence[Any]],
        blocked: Callable[[Sequence[Any]], bool],
        score: Callable[[Sequence[Any]], float],
    ) -> list[tuple[float, str, Sequence[Any]]]:
        """The candidates not blocked with a positive score, as (-score, tiebreak, row)."""
        ranked: list[tuple[float, str, Sequence[Any]]] = []
        for row in rows:
            if not blocked(row) and (value := score(row)) > 0:
                ranked.append((-value, _tiebreak(str(row[0])), row))
        return ranked

    def _resolve_contacts(self, items: Sequence[dict[str, str]]) -> list[str]:
        found = [str(row[0]) for item in items if (row := find_contact(self.dataset, item)) is not None]
        return list(dict.fromkeys(found))

    def contacts(
        self,
        seeds: Sequence[dict[str, str]],
        exclude: Sequence[dict[str, str]],
        limit: int,
        session_id: str | None,
        table_id: str | None,
        charge: Charger,
    ) -> LookalikePage:
        """Contacts like the seeds (find_contact items), none excluded or seen in the session."""
        seed_ids = self._seeds("contact", self._resolve_contacts(seeds), len(seeds))
        marks = ",".join("?" * len(seed_ids))
        seed_profiles = [
            contact_profile(row)
            for row in self.dataset.execute(CONTACT_SELECT + f"WHERE c.id IN ({marks})", seed_ids)
        ]
        blocked = set(seed_ids) | set(self._resolve_contacts(exclude))
        if session_id is not None:
            blocked |= self.sessions.seen(session_id)
        seniorities = sorted({profile.seniority for profile in seed_profiles})
        rows = self.dataset.execute(
            CONTACT_SELECT + f"WHERE c.seniority IN ({','.join('?' * len(seniorities))})", seniorities
        ).fetchall()
        ranked = self._rank(
            rows,
            lambda row: str(row[0]) in blocked,
            lambda row: _contact_score(contact_profile(row), seed_profiles),
        )
        return self._page("contact", session_id, ranked, limit, table_id, charge)

    def _resolve_companies(self, items: Sequence[tuple[str, str]]) -> list[str]:
        found = [
            row[0] for key, value in items if (row := find_company(self.dataset, key, value)) is not None
        ]
        return list(dict.fromkeys(str(item) for item in found))

    def companies(
        self,
        seeds: Sequence[tuple[str, str]],
        exclude: Sequence[tuple[str, str]],
        limit: int,
        session_id: str | None,
        table_id: str | None,
        charge: Charger,
    ) -> LookalikePage:
        """Companies like the seeds ((domain | linkedinUrl, value) pairs), none excluded or seen."""
        seed_ids = self._seeds("company", self._resolve_companies(seeds), len(seeds))
        marks = ",".join("?" * len(seed_ids))
        seed_rows = self.dataset.execute(COMPANY_SELECT + f"WHERE id IN ({marks})", seed_ids).fetchall()
        blocked = set(seed_ids) | set(self._resolve_companies(exclude))
        blocked_domains = {bare_domain(value) for key, value in exclude if key == "domain"}
        if session_id is not None:
            blocked |= self.sessions.seen(session_id)
        industries = sorted({str(row[3]) for row in seed_rows if row[3]})
        rows = self.dataset.execute(
            COMPANY_SELECT + f"WHERE industry IN ({','.join('?' * len(industries))})", industries
        ).fetchall()
        ranked = self._rank(
            rows,
            lambda row: str(row[0]) in blocked or bare_domain(str(row[2] or "")) in blocked_domains,
            lambda row: _company_score(row, seed_rows),
        )
        return self._page("company", session_id, ranked, limit, table_id, charge)
