"""The `lusha-mcp` command line, run as a subprocess."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from mcp import Client

from lusha_mcp.cli import COMMANDS
from lusha_mcp.server import build_server
from lusha_mcp.settings import SANDBOX_API_KEY, Settings
from tests.cli.conftest import CLIRunner
from tests.http.conftest import cli_environment, start_listening, stop
from tests.server.harness import call, contact_ids_with_emails

CANARY_KEY = "canary-key-5b1e77d04c"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_explains_itself_and_its_exit_codes(run_cli: CLIRunner, command: str) -> None:
    result = run_cli(command, "--help")
    assert result.returncode == 0, result.stderr
    assert f"lusha-mcp {command}" in result.stdout
    assert "3  configuration error" in result.stdout


def test_top_level_help_lists_every_command(run_cli: CLIRunner) -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert command in result.stdout


def test_an_unknown_flag_is_a_usage_error(run_cli: CLIRunner) -> None:
    result = run_cli("ledger", "--bogus")
    assert result.returncode == 2
    assert "unrecognized arguments: --bogus" in result.stderr


def test_serve_without_a_key_says_where_to_get_one_and_exits_3(run_cli: CLIRunner) -> None:
    result = run_cli("serve")
    assert result.returncode == 3
    assert "https://dashboard.lusha.com/enrich/api" in result.stderr
    assert "--sandbox" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_environment_settings_are_a_configuration_error(run_cli: CLIRunner) -> None:
    result = run_cli("serve", "--sandbox", LUSHA_SESSION_BUDGET="lots")
    assert result.returncode == 3
    assert "session_budget" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_flag_overrides_the_environment(run_cli: CLIRunner, tmp_path: Path) -> None:
    flagged = tmp_path / "from-flag"
    flagged.mkdir()
    result = run_cli("ledger", "--json", "--data-dir", str(flagged))
    assert json.loads(result.stdout)["data_dir"] == str(flagged)


def test_demo_completes_with_a_transcript_and_leaves_the_users_ledger_alone(
    run_cli: CLIRunner, data_dir: Path
) -> None:
    result = run_cli("demo")
    assert result.returncode == 0, result.stdout + result.stderr
    transcript = result.stdout
    for step in (
        "list_filter_values",
        "prospect_contacts",
        "enrich_contacts",
        "confirmation_token",
        "Ledger",
    ):
        assert step in transcript
    assert "Confirmation required: nothing was spent" in transcript
    assert "served from the cache at 0 credits" in transcript
    ledger = json.loads(run_cli("ledger", "--json").stdout)
    assert ledger["tool"] == []


def test_the_demo_reveals_the_decision_makers_it_found_and_only_what_it_quoted(run_cli: CLIRunner) -> None:
    result = run_cli("demo")
    assert result.returncode == 0, result.stdout + result.stderr
    transcript = result.stdout
    # The answer of the last find_decision_makers call (after a confirmation, the repeated call).
    found_section = transcript.split("-> find_decision_makers")[-1].split("\n\n", 1)[0]
    found = set(re.findall(r"\| (\d{6,}) (?=\|)", found_section))
    reveals = [
        json.loads(line.split("-> enrich_contacts ", 1)[1])
        for line in transcript.splitlines()
        if "-> enrich_contacts " in line and not line.rstrip().endswith("...")
    ]
    assert reveals, transcript
    assert found, transcript
    for arguments in reveals:
        assert set(arguments["ids"]) <= found, (arguments["ids"], found)
        assert arguments["reveal"] == ["emails"]
    assert "webhook tools are off by default" in transcript
    assert "--toolsets" in transcript
    assert "figures are" not in transcript
    closing = transcript.split("Where the account stands", 1)[1]
    assert re.search(r"Sandbox account: \d+ of 10000 credits left\.", closing), closing


def test_doctor_passes_on_the_sandbox(run_cli: CLIRunner) -> None:
    result = run_cli("doctor", "--sandbox")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All checks passed." in result.stdout
    assert "[ok]   reachability: the sandbox answered" in result.stdout


def test_doctor_reports_an_unreachable_api_without_printing_the_key(run_cli: CLIRunner) -> None:
    result = run_cli("doctor", "--base-url", "http://127.0.0.1:9", LUSHA_API_KEY=CANARY_KEY)
    assert result.returncode == 1
    assert "[FAIL] reachability: cannot reach http://127.0.0.1:9" in result.stdout
    assert "fix:" in result.stdout
    assert CANARY_KEY not in result.stdout + result.stderr


def test_doctor_without_a_key_exits_3_with_the_fix(run_cli: CLIRunner) -> None:
    result = run_cli("doctor")
    assert result.returncode == 3
    assert "https://dashboard.lusha.com/enrich/api" in result.stdout


def test_ledger_json_is_valid_and_grouped_by_day_tool_and_session(run_cli: CLIRunner) -> None:
    result = run_cli("ledger", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) == {"data_dir", "day", "tool", "session"}


@pytest.mark.anyio
async def test_purge_removes_one_contact_then_everything(
    run_cli: CLIRunner, sandbox_settings: Settings
) -> None:
    settings = sandbox_settings.model_copy(update={"auto_approve": True})
    ids = contact_ids_with_emails(settings, 2)
    async with Client(build_server(settings)) as client:
        revealed = await call(client, "enrich_contacts", ids=ids, reveal=["emails"])
    assert not revealed.is_error

    one = run_cli("purge", "--contact-id", ids[0], "--json")
    assert one.returncode == 0, one.stderr
    assert json.loads(one.stdout) == {"scope": f"contact-id={ids[0]}", "contacts": 1, "companies": 0}
    rest = run_cli("purge")
    assert rest.returncode == 0
    assert "Purged everything" in rest.stdout
    assert "1 contact(s)" in rest.stdout
    again = run_cli("purge", "--json")
    assert json.loads(again.stdout)["contacts"] == 0


def test_the_standalone_sandbox_answers_on_loopback_with_the_sandbox_key(
    data_dir: Path, cli_dataset_dir: Path
) -> None:
    server = start_listening(cli_environment(data_dir, cli_dataset_dir), "sandbox")
    try:
        base = f"http://127.0.0.1:{server.port}"
        usage = httpx.get(f"{base}/v3/account/usage", headers={"api_key": SANDBOX_API_KEY}, timeout=30)
        refused = httpx.get(f"{base}/v3/account/usage", headers={"api_key": "not-the-key"}, timeout=30)
    finally:
        stop(server)
    assert usage.status_code == 200
    assert "credits" in usage.json()
    assert refused.status_code == 401
