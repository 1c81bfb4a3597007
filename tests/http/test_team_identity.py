"""The signed-in user reaches the guard: per-user and per-team daily budgets, ledger rows naming
user and teams, and confirmation tokens bound to the user rather than to one MCP session
(`serve --transport http` with sign-in, against the test issuer on loopback)."""

from __future__ import annotations

import json
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp_types import CallToolResult, TextResourceContents

from tests.http.conftest import RunningServer, cli_environment, free_port, start_http_server, stop
from tests.http.issuer import Issuer, running_issuer
from tests.http.test_sign_in import signed_in

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def issuer() -> Generator[Issuer]:
    with running_issuer() as running:
        yield running


@pytest.fixture(scope="module")
def team_server(
    issuer: Issuer, tmp_path_factory: pytest.TempPathFactory, http_dataset_dir: Path
) -> Generator[RunningServer]:
    port = free_port()
    env = cli_environment(
        tmp_path_factory.mktemp("team-identity"),
        http_dataset_dir,
        LUSHA_OAUTH_ISSUER=issuer.url,
        LUSHA_OAUTH_RESOURCE_URL=f"http://127.0.0.1:{port}/mcp",
        LUSHA_OAUTH_REQUIRED_SCOPES="lusha",
        LUSHA_TEAM_DAILY_BUDGET="3",
        LUSHA_USER_DAILY_BUDGET="2",
    )
    server = start_http_server(env, port=port)
    yield server
    stop(server)


def token(issuer: Issuer, server: RunningServer, subject: str, groups: list[str]) -> str:
    return issuer.token(subject=subject, audience=f"http://127.0.0.1:{server.port}/mcp", groups=groups)


def text(result: CallToolResult) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


async def prospect(client: Client, page: int) -> CallToolResult:
    return await client.call_tool("prospect_contacts", {"departments": ["Sales"], "size": 10, "page": page})


async def test_a_team_budget_holds_across_its_users_and_names_the_team(
    team_server: RunningServer, issuer: Issuer
) -> None:
    outcomes: list[CallToolResult] = []
    ledger: dict[str, Any] = {}
    for subject, groups in (("ann", ["sales"]), ("ann", ["sales"]), ("ben", ["sales"]), ("ben", ["sales"])):
        async with signed_in(team_server, token(issuer, team_server, subject, groups)) as client:
            outcomes.append(await prospect(client, page=len(outcomes)))
            if subject == "ann" and len(outcomes) == 1:
                contents = (await client.read_resource("lusha://ledger/session")).contents[0]
                assert isinstance(contents, TextResourceContents)
                ledger = json.loads(contents.text)

    assert [result.is_error for result in outcomes] == [False, False, False, True], [
        text(r) for r in outcomes
    ]
    assert "team sales: 0 credits left today" in text(outcomes[3])
    rows: list[dict[str, Any]] = ledger["calls"]
    (row,) = rows
    assert row["user"] == f"{issuer.url} ann"
    assert row["teams"] == ["sales"]


async def test_a_user_budget_refuses_its_user_only(team_server: RunningServer, issuer: Issuer) -> None:
    results: list[CallToolResult] = []
    for subject in ("cid", "cid", "cid", "dee"):
        async with signed_in(team_server, token(issuer, team_server, subject, ["support"])) as client:
            results.append(await prospect(client, page=10 + len(results)))

    assert [result.is_error for result in results] == [False, False, True, False], [text(r) for r in results]
    assert f"user {issuer.url} cid: 0 credits left today" in text(results[2])


async def test_a_token_quoted_in_one_session_of_a_user_runs_in_another_of_theirs_only(
    team_server: RunningServer, issuer: Issuer
) -> None:
    async with signed_in(team_server, token(issuer, team_server, "eve", []), "legacy") as client:
        found = await prospect(client, page=30)
        assert found.structured_content is not None, text(found)
        arguments = {"ids": [found.structured_content["contacts"][0]["id"]], "reveal": ["emails"]}
        asked = await client.call_tool("enrich_contacts", arguments)
    assert asked.structured_content is not None, text(asked)
    confirmation = str(asked.structured_content["confirmation_token"])

    async def redeem(subject: str) -> CallToolResult:
        async with signed_in(team_server, token(issuer, team_server, subject, []), "legacy") as client:
            return await client.call_tool(
                "enrich_contacts", {**arguments, "confirmation_token": confirmation}
            )

    stolen = await redeem("fay")
    own = await redeem("eve")  # another MCP session (a new legacy handshake) of the same user
    again = await redeem("eve")

    assert stolen.is_error
    assert "issued to another user or client session" in text(stolen)
    assert not own.is_error, text(own)
    assert own.structured_content is not None
    assert own.structured_content["status"] == "ok"
    assert again.is_error
    assert "already used" in text(again)
