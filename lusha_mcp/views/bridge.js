// The view side of the MCP Apps protocol (io.modelcontextprotocol/ui), shared by every lusha-mcp view.
// JSON-RPC 2.0 over postMessage with the host window; no network, no dependencies.
"use strict";
const APPROVAL_META = "io.github.lusha-mcp/approval";
const bridge = (() => {
  let nextId = 1;
  const pending = new Map();
  const handlers = new Map();
  const post = (message) => window.parent.postMessage({ jsonrpc: "2.0", ...message }, "*");
  window.addEventListener("message", (event) => {
    if (event.source !== window.parent) return;
    const message = event.data;
    if (!message || message.jsonrpc !== "2.0") return;
    if (message.method === undefined && pending.has(message.id)) {
      const { resolve, reject } = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) reject(new Error(message.error.message || "the host refused the request"));
      else resolve(message.result);
      return;
    }
    if (typeof message.method === "string") {
      const handler = handlers.get(message.method);
      if (handler) handler(message.params || {});
      if (message.id !== undefined) post({ id: message.id, result: {} });
    }
  });
  const request = (method, params) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      post({ id, method, params });
    });
  const notify = (method, params) => post({ method, params: params || {} });
  const applyContext = (context) => {
    if (context && (context.theme === "light" || context.theme === "dark")) {
      document.documentElement.dataset.theme = context.theme;
    }
  };
  handlers.set("ui/notifications/host-context-changed", applyContext);
  return {
    request,
    on: (method, handler) => handlers.set(method, handler),
    async connect(name) {
      const result = await request("ui/initialize", {
        appInfo: { name, version: "1" },
        appCapabilities: {},
        protocolVersion: "2026-01-26",
      });
      applyContext(result && result.hostContext);
      notify("ui/notifications/initialized");
      new ResizeObserver(() =>
        notify("ui/notifications/size-changed", {
          width: document.documentElement.scrollWidth,
          height: document.documentElement.scrollHeight,
        }),
      ).observe(document.body);
      return result;
    },
    async callTool(name, args) {
      const result = await request("tools/call", { name, arguments: args });
      if (result && result.isError) {
        throw new Error((result.content || []).map((block) => block.text || "").join(" ") || "tool error");
      }
      return result;
    },
  };
})();

// --- small DOM helpers ----------------------------------------------------------------------
const el = (tag, attributes, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
  return node;
};
const credits = (count) => `${count} credit${Number(count) === 1 ? "" : "s"}`;
const budgetText = (left) => {
  if (!left) return "";
  const parts = [];
  if (left.today !== undefined && left.today !== null) parts.push(`${left.today} left today`);
  if (left.session !== undefined && left.session !== null) parts.push(`${left.session} left this session`);
  return parts.length ? parts.join(", ") : "no budget set";
};
const status = (text, kind) => {
  const box = document.getElementById("status");
  box.textContent = text;
  box.dataset.kind = kind || "info";
};

// --- the quote card: shown for every confirmation_required result ------------------------------
// Approve calls the same tool with the same arguments and the confirmation token, so every guard
// rule (single use, bound arguments, budgets, no-spend, allowlist) applies again on the server.
function quoteCard(structured, approval, onDone) {
  const quote = structured.quote || { items: [], total_credits: 0 };
  const card = el(
    "section",
    { class: "card", role: "dialog", "aria-labelledby": "quote-title", "data-testid": "quote-card" },
    el("h2", { id: "quote-title", text: `Spend up to ${credits(quote.total_credits)}?` }),
    quote.reveals && quote.reveals.length
      ? el("p", { text: `This reveals personal data: ${quote.reveals.join(", ")}.` })
      : null,
    el(
      "table",
      { class: "quote" },
      el("caption", { text: "What the credits pay for" }),
      el("thead", {}, el("tr", {}, ...["Item", "Quantity", "Credits"].map((h) => el("th", { scope: "col", text: h })))),
      el(
        "tbody",
        {},
        (quote.items || []).map((item) =>
          el("tr", {}, el("td", { text: item.what }), el("td", { text: item.quantity }), el("td", { text: item.credits })),
        ),
      ),
    ),
    el("p", { class: "budget", text: `Budget: ${budgetText(structured.budget_left)}.` }),
  );
  const approve = el("button", { type: "button", class: "primary", text: "Approve" });
  const cancel = el("button", { type: "button", text: "Cancel" });
  approve.addEventListener("click", async () => {
    approve.disabled = cancel.disabled = true;
    status("Spending…");
    try {
      const args = { ...approval.arguments, confirmation_token: approval.token };
      const result = await bridge.callTool(approval.tool, args);
      card.remove();
      onDone(result);
    } catch (error) {
      status(error.message, "error");
      approve.disabled = cancel.disabled = false;
    }
  });
  cancel.addEventListener("click", () => {
    card.remove();
    status("Cancelled: nothing was spent.");
  });
  card.append(el("div", { class: "actions" }, approve, cancel));
  return card;
}
