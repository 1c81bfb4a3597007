"""A newcomer's first minutes, through the command line: first start, keys, and commands on bad input."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from tests.cli.conftest import CLIRunner
from tests.http.conftest import cli_environment

REAL_LOOKING_KEY = "lk_live_2c9e4b71f0a8d356"


def serve_parameters(env: dict[str, str]) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable, args=["-m", "lusha_mcp", "serve", "--sandbox"], env=env
    )


def datasets_in(folder: Path) -> list[Path]:
    return sorted(folder.glob("dataset-*.sqlite")) if folder.is_dir() else []


@pytest.mark.anyio
async def test_a_first_start_lists_tools_before_the_dataset_exists_and_the_first_call_waits_with_progress(
    tmp_path: Path,
) -> None:
    # The default dataset size: its generation takes seconds, far longer than answering tools/list.
    dataset_dir = tmp_path / "fresh" / "sandbox"
    env = {name: value for name, value in os.environ.items() if not name.startswith("LUSHA_")}
    env.update(LUSHA_DATA_DIR=str(tmp_path / "fresh"))
    reported: list[tuple[float, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        reported.append((progress, message))

    started = time.perf_counter()
    async with Client(serve_parameters(env)) as client:
        listed = await client.list_tools()
        first_start = time.perf_counter() - started
        absent_at_tools_list = datasets_in(dataset_dir) == []
        result = await client.call_tool(
            "list_filter_values", {"scope": "contacts"}, progress_callback=on_progress
        )
    assert absent_at_tools_list, "tools/list waited for the dataset"
    assert {"search_contacts", "prospect_contacts", "enrich_contacts"} <= {tool.name for tool in listed.tools}
    assert not result.is_error, result.content
    assert len(datasets_in(dataset_dir)) == 1
    assert reported, "the waiting call reported no progress"
    assert all(message and message.startswith("preparing the sandbox dataset, ") for _, message in reported)
    values = [done for done, _ in reported]
    assert values == sorted(set(values)), "progress must grow with every notification"

    started = time.perf_counter()
    async with Client(serve_parameters(env)) as client:
        await client.list_tools()
        warm_start = time.perf_counter() - started
    # Generous (the machine may be busy): the first start did not wait for a generation of seconds.
    assert first_start <= 3 * warm_start + 2.0, (first_start, warm_start)


@pytest.mark.anyio
async def test_sandbox_mode_ignores_a_real_looking_key_and_answers_tools(
    data_dir: Path, cli_dataset_dir: Path
) -> None:
    env = cli_environment(data_dir, cli_dataset_dir, LUSHA_API_KEY=REAL_LOOKING_KEY)
    async with Client(serve_parameters(env)) as client:
        usage = await client.call_tool("get_account_usage", {})
        filters = await client.call_tool("list_filter_values", {"scope": "companies"})
    assert not usage.is_error, usage.content
    assert not filters.is_error, filters.content
    assert REAL_LOOKING_KEY not in usage.model_dump_json() + filters.model_dump_json()


def test_doctor_in_sandbox_mode_says_once_that_the_key_is_not_used(run_cli: CLIRunner) -> None:
    result = run_cli("doctor", "--sandbox", LUSHA_API_KEY=REAL_LOOKING_KEY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("not used in sandbox mode") == 1
    assert "[FAIL]" not in result.stdout
    assert REAL_LOOKING_KEY not in result.stdout + result.stderr


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_serve_with_a_blank_key_is_no_key_one_line_exit_3(run_cli: CLIRunner, blank: str) -> None:
    result = run_cli("serve", LUSHA_API_KEY=blank)
    assert result.returncode == 3, result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "no Lusha API key" in result.stderr
    assert "https://dashboard.lusha.com/enrich/api" in result.stderr


def test_doctor_with_a_blank_key_reports_no_key_once_and_exits_3(run_cli: CLIRunner) -> None:
    result = run_cli("doctor", LUSHA_API_KEY="  ")
    assert result.returncode == 3, result.stdout + result.stderr
    key_lines = [line for line in result.stdout.splitlines() if line.startswith(("[ok]", "[FAIL]", "[warn]"))]
    assert [line for line in key_lines if "api key" in line] == ["[FAIL] api key: not set"]
    assert "Traceback" not in result.stdout + result.stderr


def test_a_blank_key_with_the_sandbox_flag_still_serves_the_sandbox(run_cli: CLIRunner) -> None:
    result = run_cli("doctor", "--sandbox", LUSHA_API_KEY="")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "not used in sandbox mode" not in result.stdout


@pytest.mark.parametrize("command", ["ledger", "purge"])
def test_ledger_and_purge_on_a_missing_data_dir_say_so_and_create_nothing(
    run_cli: CLIRunner, tmp_path: Path, command: str
) -> None:
    missing = tmp_path / "does" / "not" / "exist"
    result = run_cli(command, "--data-dir", str(missing))
    assert result.returncode == 1
    assert f"no data dir at {missing}" in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert not missing.exists()
    assert not (tmp_path / "does").exists()


def test_docs_on_a_readme_without_markers_names_the_missing_marker(
    run_cli: CLIRunner, tmp_path: Path
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# A project\n\nNo generated tables here.\n", encoding="utf-8")
    result = run_cli("docs", "--readme", str(readme))
    assert result.returncode == 1
    assert "<!-- tools:start" in result.stderr
    assert "Traceback" not in result.stderr
    assert readme.read_text(encoding="utf-8") == "# A project\n\nNo generated tables here.\n"


def test_docs_with_only_the_settings_markers_missing_names_those(run_cli: CLIRunner, tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        "<!-- tools:start (generated by `lusha-mcp docs`; do not edit) -->\n<!-- tools:end -->\n",
        encoding="utf-8",
    )
    result = run_cli("docs", "--check", "--readme", str(readme))
    assert result.returncode == 1
    assert "<!-- settings:start" in result.stderr
    assert "<!-- tools:start" not in result.stderr
