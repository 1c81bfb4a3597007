"""The generated dataset: deterministic, generated once and reused, coherent across fields."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path

import httpx
import pytest

from lusha_mcp.sandbox import SandboxConfig, sandbox_transport
from lusha_mcp.sandbox.catalog import EU_COUNTRY_CODES, SENIORITY_IDS
from lusha_mcp.sandbox.dataset import ensure_dataset
from lusha_mcp.settings import Settings
from tests.conftest import TEST_COMPANIES, TEST_CONTACTS
from tests.sandbox.dataset_picks import rows


def small_config(folder: Path, seed: int) -> SandboxConfig:
    settings = Settings(
        sandbox=True, data_dir=folder, sandbox_seed=seed, sandbox_contacts=300, sandbox_companies=30
    )
    return SandboxConfig.from_settings(settings)


def fingerprint(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        digest = hashlib.sha256()
        for table in ("companies", "contacts", "company_technologies", "company_intent"):
            for row in conn.execute(f"SELECT * FROM {table} ORDER BY rowid"):
                digest.update(json.dumps(row).encode())
        return digest.hexdigest()
    finally:
        conn.close()


def test_the_same_seed_gives_the_same_data(tmp_path: Path) -> None:
    first = ensure_dataset(small_config(tmp_path / "a", seed=3))
    second = ensure_dataset(small_config(tmp_path / "b", seed=3))
    other = ensure_dataset(small_config(tmp_path / "c", seed=4))
    assert fingerprint(first) == fingerprint(second)
    assert fingerprint(first) != fingerprint(other)


def test_a_second_start_reuses_the_stored_dataset(sandbox_settings: Settings, tmp_path: Path) -> None:
    sandbox_transport(sandbox_settings)
    path = sandbox_settings.sandbox_db_path()
    before = path.stat()
    again = sandbox_settings.model_copy(update={"data_dir": tmp_path / "other-account"})
    sandbox_transport(again)
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (
        before.st_ino,
        before.st_mtime_ns,
        before.st_size,
    )


def test_concurrent_first_starts_leave_one_complete_dataset(tmp_path: Path) -> None:
    config = small_config(tmp_path, seed=5)
    failures: list[BaseException] = []

    def start() -> None:
        try:
            ensure_dataset(config)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert [path.name for path in config.dataset_path.parent.iterdir()] == [config.dataset_path.name]
    conn = sqlite3.connect(config.dataset_path)
    assert conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == 300
    conn.close()


def test_a_dataset_of_another_version_is_regenerated(tmp_path: Path) -> None:
    config = small_config(tmp_path, seed=6)
    path = ensure_dataset(config)
    expected = fingerprint(path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("DELETE FROM contacts")
    conn.commit()
    conn.close()
    ensure_dataset(config)
    assert fingerprint(path) == expected


@pytest.mark.anyio
async def test_sizes_follow_the_settings(http: httpx.AsyncClient, sandbox_settings: Settings) -> None:
    assert (await http.get("/v3/account/usage")).status_code == 200
    assert rows(sandbox_settings, "SELECT COUNT(*) AS n FROM contacts")[0]["n"] == TEST_CONTACTS
    assert rows(sandbox_settings, "SELECT COUNT(*) AS n FROM companies")[0]["n"] == TEST_COMPANIES


@pytest.mark.anyio
async def test_records_are_coherent(http: httpx.AsyncClient, sandbox_settings: Settings) -> None:
    assert (await http.get("/v3/account/usage")).status_code == 200
    contacts = rows(
        sandbox_settings,
        "SELECT c.*, co.domain AS company_domain FROM contacts c JOIN companies co ON co.id = c.company_id",
    )
    assert len({row["id"] for row in contacts}) == len(contacts)
    for row in contacts:
        assert SENIORITY_IDS[row["seniority"]] == row["seniority_id"]
        assert bool(row["is_eu"]) == (row["country_code"] in EU_COUNTRY_CODES)
        assert not row["gdpr_blocked"] or row["is_eu"]
        for email in json.loads(row["emails"]):
            if email["type"] == "work":
                assert email["email"].endswith("@" + row["company_domain"])
        if row["seniority"] == "Vice President":
            assert row["job_title"].startswith(("VP", "Vice President"))
        if row["seniority"] == "Director":
            assert "Director" in row["job_title"]
    assert any(row["gdpr_blocked"] for row in contacts)
    assert any(row["do_not_call"] for row in contacts)
    assert any(not row["has_email"] for row in contacts)
    companies = rows(sandbox_settings, "SELECT * FROM companies")
    for company in companies:
        assert company["size_min"] <= company["employees"] <= (company["size_max"] or 10**9)
        assert json.loads(company["sic_codes"])
        assert json.loads(company["technologies"])
