"""client.webhooks: subscriptions, delivery audit logs and the account's signing secret (all free)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import get_args

from lusha_mcp.api.bulk import SMALL_BATCH_LIMIT, ProgressCallback, merge_subscription_batches
from lusha_mcp.api.errors import InvalidRequestError
from lusha_mcp.api.models import (
    AccountSecret,
    AuditLogs,
    AuditLogStats,
    CreateSubscriptionsRequest,
    DeleteSubscriptionsRequest,
    OptOutSubscriptionRequest,
    Subscription,
    SubscriptionBatchResult,
    SubscriptionList,
    SubscriptionTestResult,
    SubscriptionUpdate,
)
from lusha_mcp.api.models.webhooks import DeliveryStatus, TestMode
from lusha_mcp.api.resources._base import Resource, check_choice, check_range, path_id
from lusha_mcp.api.transport import Operation

__all__ = ["Webhooks"]


class Webhooks(Resource):
    CREATE = Operation("webhooks.create", "POST", "/api/subscriptions", SubscriptionBatchResult)
    LIST = Operation("webhooks.list", "GET", "/api/subscriptions", SubscriptionList)
    GET = Operation("webhooks.get", "GET", "/api/subscriptions/{id}", Subscription)
    UPDATE = Operation("webhooks.update", "PATCH", "/api/subscriptions/{id}", Subscription)
    DELETE = Operation("webhooks.delete", "POST", "/api/subscriptions/delete", SubscriptionBatchResult)
    TEST = Operation("webhooks.test", "POST", "/api/subscriptions/{id}/test", SubscriptionTestResult)
    CREATE_OPT_OUT = Operation("webhooks.create_opt_out", "POST", "/api/subscriptions/opt-out", Subscription)
    AUDIT_LOGS = Operation("webhooks.audit_logs", "GET", "/api/audit-logs", AuditLogs)
    AUDIT_LOG_STATS = Operation("webhooks.audit_log_stats", "GET", "/api/audit-logs/stats", AuditLogStats)
    GET_SECRET = Operation("webhooks.get_secret", "GET", "/api/account/secret", AccountSecret)
    REGENERATE_SECRET = Operation(
        "webhooks.regenerate_secret", "POST", "/api/account/secret/regenerate", AccountSecret
    )

    async def create(
        self, request: CreateSubscriptionsRequest, *, on_progress: ProgressCallback | None = None
    ) -> SubscriptionBatchResult:
        """Create webhook subscriptions; more than 25 are batched and result indexes kept global."""
        return await self._bulk(
            self.CREATE,
            request,
            "subscriptions",
            limit=SMALL_BATCH_LIMIT,
            merge=merge_subscription_batches,
            on_progress=on_progress,
        )

    async def list(self, *, limit: int = 10, offset: int = 0) -> SubscriptionList:
        check_range(limit, 1, 100, "limit")
        check_range(offset, 0, None, "offset")
        return await self._send(self.LIST, params={"limit": limit, "offset": offset})

    async def get(self, subscription_id: str) -> Subscription:
        return await self._send(self.GET, path_id=path_id(subscription_id))

    async def update(self, subscription_id: str, update: SubscriptionUpdate) -> Subscription:
        return await self._send(self.UPDATE, path_id=path_id(subscription_id), body=update)

    async def delete(
        self, ids: Sequence[str], *, on_progress: ProgressCallback | None = None
    ) -> SubscriptionBatchResult:
        """Delete subscriptions (permanent); more than 25 ids are batched."""
        clean = [i.strip() for i in ids]
        if not clean or not all(clean):
            raise InvalidRequestError(
                "Invalid ids: send at least one subscription id, none blank. Nothing was sent to Lusha.",
                field="ids",
            )
        return await self._bulk(
            self.DELETE,
            DeleteSubscriptionsRequest(ids=clean),
            "ids",
            limit=SMALL_BATCH_LIMIT,
            merge=merge_subscription_batches,
            on_progress=on_progress,
        )

    async def test(self, subscription_id: str, *, mode: TestMode = "full") -> SubscriptionTestResult:
        """Send a test delivery to a subscription's URL (free)."""
        check_choice(mode, get_args(TestMode), "mode")
        return await self._send(self.TEST, path_id=path_id(subscription_id), params={"mode": mode})

    async def create_opt_out(self, request: OptOutSubscriptionRequest) -> Subscription:
        return await self._send(self.CREATE_OPT_OUT, body=request)

    async def audit_logs(
        self,
        *,
        subscription_id: str | None = None,
        status: DeliveryStatus | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> AuditLogs:
        """Webhook delivery attempts, newest first."""
        if status is not None:
            check_choice(status, get_args(DeliveryStatus), "status")
        check_range(limit, 1, 100, "limit")
        check_range(offset, 0, None, "offset")
        return await self._send(
            self.AUDIT_LOGS,
            params={"subscriptionId": subscription_id, "status": status, "limit": limit, "offset": offset},
        )

    async def audit_log_stats(self, *, subscription_id: str | None = None) -> AuditLogStats:
        return await self._send(self.AUDIT_LOG_STATS, params={"subscriptionId": subscription_id})

    async def get_secret(self) -> AccountSecret:
        """The account's webhook signing secret (404 until one was created)."""
        return await self._send(self.GET_SECRET)

    async def regenerate_secret(self) -> AccountSecret:
        """Replace the webhook signing secret; deliveries are signed with the new one from now on."""
        return await self._send(self.REGENERATE_SECRET)
