"""Privacy: `lusha-mcp purge` removes every cached personal field (from the raw bytes of the data
dir, not just from query results), a selective purge removes only what it names, and cached data
past its TTL is neither served nor kept.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, cast

import anyio
import pytest
from mcp import Client

from lusha_mcp.server import build_server
from lusha_mcp.settings import Settings
from tests.server.harness import contact_ids_with_emails, structured, text_of

pytestmark = pytest.mark.anyio

CONTACTS = 12


def is_personal(key: str, value: str) -> bool:
    named = "email" in key.lower() or "phone" in key.lower()
    return "@" in value or (named and len(value) >= 6)


def personal_values(content: Any) -> set[str]:
    """Every email address and phone number in a result."""
    found: set[str] = set()

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for name, item in cast(dict[str, Any], value).items():
                walk(item, name)
        elif isinstance(value, list):
            for item in cast(list[Any], value):
                walk(item, key)
        elif isinstance(value, str) and is_personal(key, value):
            found.add(value)

    walk(content)
    return found


def stored_bytes(data_dir: Path) -> bytes:
    """Our files in the data dir (the sandbox's own account state excluded), WAL included."""
    sandbox = data_dir / "sandbox"
    return b"".join(
        path.read_bytes()
        for path in sorted(data_dir.rglob("*"))
        if path.is_file() and sandbox not in path.parents
    )


def reveal_settings(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(update={"auto_approve": True, **changes})


async def reveal(settings: Settings, ids: list[str]) -> dict[str, Any]:
    async with Client(build_server(settings)) as client:
        result = await client.call_tool("enrich_contacts", {"ids": ids, "reveal": ["emails", "phones"]})
    assert not result.is_error, text_of(result)
    return structured(result)


async def purge(settings: Settings, *arguments: str) -> dict[str, Any]:
    environment = {"PATH": os.environ.get("PATH", ""), "LUSHA_DATA_DIR": str(settings.data_dir)}
    process = await anyio.run_process(
        [sys.executable, "-m", "lusha_mcp", "purge", "--json", *arguments], env=environment, check=False
    )
    assert process.returncode == 0, process.stderr.decode()
    return cast(dict[str, Any], json.loads(process.stdout))


def values_by_contact(result: dict[str, Any]) -> dict[str, set[str]]:
    return {str(contact["id"]): personal_values(contact) for contact in result["contacts"]}


async def test_purge_removes_every_cached_personal_field_from_the_data_dir(
    sandbox_settings: Settings,
) -> None:
    settings = reveal_settings(sandbox_settings)
    ids = contact_ids_with_emails(settings, CONTACTS)
    first = await reveal(settings, ids)
    values = set[str]().union(*values_by_contact(first).values())
    assert values, "nothing personal was revealed: the test proves nothing"
    assert any(value.encode() in stored_bytes(settings.data_dir) for value in values), "nothing was cached"

    await purge(settings)

    data = stored_bytes(settings.data_dir)
    assert [value for value in values if value.encode() in data] == []
    again = await reveal(settings, ids)
    assert again["status"] != "cached"


async def test_purging_one_email_erases_that_person_only(sandbox_settings: Settings) -> None:
    settings = reveal_settings(sandbox_settings)
    ids = contact_ids_with_emails(settings, CONTACTS)
    by_contact = values_by_contact(await reveal(settings, ids))
    target = ids[0]
    email = next(value for value in sorted(by_contact[target]) if "@" in value)

    report = await purge(settings, "--email", email)

    assert report["contacts"] == 1, report
    data = stored_bytes(settings.data_dir)
    assert [value for value in by_contact[target] if value.encode() in data] == []
    others = set[str]().union(*(by_contact[contact] for contact in ids[1:]))
    assert all(value.encode() in data for value in others)
    again = await reveal(settings, ids[1:])
    assert again["status"] == "cached"
    assert again["credits_charged"] == 0


async def test_cached_data_past_its_ttl_is_not_served_and_not_kept(sandbox_settings: Settings) -> None:
    """A server restarted with a TTL shorter than the time since the reveal (0.1 ms) must call
    Lusha again and drop the expired records from disk."""
    settings = reveal_settings(sandbox_settings)
    ids = contact_ids_with_emails(settings, CONTACTS)
    values = set[str]().union(*values_by_contact(await reveal(settings, ids)).values())
    fresh = await reveal(settings, ids)
    assert fresh["status"] == "cached"

    expired = reveal_settings(sandbox_settings, cache_ttl_days=1e-9)
    async with Client(build_server(expired)) as client:
        await client.list_tools()
    assert [value for value in values if value.encode() in stored_bytes(settings.data_dir)] == []
    again = await reveal(expired, ids)
    assert again["status"] != "cached"
