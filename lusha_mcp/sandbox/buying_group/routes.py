"""The wire of the buying group (the Decision Makers capability): POST /v3/contacts/buying-group.

Up to 25 companies, each named by exactly one of `domain` or Lusha `id`; `personas` (default all
three), `contactsLimit` per company (default 60), `pagination` {page >= 0, size 10-100} (default
0/100) over the flattened list. Results are free previews (the search-result shape, with has /
canReveal) plus roles and score. Sandbox control: GET/POST /_sandbox/buying-group
(endpoints/control.py) reads and sets the product category the account sells.
"""

from __future__ import annotations

import threading
from typing import Final, cast

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lusha_mcp.sandbox.buying_group.backend import BuyingGroupBackend
from lusha_mcp.sandbox.buying_group.records import PERSONAS
from lusha_mcp.sandbox.state import billing_json, lusha_json, request_id, sandbox_state
from lusha_mcp.sandbox.tables.backend import charger
from lusha_mcp.sandbox.validation import FieldCheck, read_json_object

DEFAULT_CONTACTS_LIMIT: Final = 60
MAX_COMPANIES: Final = 25

_lock = threading.Lock()


def buying_group_backend(request: Request) -> BuyingGroupBackend:
    """The buying-group backend of this request's sandbox app (created on first use)."""
    state = sandbox_state(request)
    with _lock:
        backend = cast(BuyingGroupBackend | None, getattr(request.app.state, "buying_group", None))
        if backend is None:
            backend = BuyingGroupBackend(state.dataset, state.account)
            request.app.state.buying_group = backend
        return backend


async def buying_group(request: Request) -> JSONResponse:
    body = await read_json_object(request)
    check = FieldCheck()
    check.unknown_keys(body, ("companies", "personas", "contactsLimit", "pagination"))
    items = check.objects(
        check.array(body, "companies", required=True, min_items=1, max_items=MAX_COMPANIES), at="companies"
    )
    targets: list[tuple[str | None, str, str]] = []
    for index, item in items:
        at = f"companies[{index}]"
        check.unknown_keys(item, ("clientReferenceId", "domain", "id"), at=at)
        reference = check.string(item, "clientReferenceId", at=at)
        given = [key for key in ("domain", "id") if item.get(key) is not None]
        if len(given) != 1:
            check.fail(at, f"must contain exactly one of domain or id (got {len(given)})")
            continue
        value = check.string(item, given[0], at=at)
        if value is not None:
            targets.append((reference, given[0], value))
    personas = check.strings(body, "personas", min_items=1, choices=PERSONAS) or list(PERSONAS)
    limit = check.integer(body, "contactsLimit", minimum=1) or DEFAULT_CONTACTS_LIMIT
    pagination = check.obj(body, "pagination") or {}
    page = check.integer(pagination, "page", at="pagination", minimum=0)
    size = check.integer(pagination, "size", at="pagination", minimum=10, maximum=100)
    if pagination:
        check.unknown_keys(pagination, ("page", "size"), at="pagination")
    check.raise_if_any()
    page = page or 0
    size = size or 100
    found = buying_group_backend(request).group(targets, personas, limit, page, size, charger(request))
    return lusha_json(
        {
            "requestId": request_id(request),
            "results": found.results,
            "pagination": {"page": page, "size": size, "total": found.total},
            "billing": billing_json(found.credits, found.shown),
        }
    )


ROUTES: list[Route] = [Route("/v3/contacts/buying-group", buying_group, methods=["POST"])]
