"""The sandbox's declarative request validation (lusha_mcp/sandbox/wire.py), over HTTP.

Bodies declared as models answer Lusha's 400 envelope naming every problem at once, each as
"field.path: problem"; unknown fields, wrong types, blank strings, nulls where a value is
required and lists beyond their limits are refused, and nothing is charged.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.sandbox.dataset_picks import credits_charged

pytestmark = pytest.mark.anyio


async def refused(http: httpx.AsyncClient, path: str, body: Any) -> list[str]:
    response = await http.post(path, json=body)
    assert response.status_code == 400, response.text
    envelope = response.json()
    assert set(envelope) == {"statusCode", "message", "errors"}
    assert envelope["statusCode"] == 400
    assert envelope["message"] == "Validation failed"
    return envelope["errors"]


async def test_every_problem_of_a_body_is_named_in_one_answer(http: httpx.AsyncClient) -> None:
    errors = await refused(
        http,
        "/v3/contacts/enrich",
        {"ids": ["1", 7, "  "], "reveal": ["emails", "faxes"], "waterfallEnabled": "yes", "colour": "red"},
    )
    assert errors == [
        "ids[1]: must be a string, got number",
        "ids[2]: must not be empty",
        "reveal[1]: must be one of: emails, phones",
        "waterfallEnabled: must be true or false, got string",
        "colour: is not a known field; expected one of: ids, reveal, tableId, waterfallEnabled",
    ]
    assert await credits_charged(http) == 0


async def test_nested_problems_carry_the_whole_path(http: httpx.AsyncClient) -> None:
    errors = await refused(
        http,
        "/v3/contacts/search-and-enrich",
        {
            "contacts": [
                {"id": "1", "linkedin_url": "https://linkedin.com/in/x"},
                {"email": "not-an-address"},
                {"firstName": "Ann", "lastName": "Lee"},
                "Ann Lee",
            ],
            "options": {"includePartialProfiles": 1},
        },
    )
    assert errors == [
        "contacts[0].linkedin_url: is not a known field; expected one of: clientReferenceId, companyDomain, "
        "companyName, email, firstName, id, lastName, linkedinUrl",
        "contacts[1].email: 'not-an-address' is not a valid email address",
        "contacts[2]: needs one identifier: id, linkedinUrl, email, or firstName + lastName + "
        "companyName/companyDomain",
        "contacts[3]: must be an object, got string",
        "options.includePartialProfiles: must be true or false, got number",
    ]


async def test_required_fields_missing_or_null_are_named(http: httpx.AsyncClient) -> None:
    assert await refused(http, "/v3/contacts/enrich", {"reveal": ["emails"]}) == ["ids: is required"]
    assert await refused(http, "/v3/contacts/enrich", {"ids": None}) == ["ids: is required"]
    assert await refused(http, "/v3/contacts/enrich", {"ids": "1"}) == ["ids: must be an array, got string"]


async def test_list_limits_say_what_to_send_instead(http: httpx.AsyncClient) -> None:
    assert await refused(http, "/v3/contacts/enrich", {"ids": []}) == ["ids: must contain at least 1 item"]
    assert await refused(http, "/v3/contacts/enrich", {"ids": [str(n) for n in range(101)]}) == [
        "ids: must contain at most 100 items, got 101; split the request"
    ]
    assert await refused(http, "/v3/contacts/enrich", {"ids": ["1"], "reveal": []}) == [
        "reveal: must contain at least 1 item"
    ]


async def test_documented_fields_the_sandbox_does_not_emulate_are_refused_not_ignored(
    http: httpx.AsyncClient,
) -> None:
    assert await refused(http, "/v3/contacts/enrich", {"ids": ["1"], "tableId": "482910"}) == [
        "tableId: tables are not available in the sandbox; send the request without tableId"
    ]


async def test_bodies_that_are_not_json_objects_are_refused(http: httpx.AsyncClient) -> None:
    for content, message, error in (
        (b"", "Request body is missing", "body: a JSON object is required"),
        (b"[1, 2]", "Request body must be a JSON object", "body: must be a JSON object"),
        (b"{oops", "Malformed JSON body", "body: not valid JSON (Expecting property name"),
    ):
        response = await http.post(
            "/v3/contacts/enrich", content=content, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400
        assert response.json()["message"] == message
        assert response.json()["errors"][0].startswith(error)


async def test_a_valid_body_reaches_the_endpoint(http: httpx.AsyncClient) -> None:
    response = await http.post("/v3/contacts/enrich", json={"ids": ["404404404"], "reveal": ["emails"]})
    assert response.status_code == 200, response.text
    assert response.json()["results"] == [
        {"id": "404404404", "error": {"code": "NOT_FOUND", "message": "Contact not found"}}
    ]


async def test_query_strings_are_declared_too(http: httpx.AsyncClient) -> None:
    path = "/v3/contacts/prospecting/filters/departments"
    assert (await http.get(path, params={"query": "sa"})).status_code == 200
    for params, error in (
        (httpx.QueryParams(query="sa", colour="red"), "colour: is not a known field; expected one of: query"),
        (
            httpx.QueryParams([("query", "sa"), ("query", "ma")]),
            "query: is sent more than once; send it once",
        ),
        (httpx.QueryParams(query=" a "), "query: must be 2-256 characters"),
    ):
        response = await http.get(path, params=params)
        assert response.status_code == 400, response.text
        assert response.json() == {"statusCode": 400, "message": "Validation failed", "errors": [error]}


async def test_a_rule_of_an_object_is_reported_at_its_field(http: httpx.AsyncClient) -> None:
    errors = await refused(
        http,
        "/v3/companies/prospecting",
        {
            "pagination": {"page": 600, "size": 100},
            "filters": {"companies": {"include": {"sizes": [{"min": 50, "max": 10}, {}]}}},
        },
    )
    assert errors == [
        "pagination.page: a query returns at most 50000 results; with size 100 the last page is 499. "
        "Narrow the filters instead",
        "filters.companies.include.sizes[0]: max must not be below min",
        "filters.companies.include.sizes[1]: needs min, max or both",
    ]
    assert await credits_charged(http) == 0


async def test_nested_filter_objects_are_closed_too(http: httpx.AsyncClient) -> None:
    errors = await refused(
        http,
        "/v3/companies/prospecting",
        {
            "pagination": {"page": 0, "size": 10},
            "filters": {
                "companies": {
                    "include": {
                        "mainIndustriesIds": ["a"],
                        "funding": {"ranges": [{"currency": "USD"}], "date": {"date": "2024-13-01"}},
                    }
                }
            },
        },
    )
    assert errors == [
        "filters.companies.include.mainIndustriesIds[0]: must be an integer, got string",
        "filters.companies.include.funding.ranges[0].currency: is not a known field; expected one of: "
        "coverage, max, min",
        "filters.companies.include.funding.date.date: must be a date as YYYY-MM-DD, got '2024-13-01'",
    ]
