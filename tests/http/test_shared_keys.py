"""Keys every replica shares (LUSHA_CONFIRMATION_KEYS): a confirmation token or a 2026-07-28
requestState made by one `serve --transport http` replica is accepted by another with the same
keys, by one that rotated to a new key (old key kept after it), and refused by one without it."""

from __future__ import annotations

import secrets
from collections.abc import AsyncGenerator, Generator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.context import ClientRequestContext
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import (
    CallToolResult,
    ElicitRequestParams,
    ElicitResult,
    ErrorData,
    InputRequiredResult,
    InputResponses,
)

from lusha_mcp.keys import fingerprint
from lusha_mcp.settings import Settings
from lusha_mcp.tools.catalog import APPROVAL_KEY
from tests.conftest import TEST_COMPANIES, TEST_CONTACTS
from tests.http.conftest import RunningServer, cli_environment, start_http_server, stop
from tests.http.test_sign_in import stored_files
from tests.server.harness import contact_ids_with_emails, structured, text_of

pytestmark = pytest.mark.anyio

OLD_KEY = secrets.token_urlsafe(32)
NEW_KEY = secrets.token_hex(32)
OTHER_KEY = secrets.token_urlsafe(32)
ALICE = "alice-" + secrets.token_urlsafe(16)
BOB = "bob-" + secrets.token_urlsafe(16)
KEYS = {"a": OLD_KEY, "b": OLD_KEY, "rotated": f"{NEW_KEY},{OLD_KEY}", "other": OTHER_KEY}
"""The replicas: a and b share one key; `rotated` signs with a new key and keeps the old one; `other`
has a key of its own."""


@pytest.fixture(scope="module")
def contact_ids(tmp_path_factory: pytest.TempPathFactory, http_dataset_dir: Path) -> list[str]:
    settings = Settings(
        sandbox=True,
        data_dir=tmp_path_factory.mktemp("ids"),
        sandbox_dataset_dir=http_dataset_dir,
        sandbox_contacts=TEST_CONTACTS,
        sandbox_companies=TEST_COMPANIES,
    )
    return contact_ids_with_emails(settings, 8)


@pytest.fixture(scope="module")
def replica_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each replica its own data dir: only the keys are shared."""
    return {name: tmp_path_factory.mktemp(f"replica-{name}") for name in KEYS}


@pytest.fixture(scope="module")
def replicas(
    replica_dirs: dict[str, Path], http_dataset_dir: Path, contact_ids: list[str]
) -> Generator[dict[str, RunningServer]]:
    started: dict[str, RunningServer] = {}
    try:
        for name, keys in KEYS.items():
            env = cli_environment(
                replica_dirs[name],
                http_dataset_dir,
                LUSHA_CONFIRMATION_KEYS=keys,
                LUSHA_HTTP_TOKEN=f"{ALICE},{BOB}",
            )
            started[name] = start_http_server(env)
        yield started
    finally:
        for server in started.values():
            stop(server)


def never_asked(seen: list[str]) -> Any:
    async def elicit(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult | ErrorData:
        seen.append(params.message)
        return ElicitResult(action="decline")

    return elicit


@asynccontextmanager
async def client_of(
    server: RunningServer, token: str, asked: list[str] | None = None
) -> AsyncGenerator[Client]:
    """A client of one replica; it declares elicitation when `asked` collects its questions."""
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    callback = never_asked(asked) if asked is not None else None
    async with (
        http,
        Client(streamable_http_client(server.url, http_client=http), elicitation_callback=callback) as client,
    ):
        yield client


def reveal(ids: list[str]) -> dict[str, Any]:
    return {"ids": ids, "reveal": ["emails"]}


async def quote_on(server: RunningServer, ids: list[str]) -> str:
    async with client_of(server, ALICE) as client:
        quoted = structured(await client.call_tool("enrich_contacts", reveal(ids)))
    assert quoted["status"] == "confirmation_required", quoted
    return str(quoted["confirmation_token"])


async def redeem_on(server: RunningServer, ids: list[str], token: str) -> Any:
    async with client_of(server, ALICE) as client:
        return await client.call_tool("enrich_contacts", {**reveal(ids), "confirmation_token": token})


async def test_a_confirmation_token_works_on_every_replica_holding_its_key(
    replicas: dict[str, RunningServer], contact_ids: list[str]
) -> None:
    first, second = contact_ids[:1], contact_ids[1:2]
    token = await quote_on(replicas["a"], first)
    assert token.split(".")[1] == fingerprint(OLD_KEY.encode()), "the token names its key by fingerprint"
    assert OLD_KEY not in token

    stranger = await redeem_on(replicas["other"], first, token)
    assert stranger.is_error
    assert "signed with a key this server no longer accepts; ask for a new quote" in text_of(stranger)
    assert "Nothing was spent" in text_of(stranger)

    redeemed = structured(await redeem_on(replicas["b"], first, token))
    assert redeemed["status"] == "ok", redeemed
    assert redeemed["credits_charged"] == 1

    # Rotation: the rotated replica still accepts what the old key signed ...
    rotated = structured(await redeem_on(replicas["rotated"], second, await quote_on(replicas["a"], second)))
    assert rotated["status"] == "ok", rotated
    # ... and signs with its new key, which a replica not yet rotated does not accept.
    third = contact_ids[5:6]
    new_token = await quote_on(replicas["rotated"], third)
    assert new_token.split(".")[1] == fingerprint(NEW_KEY.encode())
    not_yet = await redeem_on(replicas["a"], third, new_token)
    assert not_yet.is_error
    assert "no longer accepts" in text_of(not_yet)


async def ask_on(server: RunningServer, ids: list[str]) -> str:
    """The sealed requestState of the approval question a 2026-07-28 replica asks."""
    asked: list[str] = []
    async with client_of(server, ALICE, asked) as client:
        assert client.protocol_version == "2026-07-28"
        result = await client.session.call_tool("enrich_contacts", reveal(ids), allow_input_required=True)
    assert isinstance(result, InputRequiredResult), result
    assert result.input_requests is not None
    assert APPROVAL_KEY in result.input_requests
    assert result.request_state is not None
    assert result.request_state.startswith("v1.")
    assert asked == [], "the question rides the result; the client was not called back"
    return result.request_state


async def answer_on(
    server: RunningServer, ids: list[str], state: str, token: str = ALICE
) -> CallToolResult | MCPError:
    """The user's yes to that question, sent to another replica with the sealed state (the
    replica's refusal of the state is returned, caught before the client's task group wraps it)."""
    asked: list[str] = []
    answer: InputResponses = {APPROVAL_KEY: ElicitResult(action="accept", content={"approve": True})}
    async with client_of(server, token, asked) as client:
        try:
            result = await client.call_tool(
                "enrich_contacts", reveal(ids), input_responses=answer, request_state=state
            )
        except MCPError as refusal:
            return refusal
    assert asked == [], "the answered question is not asked again"
    return result


def answered(outcome: CallToolResult | MCPError) -> dict[str, Any]:
    assert isinstance(outcome, CallToolResult), outcome
    return structured(outcome)


def refused(outcome: CallToolResult | MCPError) -> str:
    assert isinstance(outcome, MCPError), outcome
    return outcome.error.message


async def test_a_request_state_sealed_by_one_replica_is_opened_by_another(
    replicas: dict[str, RunningServer], contact_ids: list[str]
) -> None:
    ids = contact_ids[2:3]
    state = await ask_on(replicas["a"], ids)

    assert refused(await answer_on(replicas["other"], ids, state)) == "Invalid or expired requestState"
    assert any("requestState rejected" in line and "unknown key" in line for line in replicas["other"].log)
    assert refused(await answer_on(replicas["b"], ids, state, token=BOB)) == "Invalid or expired requestState"
    assert any("requestState rejected" in line and "principal" in line for line in replicas["b"].log)

    approved = answered(await answer_on(replicas["b"], ids, state))
    assert approved["status"] == "ok", approved
    assert approved["credits_charged"] == 1

    rotated_ids = contact_ids[3:4]
    rotated = answered(
        await answer_on(replicas["rotated"], rotated_ids, await ask_on(replicas["a"], rotated_ids))
    )
    assert rotated["status"] == "ok", rotated


async def test_no_key_or_token_is_logged_or_stored(
    replicas: dict[str, RunningServer], replica_dirs: dict[str, Path], contact_ids: list[str]
) -> None:
    redeemed = await redeem_on(
        replicas["b"], contact_ids[4:5], await quote_on(replicas["a"], contact_ids[4:5])
    )
    assert structured(redeemed)["status"] == "ok"
    stored = [path for folder in replica_dirs.values() for path in stored_files(folder)]
    assert any(path.suffix == ".sqlite" for path in stored), "the replicas wrote their ledgers"
    for secret in (OLD_KEY, NEW_KEY, OTHER_KEY, ALICE, BOB):
        for name, server in replicas.items():
            assert secret not in "".join(server.log), f"a secret in replica {name}'s log"
        for path in stored:
            assert secret.encode() not in path.read_bytes(), f"a secret stored in {path}"
