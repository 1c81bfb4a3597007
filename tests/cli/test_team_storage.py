"""Team-mode storage commands as subprocesses: `migrate`, `budgets`, `ledger --by user|team`, and a
server refusing to start on a schema that is behind. The database URL's password never shows."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from mcp import Client

from lusha_mcp.server import build_server
from lusha_mcp.settings import Settings
from lusha_mcp.storage import Caller, Limits
from lusha_mcp.storage.postgres import PostgresStorage
from tests.cli.conftest import CLIRunner
from tests.server.harness import call, contact_ids_with_emails, text_of
from tests.stores import ENGINES, engine_settings, migrated_database


def password_of(url: str) -> str:
    password = urlsplit(url).password
    assert password
    return password


def test_migrate_applies_the_schema_once_and_never_prints_the_password(
    run_cli: CLIRunner, postgres_url: str
) -> None:
    first = run_cli("migrate", LUSHA_DATABASE_URL=postgres_url)
    again = run_cli("migrate", "--json", LUSHA_DATABASE_URL=postgres_url)

    assert first.returncode == 0, first.stderr
    assert "Applied 1 migration(s)" in first.stdout
    assert "0001.initial" in first.stdout
    assert ":***@127.0.0.1" in first.stdout
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["applied"] == []
    for result in (first, again):
        assert password_of(postgres_url) not in result.stdout + result.stderr


def test_migrate_without_a_database_says_what_to_set(run_cli: CLIRunner) -> None:
    result = run_cli("migrate")
    assert result.returncode == 3
    assert "LUSHA_DATABASE_URL=postgresql://" in result.stderr


def test_migrate_of_an_unreachable_database_fails_without_the_password(run_cli: CLIRunner) -> None:
    url = "postgresql://lusha:s3cret-pw-8d1f@127.0.0.1:9/lusha"  # port 9: nothing listens
    result = run_cli("migrate", LUSHA_DATABASE_URL=url)
    assert result.returncode == 1
    assert "could not migrate postgresql://lusha:***@127.0.0.1:9/lusha" in result.stderr
    assert "s3cret-pw-8d1f" not in result.stdout + result.stderr


def test_a_server_refuses_to_start_on_a_schema_that_is_behind(run_cli: CLIRunner, postgres_url: str) -> None:
    result = run_cli("serve", "--sandbox", LUSHA_DATABASE_URL=postgres_url)

    assert result.returncode == 3
    assert "schema is behind" in result.stderr
    assert "lusha-mcp migrate" in result.stderr
    assert password_of(postgres_url) not in result.stdout + result.stderr


@pytest.mark.parametrize("engine", ENGINES)
def test_budgets_set_show_and_clear(run_cli: CLIRunner, engine: str, request: pytest.FixtureRequest) -> None:
    env = {"LUSHA_DATABASE_URL": migrated_database(request)} if engine == "postgresql" else {}

    team = run_cli("budgets", "set", "--team", "sales", "--daily", "500", **env)
    user = run_cli("budgets", "set", "--user", "https://idp.example", "alice", "--daily", "40", **env)
    shown = run_cli("budgets", "show", "--json", **env)
    text = run_cli("budgets", "show", LUSHA_TEAM_DAILY_BUDGET="100", **env)
    cleared = run_cli("budgets", "clear", "--team", "sales", **env)
    cleared_again = run_cli("budgets", "clear", "--team", "sales", **env)
    after = run_cli("budgets", "show", "--json", **env)

    for result in (team, user, shown, text, cleared, cleared_again, after):
        assert result.returncode == 0, result.stderr
    assert "Daily budget of team sales: 500 credits" in team.stdout
    assert json.loads(shown.stdout)["overrides"] == [
        {"kind": "team", "key": "sales", "daily": 500},
        {"kind": "user", "key": "https://idp.example alice", "daily": 40},
    ]
    assert "team     100 credits  (LUSHA_TEAM_DAILY_BUDGET)" in text.stdout
    assert "team sales: 500 credits" in text.stdout
    assert "cleared" in cleared.stdout
    assert "No daily budget was set for team sales" in cleared_again.stdout
    assert json.loads(after.stdout)["overrides"] == [
        {"kind": "user", "key": "https://idp.example alice", "daily": 40}
    ]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["budgets", "set", "--daily", "5"], "--user ISSUER SUBJECT, --team NAME or --account"),
        (["budgets", "set", "--account"], "--daily N is needed"),
        (["budgets", "set", "--account", "--daily", "-1"], "--daily N is needed"),
        (["budgets", "clear", "--account", "--daily", "3"], "--daily goes with set only"),
    ],
)
def test_budgets_refuses_an_incomplete_command_and_says_what_to_send(
    run_cli: CLIRunner, args: list[str], says: str
) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert says in result.stderr


@pytest.mark.anyio
async def test_an_account_budget_set_with_the_cli_refuses_a_call_through_the_server(
    run_cli: CLIRunner, sandbox_settings: Settings, request: pytest.FixtureRequest
) -> None:
    settings = engine_settings(sandbox_settings, "postgresql", request).model_copy(
        update={"auto_approve": True}
    )
    assert settings.database_url is not None
    assert (
        run_cli(
            "budgets",
            "set",
            "--account",
            "--daily",
            "1",
            LUSHA_DATABASE_URL=settings.database_url.get_secret_value(),
        ).returncode
        == 0
    )
    ids = contact_ids_with_emails(settings, 2)
    async with Client(build_server(settings)) as client:
        refused = await call(client, "enrich_contacts", ids=ids, reveal=["emails"])
    assert refused.is_error
    assert "only 1 credits are left in the daily budget" in text_of(refused)


@pytest.mark.anyio
async def test_ledger_by_user_and_team_from_the_database(
    run_cli: CLIRunner, request: pytest.FixtureRequest
) -> None:
    url = migrated_database(request)
    storage = PostgresStorage(url)
    try:
        for caller, quote in (
            (Caller("a", user="https://idp.example alice", teams=("sales", "emea")), 3),
            (Caller("b", user="https://idp.example bob", teams=("sales",)), 4),
        ):
            reservation = await storage.ledger.reserve(
                caller, tool="t", arguments_hash="h", quote=quote, limits=Limits()
            )
            await storage.ledger.settle(reservation, charged=quote, request_id=None, outcome="ok")
    finally:
        await storage.aclose()

    by_user = run_cli("ledger", "--by", "user", "--json", LUSHA_DATABASE_URL=url)
    by_team = run_cli("ledger", "--by", "team", LUSHA_DATABASE_URL=url)

    assert by_user.returncode == 0, by_user.stderr
    report = json.loads(by_user.stdout)
    assert [(row["key"], row["charged"]) for row in report["user"]] == [
        ("https://idp.example alice", 3),
        ("https://idp.example bob", 4),
    ]
    assert report["database"].startswith("postgresql://lusha:***@")
    assert by_team.returncode == 0, by_team.stderr
    lines = {line.split()[0]: line.split() for line in by_team.stdout.splitlines()[3:] if line.strip()}
    assert lines["sales"][1:4] == ["2", "7", "7"]
    assert lines["emea"][1:4] == ["1", "3", "3"]
    assert password_of(url) not in by_user.stdout + by_team.stdout + by_team.stderr


def test_the_database_status_doctor_reads_says_behind_then_current_without_the_password(
    postgres_url: str,
) -> None:
    from lusha_mcp.storage.migrate import apply_migrations, database_status

    behind = database_status(postgres_url)
    apply_migrations(postgres_url)
    current = database_status(postgres_url)
    unreachable = database_status("postgresql://lusha:pw-1c9e@127.0.0.1:9/lusha")

    assert behind[0] is False
    assert "lusha-mcp migrate" in behind[1]
    assert current == (True, current[1])
    assert "schema current" in current[1]
    assert unreachable[0] is False
    assert "unreachable" in unreachable[1]
    for _, line in (behind, current, unreachable):
        assert password_of(postgres_url) not in line
        assert "pw-1c9e" not in line


def test_doctor_checks_the_database_and_redis_without_printing_their_passwords(
    run_cli: CLIRunner, request: pytest.FixtureRequest, postgres_url: str, redis_url: str
) -> None:
    migrated = migrated_database(request)
    behind = run_cli("doctor", "--sandbox", LUSHA_DATABASE_URL=postgres_url, LUSHA_REDIS_URL=redis_url)
    current = run_cli(
        "doctor", "--sandbox", LUSHA_DATABASE_URL=migrated, LUSHA_REDIS_URL=redis_url, LUSHA_REPLICAS="3"
    )

    assert behind.returncode == 1
    assert "[FAIL] database:" in behind.stdout
    assert "fix: run `lusha-mcp migrate`" in behind.stdout
    assert current.returncode == 0, current.stdout + current.stderr
    assert "[ok]   database: postgresql://lusha:***@127.0.0.1" in current.stdout
    assert "schema current" in current.stdout
    assert "[ok]   ledger: 0 metered calls, 0 credits recorded" in current.stdout
    assert "[ok]   redis: redis://127.0.0.1" in current.stdout
    assert "pacing shared by 3 replica(s)" in current.stdout
    for result in (behind, current):
        assert password_of(postgres_url) not in result.stdout + result.stderr


def test_doctor_fails_on_an_unreachable_database_and_redis(run_cli: CLIRunner) -> None:
    database = "postgresql://lusha:s3cret-pw-8d1f@127.0.0.1:9/lusha"  # port 9: nothing listens
    redis = "redis://:r3dis-pw-77aa@127.0.0.1:9/0"
    result = run_cli("doctor", "--sandbox", LUSHA_DATABASE_URL=database, LUSHA_REDIS_URL=redis)

    assert result.returncode == 1
    assert "[FAIL] database: postgresql://lusha:***@127.0.0.1:9/lusha is unreachable" in result.stdout
    assert "[FAIL] redis: redis://:***@127.0.0.1:9/0 is unreachable" in result.stdout
    assert "paces at 1/1 of Lusha's limits" in result.stdout
    assert "s3cret-pw-8d1f" not in result.stdout + result.stderr
    assert "r3dis-pw-77aa" not in result.stdout + result.stderr
