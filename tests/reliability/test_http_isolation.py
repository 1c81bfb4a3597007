"""HTTP transport, between clients: a confirmation token issued to one client session cannot be
redeemed by another, and one session's ledger resource does not show another's calls.

A client session is a principal (the holder of one of several configured bearer tokens; one with
none) and, on the 2025 handshake protocol, an MCP session the server issued to that principal:
a made-up or another principal's `Mcp-Session-Id` names no session. Sessions share the
daily budget and the reveal cache (the account's data), so what one revealed the other gets free.
(Bearer token, Host/Origin and loopback binding are proven in tests/http/.)
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections import Counter
from collections.abc import AsyncGenerator, Generator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client
from mcp.client.client import ConnectMode
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp_types import CallToolResult, TextResourceContents

from lusha_mcp.guard import Ledger
from lusha_mcp.sandbox import sandbox_app
from lusha_mcp.settings import Settings
from tests.http.conftest import RunningServer, cli_environment, start_http_server, stop
from tests.reliability.conftest import FIGURES
from tests.reliability.faults import sandbox_charged
from tests.server.harness import contact_ids_with_emails, text_of

pytestmark = pytest.mark.anyio

ALICE_TOKEN = "alice-token-0123456789abcdef"
MALLORY_TOKEN = "mallory-token-0123456789abcdef"


@pytest.fixture
def http_server(tmp_path: Path, session_data_dir: Path) -> Generator[RunningServer]:
    """Loopback, no token: clients are told apart by their MCP session."""
    server = start_http_server(cli_environment(tmp_path / "server-data", session_data_dir))
    yield server
    stop(server)


@pytest.fixture
def two_token_server(tmp_path: Path, session_data_dir: Path) -> Generator[RunningServer]:
    """Two bearer tokens configured: each holder is a client of its own."""
    env = cli_environment(
        tmp_path / "server-data", session_data_dir, LUSHA_HTTP_TOKEN=f"{ALICE_TOKEN}, {MALLORY_TOKEN}"
    )
    server = start_http_server(env)
    yield server
    stop(server)


@asynccontextmanager
async def session(
    server: RunningServer, *, mode: ConnectMode = "legacy", token: str | None = None
) -> AsyncGenerator[Client]:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    http_client = create_mcp_http_client(headers=headers)
    transport = streamable_http_client(server.url, http_client=http_client)
    async with http_client, Client(transport, mode=mode) as client:
        yield client


def some_contact_ids(settings: Settings) -> list[str]:
    sandbox_app(settings)  # generates the session's dataset if no earlier test did
    assert settings.sandbox_dataset_dir is not None
    paths = sorted(settings.sandbox_dataset_dir.glob("dataset-*.sqlite"))
    assert paths, "the sandbox dataset is missing"
    with sqlite3.connect(paths[0]) as db:
        rows = db.execute("SELECT id FROM contacts WHERE gdpr_blocked = 0 ORDER BY id LIMIT 3").fetchall()
    return [str(row[0]) for row in rows]


async def session_ledger(client: Client) -> dict[str, Any]:
    read = await client.read_resource("lusha://ledger/session")
    contents = read.contents[0]
    assert isinstance(contents, TextResourceContents)
    return json.loads(contents.text)


def field(result: CallToolResult, name: str) -> Any:
    content: dict[str, Any] = result.structured_content or {}
    return content.get(name)


def status(result: CallToolResult) -> str | None:
    return field(result, "status")


def assert_refused_as_other_clients(stolen: CallToolResult) -> None:
    assert stolen.is_error, text_of(stolen)
    assert "issued to another user or client session" in text_of(stolen)
    assert (field(stolen, "credits_charged") or 0) == 0


async def test_another_mcp_session_cannot_redeem_a_confirmation_token_or_read_the_ledger(
    http_server: RunningServer, sandbox_settings: Settings
) -> None:
    arguments = {"ids": some_contact_ids(sandbox_settings), "reveal": ["emails"]}
    async with session(http_server) as alice:
        asked = await alice.call_tool("enrich_contacts", arguments)
        assert status(asked) == "confirmation_required", text_of(asked)
        token = field(asked, "confirmation_token")

        async with session(http_server) as mallory:
            stolen = await mallory.call_tool("enrich_contacts", {**arguments, "confirmation_token": token})
            assert_refused_as_other_clients(stolen)
            assert (await session_ledger(mallory))["calls"] == []

        spent = await alice.call_tool("enrich_contacts", {**arguments, "confirmation_token": token})
        assert status(spent) == "ok", text_of(spent)
        charged = field(spent, "credits_charged")
        assert charged > 0
        mine = await session_ledger(alice)
        assert [call["tool"] for call in mine["calls"]] == ["enrich_contacts"]
        assert mine["charged"] == charged

        async with session(http_server) as bob:
            theirs = await session_ledger(bob)
            # The reveal cache is the account's: what alice paid for, bob reads free.
            again = await bob.call_tool("enrich_contacts", arguments)
            assert status(again) == "cached", text_of(again)
            assert field(again, "credits_charged") == 0
        assert theirs["calls"] == []
        assert theirs["session"] != mine["session"]


async def test_holders_of_different_bearer_tokens_are_kept_apart_on_either_protocol(
    two_token_server: RunningServer, sandbox_settings: Settings
) -> None:
    arguments = {"ids": some_contact_ids(sandbox_settings)[:2], "reveal": ["phones"]}
    for mode in ("auto", "legacy"):
        async with session(two_token_server, mode=mode, token=ALICE_TOKEN) as alice:
            asked = await alice.call_tool("enrich_contacts", arguments)
            assert status(asked) == "confirmation_required", text_of(asked)
            token = field(asked, "confirmation_token")
            async with session(two_token_server, mode=mode, token=MALLORY_TOKEN) as mallory:
                stolen = await mallory.call_tool(
                    "enrich_contacts", {**arguments, "confirmation_token": token}
                )
                assert_refused_as_other_clients(stolen)
                assert (await session_ledger(mallory))["calls"] == []
    # Alice on the 2026 protocol (no MCP session) redeems a token across her own requests.
    async with session(two_token_server, mode="auto", token=ALICE_TOKEN) as alice:
        asked = await alice.call_tool("enrich_contacts", arguments)
        token = field(asked, "confirmation_token")
    async with session(two_token_server, mode="auto", token=ALICE_TOKEN) as alice_again:
        spent = await alice_again.call_tool("enrich_contacts", {**arguments, "confirmation_token": token})
        assert status(spent) == "ok", text_of(spent)
        assert [call["tool"] for call in (await session_ledger(alice_again))["calls"]] == ["enrich_contacts"]


SESSIONS = 3
CALLS = 10
SESSION_BUDGET = 16
DAILY_BUDGET = 40


async def test_http_sessions_each_keep_their_own_session_budget_under_concurrency(
    sandbox_settings: Settings, session_data_dir: Path, tmp_path: Path
) -> None:
    """One HTTP server, three MCP sessions each firing ten 3-contact reveals at once: no session
    spends past its own session budget, and together they never pass the shared daily budget."""
    ids = contact_ids_with_emails(sandbox_settings, SESSIONS * CALLS * 3)
    data_dir = tmp_path / "budgets"
    server = start_http_server(
        cli_environment(
            data_dir,
            session_data_dir,
            LUSHA_AUTO_APPROVE="true",
            LUSHA_SESSION_BUDGET=str(SESSION_BUDGET),
            LUSHA_DAILY_BUDGET=str(DAILY_BUDGET),
            LUSHA_SANDBOX_RATE_LIMITS="false",
        )
    )
    outcomes: Counter[str] = Counter()
    spent: dict[str, int] = {}

    async def reveal(client: Client, chunk: list[str]) -> None:
        result = await client.call_tool("enrich_contacts", {"ids": chunk, "reveal": ["emails"]})
        outcomes[
            "refused" if result.is_error and "budget" in text_of(result) else status(result) or "error"
        ] += 1

    async def one_session(index: int) -> None:
        async with session(server) as client, anyio.create_task_group() as group:
            for call in range(CALLS):
                start = (index * CALLS + call) * 3
                group.start_soon(reveal, client, ids[start : start + 3])

    try:
        async with anyio.create_task_group() as group:
            for index in range(SESSIONS):
                group.start_soon(one_session, index)
    finally:
        stop(server)
    ledger = Ledger(data_dir)
    try:
        for entry in ledger.entries():
            spent[entry.session] = spent.get(entry.session, 0) + (entry.charged or 0)
    finally:
        ledger.close()
    FIGURES["concurrent metered calls"] += SESSIONS * CALLS
    assert set(outcomes) <= {"ok", "refused"}, outcomes
    assert outcomes["refused"] > 0, "the budgets were never reached: the test proves nothing"
    assert len(spent) == SESSIONS, spent
    overspend = sum(max(value - SESSION_BUDGET, 0) for value in spent.values())
    overspend += max(sum(spent.values()) - DAILY_BUDGET, 0)
    FIGURES["overspend observed (credits)"] += overspend
    assert overspend == 0, spent
    assert sum(spent.values()) == sandbox_charged(data_dir), "the ledger and the sandbox disagree"


@asynccontextmanager
async def session_seen(
    server: RunningServer, *, token: str | None = None, headers: dict[str, str] | None = None
) -> AsyncGenerator[tuple[Client, list[str]]]:
    """A legacy-protocol session, and the Mcp-Session-Id the server issued it (as it arrives)."""
    sent = {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
    http_client = create_mcp_http_client(headers=sent)
    issued: list[str] = []

    async def note(response: Any) -> None:
        value = response.headers.get("mcp-session-id")
        if value and value not in issued:
            issued.append(value)

    http_client.event_hooks["response"].append(note)
    transport = streamable_http_client(server.url, http_client=http_client)
    async with http_client, Client(transport, mode="legacy") as client:
        yield client, issued


@asynccontextmanager
async def modern_session(server: RunningServer, headers: dict[str, str]) -> AsyncGenerator[Client]:
    """A 2026-07-28 protocol client sending `headers` on every request."""
    http_client = create_mcp_http_client(headers=headers)
    transport = streamable_http_client(server.url, http_client=http_client)
    async with http_client, Client(transport, mode="auto") as client:
        yield client


REVEALS = 10
PHONE_PRICE = 5


async def test_a_made_up_session_id_per_call_gets_no_fresh_session_budget(
    sandbox_settings: Settings, session_data_dir: Path, tmp_path: Path
) -> None:
    """Ten 5-credit reveals against a session budget of 5, each with a fresh made-up
    Mcp-Session-Id: on the 2026 protocol the header names no session, so they share one budget;
    on the handshake protocol an id the server never issued is refused before any tool runs."""
    ids = contact_ids_with_emails(sandbox_settings, REVEALS)
    data_dir = tmp_path / "made-up"
    server = start_http_server(
        cli_environment(
            data_dir,
            session_data_dir,
            LUSHA_AUTO_APPROVE="true",
            LUSHA_SESSION_BUDGET=str(PHONE_PRICE),
            LUSHA_SANDBOX_RATE_LIMITS="false",
        )
    )
    outcomes: Counter[str] = Counter()
    try:
        for contact in ids:
            async with modern_session(server, {"Mcp-Session-Id": uuid.uuid4().hex}) as client:
                result = await client.call_tool("enrich_contacts", {"ids": [contact], "reveal": ["phones"]})
            refused = result.is_error and "session budget" in text_of(result)
            outcomes["refused" if refused else status(result) or text_of(result)] += 1
        async with httpx.AsyncClient() as raw:
            forged = await raw.post(
                server.url,
                json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                headers={
                    "Mcp-Session-Id": uuid.uuid4().hex,
                    "Accept": "application/json, text/event-stream",
                    "Mcp-Protocol-Version": "2025-06-18",
                },
            )
    finally:
        stop(server)
    assert outcomes == Counter({"ok": 1, "refused": REVEALS - 1}), outcomes
    assert sandbox_charged(data_dir) <= PHONE_PRICE
    ledger = Ledger(data_dir)
    try:
        assert sum(entry.charged or 0 for entry in ledger.entries()) == sandbox_charged(data_dir)
    finally:
        ledger.close()
    assert forged.status_code == 404, forged.text


async def test_another_principals_session_id_gets_neither_its_session_nor_its_token_nor_its_ledger(
    two_token_server: RunningServer, sandbox_settings: Settings
) -> None:
    arguments = {"ids": some_contact_ids(sandbox_settings)[:2], "reveal": ["phones"]}
    async with session_seen(two_token_server, token=ALICE_TOKEN) as (alice, issued):
        asked = await alice.call_tool("enrich_contacts", arguments)
        assert status(asked) == "confirmation_required", text_of(asked)
        token = field(asked, "confirmation_token")
        assert len(issued) == 1, issued
        alices_session = issued[0]

        # Mallory on the handshake protocol, on Alice's session: refused before any tool runs.
        async with httpx.AsyncClient() as raw:
            hijack = await raw.post(
                two_token_server.url,
                json={
                    "jsonrpc": "2.0",
                    "id": 7,
                    "method": "tools/call",
                    "params": {
                        "name": "enrich_contacts",
                        "arguments": {**arguments, "confirmation_token": token},
                    },
                },
                headers={
                    "Authorization": f"Bearer {MALLORY_TOKEN}",
                    "Mcp-Session-Id": alices_session,
                    "Mcp-Protocol-Version": "2025-06-18",
                    "Accept": "application/json, text/event-stream",
                },
            )
        assert hijack.status_code == 403, hijack.text
        assert "opened by another client" in hijack.json()["message"]
        assert alices_session not in hijack.text

        # Mallory on the 2026 protocol with Alice's session id: the header names nothing.
        headers = {"Authorization": f"Bearer {MALLORY_TOKEN}", "Mcp-Session-Id": alices_session}
        async with modern_session(two_token_server, headers) as mallory:
            stolen = await mallory.call_tool("enrich_contacts", {**arguments, "confirmation_token": token})
            assert_refused_as_other_clients(stolen)
            assert (await session_ledger(mallory))["calls"] == []

        # Alice herself on the 2026 protocol is a client of her own, apart from her MCP session.
        headers = {"Authorization": f"Bearer {ALICE_TOKEN}", "Mcp-Session-Id": alices_session}
        async with modern_session(two_token_server, headers) as alice_modern:
            assert (await session_ledger(alice_modern))["session"] != (await session_ledger(alice))["session"]

        spent = await alice.call_tool("enrich_contacts", {**arguments, "confirmation_token": token})
        assert status(spent) == "ok", text_of(spent)
        assert [call["tool"] for call in (await session_ledger(alice))["calls"]] == ["enrich_contacts"]
