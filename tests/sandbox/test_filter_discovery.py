"""Prospecting filter discovery agrees with the data prospecting filters."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.anyio


async def test_filter_types_say_which_need_a_query(http: httpx.AsyncClient) -> None:
    contacts = (await http.get("/v3/contacts/prospecting/filters")).json()["availableFilters"]
    companies = (await http.get("/v3/companies/prospecting/filters")).json()["availableFilters"]
    assert {item["filterType"]: item["requiresQuery"] for item in contacts} == {
        "locations": True,
        "departments": False,
        "seniority": False,
        "countries": False,
        "existingDataPoints": False,
    }
    assert {item["filterType"] for item in companies if item["requiresQuery"]} == {
        "names",
        "technologies",
        "locations",
    }


@pytest.mark.parametrize(
    ("entity", "filter_type"),
    [("contacts", "locations"), ("companies", "names"), ("companies", "technologies")],
)
async def test_filters_that_require_a_query_refuse_without_one(
    http: httpx.AsyncClient, entity: str, filter_type: str
) -> None:
    response = await http.get(f"/v3/{entity}/prospecting/filters/{filter_type}")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        f"query: required for {filter_type} (2-256 characters, e.g. ?query=san)"
    ]
    short = await http.get(f"/v3/{entity}/prospecting/filters/{filter_type}", params={"query": "a"})
    assert short.json()["errors"] == ["query: must be 2-256 characters"]


async def test_unknown_filter_types_are_refused_with_the_valid_ones(http: httpx.AsyncClient) -> None:
    response = await http.get("/v3/contacts/prospecting/filters/hobbies")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        "filterType: unknown contact filter type 'hobbies'; use one of: locations, departments, seniority, countries, existingDataPoints"
    ]


async def prospect_total(http: httpx.AsyncClient, path: str, filters: dict[str, object]) -> int:
    response = await http.post(path, json={"pagination": {"page": 0, "size": 10}, "filters": filters})
    assert response.status_code == 200, response.text
    return int(response.json()["pagination"]["total"])


async def test_every_discovered_contact_value_finds_contacts(unthrottled_http: httpx.AsyncClient) -> None:
    http = unthrottled_http
    departments = (await http.get("/v3/contacts/prospecting/filters/departments")).json()["values"]
    seniority = (await http.get("/v3/contacts/prospecting/filters/seniority")).json()["values"]
    countries = (await http.get("/v3/contacts/prospecting/filters/countries")).json()["values"]
    locations = (
        await http.get("/v3/contacts/prospecting/filters/locations", params={"query": "san"})
    ).json()["values"]
    points = (await http.get("/v3/contacts/prospecting/filters/existingDataPoints")).json()["values"]
    assert locations
    assert all("san" in " ".join(map(str, item.values())).lower() for item in locations)
    criteria = (
        [{"departments": [name]} for name in departments]
        + [{"seniorityIds": [item["id"]]} for item in seniority]
        + [{"countries": [item["code"]]} for item in countries]
        + [{"locations": [locations[0]]}]
        + [{"existingDataPoints": [point]} for point in points]
    )
    for include in criteria:
        assert (
            await prospect_total(http, "/v3/contacts/prospecting", {"contacts": {"include": include}}) > 0
        ), include


async def test_every_discovered_company_value_finds_companies(unthrottled_http: httpx.AsyncClient) -> None:
    http = unthrottled_http
    found: dict[str, list[Any]] = {}
    for name, query in (
        ("sizes", None),
        ("revenues", None),
        ("sics", None),
        ("naics", None),
        ("industriesLabels", None),
        ("intentTopics", None),
        ("technologies", "sa"),
        ("names", "ab"),
        ("locations", "ber"),
    ):
        params = {"query": query} if query else {}
        response = await http.get(f"/v3/companies/prospecting/filters/{name}", params=params)
        assert response.status_code == 200
        found[name] = response.json()["values"]
    criteria: list[dict[str, Any]] = [{"sizes": [item]} for item in found["sizes"]]
    criteria += [{"revenues": [item]} for item in found["revenues"]]
    criteria += [{"sicCodes": [item["code"]]} for item in found["sics"]]
    criteria += [{"naicsCodes": [item["code"]]} for item in found["naics"]]
    criteria += [{"industriesLabels": [item["value"]]} for item in found["industriesLabels"]]
    criteria += [{"mainIndustriesIds": [item["id"]]} for item in found["industriesLabels"]]
    criteria += [{"intentTopics": [topic]} for topic in found["intentTopics"]]
    criteria += [{"technologies": [tech]} for tech in found["technologies"]]
    criteria += [{"names": [item["name"]]} for item in found["names"][:3]]
    criteria += [{"locations": [item]} for item in found["locations"]]
    assert len(criteria) > 30
    for include in criteria:
        assert (
            await prospect_total(http, "/v3/companies/prospecting", {"companies": {"include": include}}) > 0
        ), include
