"""The company-signals sub-filters the client sends are the ones the sandbox applies."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from lusha_mcp.api import LushaClient
from lusha_mcp.api.models import CompanySignalsRequest
from lusha_mcp.api.models.companies import CompanySignalType
from lusha_mcp.api.models.signals import CompanySignalsFilters, IntentCategoryFilter
from lusha_mcp.sandbox import sandbox_app, sandbox_transport
from lusha_mcp.settings import Settings
from tests.api.conftest import spend_authorised
from tests.sandbox.dataset_picks import rows

pytestmark = pytest.mark.anyio

TYPES: list[CompanySignalType] = ["surgeInHiringByDepartment", "surgeInHiringByLocation", "peopleNews"]


def signals_by_type(answers: list[dict[str, list[dict[str, Any]]]]) -> dict[str, list[dict[str, Any]]]:
    merged: dict[str, list[dict[str, Any]]] = {signal_type: [] for signal_type in TYPES}
    for by_type in answers:
        for signal_type in TYPES:
            merged[signal_type].extend(by_type.get(signal_type, []))
    return merged


def a_common_value(values: list[str]) -> str:
    counts = Counter(values)
    assert len(counts) > 1, f"every signal has the same value {values[0]!r}; the filter would prove nothing"
    return counts.most_common(1)[0][0]


async def test_news_hiring_department_and_location_filters_are_sent_and_honoured(
    sandbox_settings: Settings,
) -> None:
    settings = sandbox_settings.model_copy(update={"sandbox_rate_limits": False})
    sandbox_app(settings)
    ids = [
        str(row["company_id"])
        for row in rows(
            settings,
            f"SELECT DISTINCT company_id FROM company_signals WHERE signal_type IN ({','.join('?' * len(TYPES))}) "
            "AND days_ago BETWEEN 0 AND 150 ORDER BY company_id LIMIT 100",
            tuple(TYPES),
        )
    ]
    async with (
        LushaClient.from_settings(settings, transport=sandbox_transport(settings)) as client,
        spend_authorised(),
    ):
        everything = await client.signals.companies(CompanySignalsRequest(ids=ids, signal_types=TYPES))
        unfiltered = signals_by_type([result.by_type() for result in everything.results])
        department = a_common_value([item["department"] for item in unfiltered["surgeInHiringByDepartment"]])
        country = a_common_value(
            [item["location"]["country"] for item in unfiltered["surgeInHiringByLocation"]]
        )
        event = a_common_value([item["eventType"] for item in unfiltered["peopleNews"]])

        narrowed = await client.signals.companies(
            CompanySignalsRequest(
                ids=ids,
                signal_types=TYPES,
                filters=CompanySignalsFilters(
                    include=IntentCategoryFilter(
                        news_event_types=[event],
                        hiring_by_departments=[department],
                        hiring_by_locations=[country],
                    )
                ),
            )
        )
    filtered = signals_by_type([result.by_type() for result in narrowed.results])
    assert {item["department"] for item in filtered["surgeInHiringByDepartment"]} == {department}
    assert {item["location"]["country"] for item in filtered["surgeInHiringByLocation"]} == {country}
    assert {item["eventType"] for item in filtered["peopleNews"]} == {event}
    for signal_type in TYPES:
        assert len(filtered[signal_type]) < len(unfiltered[signal_type]), f"{signal_type} was not narrowed"
