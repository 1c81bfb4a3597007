"""Lookalikes: contacts and companies similar to a set of seeds, paged by dedupe sessions.

Contacts (POST /v3/contacts/lookalike) take 5-100 seeds (LinkedIn URLs, emails, ids, legacy
numeric contactIds, or name + company). A result shares a seed's seniority and either one of
its departments or its company's industry; ranking adds company size band and country.
Companies (POST /v3/companies/lookalike) take 1-100 seeds (domains, LinkedIn URLs); a result
shares a seed's industry, ranked by sub-industry, size band, country and shared technologies.

The first call (no `dedupeSessionId`) opens a session; each later call with it returns only
entities not returned before in that session. Sessions live in the account database and expire
30 days after their last use; an unknown or expired id answers 410. Billing: `lookalikeContact`
/ `lookalikeCompany` per result. Sandbox control (tests): `POST /_sandbox/lookalikes/age
{"dedupeSessionId": "...", "days": 31}` moves a session's last use back by `days`.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, cast

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lusha_mcp.sandbox.account import AccountState, ChargeItem
from lusha_mcp.sandbox.errors import LushaHTTPError, bad_request, not_found
from lusha_mcp.sandbox.identity import bare_domain, find_company, find_contact
from lusha_mcp.sandbox.state import billing_json, lusha_json, request_id, sandbox_state
from lusha_mcp.sandbox.tables.backend import tables_backend
from lusha_mcp.sandbox.validation import FieldCheck, JsonObject, read_json_object

SESSION_TTL_S: Final = 30 * 86_400
MIN_CONTACT_SEEDS: Final = 5
MAX_SEEDS: Final = 100
DEFAULT_LIMIT: Final = 25

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


def _sessions(request: Request) -> LookalikeSessions:
    state = request.app.state
    sessions = cast(LookalikeSessions | None, getattr(state, "lookalike_sessions", None))
    if sessions is None:
        sessions = LookalikeSessions(sandbox_state(request).account)
        state.lookalike_sessions = sessions
    return sessions


def _gone(kind: Kind) -> LushaHTTPError:
    message = (
        "The provided dedupeSessionId is invalid or expired. Send the request without dedupeSessionId "
        "to start a fresh session."
    )
    if kind == "contact":
        return LushaHTTPError(410, body={"code": "DEDUPE_SESSION_INVALID", "message": message})
    return LushaHTTPError(410, message)


def _session(request: Request, check: FieldCheck, body: JsonObject, kind: Kind) -> str | None:
    """The live session the body names (410 when invalid or expired), or None for a new one."""
    raw = check.string(body, "dedupeSessionId")
    if raw is None:
        return None
    try:
        session_id = str(uuid.UUID(raw))
    except ValueError:
        raise _gone(kind) from None
    if not _sessions(request).is_live(session_id, kind):
        raise _gone(kind)
    return session_id


def _tiebreak(entity_id: str) -> str:
    return hashlib.blake2b(entity_id.encode(), digest_size=8).hexdigest()


def _size_band(size_min: Any) -> int:
    return int(size_min or 0)


# --- contacts ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ContactProfile:
    id: str
    seniority: str
    departments: frozenset[str]
    industry: str
    size_band: int
    country: str


_CONTACT_SELECT: Final = (
    "SELECT c.id, c.seniority, c.departments, k.industry, k.size_min, c.country, c.first_name, c.last_name, "
    "c.linkedin_url, k.id, k.name, k.domain, c.job_title, c.state, c.city FROM contacts c "
    "LEFT JOIN companies k ON k.id = c.company_id "
)


def _contact_profile(row: Sequence[Any]) -> _ContactProfile:
    departments: list[Any] = json.loads(row[2]) if row[2] else []
    return _ContactProfile(
        id=str(row[0]),
        seniority=str(row[1] or ""),
        departments=frozenset(str(item) for item in departments),
        industry=str(row[3] or ""),
        size_band=_size_band(row[4]),
        country=str(row[5] or ""),
    )


def _contact_batch(check: FieldCheck, body: JsonObject, key: str) -> list[dict[str, str]]:
    """The identifiers of a ContactIdentifiersBatch as find_contact items."""
    batch = body.get(key)
    if batch is None:
        return []
    if not isinstance(batch, dict):
        check.fail(key, "must be an object with linkedinUrls, emails, ids, contactIds or contacts")
        return []
    obj = cast(JsonObject, batch)
    check.unknown_keys(obj, ("linkedinUrls", "emails", "ids", "contactIds", "contacts"), at=key)
    items: list[dict[str, str]] = []
    for url in check.strings(obj, "linkedinUrls", at=key, max_items=MAX_SEEDS) or []:
        items.append({"linkedinUrl": url})
    for email in check.strings(obj, "emails", at=key, max_items=MAX_SEEDS) or []:
        if "@" not in email:
            check.fail(f"{key}.emails", f"'{email}' is not a valid email address")
        items.append({"email": email})
    for contact_id in check.strings(obj, "ids", at=key, max_items=MAX_SEEDS) or []:
        items.append({"id": contact_id})
    numbers = check.array(obj, "contactIds", at=key, max_items=MAX_SEEDS) or []
    for index, number in enumerate(numbers):
        if isinstance(number, bool) or not isinstance(number, int):
            check.fail(f"{key}.contactIds[{index}]", "must be an integer (or send it as a string in ids)")
        else:
            items.append({"id": str(number)})
    contacts = check.objects(check.array(obj, "contacts", at=key, max_items=MAX_SEEDS), at=f"{key}.contacts")
    for index, contact in contacts:
        at = f"{key}.contacts[{index}]"
        check.unknown_keys(contact, ("firstName", "lastName", "companyDomain", "companyName"), at=at)
        first = check.string(contact, "firstName", at=at, required=True)
        last = check.string(contact, "lastName", at=at, required=True)
        domain = check.string(contact, "companyDomain", at=at)
        name = check.string(contact, "companyName", at=at)
        if domain is None and name is None:
            check.fail(at, "needs companyDomain or companyName")
        elif first is not None and last is not None:
            item = {"firstName": first, "lastName": last}
            item |= {"companyDomain": domain} if domain is not None else {"companyName": cast(str, name)}
            items.append(item)
    return items


def _resolve_contacts(conn: sqlite3.Connection, items: Sequence[dict[str, str]]) -> list[str]:
    found: list[str] = []
    for item in items:
        row = find_contact(conn, item)
        if row is not None:
            found.append(str(row[0]))
    return list(dict.fromkeys(found))


def _contact_result(row: Sequence[Any]) -> dict[str, Any]:
    departments: list[Any] = json.loads(row[2]) if row[2] else []
    result: dict[str, Any] = {"id": str(row[0]), "firstName": row[6], "lastName": row[7]}
    if row[8]:
        result["socialLinks"] = {"linkedin": row[8]}
    if row[9] is not None:
        result["company"] = {"id": str(row[9]), "name": row[10], "domain": row[11]}
    result["jobTitle"] = {
        "title": row[12],
        "departments": [str(item) for item in departments],
        "seniority": row[1],
    }
    location = {
        key: value for key, value in (("country", row[5]), ("state", row[13]), ("city", row[14])) if value
    }
    if location:
        result["location"] = location
    return result


def _contact_score(candidate: _ContactProfile, seeds: Sequence[_ContactProfile]) -> float:
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


async def contact_lookalikes(request: Request) -> JSONResponse:
    body = await read_json_object(request)
    check = FieldCheck()
    check.unknown_keys(body, ("tableId", "dedupeSessionId", "seeds", "exclude", "limit"))
    session_id = _session(request, check, body, "contact")
    if body.get("seeds") is None:
        check.fail(
            "seeds",
            "is required: send 5-100 contacts as linkedinUrls, emails, ids or contacts (name + company)",
        )
    seeds = _contact_batch(check, body, "seeds")
    if body.get("seeds") is not None and not MIN_CONTACT_SEEDS <= len(seeds) <= MAX_SEEDS:
        check.fail("seeds", f"must hold {MIN_CONTACT_SEEDS}-{MAX_SEEDS} contacts in total, got {len(seeds)}")
    exclude = _contact_batch(check, body, "exclude")
    limit = check.integer(body, "limit", minimum=1, maximum=100) or DEFAULT_LIMIT
    check.raise_if_any()
    state = sandbox_state(request)
    conn = state.dataset
    seed_ids = _resolve_contacts(conn, seeds)
    if not seed_ids:
        bad_request(
            [
                f"seeds: none of the {len(seeds)} seeds matches a contact; send LinkedIn URLs, emails or ids of known contacts"
            ]
        )
    marks = ",".join("?" * len(seed_ids))
    seed_profiles = [
        _contact_profile(row) for row in conn.execute(_CONTACT_SELECT + f"WHERE c.id IN ({marks})", seed_ids)
    ]
    blocked = set(seed_ids) | set(_resolve_contacts(conn, exclude))
    sessions = _sessions(request)
    if session_id is not None:
        blocked |= sessions.seen(session_id)
    seniorities = sorted({profile.seniority for profile in seed_profiles})
    rows = conn.execute(
        _CONTACT_SELECT + f"WHERE c.seniority IN ({','.join('?' * len(seniorities))})", seniorities
    ).fetchall()
    ranked: list[tuple[float, str, Sequence[Any]]] = []
    for row in rows:
        if str(row[0]) in blocked:
            continue
        score = _contact_score(_contact_profile(row), seed_profiles)
        if score > 0:
            ranked.append((-score, _tiebreak(str(row[0])), row))
    ranked.sort(key=lambda item: (item[0], item[1]))
    page = [_contact_result(row) for _, _, row in ranked[:limit]]
    write = tables_backend(request).prepare_write(
        "contacts", body.get("tableId"), [item["id"] for item in page]
    )
    charges = [ChargeItem("lookalikeContact", len(page)), *(write.charges if write else [])]
    credits = state.charge_all(request, charges)
    if session_id is None:
        session_id = sessions.open("contact")
    sessions.record(session_id, [item["id"] for item in page])
    return lusha_json(
        {
            "dedupeSessionId": session_id,
            "results": page,
            "meta": {"returned": len(page), "hasMore": len(ranked) > limit},
            **({"tableWrite": write.apply()} if write else {}),
            "billing": billing_json(credits, len(page)),
        }
    )


# --- companies ---------------------------------------------------------------------------------

_COMPANY_SELECT: Final = (
    "SELECT id, name, domain, industry, sub_industry, size_min, country, continent, technologies, "
    "employees, state, city, linkedin_url FROM companies "
)


def _company_batch(check: FieldCheck, body: JsonObject, key: str) -> list[tuple[str, str]]:
    batch = body.get(key)
    if batch is None:
        return []
    if not isinstance(batch, dict) or not batch:
        check.fail(key, "must be an object with domains and/or linkedinUrls")
        return []
    obj = cast(JsonObject, batch)
    check.unknown_keys(obj, ("domains", "linkedinUrls"), at=key)
    items = [
        ("domain", domain) for domain in check.strings(obj, "domains", at=key, max_items=MAX_SEEDS) or []
    ]
    items += [
        ("linkedinUrl", url) for url in check.strings(obj, "linkedinUrls", at=key, max_items=MAX_SEEDS) or []
    ]
    return items


def _resolve_companies(conn: sqlite3.Connection, items: Sequence[tuple[str, str]]) -> list[str]:
    found = [row[0] for key, value in items if (row := find_company(conn, key, value)) is not None]
    return list(dict.fromkeys(str(item) for item in found))


def _technologies(raw: Any) -> frozenset[str]:
    if not raw:
        return frozenset()
    values: list[Any] = json.loads(raw)
    names: set[str] = set()
    for item in values:
        names.add(str(cast(dict[str, Any], item).get("name")) if isinstance(item, dict) else str(item))
    return frozenset(names)


def _company_score(candidate: Sequence[Any], seeds: Sequence[Sequence[Any]]) -> float:
    best = 0.0
    for seed in seeds:
        if not candidate[3] or candidate[3] != seed[3]:
            continue
        score = (
            4.0 + 2.0 * (candidate[4] == seed[4]) + 2.0 * (_size_band(candidate[5]) == _size_band(seed[5]))
        )
        score += 1.0 * (candidate[6] == seed[6]) + 0.5 * (candidate[7] == seed[7])
        score += min(2.0, 0.5 * len(_technologies(candidate[8]) & _technologies(seed[8])))
        best = max(best, score)
    return best


def _company_result(row: Sequence[Any]) -> dict[str, Any]:
    result: dict[str, Any] = {"id": str(row[0]), "name": row[1], "domain": row[2]}
    if row[9] is not None:
        result["employeeCount"] = {"exact": int(row[9])}
    if row[3]:
        result["industry"] = row[3]
    location = {
        key: value for key, value in (("country", row[6]), ("state", row[10]), ("city", row[11])) if value
    }
    if location:
        result["location"] = location
    if row[12]:
        result["socialLinks"] = {"linkedin": row[12]}
    return result


async def company_lookalikes(request: Request) -> JSONResponse:
    body = await read_json_object(request)
    check = FieldCheck()
    check.unknown_keys(body, ("tableId", "dedupeSessionId", "seeds", "exclude", "limit"))
    session_id = _session(request, check, body, "company")
    if body.get("seeds") is None:
        check.fail("seeds", "is required: send 1-100 companies as domains and/or linkedinUrls")
    seeds = _company_batch(check, body, "seeds")
    if body.get("seeds") is not None and not 1 <= len(seeds) <= MAX_SEEDS:
        check.fail("seeds", f"must hold 1-{MAX_SEEDS} companies in total, got {len(seeds)}")
    exclude = _company_batch(check, body, "exclude")
    limit = check.integer(body, "limit", minimum=1, maximum=100) or DEFAULT_LIMIT
    check.raise_if_any()
    state = sandbox_state(request)
    conn = state.dataset
    seed_ids = _resolve_companies(conn, seeds)
    if not seed_ids:
        bad_request(
            [
                f"seeds: none of the {len(seeds)} seeds matches a company; send domains or LinkedIn URLs of known companies"
            ]
        )
    marks = ",".join("?" * len(seed_ids))
    seed_rows = conn.execute(_COMPANY_SELECT + f"WHERE id IN ({marks})", seed_ids).fetchall()
    blocked = set(seed_ids) | set(_resolve_companies(conn, exclude))
    blocked_domains = {bare_domain(value) for key, value in exclude if key == "domain"}
    sessions = _sessions(request)
    if session_id is not None:
        blocked |= sessions.seen(session_id)
    industries = sorted({str(row[3]) for row in seed_rows if row[3]})
    rows = conn.execute(
        _COMPANY_SELECT + f"WHERE industry IN ({','.join('?' * len(industries))})", industries
    ).fetchall()
    ranked: list[tuple[float, str, Sequence[Any]]] = []
    for row in rows:
        if str(row[0]) in blocked or bare_domain(str(row[2] or "")) in blocked_domains:
            continue
        score = _company_score(row, seed_rows)
        if score > 0:
            ranked.append((-score, _tiebreak(str(row[0])), row))
    ranked.sort(key=lambda item: (item[0], item[1]))
    page = [_company_result(row) for _, _, row in ranked[:limit]]
    write = tables_backend(request).prepare_write(
        "companies", body.get("tableId"), [item["id"] for item in page]
    )
    charges = [ChargeItem("lookalikeCompany", len(page)), *(write.charges if write else [])]
    credits = state.charge_all(request, charges)
    if session_id is None:
        session_id = sessions.open("company")
    sessions.record(session_id, [item["id"] for item in page])
    return lusha_json(
        {
            "dedupeSessionId": session_id,
            "results": page,
            "meta": {"returned": len(page), "hasMore": len(ranked) > limit},
            **({"tableWrite": write.apply()} if write else {}),
            "billing": billing_json(credits, len(page)),
        }
    )


async def age_session(request: Request) -> JSONResponse:
    body = await read_json_object(request)
    check = FieldCheck()
    check.unknown_keys(body, ("dedupeSessionId", "days"))
    session_id = check.string(body, "dedupeSessionId", required=True)
    days = check.number(body, "days", required=True)
    check.raise_if_any()
    assert session_id is not None
    assert days is not None
    if not _sessions(request).age(session_id, days):
        not_found(f"No lookalike session '{session_id}'")
    return lusha_json({"dedupeSessionId": session_id, "agedDays": days, "requestId": request_id(request)})


ROUTES: list[Route] = [
    Route("/v3/contacts/lookalike", contact_lookalikes, methods=["POST"]),
    Route("/v3/companies/lookalike", company_lookalikes, methods=["POST"]),
]
