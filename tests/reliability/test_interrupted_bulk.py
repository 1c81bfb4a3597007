"""Nothing paid for is lost: a bulk enrich killed midway (kill -9 of the server) and run again
spends nothing for the rows revealed before the kill.

What is proven, precisely: the server runs as `python -m lusha_mcp serve --sandbox` over stdio
(the sandbox in its process, its account state in the data dir). Batches are paced one per
second, so the kill lands after the first batch was charged and before the last. The rows of
each charged batch are written to the reveal cache as the batch arrives, so the re-run after a
restart serves them at 0 credits; and they are remembered as revealed by the account (Lusha's
rule, emulated by the sandbox: a field already revealed is not charged again), so the re-run
costs exactly the rows not yet paid for: before + re-run == one uninterrupted run of the same ids.
A third run is then served from our reveal cache at 0 credits. The killed call's ledger row
stays counted at its quote (it may have been charged), so budgets never under-count it, and
`lusha-mcp ledger` reports it as "quoted, charge unknown" (the row is marked unknown once its
process is gone).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from lusha_mcp.guard import Ledger
from lusha_mcp.sandbox import sandbox_app
from lusha_mcp.server import build_server
from lusha_mcp.settings import Settings
from tests.reliability.faults import sandbox_charged
from tests.server.harness import contact_ids_with_emails, structured, text_of

pytestmark = pytest.mark.anyio

ROWS = 400
"""Four batches of 100, paced one per second."""


def server_command(settings: Settings, pid_file: Path) -> StdioServerParameters:
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "LUSHA_DATA_DIR": str(settings.data_dir),
        "LUSHA_SANDBOX_DATASET_DIR": str(settings.sandbox_dataset_dir),
        "LUSHA_SANDBOX_CONTACTS": str(settings.sandbox_contacts),
        "LUSHA_SANDBOX_COMPANIES": str(settings.sandbox_companies),
        "LUSHA_AUTO_APPROVE": "true",
        "LUSHA_REQUESTS_PER_SECOND": "1",
    }
    # `exec` keeps the shell's pid, so the test knows which process to kill.
    script = f'echo $$ > "{pid_file}"; exec "$0" -m lusha_mcp serve --sandbox --toolsets core'
    return StdioServerParameters(command="/bin/sh", args=["-c", script, sys.executable], env=environment)


async def enrich_and_kill_after_first_batch(settings: Settings, ids: list[str], pid_file: Path) -> None:
    killed = anyio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        if 0 < progress < (total or ROWS) and not killed.is_set():
            os.kill(int(await anyio.Path(pid_file).read_text()), signal.SIGKILL)
            killed.set()

    async def call(client: Client) -> None:
        await client.call_tool(
            "enrich_contacts", {"ids": ids, "reveal": ["emails"]}, progress_callback=on_progress
        )

    with anyio.fail_after(60):
        try:
            async with (
                Client(server_command(settings, pid_file)) as client,
                anyio.create_task_group() as group,
            ):
                group.start_soon(call, client)
                await killed.wait()
                group.cancel_scope.cancel()
        except Exception:  # the stdio pipe breaks when the server dies
            if not killed.is_set():
                raise
    assert killed.is_set(), "the call finished before a batch was reported"


async def enrich_over_stdio(settings: Settings, ids: list[str], pid_file: Path) -> dict[str, Any]:
    with anyio.fail_after(60):
        async with Client(server_command(settings, pid_file)) as client:
            result = await client.call_tool("enrich_contacts", {"ids": ids, "reveal": ["emails"]})
    assert not result.is_error, text_of(result)
    return structured(result)


async def test_a_bulk_enrich_killed_midway_costs_nothing_more_for_the_rows_already_revealed(
    sandbox_settings: Settings, tmp_path: Path
) -> None:
    sandbox_app(sandbox_settings)
    ids = contact_ids_with_emails(sandbox_settings, ROWS)
    settings = sandbox_settings.model_copy(update={"data_dir": tmp_path / "killed"})
    pid_file = tmp_path / "server.pid"

    await enrich_and_kill_after_first_batch(settings, ids, pid_file)
    before = sandbox_charged(settings.data_dir)
    # The killed call, as `lusha-mcp ledger` reports it: quoted, charge unknown (not "0 charged").
    ledger_command = [sys.executable, "-m", "lusha_mcp", "ledger", "--data-dir", str(settings.data_dir)]
    with anyio.fail_after(60):
        report = (await anyio.run_process([*ledger_command, "--by", "tool"])).stdout.decode()
    assert "1 call quoted, charge unknown" in report, report
    assert "enrich_contacts" in report, report

    rerun = await enrich_over_stdio(settings, ids, pid_file)
    third = await enrich_over_stdio(settings, ids, pid_file)

    clean_settings = sandbox_settings.model_copy(
        update={"data_dir": tmp_path / "clean", "auto_approve": True}
    )
    async with Client(build_server(clean_settings)) as client:
        clean = structured(await client.call_tool("enrich_contacts", {"ids": ids, "reveal": ["emails"]}))
    one_run = clean["credits_charged"]

    assert 0 < before < one_run, "the kill did not land midway"
    # Each batch is written to the reveal cache as it arrives, before its progress is reported,
    # so the batch reported before the kill is served locally by the re-run.
    assert len(rerun["from_cache"]) >= 100, rerun["notes"]
    assert rerun["credits_charged"] == one_run - before
    assert sandbox_charged(settings.data_dir) == one_run
    assert third["credits_charged"] == 0
    assert third["status"] == "cached"
    ledger = Ledger(settings.data_dir)
    try:
        killed_rows = [entry for entry in ledger.entries() if entry.outcome == "unknown"]
        pending = [entry for entry in ledger.entries() if entry.outcome == "pending"]
    finally:
        ledger.close()
    assert len(killed_rows) == 1
    assert not pending
    assert "ended mid-call" in (killed_rows[0].note or "")
    assert killed_rows[0].quote >= before
