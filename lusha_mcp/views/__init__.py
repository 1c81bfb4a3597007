"""Interactive views (MCP Apps, `io.modelcontextprotocol/ui`) for the clients that render them.

Three self-contained HTML views, served as `ui://lusha/...` resources:

- `prospects.html`: the rows of a search, prospecting, lookalike or decision-maker result, with
  checkboxes, a running "revealing these N costs up to X credits" line and "Reveal selected";
- `quote.html`: the quote card of a `confirmation_required` result (Approve / Cancel), and what
  the approved call returned;
- `spend.html`: what this session and today spent, by tool, from get_account_usage.

A view spends only by calling a metered tool with the confirmation token of a quote, through the
host, so every guard rule (single use, bound arguments, budgets, no-spend, allowlist) applies as
for any other call. For a client that negotiated the extension, the token of a
`confirmation_required` result goes to the view only (the result's `_meta`), never into the text
or structuredContent the model reads, so the model cannot approve on the user's behalf.

A client that did not negotiate the extension sees exactly what it saw before: no `_meta.ui` on
tools, no app-only tools, no `ui://` resources, and tokens where they always were. All of that is
done in `ViewsMiddleware` (the SDK's public per-request middleware), per request, because the
extension is negotiated per client.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from typing import Annotated, Any, Literal, cast

from mcp.server.apps import Apps, ResourceCsp, client_supports_apps
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

APPROVAL_META = "io.github.lusha-mcp/approval"
"""Key of the result `_meta` entry that carries a quote's confirmation token to the view."""

APPROVAL_TOOL = "request_approval"


@dataclass(frozen=True, slots=True)
class View:
    file: str
    title: str
    description: str

    @property
    def uri(self) -> str:
        return f"ui://lusha/{self.file}"


PROSPECTS = View("prospects.html", "Prospect list", "Pick rows, see the price of revealing them, approve.")
QUOTE = View("quote.html", "Quote card", "The itemised quote of a call waiting for approval.")
SPEND = View("spend.html", "Spend", "What this session and today spent, by tool.")
VIEWS = (PROSPECTS, QUOTE, SPEND)

TOOL_VIEWS: Mapping[str, View] = {
    "search_contacts": PROSPECTS,
    "search_companies": PROSPECTS,
    "prospect_contacts": PROSPECTS,
    "prospect_companies": PROSPECTS,
    "find_lookalikes": PROSPECTS,
    "find_decision_makers": PROSPECTS,
    "enrich_contacts": QUOTE,
    "enrich_companies": QUOTE,
    "get_signals": QUOTE,
    "get_website_visits": QUOTE,
    "get_account_usage": SPEND,
}
"""Which view renders each tool's results (tools of toolsets that are off are simply absent)."""

APPROVABLE = Literal["enrich_contacts", "enrich_companies"]


CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"
"""Every view's Content-Security-Policy: inline script and style only, no fetch of any kind."""


@functools.cache
def html(view: View) -> str:
    """The view's document: one head for all views (CSP, stylesheet), its body, and the shared
    bridge script inlined where the body names it (nothing is fetched)."""
    folder = files(__name__)
    style = folder.joinpath("style.css").read_text(encoding="utf-8")
    body = folder.joinpath(view.file).read_text(encoding="utf-8")
    head = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Lusha: {view.title}</title>\n<style>{style}</style>\n</head>\n"
    )
    return (
        head
        + body.replace("/*BRIDGE*/", folder.joinpath("bridge.js").read_text(encoding="utf-8"))
        + "</html>\n"
    )


def build_extension() -> Apps:
    """The Apps extension: the three views and the app-only approval tool."""
    apps = Apps()
    for view in VIEWS:
        apps.add_html_resource(
            view.uri,
            html(view),
            name=view.file,
            title=view.title,
            description=view.description,
            csp=ResourceCsp(connect_domains=[], resource_domains=[], frame_domains=[], base_uri_domains=[]),
            prefers_border=True,
        )
    apps.tool(
        resource_uri=QUOTE.uri,
        visibility=["app"],
        name=APPROVAL_TOOL,
        title="Quote for approval",
        description="For interactive views only: price a reveal and return its quote card.",
        annotations=ToolAnnotations(
            read_only_hint=True, destructive_hint=False, idempotent_hint=False, open_world_hint=True
        ),
    )(request_approval)
    return apps


async def request_approval(
    ctx: Context[Any, Any],
    tool: Annotated[APPROVABLE, Field(description="The metered tool to approve.")],
    arguments: Annotated[dict[str, Any], Field(description="Its arguments, exactly as they will run.")],
) -> CallToolResult:
    """Price a call exactly as the tool would and issue its single-use confirmation token."""
    from lusha_mcp.tools.framework.approval import (
        quote_for_approval,
    )  # the tools framework imports this module

    if not client_supports_apps(ctx):
        raise ToolError(f"{APPROVAL_TOOL} serves interactive views only; call {tool} directly instead.")
    return await quote_for_approval(ctx, tool, arguments, meta_key=APPROVAL_META)


class ViewsMiddleware:
    """Per request: bind views for clients that render them, and change nothing for the others.

    It works on the wire form of results (what the runner serializes), after the handler ran."""

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        apps = _supports(ctx)
        params = cast(Mapping[str, Any], ctx.params or {})
        if ctx.method == "tools/call" and not apps and params.get("name") == APPROVAL_TOOL:
            return CallToolResult(
                content=[
                    TextContent(
                        type="text",
                        text=f"{APPROVAL_TOOL} serves interactive views only; call the metered tool "
                        "directly and relay its quote to the user.",
                    )
                ],
                is_error=True,
            )
        result = await call_next(ctx)
        wire = _wire(result)
        if wire is None:
            return result
        if ctx.method == "tools/list":
            return {**wire, "tools": _tools(cast(list[dict[str, Any]], wire.get("tools", [])), apps=apps)}
        if ctx.method == "resources/list" and not apps:
            resources = cast(list[dict[str, Any]], wire.get("resources", []))
            return {
                **wire,
                "resources": [r for r in resources if not str(r.get("uri", "")).startswith("ui://")],
            }
        if ctx.method == "tools/call" and apps:
            return _token_to_view(wire, params)
        return result


def _wire(result: HandlerResult) -> dict[str, Any] | None:
    if isinstance(result, dict):
        return result
    if isinstance(result, BaseModel):
        return result.model_dump(by_alias=True, mode="json", exclude_none=True)
    return None


def _tools(tools: list[dict[str, Any]], *, apps: bool) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = []
    for tool in tools:
        name = tool.get("name")
        meta = cast(dict[str, Any], tool.get("_meta") or {})
        if not apps:
            if name == APPROVAL_TOOL:
                continue
            if "ui" in meta:
                rest = {key: value for key, value in meta.items() if key != "ui"}
                tool = {key: value for key, value in tool.items() if key != "_meta"} | (
                    {"_meta": rest} if rest else {}
                )
        elif isinstance(name, str) and name in TOOL_VIEWS:
            tool = {**tool, "_meta": {**meta, "ui": {"resourceUri": TOOL_VIEWS[name].uri}}}
        shown.append(tool)
    return shown


def _supports(ctx: ServerRequestContext[Any, Any]) -> bool:
    try:
        return client_supports_apps(ctx)
    except (AttributeError, RuntimeError):
        return False


def _token_to_view(result: dict[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """A confirmation_required result for a view: the token leaves the text and structuredContent
    (what the model reads) and goes to `_meta`, with the exact arguments Approve must send."""
    structured = result.get("structuredContent")
    if not isinstance(structured, dict) or structured.get("status") != "confirmation_required":
        return result
    structured = cast(dict[str, Any], structured)
    token = structured.get("confirmation_token")
    if not isinstance(token, str) or not token:
        return result
    tool = str(params.get("name", ""))
    arguments = {
        key: value
        for key, value in cast(Mapping[str, Any], params.get("arguments") or {}).items()
        if key != "confirmation_token"
    }
    content = [
        {**block, "text": _without_token(str(block["text"]), token, tool)}
        if block.get("type") == "text"
        else block
        for block in cast(list[dict[str, Any]], result.get("content", []))
    ]
    approval = {
        "tool": tool,
        "arguments": arguments,
        "token": token,
        "expires_in_seconds": structured.get("expires_in_seconds"),
    }
    return {
        **result,
        "structuredContent": {key: value for key, value in structured.items() if key != "confirmation_token"},
        "content": content,
        "_meta": {**(result.get("_meta") or {}), APPROVAL_META: approval},
    }


def _without_token(text: str, token: str, tool: str) -> str:
    lines = [line for line in text.splitlines() if token not in line]
    lines.append(
        "The user approves or cancels in the quote card shown with this result; the confirmation "
        f"token is given to the card only. Wait for their choice; calling {tool} again asks anew."
    )
    return "\n".join(lines)


__all__ = ["APPROVAL_META", "TOOL_VIEWS", "VIEWS", "ViewsMiddleware", "build_extension", "html"]
