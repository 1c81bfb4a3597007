"""7. Credits: the demo workflow's spend against a naive run, and a repeat of the same reveal.

    .venv/bin/python bench/bench_credits.py

Real MCP tools in memory against the sandbox, with the default guard (reveals need confirmation:
the run confirms with the token, as the assistant does once the user agreed):
  ours:  prospect one page -> pick 3 -> enrich those 3 (emails)
  naive: prospect the same page -> enrich every contact on it (emails)
  repeat: enrich the same 3 again in the same session -> served from the reveal cache
Spend is read from the sandbox's own charge log (GET /_sandbox/charges), per fresh account.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any, cast

from harness import Workspace, bench_main, sandbox_http
from report import Section, Table

KEY, TITLE = "credits", "7. Credits"
NAIVE_RATIO_TARGET = 3.0
PAGE_SIZE = 25
PICKS = 3
REVEAL = ["emails"]
PROSPECT: dict[str, Any] = {
    "departments": ["Sales"],
    "seniority": ["Vice President"],
    "countries": ["US"],
    "company_sizes": ["201-1000"],
    "page": 0,
    "size": PAGE_SIZE,
}


@dataclass(slots=True)
class Run:
    """What one workflow spent, per step, as the tools reported it and as the sandbox charged it."""

    steps: list[list[str | float | int | None]] = field(
        default_factory=lambda: list[list[str | float | int | None]]()
    )
    charged: int = 0


async def call_confirmed(client: Any, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Call a tool; when it asks for confirmation, confirm with its token (the user said yes)."""
    result = await client.call_tool(tool, arguments)
    data = cast(dict[str, Any], result.structured_content or {})
    if result.is_error:
        text = " ".join(getattr(block, "text", "") for block in result.content)
        raise RuntimeError(f"{tool} failed: {text[:300]}")
    if data.get("status") == "confirmation_required":
        result = await client.call_tool(tool, {**arguments, "confirmation_token": data["confirmation_token"]})
        if result.is_error:
            text = " ".join(getattr(block, "text", "") for block in result.content)
            raise RuntimeError(f"{tool} failed after confirmation: {text[:300]}")
        data = cast(dict[str, Any], result.structured_content or {})
        data["confirmed"] = True
    return data


async def sandbox_total(settings: Any) -> int:
    async with sandbox_http(settings) as http:
        response = await http.get("/_sandbox/charges")
        response.raise_for_status()
        return int(response.json()["totalCreditsCharged"])


def step(run: Run, label: str, data: dict[str, Any]) -> None:
    run.steps.append(
        [label, data.get("status"), "yes" if data.get("confirmed") else "no", data.get("credits_charged")]
    )


async def workflow(workspace: Workspace, label: str, *, naive: bool) -> tuple[Run, Run | None]:
    from mcp import Client

    from lusha_mcp.server import build_server

    settings = workspace.settings(label)
    run = Run()
    repeat: Run | None = None
    async with Client(build_server(settings)) as client:
        page = await call_confirmed(client, "prospect_contacts", PROSPECT)
        step(run, f"prospect_contacts (page of {PAGE_SIZE})", page)
        ids = [str(row["id"]) for row in cast(list[dict[str, Any]], page.get("contacts", [])) if "id" in row]
        chosen = ids if naive else ids[:PICKS]
        revealed = await call_confirmed(client, "enrich_contacts", {"ids": chosen, "reveal": REVEAL})
        step(run, f"enrich_contacts ({len(chosen)} ids, emails)", revealed)
        run.charged = await sandbox_total(settings)
        if not naive:
            repeat = Run()
            again = await call_confirmed(client, "enrich_contacts", {"ids": chosen, "reveal": REVEAL})
            step(repeat, f"enrich_contacts again ({len(chosen)} ids, emails)", again)
            repeat.charged = await sandbox_total(settings) - run.charged
    return run, repeat


async def measure(section: Section, workspace: Workspace) -> None:
    ours, repeat = await workflow(workspace, "credits-ours", naive=False)
    naive, _ = await workflow(workspace, "credits-naive", naive=True)
    assert repeat is not None
    section.add(f"ours: prospect {PAGE_SIZE}, reveal {PICKS}", ours.charged, "credits")
    section.add(f"naive: prospect {PAGE_SIZE}, reveal all", naive.charged, "credits")
    section.add(
        "naive / ours",
        naive.charged / ours.charged if ours.charged else None,
        "x",
        at_least=NAIVE_RATIO_TARGET,
    )
    section.add("repeat of the same reveal", repeat.charged, "credits", equal=0)
    section.tables.append(
        Table(
            "Steps (credits as the tool reported them)",
            ["run", "step", "status", "confirmed with token", "credits charged"],
            [["ours", *row] for row in ours.steps]
            + [["ours", *row] for row in repeat.steps]
            + [["naive", *row] for row in naive.steps],
        )
    )
    section.notes.append(
        "Credits are the sandbox account's own charge log (each run on a fresh account), not the tools' "
        "claims; the table shows the tools' figures beside them."
    )
    section.notes.append(
        "Prices are the sandbox's (from the V3 spec's examples): the ratio depends on how much a search "
        "costs against a reveal, so it is a property of the pricing as much as of the workflow."
    )


if __name__ == "__main__":
    sys.exit(bench_main(KEY, TITLE, measure))
