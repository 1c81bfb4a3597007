"""The SQLite reveal cache (the default `RevealStore`): revealed contacts and companies, kept so
the same data is never paid for twice.

SQLite in the data dir; entries expire after `cache_ttl_days`. Records are stored as the API's
JSON objects. `purge` removes personal data on request (all, or by contact id, email or domain).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from lusha_mcp.private import private_file
from lusha_mcp.storage.base import PurgeReport, Record
from lusha_mcp.storage.records import (
    company_domain,
    emails_of,
    linkedin_of,
    merge_revealed,
    normalize_domain,
    normalize_linkedin,
    only,
)

CACHE_FILE = "reveal-cache.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS contacts (
    id TEXT PRIMARY KEY,
    fields TEXT NOT NULL,
    data TEXT NOT NULL,
    linkedin TEXT,
    company_domain TEXT,
    stored_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS contact_emails (
    contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    email TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS contact_emails_email ON contact_emails(email);
CREATE INDEX IF NOT EXISTS contacts_linkedin ON contacts(linkedin);
CREATE INDEX IF NOT EXISTS contacts_domain ON contacts(company_domain);
CREATE TABLE IF NOT EXISTS companies (
    id TEXT PRIMARY KEY,
    domain TEXT,
    extras TEXT NOT NULL,
    data TEXT NOT NULL,
    stored_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS companies_domain ON companies(domain);
"""


class RevealCache:
    def __init__(self, data_dir: Path, ttl_days: float, *, clock: Callable[[], float] = time.time) -> None:
        self.path = private_file(data_dir / CACHE_FILE)
        self._ttl = ttl_days * 86_400
        self._clock = clock
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        # Purged and expired records are overwritten on disk, not left in free pages (the
        # default differs by platform: Debian's SQLite zeroes them, python.org builds do not).
        self._conn.execute("PRAGMA secure_delete=ON")
        self._conn.executescript(_SCHEMA)
        self.expire()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # --- RevealStore: each read or write is a few indexed statements, run on the event loop
    async def get_contacts(self, ids: Iterable[str], fields: Iterable[str]) -> dict[str, Record]:
        return self.contacts(ids, fields)

    async def contact_id_for(self, *, email: str | None = None, linkedin: str | None = None) -> str | None:
        return self.contact_id_by(email=email, linkedin=linkedin)

    async def company_id_for(self, domain: str) -> str | None:
        return self.company_id_by_domain(domain)

    async def store_contacts(self, records: Iterable[Mapping[str, Any]], fields: Sequence[str]) -> None:
        self.put_contacts(records, fields)

    async def get_companies(self, ids: Iterable[str], extras: Iterable[str]) -> dict[str, Record]:
        return self.companies(ids, extras)

    async def store_companies(self, records: Iterable[Mapping[str, Any]], extras: Sequence[str]) -> None:
        self.put_companies(records, extras)

    async def erase(
        self, *, contact_id: str | None = None, email: str | None = None, domain: str | None = None
    ) -> PurgeReport:
        return self.purge(contact_id=contact_id, email=email, domain=domain)

    async def aclose(self) -> None:
        self.close()

    def _fresh_after(self) -> float:
        return self._clock() - self._ttl

    def expire(self) -> None:
        cutoff = self._fresh_after()
        with self._lock:
            self._conn.execute("DELETE FROM contacts WHERE stored_at < ?", (cutoff,))
            self._conn.execute("DELETE FROM companies WHERE stored_at < ?", (cutoff,))

    # --- contacts --------------------------------------------------------------------------
    def contacts(self, ids: Iterable[str], fields: Iterable[str]) -> dict[str, Record]:
        """Cached contacts among `ids` whose `fields` were all revealed before, each with only
        those of its revealed fields that were asked for (phones revealed earlier are not served
        to a call that asks for emails, nor past a reveal allowlist that left phones out)."""
        wanted = set(fields)
        found: dict[str, Record] = {}
        cutoff = self._fresh_after()
        with self._lock:
            for contact_id in dict.fromkeys(ids):
                row = self._conn.execute(
                    "SELECT fields, data FROM contacts WHERE id = ? AND stored_at >= ?", (contact_id, cutoff)
                ).fetchone()
                if row is not None and wanted <= set(json.loads(row[0])):
                    found[contact_id] = only(json.loads(row[1]), set(json.loads(row[0])) - wanted)
        return found

    def contact_id_by(self, *, email: str | None = None, linkedin: str | None = None) -> str | None:
        cutoff = self._fresh_after()
        with self._lock:
            if email:
                row = self._conn.execute(
                    "SELECT c.id FROM contact_emails e JOIN contacts c ON c.id = e.contact_id"
                    " WHERE e.email = ? AND c.stored_at >= ?",
                    (email.strip().lower(), cutoff),
                ).fetchone()
                if row is not None:
                    return str(row[0])
            if linkedin:
                row = self._conn.execute(
                    "SELECT id FROM contacts WHERE linkedin = ? AND stored_at >= ?",
                    (normalize_linkedin(linkedin), cutoff),
                ).fetchone()
                if row is not None:
                    return str(row[0])
        return None

    def put_contacts(self, records: Iterable[Mapping[str, Any]], fields: Sequence[str]) -> None:
        now = self._clock()
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for record in records:
                    contact_id = record.get("id")
                    if not isinstance(contact_id, str) or not contact_id:
                        continue
                    row = self._conn.execute(
                        "SELECT fields, data FROM contacts WHERE id = ?", (contact_id,)
                    ).fetchone()
                    merged, revealed = merge_revealed(
                        record, fields, None if row is None else (json.loads(row[0]), json.loads(row[1]))
                    )
                    self._conn.execute(
                        "INSERT OR REPLACE INTO contacts (id, fields, data, linkedin, company_domain, stored_at)"
                        " VALUES (?, ?, ?, ?, ?, ?)",
                        (
                            contact_id,
                            json.dumps(sorted(revealed)),
                            json.dumps(merged),
                            linkedin_of(merged),
                            company_domain(merged),
                            now,
                        ),
                    )
                    self._conn.execute("DELETE FROM contact_emails WHERE contact_id = ?", (contact_id,))
                    self._conn.executemany(
                        "INSERT INTO contact_emails (contact_id, email) VALUES (?, ?)",
                        [(contact_id, email) for email in emails_of(merged)],
                    )
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # --- companies -------------------------------------------------------------------------
    def companies(self, ids: Iterable[str], extras: Iterable[str]) -> dict[str, Record]:
        """Cached companies among `ids` with all `extras`, each with only the extras asked for."""
        wanted = set(extras)
        found: dict[str, Record] = {}
        cutoff = self._fresh_after()
        with self._lock:
            for company_id in dict.fromkeys(ids):
                row = self._conn.execute(
                    "SELECT extras, data FROM companies WHERE id = ? AND stored_at >= ?", (company_id, cutoff)
                ).fetchone()
                if row is not None and wanted <= set(json.loads(row[0])):
                    found[company_id] = only(json.loads(row[1]), set(json.loads(row[0])) - wanted)
        return found

    def company_id_by_domain(self, domain: str) -> str | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT id FROM companies WHERE domain = ? AND stored_at >= ?",
                (normalize_domain(domain), self._fresh_after()),
            ).fetchone()
        return None if row is None else str(row[0])

    def put_companies(self, records: Iterable[Mapping[str, Any]], extras: Sequence[str]) -> None:
        now = self._clock()
        with self._lock:
            for record in records:
                company_id = record.get("id")
                if not isinstance(company_id, str) or not company_id:
                    continue
                row = self._conn.execute(
                    "SELECT extras, data FROM companies WHERE id = ?", (company_id,)
                ).fetchone()
                merged, revealed = merge_revealed(
                    record, extras, None if row is None else (json.loads(row[0]), json.loads(row[1]))
                )
                domain = merged.get("domain")
                self._conn.execute(
                    "INSERT OR REPLACE INTO companies (id, domain, extras, data, stored_at) VALUES (?, ?, ?, ?, ?)",
                    (
                        company_id,
                        normalize_domain(domain) if isinstance(domain, str) and domain else None,
                        json.dumps(sorted(revealed)),
                        json.dumps(merged),
                        now,
                    ),
                )

    # --- privacy ---------------------------------------------------------------------------
    def purge(
        self, *, contact_id: str | None = None, email: str | None = None, domain: str | None = None
    ) -> PurgeReport:
        """Delete cached data: everything when no selector is given, else what matches."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                contacts = companies = 0
                if contact_id is None and email is None and domain is None:
                    contacts = self._conn.execute("DELETE FROM contacts").rowcount
                    companies = self._conn.execute("DELETE FROM companies").rowcount
                    self._conn.execute("DELETE FROM contact_emails")
                if contact_id is not None:
                    contacts += self._conn.execute(
                        "DELETE FROM contacts WHERE id = ?", (contact_id,)
                    ).rowcount
                if email is not None:
                    contacts += self._conn.execute(
                        "DELETE FROM contacts WHERE id IN (SELECT contact_id FROM contact_emails WHERE email = ?)",
                        (email.strip().lower(),),
                    ).rowcount
                if domain is not None:
                    normalized = normalize_domain(domain)
                    contacts += self._conn.execute(
                        "DELETE FROM contacts WHERE company_domain = ?", (normalized,)
                    ).rowcount
                    companies += self._conn.execute(
                        "DELETE FROM companies WHERE domain = ?", (normalized,)
                    ).rowcount
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        if contact_id is None and email is None and domain is None:
            self.vacuum()
        return PurgeReport(contacts=contacts, companies=companies)

    def vacuum(self) -> None:
        with self._lock:
            self._conn.execute("VACUUM")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def counts(self) -> PurgeReport:
        with self._lock:
            contacts = self._conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0]
            companies = self._conn.execute("SELECT COUNT(*) FROM companies").fetchone()[0]
        return PurgeReport(contacts=int(contacts), companies=int(companies))


def purge_cache(
    data_dir: Path, *, contact_id: str | None = None, email: str | None = None, domain: str | None = None
) -> PurgeReport:
    """For `lusha-mcp purge`: remove cached personal data from the data dir."""
    cache = RevealCache(data_dir, ttl_days=36_500)
    try:
        return cache.purge(contact_id=contact_id, email=email, domain=domain)
    finally:
        cache.close()
