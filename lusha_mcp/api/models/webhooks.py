"""Webhooks: subscriptions, opt-out subscription, delivery audit logs, account signing secret."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from lusha_mcp.api.models.base import LushaModel, LushaRequest, LushaResponse, WebUrl

EntityType = Literal["contact", "company"]
DeliveryStatus = Literal["success", "failed", "permanent_failure"]
TestMode = Literal["direct", "kafka", "full"]


class SubscriptionDefaults(LushaRequest):
    """Settings every subscription of a create call gets unless it sets its own."""

    url: WebUrl
    entity_type: EntityType | None = None
    signal_types: list[str] | None = None


class SubscriptionSpec(LushaRequest):
    entity_id: str = Field(min_length=1, max_length=255)
    entity_type: EntityType | None = None
    signal_types: list[str] | None = None
    name: str | None = Field(default=None, max_length=100)


class DeleteSubscriptionsRequest(LushaRequest):
    """Subscription ids to delete; more than 25 are split into batches."""

    ids: list[str] = Field(min_length=1)


class CreateSubscriptionsRequest(LushaRequest):
    """Subscriptions to create; more than 25 are split into batches."""

    defaults: SubscriptionDefaults
    name: str | None = Field(default=None, max_length=100)
    subscriptions: list[SubscriptionSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _entity_types(self) -> CreateSubscriptionsRequest:
        if self.defaults.entity_type is None:
            missing = [i for i, s in enumerate(self.subscriptions) if s.entity_type is None]
            if missing:
                raise ValueError(
                    f"subscriptions {missing[:5]} have no entityType; set defaults.entityType or each "
                    "subscription's entityType to 'contact' or 'company'"
                )
        return self


class SubscriptionUpdate(LushaRequest):
    """Fields of a subscription to change; unset fields stay as they are."""

    signal_types: list[str] | None = None
    url: WebUrl | None = None
    name: str | None = Field(default=None, max_length=100)
    is_active: bool | None = None
    regenerate_secret: bool | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> SubscriptionUpdate:
        if not self.model_fields_set - {"regenerate_secret"} and not self.regenerate_secret:
            raise ValueError("nothing to update: set signalTypes, url, name, isActive or regenerateSecret")
        return self


class OptOutSubscriptionRequest(LushaRequest):
    """Where Lusha should notify opt-outs of contacts (data-removal compliance)."""

    url: WebUrl
    entity_type: Literal["contact"] = "contact"
    name: str | None = Field(default=None, max_length=100)


class Subscription(LushaResponse):
    id: str
    entity_type: str | None = None
    entity_id: str | None = None
    signal_types: list[str] = Field(default_factory=list[str])
    url: str | None = None
    name: str | None = None
    is_active: bool | None = None
    block_reason: str | None = None
    blocked_at: str | None = None
    secret: str | None = Field(default=None, repr=False)
    created_at: str | None = None
    updated_at: str | None = None


class ItemFailure(LushaModel):
    code: str
    message: str | None = None


class SubscriptionOutcome(LushaModel):
    """One item of a bulk create/delete: `index` refers to the position in the request."""

    index: int
    success: bool
    subscription: Subscription | None = None
    error: ItemFailure | None = None


class SubscriptionBatchResult(LushaResponse):
    total: int = 0
    successful: int = 0
    failed: int = 0
    results: list[SubscriptionOutcome] = Field(default_factory=list[SubscriptionOutcome])


class ListPage(LushaModel):
    total: int | None = None
    limit: int | None = None
    offset: int | None = None
    has_more: bool | None = None


class SubscriptionList(LushaResponse):
    data: list[Subscription] = Field(default_factory=list[Subscription])
    pagination: ListPage | None = None


class FlowCheck(LushaModel):
    success: bool | None = None
    status_code: int | None = None
    duration_ms: int | None = None


class SubscriptionTestResult(LushaResponse):
    subscription_id: str | None = None
    subscription_name: str | None = None
    url: str | None = None
    mode: str | None = None
    flow_check: FlowCheck | None = None
    test_payload: dict[str, object] | None = None
    is_success: bool = False
    timestamp: str | None = None


class AuditLogEntry(LushaModel):
    id: str
    subscription_id: str | None = None
    payload_id: str | None = None
    status: str | None = None
    status_code: int | None = None
    url: str | None = None
    delivered_at: str | None = None
    duration_ms: int | None = None
    error: str | None = None


class AuditLogs(LushaResponse):
    data: list[AuditLogEntry] = Field(default_factory=list[AuditLogEntry])
    pagination: ListPage | None = None


class AuditLogStats(LushaResponse):
    total: int = 0
    success: int = 0
    failed: int = 0
    success_rate: str | None = None


class AccountSecret(LushaResponse):
    """The account's webhook signing secret (HMAC-SHA256 of deliveries)."""

    secret: str = Field(repr=False)
