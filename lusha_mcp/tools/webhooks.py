"""Webhook management (free): subscriptions, opt-out notices, test deliveries, delivery logs, secret.

The account signing secret is shown only when asked for (`include_secret`), and replacing it is a
tool of its own, marked destructive: receivers verifying the old secret start failing.

Subscribing to signals, reactivating a subscription or changing its signal types commits the
account to a charge per delivered signal: see `webhook_spend` (no-spend refusal, confirmation
naming the per-delivery estimate, delivered signals reconciled into the ledger).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from mcp_types import ToolAnnotations
from pydantic import Field

from lusha_mcp.api.errors import InvalidRequestError, NotFoundError
from lusha_mcp.api.models import (
    AuditLogEntry,
    AuditLogStats,
    CreateSubscriptionsRequest,
    OptOutSubscriptionRequest,
    Subscription,
    SubscriptionUpdate,
)
from lusha_mcp.api.models.webhooks import DeliveryStatus, EntityType, SubscriptionOutcome, TestMode
from lusha_mcp.settings import Toolset
from lusha_mcp.tools.framework import (
    FREE_DELETE,
    FREE_READ,
    FREE_WRITE,
    ArgumentError,
    ConfirmationTokenArg,
    ToolCall,
    ToolGroup,
    ToolResult,
    table,
)
from lusha_mcp.tools.webhook_spend import (
    Commitment,
    approve_commitment,
    check_receiver_url,
    commitment_of,
    reconcile_deliveries,
    record_commitment,
)

group = ToolGroup(before_metered=[reconcile_deliveries])
"""Delivered webhook signals are charges: the guard records them before any metered call."""
register = group.register

FREE_UPDATE = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True
)
"""Overwrites settings in place: the same update twice leaves the same state."""

FREE_SEND = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
)
"""Sends something out (a test delivery) without changing configuration."""

FREE_REPLACE = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=True
)
"""Replaces a value for good: each call invalidates the previous one."""


def _subscription_rows(items: list[Subscription]) -> list[tuple[object, ...]]:
    return [
        (
            s.id,
            s.name,
            s.entity_type,
            s.entity_id,
            ",".join(s.signal_types),
            s.url,
            "active" if s.is_active else f"inactive {s.block_reason or ''}".strip(),
        )
        for s in items
    ]


SUBSCRIPTION_HEADERS = ("id", "name", "entity", "entity id", "signals", "url", "state")


def _public(subscription: Subscription) -> Subscription:
    return subscription.model_copy(update={"secret": None, "request_id": None})


class CommitmentFields(ToolResult):
    """What a subscription change commits the account to, and the confirmation it still needs."""

    status: Literal["ok", "confirmation_required"] = "ok"
    commitment: str | None = Field(default=None, description="Per-delivery charges this commits to.")
    estimate_per_delivery_round: int | None = Field(
        default=None, description="Credits if every watched signal fires once; charged again each time."
    )
    confirmation_token: str | None = None
    expires_in_seconds: int | None = None

    def asked(self) -> str | None:
        return self.commitment if self.status == "confirmation_required" else None


CM = TypeVar("CM", bound=CommitmentFields)


def commitment_of_count(commitment: Commitment, entities: int) -> Commitment:
    """The same commitment for the subscriptions that were actually created."""
    return Commitment(commitment.entity_type, entities, commitment.signal_types, commitment.unit_credits)


async def _ask_first(
    call: ToolCall,
    result: type[CM],
    arguments: dict[str, Any],
    commitment: Commitment,
    confirmation_token: str | None,
) -> CM | None:
    """None when the commitment may be made now; else the confirmation_required result (and a
    GuardRefusal in no-spend mode or when a budget cannot hold one delivery round)."""
    approval = await approve_commitment(
        call.state,
        tool=call.tool,
        arguments=arguments,
        commitment=commitment,
        confirmation_token=confirmation_token,
    )
    if approval is None:
        return None
    return result(
        status="confirmation_required",
        commitment=approval.text,
        estimate_per_delivery_round=commitment.per_round,
        confirmation_token=approval.confirmation_token,
        expires_in_seconds=approval.expires_in_seconds,
    )


class Subscriptions(CommitmentFields):
    """Webhook subscriptions (without secrets unless asked)."""

    subscriptions: list[Subscription] = Field(default_factory=list[Subscription])
    total: int | None = None
    next_offset: int | None = Field(default=None, description="Offset of the next page, if any.")
    account_secret: str | None = Field(default=None, description="Signing secret (include_secret=true).")
    secret_note: str | None = Field(default=None, description="Why no secret is shown.")

    def render(self) -> str:
        asked = self.asked()
        if asked:
            return asked
        head = f"{len(self.subscriptions)} subscriptions"
        if self.total is not None:
            head += f" of {self.total}"
        if self.next_offset is not None:
            head += f"; next: offset={self.next_offset}"
        lines = [head + ".", table(SUBSCRIPTION_HEADERS, _subscription_rows(self.subscriptions))]
        if self.account_secret:
            lines.append(f"Account signing secret (sensitive): {self.account_secret}")
        if self.secret_note:
            lines.append(self.secret_note)
        if self.commitment:
            lines.append(self.commitment)
        return "\n".join(lines)


@group.tool(
    toolset=Toolset.webhooks, title="List webhook subscriptions", annotations=FREE_READ, metered=False
)
async def list_webhook_subscriptions(
    call: ToolCall,
    subscription_id: Annotated[str | None, Field(description="Get just this one.")] = None,
    limit: Annotated[int, Field(description="Page size (1-100).", ge=1, le=100)] = 25,
    offset: Annotated[int, Field(description="Skip this many.", ge=0)] = 0,
    include_secret: Annotated[
        bool, Field(description="Also show the account signing secret. Only if the user asks.")
    ] = False,
) -> Subscriptions:
    """List webhook subscriptions (or get one by id).

    Use this to review what Lusha delivers where. Free.
    """
    secret: str | None = None
    note: str | None = None
    if include_secret:
        try:
            secret = (await call.client.webhooks.get_secret()).secret
        except NotFoundError:
            note = "The account has no signing secret yet; regenerate_webhook_secret creates one."
    if subscription_id:
        found = await call.client.webhooks.get(subscription_id)
        return Subscriptions(subscriptions=[_public(found)], account_secret=secret, secret_note=note)
    listed = await call.client.webhooks.list(limit=limit, offset=offset)
    page = listed.pagination
    more = page is not None and page.has_more
    return Subscriptions(
        subscriptions=[_public(s) for s in listed.data],
        total=page.total if page else None,
        next_offset=offset + len(listed.data) if more else None,
        account_secret=secret,
        secret_note=note,
    )


class SubscriptionChanges(CommitmentFields):
    """Per-item outcome of a bulk create or delete."""

    succeeded: int = 0
    failed: int = 0
    subscriptions: list[Subscription] = Field(default_factory=list[Subscription])
    errors: list[str] = Field(default_factory=list[str], description="index: code message")

    @classmethod
    def of(cls, outcomes: list[SubscriptionOutcome]) -> SubscriptionChanges:
        return cls(
            succeeded=sum(1 for o in outcomes if o.success),
            failed=sum(1 for o in outcomes if not o.success),
            subscriptions=[_public(o.subscription) for o in outcomes if o.subscription is not None],
            errors=[
                f"{o.index}: {o.error.code} {o.error.message or ''}".strip()
                for o in outcomes
                if not o.success and o.error is not None
            ],
        )

    def render(self) -> str:
        asked = self.asked()
        if asked:
            return asked
        lines = [f"{self.succeeded} succeeded, {self.failed} failed."]
        if self.subscriptions:
            lines.append(table(SUBSCRIPTION_HEADERS, _subscription_rows(self.subscriptions)))
        lines.extend(self.errors[:20])
        if self.commitment:
            lines.append(self.commitment)
        return "\n".join(lines)


@group.tool(
    toolset=Toolset.webhooks,
    title="Create webhook subscriptions",
    annotations=FREE_WRITE,
    metered=False,
    commits_spend="Lusha charges per delivered signal",
)
async def create_webhook_subscriptions(
    call: ToolCall,
    url: Annotated[str, Field(description="https endpoint that receives deliveries.")],
    entity_type: Annotated[EntityType | None, Field(description="Entity of entity_ids.")] = None,
    entity_ids: Annotated[list[str] | None, Field(description="Lusha ids to watch.")] = None,
    signal_types: Annotated[list[str] | None, Field(description="Signals to deliver (default all).")] = None,
    name: Annotated[str | None, Field(description="Label.", max_length=100)] = None,
    opt_out: Annotated[
        bool, Field(description="Instead: one subscription for contact opt-out notices (compliance).")
    ] = False,
    confirmation_token: ConfirmationTokenArg = None,
) -> SubscriptionChanges:
    """Subscribe a URL to signal deliveries for contacts or companies, or to opt-out notices.

    Use this when the user wants signals pushed instead of polled. Cost: free to create, but it
    commits the account to a charge per delivered signal (ids x signal types x the signal price
    per delivery round, again each time signals fire), so it needs the user's confirmation naming
    that estimate and is unavailable in no-spend mode; opt-out notices are free. Any number of ids
    (sent 25 per request). The receiver must be a public https URL.
    """
    check_receiver_url(url, sandbox=call.settings.sandbox)
    try:
        if opt_out:
            if entity_ids:
                raise ArgumentError(
                    "entity_ids", "opt-out covers every contact", "no entity_ids with opt_out"
                )
            created = await call.client.webhooks.create_opt_out(
                OptOutSubscriptionRequest.model_validate({"url": url, "name": name})
            )
            return SubscriptionChanges(succeeded=1, subscriptions=[_public(created)])
        if not entity_ids or entity_type is None:
            raise ArgumentError(
                "entity_ids", "no ids or no entity_type", 'entity_type="contact"|"company" and entity_ids'
            )
        unique = list(dict.fromkeys(entity_ids))
        request = CreateSubscriptionsRequest.model_validate(
            {
                "defaults": {
                    "url": url,
                    "entity_type": entity_type,
                    "signal_types": signal_types or ["allSignals"],
                },
                "name": name,
                "subscriptions": [{"entity_id": entity_id} for entity_id in unique],
            }
        )
    except InvalidRequestError as exc:
        problems = "; ".join(p.removeprefix("request: ") for p in exc.problems)
        raise ArgumentError(
            "url", problems or exc.message, "an absolute https URL and valid fields"
        ) from None
    arguments = {
        "url": url,
        "entity_type": entity_type,
        "entity_ids": unique,
        "signal_types": signal_types,
        "name": name,
    }
    commitment = await commitment_of(call.state, entity_type, len(unique), signal_types)
    asked = await _ask_first(call, SubscriptionChanges, arguments, commitment, confirmation_token)
    if asked is not None:
        return asked
    result = await call.client.webhooks.create(request, on_progress=call.progress)
    changes = SubscriptionChanges.of(result.results)
    if changes.succeeded:
        created = commitment_of_count(commitment, changes.succeeded)
        await record_commitment(call.state, call.tool, arguments, created)
        changes.commitment = created.describe()
        changes.estimate_per_delivery_round = created.per_round
    return changes


@group.tool(
    toolset=Toolset.webhooks, title="Update webhook subscription", annotations=FREE_UPDATE, metered=False
)
async def update_webhook_subscription(
    call: ToolCall,
    subscription_id: Annotated[str, Field(description="Subscription id.")],
    active: Annotated[bool | None, Field(description="true reactivates a blocked one; false pauses.")] = None,
    url: Annotated[str | None, Field(description="New endpoint.")] = None,
    signal_types: Annotated[list[str] | None, Field(description="Replaces the signal list.")] = None,
    name: Annotated[str | None, Field(description="New label.", max_length=100)] = None,
    confirmation_token: ConfirmationTokenArg = None,
) -> Subscriptions:
    """Change a subscription's URL, signals or name, or pause/reactivate it.

    Use this to fix a receiver URL or reactivate a blocked subscription. Cost: reactivating or
    changing signal types commits the account to a charge per delivered signal, so those need the
    user's confirmation naming the per-delivery estimate and are unavailable in no-spend mode.
    Pausing (active=false), renaming and new URLs are free.
    """
    if url is not None:
        check_receiver_url(url, sandbox=call.settings.sandbox)
    fields = {"is_active": active, "url": url, "signal_types": signal_types, "name": name}
    try:
        update = SubscriptionUpdate.model_validate({k: v for k, v in fields.items() if v is not None})
    except InvalidRequestError as exc:
        problems = "; ".join(p.removeprefix("request: ") for p in exc.problems)
        raise ArgumentError(
            "active", problems or exc.message, "at least one of active, url, signal_types, name"
        ) from None
    commitment: Commitment | None = None
    if active is True or (signal_types is not None and active is not False):
        current = await call.client.webhooks.get(subscription_id)
        if current.entity_type in ("contact", "company"):
            arguments = {"subscription_id": subscription_id, **fields}
            commitment = await commitment_of(
                call.state,
                current.entity_type,
                1,
                signal_types if signal_types is not None else current.signal_types,
            )
            asked = await _ask_first(call, Subscriptions, arguments, commitment, confirmation_token)
            if asked is not None:
                return asked
            updated = await call.client.webhooks.update(subscription_id, update)
            await record_commitment(call.state, call.tool, arguments, commitment)
            return Subscriptions(
                subscriptions=[_public(updated)],
                commitment=commitment.describe(),
                estimate_per_delivery_round=commitment.per_round,
            )
    updated = await call.client.webhooks.update(subscription_id, update)
    return Subscriptions(subscriptions=[_public(updated)])


@group.tool(
    toolset=Toolset.webhooks, title="Delete webhook subscriptions", annotations=FREE_DELETE, metered=False
)
async def delete_webhook_subscriptions(
    call: ToolCall,
    ids: Annotated[list[str], Field(description="Subscription ids to delete for good.", min_length=1)],
) -> SubscriptionChanges:
    """Delete webhook subscriptions permanently.

    Use this only when the user wants them gone (update active=false just pauses). Free.
    """
    result = await call.client.webhooks.delete(list(dict.fromkeys(ids)), on_progress=call.progress)
    return SubscriptionChanges.of(result.results)


class TestDelivery(ToolResult):
    """Outcome of a test delivery."""

    subscription_id: str | None = None
    url: str | None = None
    success: bool
    status_code: int | None = None
    duration_ms: int | None = None

    def render(self) -> str:
        state = "delivered" if self.success else "FAILED"
        return f"Test delivery to {self.url} {state} (HTTP {self.status_code}, {self.duration_ms} ms)."


@group.tool(toolset=Toolset.webhooks, title="Test webhook subscription", annotations=FREE_SEND, metered=False)
async def test_webhook_subscription(
    call: ToolCall,
    subscription_id: Annotated[str, Field(description="Subscription id.")],
    mode: Annotated[TestMode, Field(description="full: end to end; direct: straight to the URL.")] = "full",  # noqa: PT028
) -> TestDelivery:
    """Send a sample signed delivery to a subscription's URL.

    Use this to check a receiver after creating or changing a subscription. Free (recorded in
    the ledger as a free test delivery).
    """
    await reconcile_deliveries(call.state, force=True)  # real deliveries so far are charged
    outcome = await call.client.webhooks.test(subscription_id, mode=mode)
    await reconcile_deliveries(call.state, force=True, free_subscription=subscription_id)
    check = outcome.flow_check
    return TestDelivery(
        subscription_id=outcome.subscription_id or subscription_id,
        url=outcome.url,
        success=outcome.is_success,
        status_code=check.status_code if check else None,
        duration_ms=check.duration_ms if check else None,
    )


class Deliveries(ToolResult):
    """Delivery attempts, newest first, and success statistics."""

    stats: AuditLogStats
    deliveries: list[AuditLogEntry] = Field(default_factory=list[AuditLogEntry])
    next_offset: int | None = None

    def render(self) -> str:
        s = self.stats
        head = f"{s.total} deliveries: {s.success} ok, {s.failed} failed ({s.success_rate or '-'})."
        if self.next_offset is not None:
            head += f" Next: offset={self.next_offset}."
        rows = [
            (d.delivered_at, d.subscription_id, d.status, d.status_code, d.duration_ms, d.error)
            for d in self.deliveries
        ]
        return head + "\n" + table(("at", "subscription", "status", "http", "ms", "error"), rows)


@group.tool(toolset=Toolset.webhooks, title="Webhook deliveries", annotations=FREE_READ, metered=False)
async def get_webhook_deliveries(
    call: ToolCall,
    subscription_id: Annotated[str | None, Field(description="Only this subscription.")] = None,
    status: Annotated[DeliveryStatus | None, Field(description="Only this outcome.")] = None,
    limit: Annotated[int, Field(description="Page size (1-100).", ge=1, le=100)] = 25,
    offset: Annotated[int, Field(description="Skip this many.", ge=0)] = 0,
) -> Deliveries:
    """Show webhook delivery attempts (audit log) and success statistics.

    Use this when deliveries seem missing or a subscription got blocked. Free.
    """
    await reconcile_deliveries(call.state, force=True)
    logs = await call.client.webhooks.audit_logs(
        subscription_id=subscription_id, status=status, limit=limit, offset=offset
    )
    stats = await call.client.webhooks.audit_log_stats(subscription_id=subscription_id)
    more = logs.pagination is not None and logs.pagination.has_more
    return Deliveries(
        stats=stats, deliveries=logs.data, next_offset=offset + len(logs.data) if more else None
    )


class Secret(ToolResult):
    """The new account signing secret."""

    secret: str = Field(description="Sensitive: give it only to the receiver's configuration.")

    def render(self) -> str:
        return (
            f"New signing secret (sensitive): {self.secret}\n"
            "Deliveries are signed with it from now on; update every receiver."
        )


@group.tool(
    toolset=Toolset.webhooks, title="Regenerate webhook secret", annotations=FREE_REPLACE, metered=False
)
async def regenerate_webhook_secret(
    call: ToolCall,
    confirm: Annotated[Literal[True], Field(description="Must be true: the old secret stops working.")],
) -> Secret:
    """Create or replace the account's webhook signing secret (needed before the first subscription).

    Use this only when the user asks: receivers verifying the old secret reject deliveries. Free.
    """
    del confirm
    return Secret(secret=(await call.client.webhooks.regenerate_secret()).secret)
