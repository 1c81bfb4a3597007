"""What both reveal caches store about a record: its lookup keys, and the fields revealed so far."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

from lusha_mcp.storage.base import Record


def normalize_domain(domain: str) -> str:
    value = domain.strip().lower()
    for prefix in ("https://", "http://"):
        value = value.removeprefix(prefix)
    value = value.split("/", 1)[0]
    return value.removeprefix("www.")


def normalize_linkedin(url: str) -> str:
    value = url.strip().lower().rstrip("/")
    for prefix in ("https://", "http://"):
        value = value.removeprefix(prefix)
    return value.removeprefix("www.")


def emails_of(record: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    for entry in cast(list[Any], record.get("emails") or []):
        address: object = cast(dict[str, Any], entry).get("email") if isinstance(entry, dict) else entry
        if isinstance(address, str) and address:
            found.append(address.strip().lower())
    return found


def company_domain(record: Mapping[str, Any]) -> str | None:
    company = record.get("company")
    domain: object = cast(dict[str, Any], company).get("domain") if isinstance(company, dict) else None
    return normalize_domain(domain) if isinstance(domain, str) and domain else None


def linkedin_of(record: Mapping[str, Any]) -> str | None:
    links = record.get("socialLinks")
    url: object = cast(dict[str, Any], links).get("linkedin") if isinstance(links, dict) else None
    return normalize_linkedin(url) if isinstance(url, str) and url else None


def only(record: Record, withheld: set[str]) -> Record:
    """`record` without the revealed fields (emails, phones, company extras) not asked for."""
    return {key: value for key, value in record.items() if key not in withheld}


def merge_revealed(
    record: Mapping[str, Any], fields: Iterable[str], old: tuple[Iterable[str], Record] | None
) -> tuple[Record, set[str]]:
    """`record` as revealed now with `fields`, plus the fields an earlier reveal (`old`: its
    fields and record) kept that this one did not ask for; and all the fields revealed so far."""
    merged: Record = dict(record)
    revealed = set(fields)
    if old is not None:
        old_fields, old_record = set(old[0]), old[1]
        for name in old_fields - revealed:
            if name in old_record:
                merged[name] = old_record[name]
        revealed |= old_fields
    return merged, revealed
