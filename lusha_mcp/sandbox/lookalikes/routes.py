"""The wire of lookalikes: POST /v3/contacts/lookalike and /v3/companies/lookalike.

Contacts take 5-100 seeds (LinkedIn URLs, emails, ids, legacy numeric contactIds, or name +
company); companies take 1-100 seeds (domains, LinkedIn URLs). `exclude` has the seeds' shape,
`limit` is 1-100 (default 25), `dedupeSessionId` pages a session (see the backend), `tableId`
also saves the results into a table. Sandbox control (tests): `POST /_sandbox/lookalikes/age`
(endpoints/control.py).
"""

from __future__ import annotations

import threading
from typing import Final, cast

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lusha_mcp.sandbox.lookalikes.backend import LookalikePage, LookalikesBackend, LookalikeSessions
from lusha_mcp.sandbox.lookalikes.records import JsonObject
from lusha_mcp.sandbox.state import billing_json, lusha_json, sandbox_state
from lusha_mcp.sandbox.tables.backend import charger, tables_backend
from lusha_mcp.sandbox.validation import FieldCheck, read_json_object

MIN_CONTACT_SEEDS: Final = 5
MAX_SEEDS: Final = 100
DEFAULT_LIMIT: Final = 25

_lock = threading.Lock()


def lookalikes_backend(request: Request) -> LookalikesBackend:
    """The lookalikes backend of this request's sandbox app (created on first use)."""
    state = sandbox_state(request)
    with _lock:
        backend = cast(LookalikesBackend | None, getattr(request.app.state, "lookalikes", None))
        if backend is None:
            backend = LookalikesBackend(
                state.dataset, LookalikeSessions(state.account), tables_backend(request)
            )
            request.app.state.lookalikes = backend
        return backend


def _answer(page: LookalikePage) -> JSONResponse:
    return lusha_json(
        {
            "dedupeSessionId": page.session_id,
            "results": page.results,
            "meta": {"returned": len(page.results), "hasMore": page.has_more},
            **({"tableWrite": page.table_write} if page.table_write is not None else {}),
            "billing": billing_json(page.credits, len(page.results)),
        }
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


async def contact_lookalikes(request: Request) -> JSONResponse:
    body = await read_json_object(request)
    check = FieldCheck()
    check.unknown_keys(body, ("tableId", "dedupeSessionId", "seeds", "exclude", "limit"))
    backend = lookalikes_backend(request)
    session_id = backend.live_session(check.string(body, "dedupeSessionId"), "contact")
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
    page = backend.contacts(seeds, exclude, limit, session_id, body.get("tableId"), charger(request))
    return _answer(page)


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


async def company_lookalikes(request: Request) -> JSONResponse:
    body = await read_json_object(request)
    check = FieldCheck()
    check.unknown_keys(body, ("tableId", "dedupeSessionId", "seeds", "exclude", "limit"))
    backend = lookalikes_backend(request)
    session_id = backend.live_session(check.string(body, "dedupeSessionId"), "company")
    if body.get("seeds") is None:
        check.fail("seeds", "is required: send 1-100 companies as domains and/or linkedinUrls")
    seeds = _company_batch(check, body, "seeds")
    if body.get("seeds") is not None and not 1 <= len(seeds) <= MAX_SEEDS:
        check.fail("seeds", f"must hold 1-{MAX_SEEDS} companies in total, got {len(seeds)}")
    exclude = _company_batch(check, body, "exclude")
    limit = check.integer(body, "limit", minimum=1, maximum=100) or DEFAULT_LIMIT
    check.raise_if_any()
    page = backend.companies(seeds, exclude, limit, session_id, body.get("tableId"), charger(request))
    return _answer(page)


ROUTES: list[Route] = [
    Route("/v3/contacts/lookalike", contact_lookalikes, methods=["POST"]),
    Route("/v3/companies/lookalike", company_lookalikes, methods=["POST"]),
]
