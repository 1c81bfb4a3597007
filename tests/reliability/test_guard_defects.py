"""Each defect of the credit guard found against the sandbox, reproduced and shown closed.

Through the MCP client against the in-memory sandbox; the sandbox's own charge log is the
ground truth of what was spent.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client

from lusha_mcp.sandbox import sandbox_app, sandbox_transport
from lusha_mcp.sandbox.activity import TRACKED_DOMAINS
from lusha_mcp.server import build_server
from lusha_mcp.settings import Settings
from tests.server.harness import (
    charged_calls,
    charged_total,
    contact_ids_with_emails,
    sandbox_control,
    structured,
    text_of,
)
from tests.stores import sandbox_settings_on_both_engines

pytestmark = pytest.mark.anyio

sandbox_settings = sandbox_settings_on_both_engines()  # every defect stays fixed on both engines

SIGNAL_PROSPECTS: list[tuple[str, dict[str, Any]]] = [
    ("prospect_contacts", {"departments": ["Sales"], "signals": ["promotion", "companyChange"]}),
    ("prospect_companies", {"signals": ["allSignals"], "size": 100}),
    (
        "prospect_companies",
        {
            "sizes": ["51-200"],
            "size": 100,
            "raw_filters": {"companies": {"include": {"signals": {"types": ["allSignals"]}}}},
        },
    ),
    ("prospect_contacts", {"countries": ["US"], "size": 10, "signals": ["promotion"]}),
]


def _settings(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(update={"sandbox_rate_limits": False, **changes})


@pytest.mark.parametrize(("tool", "arguments"), SIGNAL_PROSPECTS)
async def test_prospecting_with_signals_never_charges_past_a_daily_budget_of_10(
    sandbox_settings: Settings, tool: str, arguments: dict[str, Any]
) -> None:
    settings = _settings(sandbox_settings, daily_budget=10, auto_approve=True)
    async with Client(build_server(settings)) as client:
        result = await client.call_tool(tool, arguments)
    assert await charged_total(settings) <= 10, text_of(result)
    assert result.is_error
    assert "daily budget" in text_of(result)


async def test_thirty_concurrent_prospects_with_signals_and_300_ms_latency_stay_within_10(
    sandbox_settings: Settings,
) -> None:
    settings = _settings(sandbox_settings, daily_budget=10, auto_approve=True)
    sandbox_app(settings)
    await sandbox_control(settings, "POST", "/_sandbox/faults", {"latencyMs": 300})
    tool, arguments = SIGNAL_PROSPECTS[1]
    async with Client(build_server(settings)) as client, anyio.create_task_group() as group:
        for _ in range(30):
            group.start_soon(client.call_tool, tool, arguments)
    assert await charged_total(settings) <= 10


async def test_thirty_concurrent_prospects_that_each_fit_share_a_daily_budget_of_20(
    sandbox_settings: Settings,
) -> None:
    """Each call's quote (1 search + 10 results x 1 signal type = 11) fits the budget alone, so
    the calls race for it; with 300 ms of API latency they all reserve before any is charged."""
    settings = _settings(sandbox_settings, daily_budget=20, auto_approve=True)
    sandbox_app(settings)
    await sandbox_control(settings, "POST", "/_sandbox/faults", {"latencyMs": 300})
    outcomes: list[bool] = []

    async def prospect(client: Client) -> None:
        result = await client.call_tool(
            "prospect_contacts", {"countries": ["US"], "size": 10, "signals": ["promotion"]}
        )
        outcomes.append(not result.is_error)

    async with Client(build_server(settings)) as client, anyio.create_task_group() as group:
        for _ in range(30):
            group.start_soon(prospect, client)
    assert outcomes.count(True) >= 1, "no call ran: the race was not exercised"
    assert await charged_total(settings) <= 20


async def test_cached_phones_are_not_served_when_only_emails_are_allowed(sandbox_settings: Settings) -> None:
    ids = contact_ids_with_emails(sandbox_settings, 3)
    both = _settings(sandbox_settings, auto_approve=True)
    async with Client(build_server(both)) as client:
        first = structured(
            await client.call_tool("enrich_contacts", {"ids": ids, "reveal": ["emails", "phones"]})
        )
    assert any(contact.get("phones") for contact in first["contacts"]), "no phone to leak in the sample"
    emails_only = _settings(sandbox_settings, auto_approve=True, allowed_reveals=["emails"])
    async with Client(build_server(emails_only)) as client:
        result = await client.call_tool("enrich_contacts", {"ids": ids, "reveal": ["emails"]})
    served = structured(result)
    assert served["status"] == "cached"
    assert all(not contact.get("phones") for contact in served["contacts"]), served
    assert all(contact.get("emails") for contact in served["contacts"])
    phones = [p["number"] for c in first["contacts"] for p in c.get("phones", [])]
    assert not any(number in text_of(result) for number in phones)


async def test_an_action_the_pricebook_does_not_list_is_never_quoted_0(sandbox_settings: Settings) -> None:
    settings = _settings(sandbox_settings)
    sandbox_app(settings)
    await sandbox_control(
        settings, "POST", "/_sandbox/pricing", {"unlisted": ["websiteVisits", "signal_score_contact_reveal"]}
    )
    ids = contact_ids_with_emails(settings, 2)
    domains = sorted(TRACKED_DOMAINS)[:1]
    async with Client(build_server(settings)) as client:
        visits = structured(await client.call_tool("get_website_visits", {"domains": domains, "size": 2}))
        scores = structured(
            await client.call_tool("get_signals", {"entity": "contacts", "ids": ids, "score": True})
        )
    for pending in (visits, scores):
        assert pending["status"] == "confirmation_required", pending
        assert pending["quote"]["total_credits"] > 0
        assert pending["quote"]["unpriced"]
    capped = _settings(sandbox_settings, max_credits_per_call=5, daily_budget=10, auto_approve=True)
    async with Client(build_server(capped)) as client:
        refused = await client.call_tool("get_website_visits", {"domains": domains, "size": 25})
    assert refused.is_error
    assert "cap" in text_of(refused)
    assert await charged_total(settings) == 0


class PreviewTamper(httpx.AsyncBaseTransport):
    """Puts personal data and an unknown field into every result of a search or prospecting answer."""

    def __init__(self, inner: httpx.AsyncBaseTransport, unknown_field: str = "internalScore") -> None:
        self.inner = inner
        self.unknown_field = unknown_field

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        path = request.url.path
        if not path.endswith(("/search", "/prospecting", "/signals")) or response.status_code != 200:
            return response
        body = json.loads(await response.aread())
        for result in body.get("results", []):
            if path.endswith("/signals"):
                result["promotion"] = [
                    {
                        "signalDate": "2026-01-05",
                        "currentTitle": "Chief Tamper Officer",
                        "email": "leaked.person@example.com",
                        "author": {"name": "A. Poster", "phone": "+1 555 0100 999"},
                    }
                ]
                continue
            result["emails"] = [{"email": "leaked.person@example.com"}]
            result["phones"] = [{"number": "+1 555 0100 999"}]
            result["company"] = {**(result.get("company") or {}), "ceoMobile": "+1 555 0199 888"}
            result[self.unknown_field] = "tampered-secret-value"
        return httpx.Response(200, headers={"content-type": "application/json"}, content=json.dumps(body))

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("prospect_contacts", {"countries": ["US"], "size": 10}),
        ("prospect_companies", {"sizes": ["51-200"], "size": 10}),
        ("search_companies", {"companies": [{"name": "Acme"}]}),
        ("search_contacts", {"contacts": [{"email": "someone@example.com"}]}),
        ("get_signals", {"entity": "contacts", "ids": [], "signal_types": ["promotion"]}),
    ],
)
async def test_unknown_preview_fields_never_reach_the_model(
    sandbox_settings: Settings, tool: str, arguments: dict[str, Any]
) -> None:
    settings = _settings(sandbox_settings, auto_approve=True, allowed_reveals=[])
    if tool == "get_signals":
        arguments = {**arguments, "ids": contact_ids_with_emails(settings, 2)}
    transport = PreviewTamper(sandbox_transport(settings))
    async with Client(build_server(settings, transport=transport)) as client:
        result = await client.call_tool(tool, arguments)
    assert not result.is_error, text_of(result)
    content: dict[str, Any] = result.structured_content or {}
    assert content.get("contacts") or content.get("companies") or content.get("results"), content
    seen = text_of(result) + json.dumps(content)
    if tool == "get_signals":
        assert "Chief Tamper Officer" in seen  # the event came through, without its contact data
    for leaked in (
        "leaked.person@example.com",
        "555 0100 999",
        "555 0199 888",
        "tampered-secret-value",
        "internalScore",
    ):
        assert leaked not in seen


async def test_a_dropped_preview_field_is_logged_once_by_name_without_its_value(
    sandbox_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(sandbox_settings, auto_approve=True)
    # a name is logged once per process: each engine's run drops a field of its own
    field = "fieldLoggedOnce" + ("OnPostgres" if settings.database_url else "")
    transport = PreviewTamper(sandbox_transport(settings), unknown_field=field)
    with caplog.at_level(logging.DEBUG):
        async with Client(build_server(settings, transport=transport)) as client:
            for page in (0, 1):
                result = await client.call_tool(
                    "prospect_contacts", {"countries": ["US"], "size": 10, "page": page}
                )
                assert not result.is_error, text_of(result)
    mentions = [record.getMessage() for record in caplog.records if repr(field) in record.getMessage()]
    assert len(mentions) == 1, mentions
    assert all(
        record.levelno == logging.DEBUG for record in caplog.records if repr(field) in record.getMessage()
    )
    assert not any("tampered-secret-value" in record.getMessage() for record in caplog.records)


async def test_two_concurrent_reveals_of_one_contact_charge_once(sandbox_settings: Settings) -> None:
    settings = _settings(sandbox_settings, auto_approve=True)
    sandbox_app(settings)
    await sandbox_control(settings, "POST", "/_sandbox/faults", {"latencyMs": 300})
    ids = contact_ids_with_emails(settings, 1)
    results: list[dict[str, Any]] = []
    wire = RequestCounter(sandbox_transport(settings))

    async def reveal(client: Client) -> None:
        results.append(
            structured(await client.call_tool("enrich_contacts", {"ids": ids, "reveal": ["emails"]}))
        )

    async with Client(build_server(settings, transport=wire)) as client, anyio.create_task_group() as group:
        group.start_soon(reveal, client)
        group.start_soon(reveal, client)
    reveals = [call for call in await charged_calls(settings) if "enrich" in str(call.get("operation", ""))]
    assert len(reveals) == 1, reveals
    # Lusha would bill both of two concurrent reveals: only one may be sent.
    assert wire.posts.count("/v3/contacts/enrich") == 1, wire.posts
    assert sorted(result["credits_charged"] for result in results) == [0, reveals[0]["creditsCharged"]]
    assert all(result["contacts"][0]["emails"] for result in results)


class RequestCounter(httpx.AsyncBaseTransport):
    """Records the path of every POST that reaches the sandbox."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.posts: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            self.posts.append(request.url.path)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_a_budget_refusal_says_when_it_resets_and_how_many_records_fit(
    sandbox_settings: Settings,
) -> None:
    settings = _settings(sandbox_settings, auto_approve=True, daily_budget=3)
    ids = contact_ids_with_emails(settings, 10)
    async with Client(build_server(settings)) as client:
        refused = await client.call_tool("enrich_contacts", {"ids": ids, "reveal": ["emails"]})
    text = text_of(refused)
    assert refused.is_error
    assert "resets at UTC midnight" in text
    assert " in " in text
    assert "About 3 records of this request would fit" in text
