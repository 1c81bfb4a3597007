"""Matching the identifiers of search requests to dataset rows."""

from __future__ import annotations

import sqlite3
from typing import Any
from urllib.parse import urlsplit

from lusha_mcp.sandbox.validation import FieldCheck, JsonObject

CONTACT_IDENTIFIERS = "id, linkedinUrl, email, or firstName + lastName + companyName/companyDomain"
COMPANY_IDENTIFIERS = "id, domain, or name"


def bare_domain(value: str) -> str:
    """`https://www.Lusha.com/about` -> `lusha.com`."""
    text = value.strip().lower()
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    if "://" in text:
        text = urlsplit(text).netloc or text
    text = text.split("/", 1)[0].split(":", 1)[0]
    return text.removeprefix("www.").strip(".")


def linkedin_url(value: str) -> str:
    """Canonical form of a LinkedIn profile or company URL as the dataset stores it."""
    text = value.strip().lower().rstrip("/")
    if "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    path = parts.path.rstrip("/")
    return f"https://www.linkedin.com{path}"


def check_contact_item(fields: FieldCheck, item: JsonObject, at: str) -> None:
    """Validate one contact search item: known fields, string types, one usable identifier."""
    fields.unknown_keys(
        item,
        [
            "clientReferenceId",
            "id",
            "linkedinUrl",
            "email",
            "firstName",
            "lastName",
            "companyName",
            "companyDomain",
        ],
        at=at,
    )
    values = {
        key: fields.string(item, key, at=at)
        for key in (
            "clientReferenceId",
            "id",
            "linkedinUrl",
            "email",
            "firstName",
            "lastName",
            "companyName",
            "companyDomain",
        )
    }
    email = values["email"]
    if email is not None and ("@" not in email or "." not in email.rsplit("@", 1)[-1]):
        fields.fail(f"{at}.email", "must be a valid email address")
    by_name = (
        values["firstName"] and values["lastName"] and (values["companyName"] or values["companyDomain"])
    )
    if not (values["id"] or values["linkedinUrl"] or values["email"] or by_name):
        fields.fail(at, f"needs one identifier: {CONTACT_IDENTIFIERS}")


def check_company_item(fields: FieldCheck, item: JsonObject, at: str) -> None:
    fields.unknown_keys(item, ["clientReferenceId", "id", "name", "domain"], at=at)
    values = {key: fields.string(item, key, at=at) for key in ("clientReferenceId", "id", "name", "domain")}
    if not (values["id"] or values["name"] or values["domain"]):
        fields.fail(at, f"needs one identifier: {COMPANY_IDENTIFIERS}")


def _first(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> str | None:
    row = conn.execute(sql, params).fetchone()
    return None if row is None else str(row[0])


def find_company_id(conn: sqlite3.Connection, item: JsonObject) -> str | None:
    if item.get("id"):
        return _first(conn, "SELECT id FROM companies WHERE id = ?", (str(item["id"]),))
    if item.get("domain"):
        found = _first(conn, "SELECT id FROM companies WHERE domain = ?", (bare_domain(str(item["domain"])),))
        if found is not None or not item.get("name"):
            return found
    if item.get("name"):
        return _first(
            conn,
            "SELECT id FROM companies WHERE name_lower = ? ORDER BY seq LIMIT 1",
            (str(item["name"]).strip().lower(),),
        )
    return None


def find_contact_id(conn: sqlite3.Connection, item: JsonObject) -> str | None:
    if item.get("id"):
        return _first(conn, "SELECT id FROM contacts WHERE id = ?", (str(item["id"]),))
    if item.get("linkedinUrl"):
        found = _first(
            conn, "SELECT id FROM contacts WHERE linkedin_url = ?", (linkedin_url(str(item["linkedinUrl"])),)
        )
        if found is not None:
            return found
    if item.get("email"):
        found = _first(
            conn,
            "SELECT contact_id FROM contact_emails WHERE email = ?",
            (str(item["email"]).strip().lower(),),
        )
        if found is not None:
            return found
    first, last = item.get("firstName"), item.get("lastName")
    if first and last and (item.get("companyDomain") or item.get("companyName")):
        company_id = find_company_id(
            conn, {"domain": item.get("companyDomain"), "name": item.get("companyName")}
        )
        if company_id is None:
            return None
        full_name = f"{str(first).strip()} {str(last).strip()}".lower()
        return _first(
            conn,
            "SELECT id FROM contacts WHERE company_id = ? AND full_name_lower = ? ORDER BY seq LIMIT 1",
            (company_id, full_name),
        )
    return None
