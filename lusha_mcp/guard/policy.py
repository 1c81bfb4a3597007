"""What the user allows the assistant to spend, and the refusals when it asks for more."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lusha_mcp.guard.pricing import Quote
from lusha_mcp.settings import Settings


class GuardRefusal(Exception):  # noqa: N818
    """A call the guard will not run; `message` tells the model why and what to do instead."""

    code = "refused"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NoSpendRefusal(GuardRefusal):
    code = "no_spend"

    def __init__(self, tool: str) -> None:
        super().__init__(
            f"{tool} spends Lusha credits and this server runs in no-spend mode (LUSHA_NO_SPEND / "
            "--no-spend): only free tools (filter values, account usage, webhooks) run. "
            "Ask the user to restart the server without no-spend mode to use it."
        )


class LedgerUnavailable(GuardRefusal):
    """The storage engine (PostgreSQL) cannot be reached: no metered call runs without its ledger."""

    code = "ledger_unavailable"

    def __init__(self, reason: str = "") -> None:
        super().__init__(
            "The ledger is unavailable; nothing was spent. This server keeps its budgets and "
            "confirmations in a database it cannot reach right now"
            + (f" ({reason})" if reason else "")
            + ". Free tools still work; retry the metered call in a moment, or ask the admin to "
            "check the database (lusha-mcp doctor)."
        )


class RevealNotAllowed(GuardRefusal):
    code = "reveal_not_allowed"

    def __init__(self, fields: Iterable[str], allowed: Iterable[str]) -> None:
        allowed_list = ", ".join(allowed) or "none"
        super().__init__(
            f"Revealing {', '.join(fields)} is not allowed on this server (LUSHA_ALLOWED_REVEALS = "
            f"{allowed_list}). Ask only for: {allowed_list}."
        )


class OverCallCap(GuardRefusal):
    code = "over_call_cap"

    def __init__(self, quote: int, cap: int) -> None:
        super().__init__(
            f"This call may cost up to {quote} credits, over the cap of {cap} credits per call "
            "(LUSHA_MAX_CREDITS_PER_CALL). Nothing was spent. Ask for fewer records or fields, "
            "or split the request."
        )


def until_utc_midnight(now: float) -> tuple[str, str]:
    """The next UTC midnight (ISO) and the time left until it ("3 h 07 min")."""
    moment = datetime.fromtimestamp(now, UTC)
    midnight = (moment + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    minutes = max(1, int((midnight - moment).total_seconds() + 59) // 60)
    hours, minutes = divmod(minutes, 60)
    left = f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
    return midnight.isoformat().replace("+00:00", "Z"), left


_BUDGET_SETTING = {
    "session": "LUSHA_SESSION_BUDGET",
    "account": "LUSHA_DAILY_BUDGET",
    "user": "LUSHA_USER_DAILY_BUDGET",
    "team": "LUSHA_TEAM_DAILY_BUDGET",
}


class OverBudget(GuardRefusal):
    """A quote over what a budget has left: names the budget that refused (the session's, or
    the daily one of the account, a user or a team), says when it resets and, where the call
    has a record count, how many of its records would fit, so an agent can retry smaller."""

    code = "over_budget"

    def __init__(
        self,
        quote: int,
        which: str,
        left: int,
        *,
        key: str = "",
        fits: int | None = None,
        smallest: int = 1,
        now: float | None = None,
    ) -> None:
        which = "account" if which == "daily" else which
        self.quote, self.which, self.key, self.left, self.fits = quote, which, key, left, fits
        setting = _BUDGET_SETTING.get(which, "LUSHA_DAILY_BUDGET")
        if which == "session":
            budget = "session budget"
            resets = "The session budget resets only when a new client session starts."
        else:
            at, wait = until_utc_midnight(time.time() if now is None else now)
            if which in ("user", "team"):
                budget = f"daily budget of {which} {key} ({which} {key}: {left} credits left today)"
                setting = f"{setting}, or `lusha-mcp budgets set --{which} ...`"
            else:
                budget = "daily budget"
            resets = f"The daily budget resets at UTC midnight ({at}, in {wait})."
        if fits is None:
            smaller = "Ask for fewer records or fields"
        elif fits < smallest:
            smaller = (
                f"Fewer than the smallest request ({smallest} records) fits: ask for fewer fields "
                "or signal types, or wait for the reset"
            )
        else:
            smaller = f"About {fits} records of this request would fit: retry with at most {fits}"
        super().__init__(
            f"This call may cost up to {quote} credits but only {left} credits are left in the "
            f"{budget} ({setting}). Nothing was spent. {resets} {smaller}, "
            "or have the user raise the budget."
        )

    def for_quote(self, quote: Quote) -> OverBudget:
        """This refusal with how many of `quote`'s records fit in what is left."""
        return OverBudget(
            self.quote,
            self.which,
            self.left,
            key=self.key,
            fits=quote.fitting(self.left),
            smallest=quote.min_records or 1,
        )


@dataclass(frozen=True, slots=True)
class CreditPolicy:
    no_spend: bool = False
    max_credits_per_call: int | None = None
    session_budget: int | None = None
    daily_budget: int | None = None
    user_daily_budget: int | None = None
    team_daily_budget: int | None = None
    confirm_above: int = 10
    confirm_reveals: bool = True
    auto_approve: bool = False
    allowed_reveals: frozenset[str] = frozenset({"emails", "phones"})

    @classmethod
    def from_settings(cls, settings: Settings) -> CreditPolicy:
        return cls(
            no_spend=settings.no_spend,
            max_credits_per_call=settings.max_credits_per_call,
            session_budget=settings.session_budget,
            daily_budget=settings.daily_budget,
            user_daily_budget=settings.user_daily_budget,
            team_daily_budget=settings.team_daily_budget,
            confirm_above=settings.confirm_above,
            confirm_reveals=settings.confirm_reveals,
            auto_approve=settings.auto_approve,
            allowed_reveals=frozenset(settings.allowed_reveals),
        )

    def check_reveals(self, fields: Iterable[str]) -> None:
        forbidden = [field for field in fields if field not in self.allowed_reveals]
        if forbidden:
            raise RevealNotAllowed(forbidden, sorted(self.allowed_reveals))

    def check(self, quote: Quote) -> None:
        """Refuse what no confirmation can allow: forbidden reveal fields, a quote over the per-call cap."""
        self.check_reveals(quote.reveals)
        if self.max_credits_per_call is not None and quote.total_credits > self.max_credits_per_call:
            raise OverCallCap(quote.total_credits, self.max_credits_per_call)

    def needs_confirmation(self, quote: Quote) -> bool:
        if self.auto_approve:
            return False
        if quote.unpriced:
            return True
        if self.confirm_reveals and quote.reveals:
            return True
        return quote.total_credits > self.confirm_above
