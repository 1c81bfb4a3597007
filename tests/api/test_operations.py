"""Every V3 operation the product uses: one request, answered by the sandbox, parsed into its model.

That the requests are valid per Lusha's spec and the spec's examples parse is tests/spec/."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from lusha_mcp import __version__
from lusha_mcp.api import LushaClient
from lusha_mcp.api.errors import APIStatusError, BadRequestError, GoneError, NotFoundError
from lusha_mcp.api.models import (
    AccountSecret,
    AccountUsage,
    AuditLogs,
    AuditLogStats,
    BuyingGroupRequest,
    BuyingGroupResponse,
    CompaniesEnrichResponse,
    CompaniesSearchAndEnrichResponse,
    CompaniesSearchResponse,
    CompanyLookalikesRequest,
    CompanyLookalikesResponse,
    CompanySearchItem,
    CompanySignalScoresRequest,
    CompanySignalScoresResponse,
    CompanySignalsOptions,
    CompanySignalsRequest,
    CompanySignalsResponse,
    CompanySignalTypes,
    ContactLookalikesRequest,
    ContactLookalikesResponse,
    ContactSearchItem,
    ContactsEnrichResponse,
    ContactSignalScoresRequest,
    ContactSignalScoresResponse,
    ContactSignalsOptions,
    ContactSignalsRequest,
    ContactSignalsResponse,
    ContactSignalTypes,
    ContactsSearchAndEnrichResponse,
    ContactsSearchResponse,
    CreateSubscriptionsRequest,
    FilterTypes,
    FilterValues,
    LushaResponse,
    MeteredResponse,
    OptOutSubscriptionRequest,
    ProspectingCompaniesRequest,
    ProspectingCompaniesResponse,
    ProspectingContactsRequest,
    ProspectingContactsResponse,
    SearchOptions,
    Subscription,
    SubscriptionBatchResult,
    SubscriptionList,
    SubscriptionTestResult,
    SubscriptionUpdate,
    WebsiteVisitsRequest,
    WebsiteVisitsResponse,
)
from tests.api.conftest import API_KEY, LushaStandIn, spend_authorised

pytestmark = pytest.mark.anyio

Call = Callable[[LushaClient], Awaitable[LushaResponse]]

CASES: list[tuple[str, str, str, Call, type[LushaResponse]]] = [
    (
        "search_contacts",
        "POST",
        "/v3/contacts/search",
        lambda c: c.contacts.search(
            [
                ContactSearchItem(
                    client_reference_id="a", linkedin_url="https://www.linkedin.com/in/someone"
                ),
                ContactSearchItem(email="dana@acme.com"),
                ContactSearchItem(first_name="Dana", last_name="Levi", company_domain="acme.com"),
            ],
            options=SearchOptions(include_partial_profiles=True),
            signals=ContactSignalsOptions(types=["promotion"], start_date=dt.date(2025, 1, 1)),
        ),
        ContactsSearchResponse,
    ),
    (
        "enrich_contacts",
        "POST",
        "/v3/contacts/enrich",
        lambda c: c.contacts.enrich(["4415824633", "4415824634"], reveal=["emails", "phones"]),
        ContactsEnrichResponse,
    ),
    (
        "search_and_enrich_contacts",
        "POST",
        "/v3/contacts/search-and-enrich",
        lambda c: c.contacts.search_and_enrich([ContactSearchItem(email="dana@acme.com")], reveal=["emails"]),
        ContactsSearchAndEnrichResponse,
    ),
    (
        "search_companies",
        "POST",
        "/v3/companies/search",
        lambda c: c.companies.search(
            [CompanySearchItem(domain="lusha.com"), CompanySearchItem(name="Salesforce")],
            signals=CompanySignalsOptions(types=["surgeInHiring", "riskNews"], max_results_per_signal=5),
        ),
        CompaniesSearchResponse,
    ),
    (
        "enrich_companies",
        "POST",
        "/v3/companies/enrich",
        lambda c: c.companies.enrich(["310112"], reveal=["competitors", "intent"]),
        CompaniesEnrichResponse,
    ),
    (
        "search_and_enrich_companies",
        "POST",
        "/v3/companies/search-and-enrich",
        lambda c: c.companies.search_and_enrich([CompanySearchItem(domain="lusha.com")]),
        CompaniesSearchAndEnrichResponse,
    ),
    (
        "prospect_contacts",
        "POST",
        "/v3/contacts/prospecting",
        lambda c: c.prospecting.contacts(
            ProspectingContactsRequest.model_validate(
                {
                    "pagination": {"page": 0, "size": 25},
                    "filters": {
                        "contacts": {
                            "include": {
                                "departments": ["Sales"],
                                "seniorityIds": [4],
                                "existingDataPoints": ["work_email"],
                                "locations": [{"country": "United States"}],
                                "signals": {"types": ["promotion"], "startDate": "2025-01-01"},
                            }
                        },
                        "companies": {"include": {"sizes": [{"min": 200, "max": 1000}]}},
                    },
                }
            )
        ),
        ProspectingContactsResponse,
    ),
    (
        "prospect_companies",
        "POST",
        "/v3/companies/prospecting",
        lambda c: c.prospecting.companies(
            ProspectingCompaniesRequest.model_validate(
                {
                    "pagination": {"page": 1, "size": 50},
                    "filters": {
                        "companies": {
                            "include": {
                                "technologies": ["Salesforce"],
                                "technologiesCondition": "and",
                                "funding": {"rounds": [{"coverage": "last_round", "round": "series_b"}]},
                                "signals": {"types": ["surgeInHiring"]},
                            },
                            "exclude": {"companyType": ["Government"]},
                        },
                        "contacts": {"include": {"departments": ["Engineering"]}},
                    },
                }
            )
        ),
        ProspectingCompaniesResponse,
    ),
    (
        "get_contact_filter_types",
        "GET",
        "/v3/contacts/prospecting/filters",
        lambda c: c.prospecting.contact_filter_types(),
        FilterTypes,
    ),
    (
        "get_contact_filter_values",
        "GET",
        "/v3/contacts/prospecting/filters/locations",
        lambda c: c.prospecting.contact_filter_values("locations", query="new y"),
        FilterValues,
    ),
    (
        "get_company_filter_types",
        "GET",
        "/v3/companies/prospecting/filters",
        lambda c: c.prospecting.company_filter_types(),
        FilterTypes,
    ),
    (
        "get_company_filter_values",
        "GET",
        "/v3/companies/prospecting/filters/sizes",
        lambda c: c.prospecting.company_filter_values("sizes"),
        FilterValues,
    ),
    (
        "get_contact_signals",
        "POST",
        "/v3/contacts/signals",
        lambda c: c.signals.contacts(
            ContactSignalsRequest(ids=["1", "2"], signal_types=["allSignals"], start_date=dt.date(2025, 3, 1))
        ),
        ContactSignalsResponse,
    ),
    (
        "get_company_signals",
        "POST",
        "/v3/companies/signals",
        lambda c: c.signals.companies(
            CompanySignalsRequest.model_validate(
                {
                    "ids": ["310112"],
                    "signalTypes": ["headcountIncrease3m", "linkedinActivityIntent"],
                    "maxResultsPerSignal": 3,
                    "filters": {"include": {"intentCategories": ["Security"]}},
                }
            )
        ),
        CompanySignalsResponse,
    ),
    (
        "get_contact_signal_types",
        "GET",
        "/v3/contacts/signals/types",
        lambda c: c.signals.contact_types(),
        ContactSignalTypes,
    ),
    (
        "get_company_signal_types",
        "GET",
        "/v3/companies/signals/types",
        lambda c: c.signals.company_types(),
        CompanySignalTypes,
    ),
    (
        "get_company_signal_filter_types",
        "GET",
        "/v3/companies/signals/filters",
        lambda c: c.signals.company_filter_types(),
        FilterTypes,
    ),
    (
        "get_company_signal_filter_values",
        "GET",
        "/v3/companies/signals/filters/hiringByDepartments",
        lambda c: c.signals.company_filter_values("hiringByDepartments", query="eng"),
        FilterValues,
    ),
    (
        "contact_signal_scores",
        "POST",
        "/v3/contacts/signal-score",
        lambda c: c.signals.contact_scores(
            ContactSignalScoresRequest.model_validate(
                {"contacts": [{"clientReferenceId": "r1", "email": "dana@acme.com"}, {"id": "4415824633"}]}
            )
        ),
        ContactSignalScoresResponse,
    ),
    (
        "company_signal_scores",
        "POST",
        "/v3/companies/signal-score",
        lambda c: c.signals.company_scores(
            CompanySignalScoresRequest.model_validate(
                {"companies": [{"domain": "lusha.com"}, {"name": "Acme"}]}
            )
        ),
        CompanySignalScoresResponse,
    ),
    (
        "contact_lookalikes",
        "POST",
        "/v3/contacts/lookalike",
        lambda c: c.lookalikes.contacts(
            ContactLookalikesRequest.model_validate(
                {
                    "seeds": {
                        "emails": ["a@acme.com", "b@acme.com"],
                        "ids": ["1", "2"],
                        "contacts": [{"firstName": "Dana", "lastName": "Levi", "companyDomain": "acme.com"}],
                    },
                    "limit": 10,
                    "dedupeSessionId": "0b9a3c1e-5d2f-4f6a-9c7e-1a2b3c4d5e6f",
                }
            )
        ),
        ContactLookalikesResponse,
    ),
    (
        "company_lookalikes",
        "POST",
        "/v3/companies/lookalike",
        lambda c: c.lookalikes.companies(
            CompanyLookalikesRequest.model_validate({"seeds": {"domains": ["lusha.com", "zoominfo.com"]}})
        ),
        CompanyLookalikesResponse,
    ),
    (
        "buying_group",
        "POST",
        "/v3/contacts/buying-group",
        lambda c: c.contacts.buying_group(
            BuyingGroupRequest.model_validate(
                {
                    "companies": [{"domain": "lusha.com", "clientReferenceId": "x"}, {"id": "310112"}],
                    "personas": ["decision_maker"],
                    "contactsLimit": 10,
                }
            )
        ),
        BuyingGroupResponse,
    ),
    (
        "website_visits",
        "POST",
        "/v3/companies/website-visits",
        lambda c: c.companies.website_visits(
            WebsiteVisitsRequest.model_validate(
                {
                    "domains": ["acme.com"],
                    "startDate": "2025-01-01",
                    "endDate": "2025-03-01",
                    "pagination": {"page": 0, "size": 100},
                    "sort": {"by": "score", "order": "desc"},
                    "filters": {"scoreBands": ["hot", "warm"], "visitorCountries": {"include": ["US"]}},
                }
            )
        ),
        WebsiteVisitsResponse,
    ),
    ("account_usage", "GET", "/v3/account/usage", lambda c: c.account.usage(), AccountUsage),
    (
        "create_subscriptions",
        "POST",
        "/api/subscriptions",
        lambda c: c.webhooks.create(
            CreateSubscriptionsRequest.model_validate(
                {
                    "defaults": {"url": "https://hooks.acme.com/lusha", "entityType": "contact"},
                    "subscriptions": [
                        {"entityId": "4415824633"},
                        {"entityId": "310112", "entityType": "company"},
                    ],
                }
            )
        ),
        SubscriptionBatchResult,
    ),
    (
        "list_subscriptions",
        "GET",
        "/api/subscriptions",
        lambda c: c.webhooks.list(limit=20, offset=20),
        SubscriptionList,
    ),
    (
        "get_subscription",
        "GET",
        "/api/subscriptions/507f1f77bcf86cd799439011",
        lambda c: c.webhooks.get("507f1f77bcf86cd799439011"),
        Subscription,
    ),
    (
        "update_subscription",
        "PATCH",
        "/api/subscriptions/507f1f77bcf86cd799439011",
        lambda c: c.webhooks.update("507f1f77bcf86cd799439011", SubscriptionUpdate(is_active=False)),
        Subscription,
    ),
    (
        "delete_subscriptions",
        "POST",
        "/api/subscriptions/delete",
        lambda c: c.webhooks.delete(["sub-123", "sub-456"]),
        SubscriptionBatchResult,
    ),
    (
        "test_subscription",
        "POST",
        "/api/subscriptions/sub-123/test",
        lambda c: c.webhooks.test("sub-123", mode="direct"),
        SubscriptionTestResult,
    ),
    (
        "create_opt_out_subscription",
        "POST",
        "/api/subscriptions/opt-out",
        lambda c: c.webhooks.create_opt_out(OptOutSubscriptionRequest(url="https://hooks.acme.com/optout")),
        Subscription,
    ),
    (
        "get_audit_logs",
        "GET",
        "/api/audit-logs",
        lambda c: c.webhooks.audit_logs(subscription_id="sub-123", status="failed", limit=10),
        AuditLogs,
    ),
    (
        "get_audit_log_stats",
        "GET",
        "/api/audit-logs/stats",
        lambda c: c.webhooks.audit_log_stats(),
        AuditLogStats,
    ),
    ("get_account_secret", "GET", "/api/account/secret", lambda c: c.webhooks.get_secret(), AccountSecret),
    (
        "regenerate_account_secret",
        "POST",
        "/api/account/secret/regenerate",
        lambda c: c.webhooks.regenerate_secret(),
        AccountSecret,
    ),
]


SANDBOX_REFUSES: dict[str, type[APIStatusError]] = {
    # These cases' arguments name things a fresh sandbox account does not hold (spec-style ids and
    # domains, a public webhook URL, a secret not generated yet, intent categories of another
    # vocabulary): the sandbox answers with Lusha's error, which the client maps to its class.
    "prospect_companies": BadRequestError,
    "get_company_signals": BadRequestError,
    "contact_lookalikes": GoneError,
    "company_lookalikes": BadRequestError,
    "website_visits": BadRequestError,
    "create_subscriptions": BadRequestError,
    "get_subscription": NotFoundError,
    "update_subscription": NotFoundError,
    "test_subscription": NotFoundError,
    "create_opt_out_subscription": BadRequestError,
    "get_account_secret": NotFoundError,
}


@pytest.mark.parametrize(("name", "method", "path", "call", "model"), CASES, ids=[c[0] for c in CASES])
async def test_operation_sends_one_request_and_parses_what_the_sandbox_answers(
    client: LushaClient,
    lusha: LushaStandIn,
    name: str,
    method: str,
    path: str,
    call: Call,
    model: type[LushaResponse],
) -> None:
    refusal = SANDBOX_REFUSES.get(name)
    if refusal is not None:
        with pytest.raises(refusal) as caught:
            async with spend_authorised():
                await call(client)
        assert [(s.method, s.path) for s in lusha.seen] == [(method, path)]
        assert caught.value.request_id
        return
    async with spend_authorised():
        result = await call(client)

    assert [(s.method, s.path) for s in lusha.seen] == [(method, path)]
    assert isinstance(result, model)
    if isinstance(result, MeteredResponse):
        assert result.request_id


async def test_every_request_carries_the_key_header_and_a_versioned_user_agent(
    client: LushaClient, lusha: LushaStandIn
) -> None:
    await client.account.usage()

    headers = lusha.seen[0].headers
    assert headers["api_key"] == API_KEY
    assert headers["user-agent"].startswith(f"lusha-mcp/{__version__}")
    assert "authorization" not in headers


async def test_enrich_results_keep_per_item_errors_and_billing(
    client: LushaClient, lusha: LushaStandIn
) -> None:
    def answer(_request: Any) -> Any:
        import httpx

        return httpx.Response(
            200,
            json={
                "requestId": "9a6c3b9e-0000-4000-8000-000000000001",
                "results": [
                    {"id": "1", "emails": [{"email": "dana@acme.com", "type": "work"}], "newField": {"x": 1}},
                    {"id": "2", "error": {"code": "NOT_FOUND", "message": "No contact with this id"}},
                ],
                "billing": {"creditsCharged": 1, "resultsReturned": 1},
            },
        )

    lusha.script.append(answer)
    async with spend_authorised():
        result = await client.contacts.enrich(["1", "2"], reveal=["emails"])

    assert [r.id for r in result.results] == ["1", "2"]
    assert result.results[0].emails[0].email == "dana@acme.com"
    assert result.results[0].model_extra == {"newField": {"x": 1}}
    assert result.results[1].error is not None
    assert result.results[1].error.code == "NOT_FOUND"
    assert result.billing is not None
    assert (result.billing.credits_charged, result.billing.results_returned) == (1, 1)


async def test_signal_results_expose_every_signal_type_present(
    client: LushaClient, lusha: LushaStandIn
) -> None:
    import httpx

    lusha.script.append(
        lambda _r: httpx.Response(
            200,
            json={
                "results": [
                    {"id": "c1", "riskNews": [{"title": "x"}], "headcountIncrease3m": [{"value": 12}]}
                ],
                "billing": {"creditsCharged": 2, "resultsReturned": 1},
            },
        )
    )
    async with spend_authorised():
        result = await client.signals.companies(
            CompanySignalsRequest(ids=["c1"], signal_types=["riskNews", "headcountIncrease3m"])
        )

    assert result.results[0].by_type() == {
        "riskNews": [{"title": "x"}],
        "headcountIncrease3m": [{"value": 12}],
    }
