"""Bad input fails before any request, with a message naming the field and what is accepted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from lusha_mcp.api import LushaClient
from lusha_mcp.api.errors import InvalidRequestError
from lusha_mcp.api.models import (
    CompanyLookalikesRequest,
    ContactLookalikesRequest,
    ContactSearchItem,
    ContactSignalsRequest,
    CreateSubscriptionsRequest,
    OptOutSubscriptionRequest,
    ProspectingContactsRequest,
    SubscriptionUpdate,
    WebsiteVisitsRequest,
)
from tests.api.conftest import LushaStandIn

pytestmark = pytest.mark.anyio

CLIENT_CALLS: list[tuple[str, Callable[[LushaClient], Awaitable[Any]], str]] = [
    ("empty id list", lambda c: c.contacts.enrich([], reveal=["emails"]), "at least 1 item"),
    ("blank id", lambda c: c.companies.enrich(["1", " "]), "must not be blank"),
    ("no reveal field", lambda c: c.contacts.enrich(["1"], reveal=[]), "reveal"),
    ("unknown reveal field", lambda c: c.contacts.enrich(["1"], reveal=["fax"]), "'emails' or 'phones'"),  # type: ignore[list-item]
    ("empty search", lambda c: c.companies.search([]), "companies"),
    (
        "unknown filter type",
        lambda c: c.prospecting.contact_filter_values("colours"),
        "departments, seniority",
    ),
    (
        "one-letter query",
        lambda c: c.prospecting.company_filter_values("technologies", query="a"),
        "2 to 256",
    ),
    ("page too large", lambda c: c.webhooks.list(limit=500), "1 to 100"),
    ("no subscription id", lambda c: c.webhooks.get("  "), "subscription_id"),
    ("no ids to delete", lambda c: c.webhooks.delete([]), "at least one subscription id"),
    ("unknown test mode", lambda c: c.webhooks.test("s1", mode="loud"), "direct, kafka, full"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("case", "call", "expected"), CLIENT_CALLS, ids=[c[0] for c in CLIENT_CALLS])
async def test_bad_client_arguments_fail_before_any_request(
    client: LushaClient,
    lusha: LushaStandIn,
    case: str,
    call: Callable[[LushaClient], Awaitable[Any]],
    expected: str,
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        await call(client)

    assert lusha.seen == []
    assert expected in caught.value.message
    assert "Nothing was sent" in caught.value.message


MODELS: list[tuple[str, Callable[[], object], str, str]] = [
    ("invalid email", lambda: ContactSearchItem(email="dana.acme.com"), "email", "name@company.com"),
    (
        "contact without identifier",
        lambda: ContactSearchItem(first_name="Dana"),
        "ContactSearchItem",
        "firstName + lastName",
    ),
    (
        "invalid webhook url",
        lambda: OptOutSubscriptionRequest(url="hooks.acme.com/lusha"),
        "url",
        "https://",
    ),
    (
        "subscription url not http",
        lambda: SubscriptionUpdate(url="ftp://hooks.acme.com"),
        "url",
        "absolute URL",
    ),
    ("empty update", lambda: SubscriptionUpdate(), "SubscriptionUpdate", "nothing to update"),
    (
        "page size over 100",
        lambda: ProspectingContactsRequest.model_validate(
            {"pagination": {"page": 0, "size": 500}, "filters": {}}
        ),
        "pagination.size",
        "less than or equal to 100",
    ),
    (
        "page size under 10",
        lambda: ProspectingContactsRequest.model_validate(
            {"pagination": {"page": 0, "size": 5}, "filters": {}}
        ),
        "pagination.size",
        "greater than or equal to 10",
    ),
    (
        "unknown signal type",
        lambda: ContactSignalsRequest.model_validate({"ids": ["1"], "signalTypes": ["layoffs"]}),
        "signalTypes[0]",
        "'allSignals', 'promotion' or 'companyChange'",
    ),
    (
        "101 lookalike seeds",
        lambda: ContactLookalikesRequest.model_validate({"seeds": {"ids": [str(n) for n in range(101)]}}),
        "seeds.ids",
        "at most 100 items",
    ),
    (
        "too few lookalike seeds",
        lambda: ContactLookalikesRequest.model_validate({"seeds": {"ids": ["1", "2"]}}),
        "ContactLookalikesRequest",
        "5 to 100 contacts",
    ),
    (
        "seed domain that is not a domain",
        lambda: CompanyLookalikesRequest.model_validate({"seeds": {"domains": ["not a domain"]}}),
        "seeds.domains[0]",
        "lusha.com",
    ),
    (
        "website visits over 3 months",
        lambda: WebsiteVisitsRequest(
            domains=["acme.com"], start_date=dt.date(2025, 1, 1), end_date=dt.date(2025, 6, 1)
        ),
        "WebsiteVisitsRequest",
        "at most 3 months",
    ),
    (
        "subscriptions without entity type",
        lambda: CreateSubscriptionsRequest.model_validate(
            {"defaults": {"url": "https://hooks.acme.com"}, "subscriptions": [{"entityId": "1"}]}
        ),
        "CreateSubscriptionsRequest",
        "'contact' or 'company'",
    ),
    (
        "unknown field",
        lambda: ContactSearchItem.model_validate({"id": "1", "linkedin": "x"}),
        "linkedin",
        "Extra inputs are not permitted",
    ),
]


@pytest.mark.parametrize(("case", "build", "field", "expected"), MODELS, ids=[m[0] for m in MODELS])
def test_invalid_request_models_name_the_field_and_what_is_accepted(
    case: str, build: Callable[[], object], field: str, expected: str
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        build()

    assert field in caught.value.message
    assert expected in caught.value.message
    assert caught.value.problems
