"""The views in a real browser: headless Chromium loads each view inside a small host page that
speaks the host side of MCP Apps and forwards the view's tool calls to a real
`lusha-mcp serve --sandbox --transport http`. Money is checked against the sandbox's own charge
log and the ledger (through the CLI). Screenshots go to $LUSHA_ARTIFACTS_DIR (default .artifacts/).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import AsyncGenerator, Generator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp_types import CallToolResult, TextResourceContents
from playwright.async_api import Browser, FrameLocator, Page, async_playwright, expect

from tests.http.conftest import RunningServer, cli_environment, start_http_server, stop
from tests.views.support import http_client, wire

pytestmark = pytest.mark.anyio

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HOST_PAGE = (Path(__file__).parent / "host.html").read_text(encoding="utf-8")
ARTIFACTS = Path(os.environ.get("LUSHA_ARTIFACTS_DIR", Path(__file__).resolve().parents[2] / ".artifacts"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if CHROMIUM is None:  # pragma: no cover - CI installs it
    pytest.skip(
        "needs Debian's chromium package (apt-get install chromium; .ci/run installs it)",
        allow_module_level=True,
    )


@pytest.fixture
def server(tmp_path: Path, session_data_dir: Path) -> Generator[tuple[RunningServer, Path]]:
    data = tmp_path / "data"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    running = start_http_server(cli_environment(data, session_data_dir, LUSHA_DAILY_BUDGET="200"))
    yield running, data
    stop(running)


@asynccontextmanager
async def browser() -> AsyncGenerator[Browser]:
    assert CHROMIUM is not None
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


def charges(data_dir: Path) -> list[tuple[str, str, int]]:
    """The sandbox's own charge log: (operation, action, credits) per charge."""
    with sqlite3.connect(data_dir / "sandbox" / "account.sqlite") as db:
        rows = db.execute("SELECT operation, action, credits FROM charges ORDER BY seq").fetchall()
    return [(str(op), str(action), int(credits)) for op, action, credits in rows]


def ledger_charged(data_dir: Path, tool: str) -> int:
    out = subprocess.run(
        [sys.executable, "-m", "lusha_mcp", "ledger", "--json", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("LUSHA_")},
    )
    rows = json.loads(out.stdout)["tool"]
    return sum(int(row["charged"]) for row in rows if row["key"] == tool)


async def view_html(client: Client, uri: str) -> str:
    content = (await client.read_resource(uri)).contents[0]
    assert isinstance(content, TextResourceContents)
    return content.text


async def mount(
    page: Page,
    client: Client,
    uri: str,
    arguments: dict[str, Any],
    result: dict[str, Any],
    theme: str = "light",
) -> FrameLocator:
    async def call_tool(name: str, args: dict[str, Any]) -> dict[str, Any]:
        return wire(await client.call_tool(name, args))

    async def read_resource(uri: str) -> dict[str, Any]:
        return (await client.read_resource(uri)).model_dump(by_alias=True, mode="json", exclude_none=True)

    await page.expose_function("hostCallTool", call_tool)
    await page.expose_function("hostReadResource", read_resource)
    await page.set_content(HOST_PAGE)
    await page.evaluate(
        "([h, a, r, t]) => window.mountView(h, a, r, t)",
        [await view_html(client, uri), arguments, result, theme],
    )
    return page.frame_locator("#view")


async def shot(page: Page, name: str) -> None:
    await page.screenshot(path=str(ARTIFACTS / f"view-{name}.png"), full_page=True)


def rows_of(result: CallToolResult) -> list[dict[str, Any]]:
    structured: dict[str, Any] = result.structured_content or {}
    return list(structured["contacts"])


def email_price(row: dict[str, Any]) -> int:
    return int(row.get("can_reveal", {}).get("emails", 0))


async def test_prospect_list_pick_quote_approve_cancel(server: tuple[RunningServer, Path]) -> None:
    running, data = server
    async with http_client(running.url, apps=True) as client, browser() as chromium:
        arguments = {"departments": ["Sales"], "size": 10}
        found = await client.call_tool("prospect_contacts", arguments)
        rows = rows_of(found)
        page = await chromium.new_page(viewport={"width": 920, "height": 720})
        view = await mount(page, client, "ui://lusha/prospects.html", arguments, wire(found))

        # Every row of the real result is there, by id.
        await expect(view.locator("tbody tr[data-id]")).to_have_count(len(rows))
        shown = await view.locator("tbody tr[data-id]").evaluate_all("rows => rows.map(r => r.dataset.id)")
        assert sorted(shown) == sorted(str(row["id"]) for row in rows)

        # Ticking rows updates the quote line with their canReveal prices and the budget left today.
        picked = [row for row in rows if email_price(row) > 0][:3]
        for row in picked:
            await view.locator(f'input[data-id="{row["id"]}"]').check()
        expected = sum(email_price(row) for row in picked)
        spent = sum(credits for _, _, credits in charges(data))
        await expect(view.locator("#cost")).to_have_text(
            f"Revealing these 3 contacts costs up to {expected} credit{'' if expected == 1 else 's'}; {200 - spent} left today."
        )
        await shot(page, "prospects")

        # Reveal selected gives a quote card; nothing is spent before Approve.
        before = charges(data)
        await view.get_by_role("button", name="Reveal selected").click()
        card = view.get_by_test_id("quote-card")
        await expect(card).to_be_visible()
        await expect(card.locator("h2")).to_have_text(
            f"Spend up to {expected} credit{'' if expected == 1 else 's'}?"
        )
        assert charges(data) == before
        await shot(page, "quote-card")

        # Approve reveals exactly those contacts, once: one charge in the sandbox, and the ledger agrees.
        await card.get_by_role("button", name="Approve").click()
        revealed = view.locator("#revealed tbody tr[data-id]")
        await expect(revealed).to_have_count(3)
        got = await revealed.evaluate_all("rows => rows.map(r => r.dataset.id)")
        assert sorted(got) == sorted(str(row["id"]) for row in picked)
        new = charges(data)[len(before) :]
        assert len(new) == 1, new
        assert new[0][2] == expected, new
        assert ledger_charged(data, "enrich_contacts") == expected
        await expect(view.locator("#status")).to_contain_text(
            f"Done: {expected} credit{'' if expected == 1 else 's'} charged"
        )
        await shot(page, "revealed")

        # Cancel spends nothing.
        others = [row for row in rows if email_price(row) > 0 and row not in picked][:2]
        for row in picked:
            await view.locator(f'input[data-id="{row["id"]}"]').uncheck()
        for row in others:
            await view.locator(f'input[data-id="{row["id"]}"]').check()
        before = charges(data)
        await view.get_by_role("button", name="Reveal selected").click()
        await view.get_by_test_id("quote-card").get_by_role("button", name="Cancel").click()
        await expect(view.locator("#status")).to_have_text("Cancelled: nothing was spent.")
        await expect(view.get_by_test_id("quote-card")).to_have_count(0)
        assert charges(data) == before
        assert ledger_charged(data, "enrich_contacts") == expected


async def test_quote_card_for_a_model_call_and_the_spend_view(server: tuple[RunningServer, Path]) -> None:
    running, data = server
    async with http_client(running.url, apps=True) as client, browser() as chromium:
        prospects = await client.call_tool("prospect_contacts", {"departments": ["Sales"], "size": 10})
        ids = [str(row["id"]) for row in rows_of(prospects) if email_price(row) > 0][:4]
        arguments: dict[str, Any] = {"ids": ids, "reveal": ["emails"]}
        pending = await client.call_tool("enrich_contacts", arguments)
        assert (pending.structured_content or {})["status"] == "confirmation_required"
        page = await chromium.new_page(viewport={"width": 720, "height": 520})
        view = await mount(page, client, "ui://lusha/quote.html", arguments, wire(pending), theme="dark")
        card = view.get_by_test_id("quote-card")
        await expect(card).to_be_visible()
        theme = await view.locator("html").get_attribute("data-theme")
        assert theme == "dark"
        await shot(page, "quote-dark")
        before = charges(data)
        await card.get_by_role("button", name="Approve").click()
        await expect(view.locator("#outcome tbody tr[data-id]")).to_have_count(len(ids))
        new = charges(data)[len(before) :]
        pending_structured: dict[str, Any] = pending.structured_content or {}
        quoted = int(pending_structured["quote"]["total_credits"])
        assert len(new) == 1
        assert new[0][2] <= quoted

        usage = await client.call_tool("get_account_usage", {})
        spend_page = await chromium.new_page(viewport={"width": 720, "height": 420})
        spend = await mount(spend_page, client, "ui://lusha/spend.html", {}, wire(usage))
        usage_structured: dict[str, Any] = usage.structured_content or {}
        remaining = float(usage_structured["credits"]["remaining"])
        await expect(spend.locator("#account")).to_contain_text(f"Lusha: {remaining:g} credits left")
        # The session's spend by tool, quoted against charged, from the ledger.
        session_table = spend.get_by_test_id("This session, by tool")
        await expect(session_table.locator("tbody tr")).to_have_count(2)
        enrich_row = session_table.locator("tbody tr", has_text="enrich_contacts")
        await expect(enrich_row.locator("td").nth(2)).to_have_text(str(quoted))
        await expect(enrich_row.locator("td").nth(3)).to_have_text(str(new[0][2]))
        await shot(spend_page, "spend")
