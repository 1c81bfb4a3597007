"""`lusha-mcp demo`: a go-to-market research run on the sandbox, through a real MCP client session.

The demo's account state and ledger live in a throwaway directory, so it never touches the
user's ledger; only the generated sandbox dataset is kept (in the user data dir) for fast reruns.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, cast

from mcp import Client
from mcp_types import CallToolResult, TextContent

from lusha_mcp.guard import ledger_report
from lusha_mcp.server import build_server
from lusha_mcp.settings import Settings, Toolset

DEMO_CONTACTS = 5_000
DEMO_COMPANIES = 500
TEXT_LINES = 9
LINE_WIDTH = 150


@dataclass
class DemoRun:
    """What the demo did: each tool it called, the credits charged, and the ledger at the end."""

    calls: list[str] = field(default_factory=list[str])
    credits_charged: int = 0
    ledger_charged: int = 0
    seconds: float = 0.0


def demo_settings(base: Settings, state_dir: Path) -> Settings:
    """Sandbox settings for the demo: a fresh account in `state_dir`, the dataset cached in the user dir."""
    dataset_dir = base.sandbox_dataset_dir or base.data_dir / "sandbox"
    return Settings(
        sandbox=True,
        api_key=None,
        data_dir=state_dir,
        sandbox_dataset_dir=dataset_dir,
        sandbox_contacts=DEMO_CONTACTS,
        sandbox_companies=DEMO_COMPANIES,
        sandbox_seed=base.sandbox_seed,
        toolsets=base.toolsets,
        log_level="ERROR",
    )


class Transcript:
    def __init__(self, out: TextIO, client: Client, run: DemoRun) -> None:
        self.out = out
        self.client = client
        self.run = run
        self.step = 0
        self.tools: set[str] = set()
        self.schemas: dict[str, dict[str, Any]] = {}

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def narrate(self, text: str) -> None:
        self.step += 1
        self.say(f"\n{self.step}. {text}")

    async def optional(self, tool: str, **arguments: Any) -> dict[str, Any]:
        return await _optional(self, tool, **arguments)

    async def call(self, tool: str, *, echo: bool = True, **arguments: Any) -> dict[str, Any]:
        shown = json.dumps(arguments, separators=(", ", ": "))
        if len(shown) > LINE_WIDTH:
            shown = shown[: LINE_WIDTH - 3] + "..."
        self.say(f"   -> {tool} {shown}")
        result: CallToolResult = await self.client.call_tool(tool, arguments)
        self.run.calls.append(tool)
        text = "\n".join(block.text for block in result.content if isinstance(block, TextContent))
        lines = text.splitlines() if echo or result.is_error else []
        for line in lines[:TEXT_LINES]:
            self.say(f"   | {line if len(line) <= LINE_WIDTH else line[: LINE_WIDTH - 3] + '...'}")
        if len(lines) > TEXT_LINES:
            self.say(f"   | ... ({len(lines) - TEXT_LINES} more lines)")
        if result.is_error:
            raise DemoStepError(f"{tool} failed: {text}")
        body: dict[str, Any] = result.structured_content or {}
        charged = body.get("credits_charged")
        if isinstance(charged, int):
            self.run.credits_charged += charged
            self.say(f"   = credits charged: {charged}")
        return body


async def _optional(t: Transcript, tool: str, **arguments: Any) -> dict[str, Any]:
    """A step the demo can do without: a confirmation is given, a failure is reported and passed."""
    try:
        body = await t.call(tool, **arguments)
        token = body.get("confirmation_token")
        if body.get("status") == "confirmation_required" and isinstance(token, str):
            t.say("   (the user agrees to the quote; the call is repeated with its token)")
            body = await t.call(tool, **arguments, confirmation_token=token)
    except DemoStepError as exc:
        t.say(f"   (step skipped: {exc})")
        return {}
    return body


class DemoStepError(RuntimeError):
    """A demo step returned a tool error (the message is the tool's)."""


def _company_ids(body: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for item in cast(list[dict[str, Any]], body.get("contacts") or []):
        company_id = item.get("company_id")
        if company_id is not None and str(company_id) not in found:
            found.append(str(company_id))
    return found


def _company_domains(body: dict[str, Any]) -> list[str]:
    domains: list[str] = []
    for item in cast(list[dict[str, Any]], body.get("contacts") or []):
        domain = item.get("domain")
        if isinstance(domain, str) and domain not in domains:
            domains.append(domain)
    return domains


@dataclass(frozen=True)
class Pick:
    """A contact the demo reveals: its id, and who it is (for the narration)."""

    id: str
    label: str


def _prospects_with_emails(body: dict[str, Any], count: int) -> list[Pick]:
    picked: list[Pick] = []
    for item in cast(list[dict[str, Any]], body.get("contacts") or []):
        if "emails" in cast(dict[str, Any], item.get("can_reveal") or {}):
            picked.append(Pick(str(item["id"]), str(item.get("name") or item["id"])))
        if len(picked) == count:
            break
    return picked


ROLE_ORDER = ("decision_maker", "potential_champion", "influencer")


def _decision_makers_with_emails(body: dict[str, Any], count: int) -> list[Pick]:
    """Decision makers, champions and influencers of the buying group whose email can be revealed."""
    members: list[dict[str, Any]] = [
        member
        for group in cast(list[dict[str, Any]], body.get("companies") or [])
        for member in cast(list[dict[str, Any]], group.get("contacts") or [])
        if member.get("id")
        and "emails" in cast(dict[str, Any], member.get("can_reveal") or {})
        and any(role in ROLE_ORDER for role in cast(list[str], member.get("roles") or []))
    ]

    def rank(member: dict[str, Any]) -> int:
        roles = cast(list[str], member.get("roles") or [])
        return min((ROLE_ORDER.index(role) for role in roles if role in ROLE_ORDER), default=len(ROLE_ORDER))

    members.sort(key=rank)
    return [
        Pick(str(member["id"]), f"{member.get('name') or member['id']} ({member.get('title') or 'no title'})")
        for member in members[:count]
    ]


def _webhooks_note(settings_toolsets: list[Toolset]) -> str | None:
    if Toolset.webhooks in settings_toolsets:
        return None
    from lusha_mcp.tools import webhooks

    return (
        f"(The {len(webhooks.group.specs)} webhook tools are off by default because they change the "
        "account's subscriptions; turn them on with --toolsets core,signals,lookalikes,decision_makers,"
        "website_visits,webhooks or the same in LUSHA_TOOLSETS.)"
    )


async def _research(t: Transcript, toolsets: list[Toolset]) -> None:
    t.say("lusha-mcp demo: go-to-market research on the offline sandbox (no key, no network).")
    t.say("An MCP client session drives the server exactly as an assistant would.")
    listed = (await t.client.list_tools()).tools
    tools = [tool.name for tool in listed]
    t.tools = set(tools)
    t.schemas = {
        tool.name: cast(dict[str, Any], tool.input_schema.get("properties") or {}) for tool in listed
    }
    t.say(f"Server exposes {len(tools)} tools: {', '.join(tools)}")
    note = _webhooks_note(toolsets)
    if note:
        t.say(note)

    t.narrate("Which prospecting filters exist, and which departments can we target? (free)")
    await t.call("list_filter_values", scope="contacts")
    await t.call("list_filter_values", scope="contacts", filter_type="departments")

    t.narrate("Prospect: sales leaders (managers and above) at companies of 51-1000 people.")
    criteria: dict[str, Any] = {
        "departments": ["Sales"],
        "seniority": ["Manager", "Director", "Vice President", "C-Suite"],
        "company_sizes": ["51-1000"],
    }
    prospects = await t.call("prospect_contacts", **criteria, size=10)
    domains = _company_domains(prospects)

    company_ids = _company_ids(prospects)
    if "get_signals" in t.tools and company_ids:
        t.narrate("Signals: which of their companies are hiring, growing or in the news?")
        await t.optional(
            "get_signals",
            entity="companies",
            ids=company_ids[:3],
            signal_types=["surgeInHiring", "headcountIncrease3m", "websiteTrafficIncrease"],
        )

    picks: list[Pick] = []
    who = ""
    if "find_decision_makers" in t.tools and domains:
        t.narrate(f"Decision makers at {', '.join(domains[:3])}: the buying group for a sales tool.")
        group = await t.optional("find_decision_makers", domains=domains[:3], contacts_limit=5)
        picks = _decision_makers_with_emails(group, 2)
        who = "the decision maker just found" if len(picks) == 1 else "the decision makers just found"
    if not picks:
        picks = _prospects_with_emails(prospects, 2)
        who = "two of the sales leaders found above"
    if not picks:
        raise DemoStepError("the sandbox returned no contacts with an email to reveal")
    ids = [pick.id for pick in picks]
    t.narrate(f"Reveal the emails (only the emails) of {who}: {', '.join(pick.label for pick in picks)}.")
    t.say("   First the server quotes the reveal and asks the user; nothing is spent yet.")
    quote = await t.call("enrich_contacts", ids=ids, reveal=["emails"])
    token = quote.get("confirmation_token")
    if quote.get("status") == "confirmation_required" and isinstance(token, str):
        total = cast(dict[str, Any], quote.get("quote") or {}).get("total_credits")
        t.narrate(f"The user agrees to spend up to {total} credits; the call is repeated with the token.")
        await t.call("enrich_contacts", ids=ids, reveal=["emails"], confirmation_token=token)

    t.narrate("The same reveal again is served from the local cache at 0 credits.")
    again = await t.call("enrich_contacts", ids=ids, reveal=["emails"])
    if again.get("status") == "confirmation_required":
        t.say("   (the guard asked again: the cache did not hold these contacts)")

    t.narrate("Where the account stands (free).")
    usage = await t.call("get_account_usage", echo=False)
    credits = cast(dict[str, Any], usage.get("credits") or {})
    server = cast(dict[str, Any], usage.get("server") or {})
    left, total = credits.get("remaining"), credits.get("total")
    if left is not None and total is not None:
        t.say(f"   Sandbox account: {left:g} of {total:g} credits left.")
    t.say(
        f"   This demo spent {server.get('spent_session', t.run.credits_charged)} credits; no budget was set."
    )


async def run_demo(base: Settings, out: TextIO) -> DemoRun:
    """Run the whole demo, printing a transcript to `out`."""
    started = time.perf_counter()
    run = DemoRun()
    with tempfile.TemporaryDirectory(prefix="lusha-mcp-demo-") as state:
        settings = demo_settings(base, Path(state))
        failure: DemoStepError | None = None
        async with Client(build_server(settings)) as client:
            try:
                await _research(Transcript(out, client, run), settings.toolsets)
            except DemoStepError as exc:
                failure = exc
        if failure is not None:
            raise failure
        print("\nLedger of this demo (by tool):", file=out)
        print("   tool                      calls  quoted  charged", file=out)
        for group in ledger_report(settings.data_dir, "tool"):
            run.ledger_charged += group.charged
            print(f"   {group.key:<25} {group.calls:>5}  {group.quoted:>6}  {group.charged:>7}", file=out)
    run.seconds = time.perf_counter() - started
    print(
        f"\nDone in {run.seconds:.1f}s: {len(run.calls)} tool calls, {run.credits_charged} sandbox "
        "credits charged. Nothing was written to your own ledger.\n"
        "Next: `lusha-mcp serve --sandbox` in your MCP client, then `lusha-mcp serve` with LUSHA_API_KEY.",
        file=out,
        flush=True,
    )
    return run
