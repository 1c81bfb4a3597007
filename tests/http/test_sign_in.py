"""Sign-in: `serve --transport http` as an OAuth 2.1 resource server (the MCP authorization spec),
against a test identity provider on loopback that signs JWTs with a key of its own JWKS."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncGenerator, Generator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from mcp import Client
from mcp.client.client import ConnectMode
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp_types import TextResourceContents

from tests.http.conftest import RunningServer, cli_environment, free_port, start_http_server, stop
from tests.http.issuer import Issuer, running_issuer
from tests.server.harness import structured

pytestmark = pytest.mark.anyio

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"},
    },
}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def issuer() -> Generator[Issuer]:
    with running_issuer() as running:
        yield running


@pytest.fixture(scope="module")
def signin_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("signin")


@pytest.fixture(scope="module")
def signed_in_server(
    issuer: Issuer, signin_data_dir: Path, http_dataset_dir: Path
) -> Generator[RunningServer]:
    port = free_port()
    env = cli_environment(
        signin_data_dir,
        http_dataset_dir,
        LUSHA_OAUTH_ISSUER=issuer.url,
        LUSHA_OAUTH_RESOURCE_URL=f"http://127.0.0.1:{port}/mcp",
        LUSHA_OAUTH_REQUIRED_SCOPES="lusha",
        LUSHA_SESSION_BUDGET="5",
    )
    server = start_http_server(env, port=port)
    yield server
    stop(server)


def resource(server: RunningServer) -> str:
    return f"http://127.0.0.1:{server.port}/mcp"


def metadata_url(server: RunningServer) -> str:
    return f"http://127.0.0.1:{server.port}/.well-known/oauth-protected-resource/mcp"


async def test_protected_resource_metadata(signed_in_server: RunningServer, issuer: Issuer) -> None:
    async with httpx.AsyncClient() as http:
        answer = await http.get(metadata_url(signed_in_server))
    assert answer.status_code == 200
    document = answer.json()
    assert document["resource"] == resource(signed_in_server)
    assert [url.rstrip("/") for url in document["authorization_servers"]] == [issuer.url]
    assert document["scopes_supported"] == ["lusha"]


async def refused(server: RunningServer, token: str | None) -> httpx.Response:
    headers = dict(HEADERS)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    async with httpx.AsyncClient() as http:
        return await http.post(server.url, headers=headers, content=json.dumps(INITIALIZE))


async def test_bad_tokens_get_401_or_403_with_the_metadata_pointer(
    signed_in_server: RunningServer, issuer: Issuer
) -> None:
    audience = resource(signed_in_server)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cases: dict[str, tuple[str | None, int]] = {
        "no token": (None, 401),
        "not a JWT": ("not-a-jwt-at-all-0123456789", 401),
        "expired": (issuer.token(subject="alice", audience=audience, expires_in=-120), 401),
        "wrong audience": (issuer.token(subject="alice", audience="https://other.example/mcp"), 401),
        "wrong issuer": (
            issuer.token(subject="alice", audience=audience, issuer="https://evil.example"),
            401,
        ),
        "signed by another key": (issuer.token(subject="alice", audience=audience, key=stranger), 401),
        "not yet valid": (
            issuer.token(subject="alice", audience=audience, extra={"nbf": int(time.time()) + 3600}),
            401,
        ),
        "unsigned (alg none)": (
            jwt.encode(
                {
                    "iss": issuer.url,
                    "sub": "alice",
                    "aud": audience,
                    "exp": int(time.time()) + 600,
                    "scope": "lusha",
                },
                "",
                algorithm="none",
            ),
            401,
        ),
        "no subject": (issuer.token(subject="", audience=audience), 401),
        "missing scope": (issuer.token(subject="alice", audience=audience, scope="profile"), 403),
    }
    for case, (token, expected) in cases.items():
        answer = await refused(signed_in_server, token)
        assert answer.status_code == expected, case
        challenge = answer.headers.get("www-authenticate", "")
        assert f'resource_metadata="{metadata_url(signed_in_server)}"' in challenge, case
        if expected == 403:
            assert "insufficient_scope" in challenge, case
    log = "".join(signed_in_server.log)
    for token, _ in cases.values():
        if token is not None:
            assert token not in log, "a token must never be logged"


@asynccontextmanager
async def signed_in(server: RunningServer, token: str, mode: ConnectMode = "auto") -> AsyncGenerator[Client]:
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    async with http, Client(streamable_http_client(server.url, http_client=http), mode=mode) as client:
        yield client


async def session_ledger(client: Client) -> dict[str, Any]:
    contents = (await client.read_resource("lusha://ledger/session")).contents[0]
    assert isinstance(contents, TextResourceContents)
    return json.loads(contents.text)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_each_user_has_their_own_session(
    signed_in_server: RunningServer, issuer: Issuer, mode: str
) -> None:
    audience = resource(signed_in_server)
    alice = issuer.token(subject=f"alice-{mode}", audience=audience)
    bob = issuer.token(subject=f"bob-{mode}", audience=audience)
    async with signed_in(signed_in_server, alice, mode) as client:
        found = await client.call_tool("prospect_contacts", {"departments": ["Sales"], "size": 10})
        assert not found.is_error, found.content
        assert (await session_ledger(client))["calls"], "alice's session records her call"
    # Alice again with a fresh token (another connection): on the 2026 protocol her session is her.
    async with signed_in(
        signed_in_server, issuer.token(subject=f"alice-{mode}", audience=audience), mode
    ) as client:
        seen = (await session_ledger(client))["calls"]
        assert bool(seen) == (mode == "auto")
    async with signed_in(signed_in_server, bob, mode) as client:
        assert (await session_ledger(client))["calls"] == [], "bob does not see alice's calls"


async def test_a_session_opened_by_one_user_is_refused_to_another(
    signed_in_server: RunningServer, issuer: Issuer
) -> None:
    audience = resource(signed_in_server)
    alice = issuer.token(subject="alice-owner", audience=audience)
    bob = issuer.token(subject="bob-intruder", audience=audience)
    async with httpx.AsyncClient() as http:
        opened = await http.post(
            signed_in_server.url,
            headers={**HEADERS, "Authorization": f"Bearer {alice}"},
            content=json.dumps(INITIALIZE),
        )
        assert opened.status_code == 200
        session = opened.headers["mcp-session-id"]
        listing: dict[str, Any] = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}
        headers = {**HEADERS, "Mcp-Session-Id": session, "MCP-Protocol-Version": "2025-06-18"}
        intruder = await http.post(
            signed_in_server.url,
            headers={**headers, "Authorization": f"Bearer {bob}"},
            content=json.dumps(listing),
        )
        assert intruder.status_code == 404


async def test_a_team_claim_that_is_not_a_list_is_logged_once_and_gives_no_teams(
    signed_in_server: RunningServer, issuer: Issuer
) -> None:
    audience = resource(signed_in_server)
    nested = {"groups": {"sales": {"role": "rep"}}}
    for subject in ("carol-nested", "dave-nested"):
        token = issuer.token(subject=subject, audience=audience, extra=nested)
        async with signed_in(signed_in_server, token) as client:
            found = await client.call_tool("prospect_contacts", {"departments": ["Sales"], "size": 10})
            assert not found.is_error, found.content
    lines = [line for line in signed_in_server.log if "team claim 'groups'" in line]
    assert len(lines) == 1, lines  # once, not at every request
    assert "an object (a nested claim), not a list of team names" in lines[0]
    assert "LUSHA_OAUTH_TEAM_CLAIM" in lines[0]
    assert "sales" not in lines[0], "the claim's values are not logged"


async def test_the_verifier_keeps_team_names_only(issuer: Issuer) -> None:
    from lusha_mcp.auth import JWTVerifier, principal_of_token

    audience = "https://mcp.example.com/mcp"
    verifier = JWTVerifier(issuer=issuer.url, audience=audience, jwks_url=None, team_claim="teams")
    expected: dict[str, tuple[str, ...]] = {
        "listed": ("sales", "emea"),
        "string": (),
        "nested": (),
        "mixed": ("sales",),
        "absent": (),
    }
    values: dict[str, Any] = {
        "listed": ["sales", "emea"],
        "string": "sales",
        "nested": {"sales": True},
        "mixed": ["sales", {"name": "emea"}, 7, ""],
    }
    for case, teams in expected.items():
        extra = {"teams": values[case]} if case in values else {}
        verified = await verifier.verify_token(issuer.token(subject=case, audience=audience, extra=extra))
        assert verified is not None, case
        principal = principal_of_token(verified)
        assert principal is not None, case
        assert principal.teams == teams, case


def stored_files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


async def test_no_access_token_is_logged_or_stored_after_signed_in_calls(
    signed_in_server: RunningServer, issuer: Issuer, signin_data_dir: Path
) -> None:
    audience = resource(signed_in_server)
    token = issuer.token(subject="erin-stores-nothing", audience=audience, groups=["sales"])
    async with signed_in(signed_in_server, token) as client:
        found = await client.call_tool("prospect_contacts", {"departments": ["Sales"], "size": 10})
        assert not found.is_error, found.content
        ids = [str(row["id"]) for row in structured(found)["contacts"][:1]]
        quoted = structured(await client.call_tool("enrich_contacts", {"ids": ids, "reveal": ["emails"]}))
        confirmation = str(quoted["confirmation_token"])
        spent = await client.call_tool(
            "enrich_contacts", {"ids": ids, "reveal": ["emails"], "confirmation_token": confirmation}
        )
        assert not spent.is_error, spent.content
        assert (await session_ledger(client))["calls"], "the signed-in calls were recorded"
    signature = token.rsplit(".", 1)[1]
    stored = stored_files(signin_data_dir)
    assert any(path.suffix == ".sqlite" for path in stored)
    for path in stored:
        content = path.read_bytes()
        assert token.encode() not in content, path
        assert signature.encode() not in content, path
    log = "".join(signed_in_server.log)
    assert token not in log
    assert signature not in log
