"""The reveal cache and lookalike sessions through the storage interface, on both engines."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from lusha_mcp.settings import Settings
from lusha_mcp.storage import Storage, open_storage
from tests.stores import engine_settings

pytestmark = pytest.mark.anyio


@pytest.fixture
async def storage(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Storage]:
    opened = open_storage(engine_settings(Settings(data_dir=tmp_path), engine, request))
    await opened.open()
    try:
        yield opened
    finally:
        await opened.aclose()


async def test_a_later_reveal_keeps_what_was_revealed_before_and_serves_only_what_is_asked(
    storage: Storage,
) -> None:
    cache = storage.cache
    await cache.store_contacts(
        [
            {
                "id": "c1",
                "emails": [{"email": "Ada@Example.com"}],
                "socialLinks": {"linkedin": "https://www.linkedin.com/in/ada/"},
            }
        ],
        ["emails"],
    )
    by_linkedin = await cache.contact_id_for(linkedin="http://linkedin.com/in/ada")
    await cache.store_contacts([{"id": "c1", "emails": [], "phones": [{"number": "+1 555"}]}], ["phones"])

    both = await cache.get_contacts(["c1", "c2"], ["emails", "phones"])
    emails_only = await cache.get_contacts(["c1"], ["emails"])

    assert both["c1"]["emails"] == [{"email": "Ada@Example.com"}]
    assert both["c1"]["phones"] == [{"number": "+1 555"}]
    assert "phones" not in emails_only["c1"]
    assert await cache.contact_id_for(email="ada@example.com") == "c1"
    assert by_linkedin == "c1"
    assert await cache.contact_id_for(email="nobody@example.com") is None


async def test_companies_by_domain_and_a_purge_by_domain(storage: Storage) -> None:
    cache = storage.cache
    await cache.store_companies([{"id": "k1", "domain": "www.acme.com", "name": "Acme"}], [])
    await cache.store_contacts(
        [
            {"id": "c1", "company": {"domain": "acme.com"}, "emails": [{"email": "a@acme.com"}]},
            {"id": "c2", "company": {"domain": "other.com"}, "emails": [{"email": "b@other.com"}]},
        ],
        ["emails"],
    )
    assert await cache.company_id_for("https://acme.com/about") == "k1"
    assert (await cache.get_companies(["k1"], []))["k1"]["name"] == "Acme"

    report = await cache.erase(domain="https://acme.com/")

    assert (report.contacts, report.companies) == (1, 1)
    assert await cache.company_id_for("acme.com") is None
    assert list(await cache.get_contacts(["c1", "c2"], ["emails"])) == ["c2"]


async def test_lookalike_sessions_accumulate_results_and_restart_with_a_new_id(storage: Storage) -> None:
    sessions = storage.lookalikes("account-1")
    other_account = storage.lookalikes("account-2")

    await sessions.save("contacts", "q1", "id-a", 10)
    kept = await sessions.save("contacts", "q1", "id-a", 5)
    restarted = await sessions.save("contacts", "q2", "id-b", 3)
    fresh = await sessions.save("contacts", "q2", "id-c", 4)
    found, expired = await sessions.get("contacts", "q1")

    assert kept.results == 15
    assert (restarted.results, fresh.results) == (3, 4)
    assert found is not None
    assert (found.dedupe_session_id, found.results, expired) == ("id-a", 15, False)
    assert [session.name for session in await sessions.names("contacts")] == ["q2", "q1"]
    assert await other_account.names() == []
    await sessions.drop("contacts", "q1")
    assert (await sessions.get("contacts", "q1")) == (None, False)
