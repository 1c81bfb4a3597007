"""Resolving the identifiers callers send (id, domain, name, email, LinkedIn URL) to dataset rows."""

from __future__ import annotations

import sqlite3
from typing import Any


def find_company(conn: sqlite3.Connection, key: str, value: str) -> tuple[Any, ...] | None:
    """(id, name, domain) of the company `key` (id, name, domain, email or linkedinUrl) names, or None."""
    if key == "id":
        row = conn.execute("SELECT id, name, domain FROM companies WHERE id = ?", (value,)).fetchone()
    elif key == "name":
        row = conn.execute(
            "SELECT id, name, domain FROM companies WHERE lower(name) = lower(?) ORDER BY id LIMIT 1",
            (value,),
        ).fetchone()
    elif key == "linkedinUrl":
        row = conn.execute(
            "SELECT id, name, domain FROM companies WHERE rtrim(lower(linkedin_url), '/') IN (?, ?) ORDER BY id LIMIT 1",
            linkedin_variants(value),
        ).fetchone()
    else:
        domain = value.split("@", 1)[1] if key == "email" else value
        row = conn.execute(
            "SELECT id, name, domain FROM companies WHERE lower(domain) = ? ORDER BY id LIMIT 1",
            (bare_domain(domain),),
        ).fetchone()
        if row is None:
            row = conn.execute(
                "SELECT id, name, domain FROM companies WHERE lower(domain) = ? ORDER BY id LIMIT 1",
                ("www." + bare_domain(domain),),
            ).fetchone()
    return None if row is None else tuple(row)


def linkedin_variants(url: str) -> tuple[str, str]:
    """A LinkedIn URL lower-cased without trailing slash, with and without `www.`."""
    bare = url.strip().lower().rstrip("/").replace("://www.linkedin.com", "://linkedin.com")
    return bare, bare.replace("://linkedin.com", "://www.linkedin.com")


def bare_domain(value: str) -> str:
    """`https://www.Acme.com/x` -> `acme.com`."""
    domain = value.strip().lower()
    for prefix in ("https://", "http://"):
        domain = domain.removeprefix(prefix)
    return domain.split("/", 1)[0].removeprefix("www.")


def find_contact(conn: sqlite3.Connection, item: dict[str, str]) -> tuple[Any, ...] | None:
    """(id, first name, last name, company id, company name, company domain) of the contact named by
    `id`, `linkedinUrl`, `email`, or `firstName` + `lastName` + (`companyName` | `companyDomain`)."""
    select = (
        "SELECT c.id, c.first_name, c.last_name, k.id, k.name, k.domain FROM contacts c "
        "LEFT JOIN companies k ON k.id = c.company_id "
    )
    if "id" in item:
        row = conn.execute(select + "WHERE c.id = ?", (item["id"],)).fetchone()
    elif "linkedinUrl" in item:
        row = conn.execute(
            select + "WHERE rtrim(lower(c.linkedin_url), '/') IN (?, ?) ORDER BY c.id LIMIT 1",
            linkedin_variants(item["linkedinUrl"]),
        ).fetchone()
    elif "email" in item:
        row = conn.execute(
            select + "WHERE EXISTS (SELECT 1 FROM json_each(c.emails) e WHERE lower(coalesce("
            "CASE WHEN json_type(e.value) = 'object' THEN json_extract(e.value, '$.email') END, e.value)) = lower(?)) "
            "ORDER BY c.id LIMIT 1",
            (item["email"],),
        ).fetchone()
    else:
        company_match = (
            "lower(k.name) = lower(?)"
            if "companyName" in item
            else "lower(replace(k.domain, 'www.', '')) = ?"
        )
        company_value = item["companyName"] if "companyName" in item else bare_domain(item["companyDomain"])
        row = conn.execute(
            select
            + f"WHERE lower(c.first_name) = lower(?) AND lower(c.last_name) = lower(?) AND {company_match} "
            "ORDER BY c.id LIMIT 1",
            (item["firstName"], item["lastName"], company_value),
        ).fetchone()
    return None if row is None else tuple(row)
