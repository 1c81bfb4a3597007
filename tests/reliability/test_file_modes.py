"""Private files: a data dir the server creates is 0700 and every file in it 0600, whatever the
umask (the reveal cache holds emails and phones; the ledger, the token secret and the sandbox
account are the user's too); files an older version left readable are tightened on start."""

from __future__ import annotations

import os
import stat
from collections.abc import Generator
from pathlib import Path

import pytest
from mcp import Client

from lusha_mcp.server import build_server
from lusha_mcp.settings import Settings
from tests.conftest import TEST_COMPANIES, TEST_CONTACTS
from tests.server.harness import contact_ids_with_emails, structured, text_of

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX; Windows uses profile ACLs"),
]


@pytest.fixture
def loose_umask() -> Generator[None]:
    """A umask that would leave new files world-readable (0644) and dirs 0755."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def modes(root: Path) -> dict[str, int]:
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for path in sorted(root.rglob("*")):
        found[str(path.relative_to(root))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def loose(found: dict[str, int], root: Path) -> dict[str, str]:
    wrong: dict[str, str] = {}
    for name, mode in found.items():
        expected = 0o700 if (root / name).is_dir() else 0o600
        if mode != expected:
            wrong[name] = oct(mode)
    return wrong


async def test_the_data_dir_the_server_creates_is_owner_only(tmp_path: Path, loose_umask: None) -> None:
    data_dir = tmp_path / "fresh" / "data"
    settings = Settings(
        sandbox=True,
        auto_approve=True,
        data_dir=data_dir,  # the dataset too: every file this server writes
        sandbox_contacts=TEST_CONTACTS,
        sandbox_companies=TEST_COMPANIES,
    )
    ids = contact_ids_with_emails(settings, 5)
    async with Client(build_server(settings)) as client:
        revealed = await client.call_tool("enrich_contacts", {"ids": ids, "reveal": ["emails", "phones"]})
        assert not revealed.is_error, text_of(revealed)
        assert structured(revealed)["credits_charged"] > 0
        similar = await client.call_tool(
            "find_lookalikes", {"entity": "contacts", "seeds": ids, "session": "modes", "limit": 5}
        )
        assert not similar.is_error, text_of(similar)
        found = modes(data_dir)  # while the server runs: the SQLite -wal/-shm files exist
    names = set(found)
    for expected in (
        "ledger.sqlite",
        "ledger.sqlite-wal",
        "reveal-cache.sqlite",
        "lookalike_sessions.sqlite",
        "sandbox/account.sqlite",
        "confirm.key",
    ):
        assert expected in names, sorted(names)
    assert any(name.startswith("sandbox/dataset-") for name in names), sorted(names)
    assert loose(found, data_dir) == {}
    assert loose(modes(data_dir), data_dir) == {}
    # The folder above the data dir is the user's: left as the umask made it.
    assert stat.S_IMODE((tmp_path / "fresh").stat().st_mode) == 0o755


async def test_files_an_older_version_left_readable_are_tightened_on_start(
    sandbox_settings: Settings, loose_umask: None
) -> None:
    data_dir = sandbox_settings.data_dir
    async with Client(build_server(sandbox_settings)) as client:
        await client.list_tools()
    for path in [data_dir, *data_dir.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    (data_dir / "notes.txt").write_text("left by hand")
    assert loose(modes(data_dir), data_dir) != {}
    async with Client(build_server(sandbox_settings)) as client:
        await client.list_tools()
        assert loose(modes(data_dir), data_dir) == {}
