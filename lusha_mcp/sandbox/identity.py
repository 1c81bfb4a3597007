"""Resolving the identifiers callers send (id, domain, name, email, LinkedIn URL) to dataset rows.

Every lookup goes through an indexed column of the core tables (ids, `domain`, `name_lower`,
`linkedin_url`, `full_name_lower`, and the `contact_emails` table).
"""

from __future__ import annotations

import sqlite3
from typing import Any

_COMPANY: str = "SELECT id, name, domain FROM companies "
_CONTACT: str = (
    "SELECT c.id, c.first_name, c.last_name, k.id, k.name, k.domain FROM contacts c "
    "LEFT JOIN companies k ON k.id = c.company_id "
)


def bare_domain(value: str) -> str:
    """`https://www.Acme.com/x` -> `acme.com`."""
    domain = value.strip().lower()
    for prefix in ("https://", "http://"):
        domain = domain.removeprefix(prefix)
    return domain.split("/", 1)[0].removeprefix("www.")


def linkedin_variants(url: str) -> tuple[str, str, str, str]:
    """The spellings a stored LinkedIn URL may have: with/without `www.` and trailing slash."""
    bare = url.strip().lower().rstrip("/").replace("http://", "https://")
    bare = bare.replace("://www.linkedin.com", "://linkedin.com")
    www = bare.replace("://linkedin.com", "://www.linkedin.com")
    return bare, www, bare + "/", www + "/"


def find_company(conn: sqlite3.Connection, key: str, value: str) -> tuple[Any, ...] | None:
    """(id, name, domain) of the company that `key` (id, name, domain, email, linkedinUrl) names."""
    if key == "id":
        row = conn.execute(_COMPANY + "WHERE id = ?", (value,)).fetchone()
    elif key == "name":
        row = conn.execute(
            _COMPANY + "WHERE name_lower = ? ORDER BY seq LIMIT 1", (value.strip().lower(),)
        ).fetchone()
    elif key == "linkedinUrl":
        row = conn.execute(
            _COMPANY + "WHERE linkedin_url IN (?, ?, ?, ?) ORDER BY seq LIMIT 1", linkedin_variants(value)
        ).fetchone()
    else:
        domain = bare_domain(value.rsplit("@", 1)[1] if key == "email" else value)
        row = conn.execute(_COMPANY + "WHERE domain IN (?, ?)", (domain, "www." + domain)).fetchone()
    return None if row is None else tuple(row)


def find_contact(conn: sqlite3.Connection, item: dict[str, str]) -> tuple[Any, ...] | None:
    """(id, first name, last name, company id, company name, company domain) of the contact named by
    `id`, `linkedinUrl`, `email`, or `firstName` + `lastName` + (`companyName` | `companyDomain`)."""
    if "id" in item:
        row = conn.execute(_CONTACT + "WHERE c.id = ?", (item["id"],)).fetchone()
    elif "linkedinUrl" in item:
        row = conn.execute(
            _CONTACT + "WHERE c.linkedin_url IN (?, ?, ?, ?) ORDER BY c.seq LIMIT 1",
            linkedin_variants(item["linkedinUrl"]),
        ).fetchone()
    elif "email" in item:
        row = conn.execute(
            _CONTACT + "WHERE c.id = (SELECT contact_id FROM contact_emails WHERE email = ?)",
            (item["email"].strip().lower(),),
        ).fetchone()
    else:
        company = (
            find_company(conn, "name", item["companyName"])
            if "companyName" in item
            else find_company(conn, "domain", item["companyDomain"])
        )
        if company is None:
            return None
        full_name = f"{item['firstName'].strip()} {item['lastName'].strip()}".lower()
        row = conn.execute(
            _CONTACT + "WHERE c.company_id = ? AND c.full_name_lower = ? ORDER BY c.seq LIMIT 1",
            (company[0], full_name),
        ).fetchone()
    return None if row is None else tuple(row)
