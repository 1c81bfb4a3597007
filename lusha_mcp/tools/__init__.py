"""The MCP tools, one module per capability, and the framework they share (`tools/framework/`).

Adding a tool (one file + one line)
-----------------------------------
1. Write `lusha_mcp/tools/<capability>.py`::

       from lusha_mcp.tools.framework import METERED_SEARCH, Billed, MeteredResult, Plan, ToolCall, ...

       group = ToolGroup()
       register = group.register            # server.py calls register(server, toolsets)

       class Visits(MeteredResult):         # output model -> outputSchema + structuredContent
           companies: list[Visit] = Field(default_factory=list[Visit])
           def render(self) -> str:         # the short text the model reads (a table with ids)
               return table(("id", "name"), [(v.id, v.name) for v in self.companies])

       @group.tool(toolset=Toolset.website_visits, title="Website visits",
                   annotations=METERED_SEARCH, metered=True)
       async def get_website_visits(
           call: ToolCall,
           domains: Annotated[list[str], Field(description="Tracked domains.")],
       ) -> Plan[Visits]:
           \"\"\"One-line summary.

           Use this when ... Cost: ... Narrow with ...
           \"\"\"
           book = await call.guard.pricing.book()
           quote = Quote.of([book.item("visits", "websiteVisits", 100)])
           async def run() -> Billed[Visits]:
               response = await call.client.companies.website_visits(...)
               return billed(Visits(...), response)   # credits charged + requestId
           return Plan(quote=quote, run=run)

2. Add the module to `TOOL_MODULES` in `lusha_mcp/server.py`.

The rules the framework enforces
--------------------------------
- The first parameter is `call: ToolCall` (client, guard, settings, `await call.progress(done, total)`);
  every other parameter is `Annotated[type, Field(description=...)]`; use Literal for fixed values.
- The docstring is the description: summary line, "Use this when", cost, how to narrow.
- `annotations`: all four hints explicit; use `FREE_READ`, `METERED_SEARCH` (spends each time),
  `METERED_REVEAL` (spends once per record: repeats are free), `FREE_WRITE`, `FREE_DELETE`.
  Metered tools are never read-only: spending credits is a side effect on the account.
- A metered tool (`metered=True`) returns `Plan[R]`: its quote (priced from `call.guard.pricing`,
  never hard-coded) and a `run` coroutine returning `Billed(result, credits_charged, request_id)`.
  It may instead return `R` directly when nothing has to be bought (status "cached").
  A call split into batches wraps its request in `until_failure(...)` and passes the error it
  returns to `billed(result, response, stopped)`: when a batch fails after others were charged,
  the charged batches' results come back as status "partial" instead of being lost with an error.
  Reveals pass `on_batch=` to write each batch to the reveal cache as it arrives.
  The framework then adds `confirmation_token` and `quote_only`, builds the Plan once per call,
  asks the user by elicitation where the client can (mid-call, or as an InputRequiredResult on
  2026-07-28), returns status "confirmation_required" where it cannot, enforces no-spend, the
  per-call cap and budgets, reserves and settles in the ledger, and fills credits_charged /
  budget_left. With quote_only it stops after the Plan: status "quoted", the quote and `fit`
  (`price_call`, which estimate_plan in tools/plan.py runs for each step of a plan).
  So the body before `return Plan(...)` only does free work: pricing, filter values, caches.
- The guard a tool sees (`call.guard`) is its client session's view: over HTTP each bearer-token
  holder, and on the 2025 protocol each MCP session the server issued to it, has its own session
  budget, session ledger and confirmation tokens (see lusha_mcp/client_sessions.py).
- Free tools return their `ToolResult` directly.
- Raise `ArgumentError(field, problem, accepted)` for bad input. LushaError and guard refusals
  become tool errors with the next step (see tools/framework/errors.py); anything else is masked and logged.
- In no-spend mode metered tools are hidden from tools/list and refused by name; tools of
  toolsets that are not enabled are not registered.
"""
