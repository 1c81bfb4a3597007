"""Lookalikes over HTTP: similarity, dedupe sessions (no repeats, 410 when gone, kept across
restarts), seed validation, exclusions and per-result billing."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from lusha_mcp.sandbox import SANDBOX_BASE_URL, SandboxConfig, create_app
from lusha_mcp.settings import SANDBOX_API_KEY, Settings
from tests.sandbox.activity_support import charges, dataset
from tests.sandbox.answers import assert_answer_parses

pytestmark = pytest.mark.anyio

JsonObject = dict[str, Any]


def _seed_contacts(settings: Settings, count: int = 5) -> list[tuple[str, str, set[str], str, str]]:
    """(id, seniority, departments, industry, linkedin) of `count` Directors in one industry."""
    with dataset(settings) as conn:
        industry = conn.execute(
            "SELECT k.industry FROM contacts c JOIN companies k ON k.id = c.company_id WHERE c.seniority = 'Director' "
            "GROUP BY k.industry ORDER BY COUNT(*) DESC LIMIT 1"
        ).fetchone()[0]
        rows = conn.execute(
            "SELECT c.id, c.seniority, c.departments, k.industry, c.linkedin_url FROM contacts c "
            "JOIN companies k ON k.id = c.company_id WHERE c.seniority = 'Director' AND k.industry = ? "
            "ORDER BY c.seq LIMIT ?",
            (industry, count),
        ).fetchall()
    return [(str(r[0]), str(r[1]), set(json.loads(r[2])), str(r[3]), str(r[4])) for r in rows]


def _profiles(settings: Settings, ids: list[str]) -> dict[str, tuple[str, set[str], str]]:
    with dataset(settings) as conn:
        rows = conn.execute(
            "SELECT c.id, c.seniority, c.departments, k.industry FROM contacts c JOIN companies k ON k.id = c.company_id "
            f"WHERE c.id IN ({','.join('?' * len(ids))})",
            ids,
        ).fetchall()
    return {str(r[0]): (str(r[1]), set(json.loads(r[2])), str(r[3])) for r in rows}


async def test_contact_lookalikes_share_seniority_and_department_or_industry_with_a_seed(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    seeds = _seed_contacts(sandbox_settings)

    response = await http.post(
        "/v3/contacts/lookalike",
        json={
            "seeds": {
                "ids": [seed[0] for seed in seeds[:3]],
                "linkedinUrls": [seed[4] for seed in seeds[3:]],
            },
            "limit": 20,
        },
    )

    assert response.status_code == 200, response.text
    assert_answer_parses("POST", "/v3/contacts/lookalike", response)
    body = response.json()
    results = body["results"]
    assert len(results) == 20
    assert body["meta"] == {"returned": 20, "hasMore": True}
    seed_ids = {seed[0] for seed in seeds}
    assert not seed_ids & {item["id"] for item in results}
    for result_id, (seniority, departments, industry) in _profiles(
        sandbox_settings, [r["id"] for r in results]
    ).items():
        assert any(
            seniority == seed[1] and (departments & seed[2] or industry == seed[3]) for seed in seeds
        ), f"{result_id} is not like any seed"
    assert body["billing"] == {"creditsCharged": 60, "resultsReturned": 20}
    assert (await charges(http))["totalCreditsCharged"] == 60


async def test_repeated_calls_in_a_session_never_repeat_a_contact(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    seeds = {"ids": [seed[0] for seed in _seed_contacts(sandbox_settings)]}
    first = (await http.post("/v3/contacts/lookalike", json={"seeds": seeds, "limit": 10})).json()
    session = first["dedupeSessionId"]

    later = [
        (
            await http.post(
                "/v3/contacts/lookalike", json={"seeds": seeds, "limit": 10, "dedupeSessionId": session}
            )
        ).json()
        for _ in range(2)
    ]

    pages = [[item["id"] for item in page["results"]] for page in [first, *later]]
    assert all(len(page) == 10 for page in pages)
    assert len({item for page in pages for item in page}) == 30
    assert all(page["dedupeSessionId"] == session for page in later)


async def test_a_new_session_starts_over(http: httpx.AsyncClient, sandbox_settings: Settings) -> None:
    seeds = {"ids": [seed[0] for seed in _seed_contacts(sandbox_settings)]}

    first = (await http.post("/v3/contacts/lookalike", json={"seeds": seeds, "limit": 5})).json()
    second = (await http.post("/v3/contacts/lookalike", json={"seeds": seeds, "limit": 5})).json()

    assert first["dedupeSessionId"] != second["dedupeSessionId"]
    assert first["results"] == second["results"]


async def test_excluded_contacts_are_never_returned(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    seeds = {"ids": [seed[0] for seed in _seed_contacts(sandbox_settings)]}
    plain = (await http.post("/v3/contacts/lookalike", json={"seeds": seeds, "limit": 5})).json()
    top = [item["id"] for item in plain["results"][:3]]

    response = await http.post(
        "/v3/contacts/lookalike", json={"seeds": seeds, "limit": 5, "exclude": {"ids": top}}
    )

    assert response.status_code == 200, response.text
    assert not set(top) & {item["id"] for item in response.json()["results"]}


@pytest.mark.parametrize("count", [4, 101])
async def test_contact_lookalikes_need_five_to_a_hundred_seeds(http: httpx.AsyncClient, count: int) -> None:
    response = await http.post(
        "/v3/contacts/lookalike",
        json={"seeds": {"linkedinUrls": [f"https://linkedin.com/in/x{n}" for n in range(count)]}},
    )

    assert response.status_code == 400
    assert_answer_parses("POST", "/v3/contacts/lookalike", response)
    assert any(error.startswith("seeds") for error in response.json()["errors"])


@pytest.mark.parametrize("session", ["58adaa77-7a6e-4c9b-8c2d-820a6538e613", "not-a-session"])
async def test_unknown_sessions_answer_410(
    http: httpx.AsyncClient, sandbox_settings: Settings, session: str
) -> None:
    seeds = {"ids": [seed[0] for seed in _seed_contacts(sandbox_settings)]}

    contacts = await http.post("/v3/contacts/lookalike", json={"seeds": seeds, "dedupeSessionId": session})
    companies = await http.post(
        "/v3/companies/lookalike", json={"seeds": {"domains": ["a.com"]}, "dedupeSessionId": session}
    )

    assert contacts.status_code == 410
    assert_answer_parses("POST", "/v3/contacts/lookalike", contacts)
    assert contacts.json()["code"] == "DEDUPE_SESSION_INVALID"
    assert companies.status_code == 410
    assert_answer_parses("POST", "/v3/companies/lookalike", companies)
    assert companies.json()["statusCode"] == 410
    assert (await charges(http))["totalCreditsCharged"] == 0


async def test_a_dead_session_answers_410_before_the_rest_of_the_body_is_checked(
    http: httpx.AsyncClient,
) -> None:
    session = "58adaa77-7a6e-4c9b-8c2d-820a6538e613"

    contacts = await http.post(
        "/v3/contacts/lookalike", json={"seeds": {"ids": ["1"]}, "dedupeSessionId": session}
    )
    companies = await http.post("/v3/companies/lookalike", json={"seeds": {}, "dedupeSessionId": session})
    blank = await http.post("/v3/contacts/lookalike", json={"seeds": {"ids": ["1"]}, "dedupeSessionId": " "})

    assert (contacts.status_code, companies.status_code) == (410, 410)
    assert blank.status_code == 400
    assert blank.json()["errors"] == ["dedupeSessionId: must not be empty"]
    assert (await charges(http))["totalCreditsCharged"] == 0


async def test_sessions_expire_thirty_days_after_last_use(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    seeds = {"ids": [seed[0] for seed in _seed_contacts(sandbox_settings)]}
    fresh = (await http.post("/v3/contacts/lookalike", json={"seeds": seeds, "limit": 1})).json()[
        "dedupeSessionId"
    ]
    stale = (await http.post("/v3/contacts/lookalike", json={"seeds": seeds, "limit": 1})).json()[
        "dedupeSessionId"
    ]
    for session, days in ((fresh, 29), (stale, 31)):
        aged = await http.post("/_sandbox/lookalikes/age", json={"dedupeSessionId": session, "days": days})
        assert aged.status_code == 200, aged.text

    kept = await http.post(
        "/v3/contacts/lookalike", json={"seeds": seeds, "limit": 1, "dedupeSessionId": fresh}
    )
    expired = await http.post(
        "/v3/contacts/lookalike", json={"seeds": seeds, "limit": 1, "dedupeSessionId": stale}
    )

    assert kept.status_code == 200
    assert expired.status_code == 410


async def test_sessions_survive_a_restart(http: httpx.AsyncClient, sandbox_settings: Settings) -> None:
    seeds = {"ids": [seed[0] for seed in _seed_contacts(sandbox_settings)]}
    first = (await http.post("/v3/contacts/lookalike", json={"seeds": seeds, "limit": 10})).json()

    restarted = create_app(SandboxConfig.from_settings(sandbox_settings))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=restarted),
        base_url=SANDBOX_BASE_URL,
        headers={"api_key": SANDBOX_API_KEY},
    ) as client:
        again = await client.post(
            "/v3/contacts/lookalike",
            json={"seeds": seeds, "limit": 10, "dedupeSessionId": first["dedupeSessionId"]},
        )
    restarted.state.sandbox.close()

    assert again.status_code == 200, again.text
    assert not {item["id"] for item in first["results"]} & {item["id"] for item in again.json()["results"]}


async def test_company_lookalikes_share_industry_respect_exclusions_and_dedupe(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    with dataset(sandbox_settings) as conn:
        industry = conn.execute(
            "SELECT industry FROM companies GROUP BY industry ORDER BY COUNT(*) DESC LIMIT 1"
        ).fetchone()[0]
        seed_domain, seed_linkedin = conn.execute(
            "SELECT domain, linkedin_url FROM companies WHERE industry = ? ORDER BY seq LIMIT 1", (industry,)
        ).fetchone()
        industries = dict(conn.execute("SELECT id, industry FROM companies").fetchall())
    seeds = {"domains": [seed_domain], "linkedinUrls": [seed_linkedin]}
    first = await http.post("/v3/companies/lookalike", json={"seeds": seeds, "limit": 3})
    excluded = first.json()["results"][0]["domain"]

    second = await http.post(
        "/v3/companies/lookalike",
        json={
            "seeds": seeds,
            "limit": 3,
            "exclude": {"domains": [excluded]},
            "dedupeSessionId": first.json()["dedupeSessionId"],
        },
    )

    assert first.status_code == 200, first.text
    assert second.status_code == 200, second.text
    assert_answer_parses("POST", "/v3/companies/lookalike", second)
    results = first.json()["results"] + second.json()["results"]
    assert len({item["id"] for item in results}) == 6
    assert all(industries[item["id"]] == industry for item in results)
    assert seed_domain not in {item["domain"] for item in results}
    assert second.json()["billing"] == {"creditsCharged": 9, "resultsReturned": 3}


async def test_a_contact_session_cannot_page_companies(
    http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    seeds = {"ids": [seed[0] for seed in _seed_contacts(sandbox_settings)]}
    session = (await http.post("/v3/contacts/lookalike", json={"seeds": seeds, "limit": 1})).json()[
        "dedupeSessionId"
    ]

    response = await http.post(
        "/v3/companies/lookalike", json={"seeds": {"domains": ["x.com"]}, "dedupeSessionId": session}
    )

    assert response.status_code == 410


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"seeds": {}}, "seeds"),
        ({"seeds": {"domains": [f"c{n}.com" for n in range(101)]}}, "seeds.domains"),
        ({"seeds": {"domains": ["a.com"]}, "limit": 101}, "limit"),
        ({"seeds": {"tickers": ["ACME"]}}, "seeds.tickers"),
    ],
)
async def test_invalid_company_lookalike_requests_name_the_field(
    http: httpx.AsyncClient, body: JsonObject, field: str
) -> None:
    response = await http.post("/v3/companies/lookalike", json=body)

    assert response.status_code == 400
    assert_answer_parses("POST", "/v3/companies/lookalike", response)
    assert any(error.startswith(f"{field}:") for error in response.json()["errors"]), response.json()
