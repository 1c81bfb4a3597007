"""The storage interface the credit guard talks to, whatever engine is behind it.

Three stores, each a Protocol with an SQLite implementation (the data dir, the default) and a
PostgreSQL one (`LUSHA_DATABASE_URL`, several replicas sharing one database):

- `LedgerStore`: one row per metered call, the budgets computed from them (session, user, each
  team, the account: a reservation must fit all of them), the used confirmation tokens and the
  budget overrides an admin sets with `lusha-mcp budgets`;
- `RevealStore`: revealed contacts and companies, so the same data is never paid for twice;
- `LookalikeStore`: named lookalike dedupe sessions of one Lusha account.

Tables keep no run state of their own: a column run's progress is Lusha's (read back from the
table's rows), so there is no table-run store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

Outcome = Literal["pending", "ok", "partial", "over_quote", "failed", "unknown", "cached"]
GroupBy = Literal["day", "tool", "session", "user", "team"]
ScopeKind = Literal["session", "user", "team", "account"]
LookalikeEntity = Literal["contacts", "companies"]
Record = dict[str, Any]

SCOPE_ORDER: tuple[ScopeKind, ...] = ("account", "team", "user", "session")
"""The fixed order in which a reservation takes its budget counters (no deadlock between two)."""


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a metered call is for: its client session, and the signed-in user and teams if any."""

    session: str
    user: str | None = None
    """The signed-in user as `<issuer> <subject>` (None: no sign-in, e.g. stdio or a static token)."""
    teams: tuple[str, ...] = ()

    def scopes(self) -> list[tuple[ScopeKind, str]]:
        """(kind, key) of every budget this caller's calls count against, in `SCOPE_ORDER`."""
        return [
            ("account", ""),
            *(("team", team) for team in sorted(set(self.teams))),
            *([("user", self.user)] if self.user else []),
            ("session", self.session),
        ]


def user_key(issuer: str, subject: str) -> str:
    return f"{issuer} {subject}"


@dataclass(frozen=True, slots=True)
class Limits:
    """The default budgets (settings); overrides stored by `lusha-mcp budgets` take precedence."""

    session: int | None = None
    user: int | None = None
    team: int | None = None
    account: int | None = None

    def default(self, kind: ScopeKind) -> int | None:
        return getattr(self, kind)


@dataclass(frozen=True, slots=True)
class BudgetLine:
    """One budget of a caller: what it allows (None: unlimited) and what is spent against it."""

    kind: ScopeKind
    key: str
    limit: int | None
    spent: int

    @property
    def left(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.spent, 0)

    @property
    def label(self) -> str:
        return {"session": "session", "account": "account"}.get(self.kind) or f"{self.kind} {self.key}"


@dataclass(frozen=True, slots=True)
class Budgets:
    lines: tuple[BudgetLine, ...]

    def line(self, kind: ScopeKind) -> BudgetLine | None:
        return next((line for line in self.lines if line.kind == kind), None)

    @property
    def spent_session(self) -> int:
        line = self.line("session")
        return line.spent if line else 0

    @property
    def spent_today(self) -> int:
        line = self.line("account")
        return line.spent if line else 0

    def tightest_daily(self) -> BudgetLine | None:
        """The daily budget (account, team or user) with the least left; None if none is set."""
        daily = [line for line in self.lines if line.kind != "session" and line.limit is not None]
        return min(daily, key=lambda line: line.left or 0, default=None)

    def refusing(self, credits: int) -> BudgetLine | None:
        """The first budget (in scope order) that cannot hold `credits` more."""
        return next((line for line in self.lines if line.left is not None and credits > line.left), None)


@dataclass(frozen=True, slots=True)
class Reservation:
    call_id: int
    quote: int
    session: str
    caller: Caller | None = field(default=None, compare=False)


class LedgerEntry(BaseModel):
    id: int
    created_at: float
    day: str
    session: str
    user: str | None = None
    teams: list[str] = Field(default_factory=list[str])
    tool: str
    arguments_hash: str
    quote: int
    charged: int | None
    request_id: str | None
    outcome: str
    note: str | None


class LedgerGroup(BaseModel):
    key: str = Field(description="The day, tool, session, user or team this row sums.")
    calls: int
    quoted: int
    charged: int
    over_quote: int = Field(description="Calls charged more than quoted.")
    unknown: int = Field(
        default=0, description="Calls whose charge is unknown (answer lost, or the server died mid-call)."
    )
    unknown_quoted: int = Field(
        default=0, description="What those calls were quoted: Lusha may have charged up to this much more."
    )


class BudgetOverride(BaseModel):
    kind: ScopeKind
    key: str
    daily: int


class PurgeReport(BaseModel):
    contacts: int
    companies: int


@dataclass(frozen=True, slots=True)
class StoredSession:
    name: str
    dedupe_session_id: str
    last_used_at: float
    results: int


class LedgerStore(Protocol):
    """Money state. Every method may raise `StorageUnavailable` (engine unreachable) before
    anything was written; `reserve` raises `TokenReplayed` or `OverBudget` too."""

    async def budgets(self, caller: Caller, limits: Limits) -> Budgets: ...

    async def reserve(
        self,
        caller: Caller,
        *,
        tool: str,
        arguments_hash: str,
        quote: int,
        limits: Limits,
        token_id: str | None = None,
    ) -> Reservation:
        """Check the token's single use and every budget, and record the call pending at its
        quote, in one transaction."""
        ...

    async def settle(
        self,
        reservation: Reservation,
        *,
        charged: int | None,
        request_id: str | None,
        outcome: Outcome,
        note: str | None = None,
    ) -> None:
        """Record the outcome: a settled call counts what was charged, a pending/unknown one
        max(quote, charged). A settlement the engine cannot take is kept and retried."""
        ...

    async def consume_token(self, token_id: str) -> None: ...

    async def record_free(self, caller: Caller, *, tool: str, arguments_hash: str, note: str) -> None: ...

    async def list_entries(self, *, session: str | None = None) -> list[LedgerEntry]: ...

    async def tool_spend(self, caller: Caller) -> dict[str, tuple[int, int]]:
        """Tool -> (spent this session, spent today by the account), as the budgets count."""
        ...

    async def group(self, group_by: GroupBy) -> list[LedgerGroup]: ...

    async def set_override(self, kind: ScopeKind, key: str, daily: int) -> None: ...

    async def clear_override(self, kind: ScopeKind, key: str) -> bool: ...

    async def overrides(self) -> list[BudgetOverride]: ...

    async def aclose(self) -> None: ...


class RevealStore(Protocol):
    async def get_contacts(self, ids: Iterable[str], fields: Iterable[str]) -> dict[str, Record]: ...

    async def contact_id_for(self, *, email: str | None = None, linkedin: str | None = None) -> str | None:
        """The cached contact with that email or LinkedIn URL, if any."""
        ...

    async def company_id_for(self, domain: str) -> str | None:
        """The cached company with that domain, if any."""
        ...

    async def store_contacts(self, records: Iterable[Mapping[str, Any]], fields: Sequence[str]) -> None: ...

    async def get_companies(self, ids: Iterable[str], extras: Iterable[str]) -> dict[str, Record]: ...

    async def store_companies(self, records: Iterable[Mapping[str, Any]], extras: Sequence[str]) -> None: ...

    async def erase(
        self, *, contact_id: str | None = None, email: str | None = None, domain: str | None = None
    ) -> PurgeReport: ...

    async def aclose(self) -> None: ...


class LookalikeStore(Protocol):
    async def get(self, entity: LookalikeEntity, name: str) -> tuple[StoredSession | None, bool]:
        """The live session of that name, and whether an expired one was dropped."""
        ...

    async def save(
        self, entity: LookalikeEntity, name: str, dedupe_session_id: str, returned: int
    ) -> StoredSession: ...

    async def drop(self, entity: LookalikeEntity, name: str) -> None: ...

    async def names(self, entity: LookalikeEntity | None = None) -> list[StoredSession]: ...


class Storage(Protocol):
    """One engine's stores, as the guard and the tools see them."""

    @property
    def ledger(self) -> LedgerStore: ...

    @property
    def cache(self) -> RevealStore: ...

    def lookalikes(self, account: str) -> LookalikeStore: ...

    async def open(self) -> None:
        """Check the engine at startup (PostgreSQL: reachable, schema current)."""
        ...

    async def aclose(self) -> None: ...
