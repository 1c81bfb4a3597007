"""The one object every metered call passes through: quote -> authorize -> call -> settle."""

from __future__ import annotations

import copy
import hashlib
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from lusha_mcp.guard.confirm import TokenIssuer, canonical_arguments_hash
from lusha_mcp.guard.inflight import InFlight
from lusha_mcp.guard.policy import CreditPolicy, LedgerUnavailable, NoSpendRefusal, OverBudget
from lusha_mcp.guard.pricing import PreviewCache, PricingSource, Quote
from lusha_mcp.keys import key_ring
from lusha_mcp.settings import Settings
from lusha_mcp.storage.base import Budgets, Caller, Limits, Reservation

logger = logging.getLogger(__name__)


class BudgetLeft(BaseModel):
    """Credits this server may still spend; a budget that is not set is omitted (unlimited)."""

    session: int | None = Field(default=None, description="Left in this client session's budget.")
    today: int | None = Field(
        default=None, description="Left today (UTC) in the tightest daily budget (account, team or user)."
    )
    today_budget: str | None = Field(
        default=None, description='Which daily budget `today` is: "account", "team <name>" or "user <id>".'
    )
    per_call: int | None = Field(default=None, description="Cap on one call.")
    spent_session: int = Field(description="Spent by this client session.")
    spent_today: int = Field(description="Spent today (UTC) by the account (this data dir or database).")

    def refusal(self, credits: int) -> OverBudget | None:
        """The refusal of a call of `credits` that one of these budgets cannot hold, if any."""
        if self.session is not None and credits > self.session:
            return OverBudget(credits, "session", self.session)
        if self.today is not None and credits > self.today:
            kind, _, key = (self.today_budget or "account").partition(" ")
            return OverBudget(credits, kind, self.today, key=key)
        return None


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
        from lusha_mcp.storage import open_storage  # the storage package imports the guard's refusals

        self.policy = CreditPolicy.from_settings(settings)
        self.pricing = pricing
        self.session_id = session_id or uuid.uuid4().hex[:12]
        self.client = ""
        """The client session this view serves ("" for the server's own session)."""
        self.user: str | None = None
        """The signed-in user (`<issuer> <subject>`) this view serves, if any."""
        self.teams: tuple[str, ...] = ()
        self.limits = Limits(
            session=self.policy.session_budget,
            user=self.policy.user_daily_budget,
            team=self.policy.team_daily_budget,
            account=self.policy.daily_budget,
        )
        self.previews = PreviewCache()
        self.storage = open_storage(settings)
        self.ledger = self.storage.ledger
        self.cache = self.storage.cache
        self.inflight = InFlight()
        """Reveals talking to Lusha now (shared by every client view): a second reveal of the
        same record waits for the first and is served from the cache."""
        self.tokens = TokenIssuer(key_ring(settings), settings.confirmation_ttl_seconds)

    def for_client(
        self, client: str | None, *, user: str | None = None, teams: Sequence[str] = ()
    ) -> CreditGuard:
        """This guard as seen by one client session (`client`: an opaque id, never a secret) of
        one signed-in user (`user`: `<issuer> <subject>`, and their `teams`), if any."""
        if (not client or client == self.client) and user == self.user:
            return self
        view = copy.copy(self)
        if client and client != self.client:
            view.client = client
            view.session_id = f"{self.session_id.partition('.')[0]}.{client}"
        view.user, view.teams = user, tuple(teams)
        return view

    @property
    def caller(self) -> Caller:
        return Caller(session=self.session_id, user=self.user, teams=self.teams)

    @property
    def holder(self) -> str:
        """Whom this view's confirmation tokens are bound to: the signed-in user (on any replica,
        in any session of theirs), else the client session ("" for the server's own)."""
        if self.user is None:
            return self.client
        return "u." + hashlib.sha256(f"lusha-mcp holder\0{self.user}".encode()).hexdigest()[:16]

    async def open(self) -> None:
        """Check the storage engine (PostgreSQL: reachable, schema current)."""
        await self.storage.open()

    def close(self) -> None:
        """Close the SQLite files (PostgreSQL: use `aclose`)."""
        close = getattr(self.storage, "close", None)
        if close is not None:
            close()

    async def aclose(self) -> None:
        await self.storage.aclose()

    @staticmethod
    def arguments_hash(tool: str, arguments: Mapping[str, Any]) -> str:
        return canonical_arguments_hash(tool, arguments)

    def _left(self, budgets: Budgets) -> BudgetLeft:
        session = budgets.line("session")
        daily = budgets.tightest_daily()
        return BudgetLeft(
            session=session.left if session else None,
            today=daily.left if daily else None,
            today_budget=daily.label if daily else None,
            per_call=self.policy.max_credits_per_call,
            spent_session=budgets.spent_session,
            spent_today=budgets.spent_today,
        )

    async def budget_left(self) -> BudgetLeft:
        return self._left(await self.ledger.budgets(self.caller, self.limits))

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
        refusal = left.refusal(quote.total_credits)
        if refusal is not None:
            raise refusal.for_quote(quote)

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
                confirmation_token, tool, arguments_hash, quote.total_credits, holder=self.holder
            ).token_id
        elif not elicited and self.needs_confirmation(quote):
            left = await self.budget_left()
            self._refuse_over_budget(quote, left)
            text, _ = self.tokens.issue(tool, arguments_hash, quote.total_credits, holder=self.holder)
            return ConfirmationRequest(
                quote=quote,
                budget_left=left,
                confirmation_token=text,
                expires_in_seconds=self.tokens.ttl_seconds,
            )
        try:
            reservation = await self.ledger.reserve(
                self.caller,
                tool=tool,
                arguments_hash=arguments_hash,
                quote=quote.total_credits,
                limits=self.limits,
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
        await self.ledger.settle(
            authorized.reservation,
            charged=charged,
            request_id=request_id,
            outcome="unknown" if uncertain else "over_quote" if over else "partial" if stopped else "ok",
            note="; ".join(part for part in (note, stopped and f"stopped by {stopped}") if part) or None,
        )
        return Settlement(charged=charged, over_quote=over, budget_left=await self.budget_left_or_unknown())

    async def budget_left_or_unknown(self) -> BudgetLeft:
        """`budget_left()`, or budgets reported unknown when the ledger cannot say (PostgreSQL
        down: after a settlement, which is kept and retried, or in a free report) rather than
        failing a call that spends nothing more."""
        try:
            return await self.budget_left()
        except LedgerUnavailable:
            return BudgetLeft(
                today_budget="unknown: the ledger is unavailable",
                per_call=self.policy.max_credits_per_call,
                spent_session=0,
                spent_today=0,
            )

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
        token = self.tokens.verify(confirmation_token, tool, arguments_hash, 0, holder=self.holder)
        await self.ledger.consume_token(token.token_id)

    async def record_cached(self, *, tool: str, arguments_hash: str, note: str) -> None:
        await self.ledger.record_free(self.caller, tool=tool, arguments_hash=arguments_hash, note=note)
