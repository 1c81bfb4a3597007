"""The one object every metered call passes through: quote -> authorize -> call -> settle."""

from __future__ import annotations

import copy
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from lusha_mcp.guard.cache import RevealCache
from lusha_mcp.guard.confirm import TokenIssuer, canonical_arguments_hash
from lusha_mcp.guard.inflight import InFlight
from lusha_mcp.guard.ledger import Ledger, Reservation, Spending
from lusha_mcp.guard.policy import CreditPolicy, NoSpendRefusal, OverBudget
from lusha_mcp.guard.pricing import PreviewCache, PricingSource, Quote
from lusha_mcp.keys import key_ring
from lusha_mcp.settings import Settings

logger = logging.getLogger(__name__)


class BudgetLeft(BaseModel):
    """Credits this server may still spend; a budget that is not set is omitted (unlimited)."""

    session: int | None = Field(default=None, description="Left in this client session's budget.")
    today: int | None = Field(default=None, description="Left in today's (UTC) budget.")
    per_call: int | None = Field(default=None, description="Cap on one call.")
    spent_session: int = Field(description="Spent by this client session.")
    spent_today: int = Field(description="Spent today (UTC) by this data dir.")


class ConfirmationRequest(BaseModel):
    """What the user is asked to approve when the client cannot elicit."""

    quote: Quote
    budget_left: BudgetLeft
    confirmation_token: str
    expires_in_seconds: int


@dataclass(frozen=True, slots=True)
class Authorized:
    reservation: Reservation
    quote: Quote


@dataclass(frozen=True, slots=True)
class Settlement:
    charged: int
    over_quote: bool
    budget_left: BudgetLeft


class CreditGuard:
    """Policy, pricing, tokens, ledger and reveal cache for one server session.

    Over stdio the server session is the client's session. Over HTTP one server has many clients:
    `for_client` gives each its own view, with its own session id (ledger rows, session budget) and
    its own confirmation tokens, over the shared policy, daily budget, ledger and reveal cache.
    """

    def __init__(self, settings: Settings, pricing: PricingSource, *, session_id: str | None = None) -> None:
        self.policy = CreditPolicy.from_settings(settings)
        self.pricing = pricing
        self.session_id = session_id or uuid.uuid4().hex[:12]
        self.client = ""
        """The client session this view serves ("" for the server's own session)."""
        self.previews = PreviewCache()
        self.ledger = Ledger(settings.data_dir)
        self.cache = RevealCache(settings.data_dir, settings.cache_ttl_days)
        self.inflight = InFlight()
        """Reveals talking to Lusha now (shared by every client view): a second reveal of the
        same record waits for the first and is served from the cache."""
        self.tokens = TokenIssuer(key_ring(settings), settings.confirmation_ttl_seconds)

    def for_client(self, client: str | None) -> CreditGuard:
        """This guard as seen by one client session (`client`: an opaque id, never a secret)."""
        if not client or client == self.client:
            return self
        view = copy.copy(self)
        view.client = client
        view.session_id = f"{self.session_id.partition('.')[0]}.{client}"
        return view

    def close(self) -> None:
        self.ledger.close()
        self.cache.close()

    @staticmethod
    def arguments_hash(tool: str, arguments: Mapping[str, Any]) -> str:
        return canonical_arguments_hash(tool, arguments)

    def _left(self, spent: Spending) -> BudgetLeft:
        policy = self.policy
        return BudgetLeft(
            session=None if policy.session_budget is None else max(policy.session_budget - spent.session, 0),
            today=None if policy.daily_budget is None else max(policy.daily_budget - spent.today, 0),
            per_call=policy.max_credits_per_call,
            spent_session=spent.session,
            spent_today=spent.today,
        )

    async def budget_left(self) -> BudgetLeft:
        return self._left(await self.ledger.spending(self.session_id))

    def refuse_if_no_spend(self, tool: str) -> None:
        if self.policy.no_spend:
            raise NoSpendRefusal(tool)

    async def preflight(self, quote: Quote) -> BudgetLeft:
        """Refuse before anything is asked or sent: reveal allowlist, per-call cap, budgets."""
        self.policy.check(quote)
        left = await self.budget_left()
        self._refuse_over_budget(quote, left)
        return left

    @staticmethod
    def _refuse_over_budget(quote: Quote, left: BudgetLeft) -> None:
        for which, remaining in (("session", left.session), ("daily", left.today)):
            if remaining is not None and quote.total_credits > remaining:
                raise OverBudget(quote.total_credits, which, remaining).for_quote(quote)

    def needs_confirmation(self, quote: Quote) -> bool:
        return self.policy.needs_confirmation(quote)

    async def authorize(
        self,
        *,
        tool: str,
        arguments_hash: str,
        quote: Quote,
        confirmation_token: str | None,
        elicited: bool,
    ) -> Authorized | ConfirmationRequest:
        """Reserve the quote, or say what confirmation is missing. Raises a GuardRefusal otherwise.

        The budgets and the token's single use are checked in the reservation's transaction."""
        self.refuse_if_no_spend(tool)
        self.policy.check(quote)
        token_id: str | None = None
        if confirmation_token is not None:
            token_id = self.tokens.verify(
                confirmation_token, tool, arguments_hash, quote.total_credits, holder=self.client
            ).token_id
        elif not elicited and self.needs_confirmation(quote):
            left = await self.budget_left()
            self._refuse_over_budget(quote, left)
            text, _ = self.tokens.issue(tool, arguments_hash, quote.total_credits, holder=self.client)
            return ConfirmationRequest(
                quote=quote,
                budget_left=left,
                confirmation_token=text,
                expires_in_seconds=self.tokens.ttl_seconds,
            )
        try:
            reservation = await self.ledger.reserve(
                session=self.session_id,
                tool=tool,
                arguments_hash=arguments_hash,
                quote=quote.total_credits,
                session_budget=self.policy.session_budget,
                daily_budget=self.policy.daily_budget,
                token_id=token_id,
            )
        except OverBudget as refusal:
            raise refusal.for_quote(quote) from None
        return Authorized(reservation=reservation, quote=quote)

    async def settle(
        self,
        authorized: Authorized,
        *,
        charged: int,
        request_id: str | None,
        stopped: str | None = None,
        uncertain: bool = False,
    ) -> Settlement:
        """Record what Lusha charged; `stopped` names the error that cut a split call short, and
        `uncertain` says a batch's answer was lost, so the call keeps counting at its quote."""
        over = charged > authorized.quote.total_credits
        note = (
            f"charged {charged} credits, above the quote of {authorized.quote.total_credits}"
            if over
            else None
        )
        if over:
            logger.warning("Call %s %s", authorized.reservation.call_id, note)
        spent = await self.ledger.settle(
            authorized.reservation,
            charged=charged,
            request_id=request_id,
            outcome="unknown" if uncertain else "over_quote" if over else "partial" if stopped else "ok",
            note="; ".join(part for part in (note, stopped and f"stopped by {stopped}") if part) or None,
        )
        return Settlement(charged=charged, over_quote=over, budget_left=self._left(spent))

    async def fail(
        self,
        authorized: Authorized,
        *,
        maybe_charged: bool,
        note: str,
        charged: int = 0,
        request_id: str | None = None,
    ) -> None:
        """Release the reservation; a call that may have been charged keeps counting at its quote.

        `charged`: what Lusha billed for the part that succeeded (batches before the failure).
        """
        await self.ledger.settle(
            authorized.reservation,
            charged=None if maybe_charged and not charged else charged,
            request_id=request_id,
            outcome="unknown" if maybe_charged else "failed",
            note=note,
        )

    async def redeem_unspent(self, confirmation_token: str, *, tool: str, arguments_hash: str) -> None:
        """A token passed to a call that turned out free is still checked and used up."""
        token = self.tokens.verify(confirmation_token, tool, arguments_hash, 0, holder=self.client)
        await self.ledger.consume_token(token.token_id)

    async def record_cached(self, *, tool: str, arguments_hash: str, note: str) -> None:
        await self.ledger.record_free(
            session=self.session_id, tool=tool, arguments_hash=arguments_hash, note=note
        )
