"""The client and the sandbox agree on the website-visits window: at most 3 calendar months."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from lusha_mcp.api import LushaClient
from lusha_mcp.api.errors import InvalidRequestError
from lusha_mcp.api.models import WebsiteVisitsRequest
from lusha_mcp.sandbox import sandbox_transport
from lusha_mcp.settings import Settings
from tests.api.conftest import spend_authorised

pytestmark = pytest.mark.anyio

TRACKED = "acme-sandbox.com"

WINDOWS = [
    pytest.param(dt.date(2025, 5, 15), dt.date(2025, 8, 15), id="92 days: mid-May to mid-August"),
    pytest.param(
        dt.date(2024, 11, 30), dt.date(2025, 2, 28), id="90 days: end of November to end of February"
    ),
    pytest.param(dt.date(2023, 11, 30), dt.date(2024, 2, 29), id="91 days: into a leap February"),
    pytest.param(dt.date(2025, 1, 31), dt.date(2025, 4, 30), id="89 days: end of January to end of April"),
]
"""(startDate, the last endDate 3 calendar months allow)."""


def visits_body(start: dt.date, end: dt.date) -> dict[str, object]:
    return {
        "domains": [TRACKED],
        "startDate": start.isoformat(),
        "endDate": end.isoformat(),
        "pagination": {"page": 0, "size": 10},
    }


@pytest.mark.parametrize(("start", "last_end"), WINDOWS)
async def test_client_and_sandbox_both_accept_exactly_three_calendar_months(
    sandbox_settings: Settings, sandbox_http: httpx.AsyncClient, start: dt.date, last_end: dt.date
) -> None:
    request = WebsiteVisitsRequest(domains=[TRACKED], start_date=start, end_date=last_end)
    async with (
        LushaClient.from_settings(sandbox_settings, transport=sandbox_transport(sandbox_settings)) as client,
        spend_authorised(),
    ):
        answer = await client.companies.website_visits(request)
    assert answer.request_id

    accepted = await sandbox_http.post("/v3/companies/website-visits", json=visits_body(start, last_end))
    assert accepted.status_code == 200, accepted.text


@pytest.mark.parametrize(("start", "last_end"), WINDOWS)
async def test_client_and_sandbox_both_refuse_one_day_more_than_three_calendar_months(
    sandbox_http: httpx.AsyncClient, start: dt.date, last_end: dt.date
) -> None:
    one_day_late = last_end + dt.timedelta(days=1)
    with pytest.raises(InvalidRequestError) as caught:
        WebsiteVisitsRequest(domains=[TRACKED], start_date=start, end_date=one_day_late)
    assert f"send an endDate up to {last_end.isoformat()}" in caught.value.message

    refused = await sandbox_http.post("/v3/companies/website-visits", json=visits_body(start, one_day_late))
    assert refused.status_code == 400, refused.text
    assert last_end.isoformat() in refused.text
