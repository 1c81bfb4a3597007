"""The tables toolset through the MCP client against the sandbox: a table's whole life, billing
against the sandbox's own charge log, a 402 midway through a run, and a restart during a run."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from mcp_types import ElicitResult

from lusha_mcp.sandbox import sandbox_transport
from lusha_mcp.server import build_server
from lusha_mcp.settings import Settings, Toolset
from tests.reliability.faults import FaultInjector, ledger_totals
from tests.server.harness import (
    call,
    charged_calls,
    charged_total,
    contact_ids_with_emails,
    sandbox_control,
    structured,
    text_of,
)

pytestmark = pytest.mark.anyio

TOOLSETS = [Toolset.core, Toolset.lookalikes, Toolset.tables]


def tables_settings(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(
        update={"toolsets": TOOLSETS, "auto_approve": True, "sandbox_table_row_seconds": 0.01, **changes}
    )


def ledger_charged(settings: Settings) -> int:
    """What the ledger recorded as charged, every call settled (none pending or unknown)."""
    totals = ledger_totals(settings)
    assert totals.unknown == 0
    return totals.charged


async def create_table(client: Client, name: str, entity: str = "contacts") -> str:
    result = await call(client, "manage_table", entity=entity, action="create", name=name)
    return str(structured(result)["table"]["table_id"])


def column(body: dict[str, Any]) -> dict[str, Any]:
    return body["column"]


async def test_a_table_lives_from_create_to_delete(sandbox_settings: Settings) -> None:
    settings = tables_settings(sandbox_settings)
    extra = contact_ids_with_emails(settings, 40)[-3:]
    updates: list[tuple[float, float | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total))

    async with Client(build_server(settings)) as client:
        table_id = await create_table(client, "Q3 fintech")
        duplicate = await call(client, "manage_table", entity="contacts", action="create", name="q3 FINTECH")
        assert duplicate.is_error
        assert "already exists" in text_of(duplicate)

        page = structured(
            await call(client, "prospect_contacts", departments=["Sales"], size=10, table_id=table_id)
        )
        assert page["table_write"]["added"] == 10
        prospected = [c["id"] for c in page["contacts"]]

        added = structured(
            await call(
                client,
                "edit_table_rows",
                entity="contacts",
                table_id=table_id,
                action="add",
                ids=[*prospected[:2], *extra, "999"],
            )
        )
        assert (added["added"], added["already_present"], added["invalid_ids"]) == (3, 2, ["999"])
        assert added["credits_charged"] == 0

        before = await charged_total(settings)
        first = await client.call_tool(
            "run_table_column",
            {"entity": "contacts", "table_id": table_id, "column_id": "col_email", "wait_seconds": 30},
            progress_callback=on_progress,
        )
        first_body = structured(first)
        assert first_body["state"] == "done", text_of(first)
        assert first_body["quote"]["total_credits"] == 13
        emails_found = column(first_body)["success"]
        assert column(first_body)["success"] + column(first_body)["no_data"] == 13
        assert first_body["credits_charged"] == emails_found == await charged_total(settings) - before
        assert updates
        assert updates[-1] == (13, 13)

        again = structured(
            await call(
                client, "run_table_column", entity="contacts", table_id=table_id, column_id="col_email"
            )
        )
        assert again["state"] == "nothing_to_run"
        assert again["credits_charged"] == 0

        before = await charged_total(settings)
        rerun = await call(
            client,
            "run_table_column",
            entity="contacts",
            table_id=table_id,
            column_id="col_email",
            scope="all",
        )
        rerun_body = structured(rerun)
        assert rerun_body["quote"]["total_credits"] == 13
        assert "charges for them again" in text_of(rerun)
        assert "charged again" in rerun_body["quote"]["items"][0]["what"]
        assert rerun_body["credits_charged"] == emails_found == await charged_total(settings) - before

        rows = structured(await call(client, "read_table", entity="contacts", table_id=table_id))
        assert rows["quote"]["total_credits"] == 13
        assert rows["credits_charged"] == 13
        assert len(rows["rows"]) == 13
        with_email = [r for r in rows["rows"] if r["status"]["Email"] == "success"]
        assert len(with_email) == emails_found
        assert all("@" in r["values"]["Email"] for r in with_email)

        removed = structured(
            await call(
                client,
                "edit_table_rows",
                entity="contacts",
                table_id=table_id,
                action="remove",
                ids=[rows["rows"][0]["id"]],
            )
        )
        assert removed["removed"] == 1

        renamed = structured(
            await call(
                client, "manage_table", entity="contacts", action="rename", table_id=table_id, name="Q3 VPs"
            )
        )
        shared = structured(
            await call(client, "manage_table", entity="contacts", action="share", table_id=table_id)
        )
        assert renamed["table"]["name"] == "Q3 VPs"
        assert shared["table"]["visibility"] == "shared"

        default = await call(
            client,
            "manage_table",
            entity="contacts",
            action="remove_column",
            table_id=table_id,
            column_id="col_name",
        )
        assert default.is_error
        assert "cannot be removed" in text_of(default)
        await call(
            client,
            "manage_table",
            entity="contacts",
            action="remove_column",
            table_id=table_id,
            column_id="col_phone",
        )
        view = structured(await call(client, "list_tables", entity="contacts", table_id=table_id))
        assert view["tables"][0]["rows"] == 12
        assert "col_phone" not in {c["column_id"] for c in view["tables"][0]["columns"]}

        listed = structured(await call(client, "list_tables", entity="contacts"))
        assert [t["table_id"] for t in listed["tables"]] == [table_id]

        await call(client, "manage_table", entity="contacts", action="delete", table_id=table_id)
        gone = await call(client, "list_tables", entity="contacts", table_id=table_id)
        assert gone.is_error
        assert "TABLE_NOT_FOUND" in text_of(gone)

    assert ledger_charged(settings) == await charged_total(settings)


async def test_deleting_is_marked_destructive_and_tables_is_off_by_default(
    sandbox_settings: Settings,
) -> None:
    async with Client(build_server(tables_settings(sandbox_settings))) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert tools["manage_table"].annotations is not None
    assert tools["manage_table"].annotations.destructive_hint is True
    assert "delete" in (tools["manage_table"].description or "")
    async with Client(build_server(sandbox_settings)) as client:
        default = {tool.name for tool in (await client.list_tools()).tools}
    assert not default & {"list_tables", "manage_table", "edit_table_rows", "read_table", "run_table_column"}


async def test_a_run_cut_short_by_402_charges_only_the_rows_processed(sandbox_settings: Settings) -> None:
    settings = tables_settings(sandbox_settings)
    ids = contact_ids_with_emails(settings, 10)
    async with Client(build_server(settings)) as client:
        table_id = await create_table(client, "short of credits")
        await call(client, "edit_table_rows", entity="contacts", table_id=table_id, action="add", ids=ids)
        await sandbox_control(settings, "POST", "/_sandbox/credits", {"remaining": 4})
        cut = await call(
            client, "run_table_column", entity="contacts", table_id=table_id, column_id="col_email"
        )
        body = structured(cut)
        assert body["status"] == "partial", text_of(cut)
        assert body["credits_charged"] == 4
        assert (column(body)["success"], column(body)["not_run"]) == (4, 6)
        run_calls = [c for c in await charged_calls(settings) if c["operation"].endswith("/run")]
        assert [c["creditsCharged"] for c in run_calls] == [4]
        assert ledger_charged(settings) == await charged_total(settings)

        await sandbox_control(settings, "POST", "/_sandbox/credits", {"remaining": 100})
        rest = structured(
            await call(
                client, "run_table_column", entity="contacts", table_id=table_id, column_id="col_email"
            )
        )
        assert rest["quote"]["total_credits"] == 6
        assert rest["credits_charged"] == 6
    assert ledger_charged(settings) == await charged_total(settings) == 10


async def test_a_restart_during_a_run_follows_it_without_paying_twice(sandbox_settings: Settings) -> None:
    settings = tables_settings(sandbox_settings, sandbox_table_row_seconds=0.4)
    ids = contact_ids_with_emails(settings, 6)
    arguments = {"entity": "contacts", "column_id": "col_signals", "wait_seconds": 0}
    async with Client(build_server(settings)) as client:
        table_id = await create_table(client, "restart")
        await call(client, "edit_table_rows", entity="contacts", table_id=table_id, action="add", ids=ids)
        started = await call(client, "run_table_column", table_id=table_id, **arguments)
    started_body = structured(started)
    assert started_body["state"] == "processing"
    assert started_body["credits_charged"] == 6
    assert "Call run_table_column again with the same arguments" in text_of(started)

    async with Client(build_server(settings)) as client:
        followed = await call(
            client, "run_table_column", table_id=table_id, **{**arguments, "wait_seconds": 30}
        )
    body = structured(followed)
    assert body["state"] == "done", text_of(followed)
    assert body["credits_charged"] == 0
    assert column(body)["processing"] == 0
    assert column(body)["success"] + column(body)["no_data"] == 6
    run_calls = [c for c in await charged_calls(settings) if c["operation"].endswith("/run")]
    assert len(run_calls) == 1
    assert ledger_charged(settings) == await charged_total(settings) == 6


async def test_companies_saved_from_prospecting_are_quoted_for_the_table_write(
    sandbox_settings: Settings,
) -> None:
    settings = tables_settings(sandbox_settings, auto_approve=False, confirm_above=0)
    async with Client(build_server(settings)) as client:
        table_id = await create_table(client, "accounts", entity="companies")
        arguments = {"sizes": ["51-200"], "size": 10, "table_id": table_id}
        asked = structured(await call(client, "prospect_companies", **arguments))
        assert asked["status"] == "confirmation_required"
        items = {item["action"]: item["credits"] for item in asked["quote"]["items"]}
        assert items["reveal_company"] == 10
        token = asked["confirmation_token"]
        saved = structured(await call(client, "prospect_companies", **arguments, confirmation_token=token))
        assert saved["table_write"]["added"] == 10
        assert saved["credits_charged"] == asked["quote"]["total_credits"]
        add = {"entity": "companies", "table_id": table_id, "action": "add"}
        ids = [c["id"] for c in saved["companies"][:3]]
        ask = structured(await call(client, "edit_table_rows", **add, ids=ids))
        assert ask["status"] == "confirmation_required"
        assert ask["quote"]["total_credits"] == 3
        again = structured(
            await call(
                client, "edit_table_rows", **add, ids=ids, confirmation_token=ask["confirmation_token"]
            )
        )
        assert (again["added"], again["already_present"], again["credits_charged"]) == (0, 3, 0)
    assert ledger_charged(settings) == await charged_total(settings)


async def test_a_run_whose_answer_is_lost_is_not_resent_and_is_held_at_its_quote(
    sandbox_settings: Settings,
) -> None:
    settings = tables_settings(sandbox_settings, timeout=0.5, max_retries=2)
    ids = contact_ids_with_emails(settings, 6)
    injector = FaultInjector(sandbox_transport(settings))
    async with Client(build_server(settings, transport=injector)) as client:
        table_id = await create_table(client, "lost answer")
        await call(client, "edit_table_rows", entity="contacts", table_id=table_id, action="add", ids=ids)
        injector.queue(["lost"])
        lost = await call(
            client, "run_table_column", entity="contacts", table_id=table_id, column_id="col_signals"
        )
        assert lost.is_error
        assert "may have been charged" in text_of(lost)
        after = structured(
            await call(
                client, "run_table_column", entity="contacts", table_id=table_id, column_id="col_signals"
            )
        )
        assert after["state"] in ("done", "nothing_to_run")
        assert after["credits_charged"] == 0
    run_calls = [c for c in await charged_calls(settings) if c["operation"].endswith("/run")]
    assert [c["creditsCharged"] for c in run_calls] == [6]
    totals = ledger_totals(settings)
    assert totals.unknown == 1
    assert totals.held >= 6


async def test_with_elicitation_rows_are_added_once_and_the_run_is_approved_by_the_user(
    sandbox_settings: Settings,
) -> None:
    settings = tables_settings(sandbox_settings, auto_approve=False)
    ids = contact_ids_with_emails(settings, 3)
    asked: list[str] = []

    async def approve(context: Any, params: Any) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action="accept", content={"approve": True})

    async with Client(build_server(settings), elicitation_callback=approve) as client:
        table_id = await create_table(client, "elicited")
        added = structured(
            await call(client, "edit_table_rows", entity="contacts", table_id=table_id, action="add", ids=ids)
        )
        assert added["added"] == 3
        assert asked == []
        run = structured(
            await call(
                client, "run_table_column", entity="contacts", table_id=table_id, column_id="col_email"
            )
        )
    assert len(asked) == 1
    assert "3 Lusha credits" in asked[0]
    assert run["state"] == "done"
    assert run["credits_charged"] == column(run)["success"] == await charged_total(settings)
