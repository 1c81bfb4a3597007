"""Quotes: what a metered call can cost at most, priced before it runs.

Prices come from the account's own pricebook (`pricing` of GET /v3/account/usage), never from
constants here. A quote is an upper bound and is itemised so the user sees what they pay for.

An action the pricebook does not list is never quoted 0: its line is priced at a stated
conservative ceiling (`PriceBook.unknown_unit_ceiling`: the highest per-unit price the
pricebook lists, at least 1 credit), marked "price unknown", and the call always needs the
user's confirmation (unless auto-approve is on); the per-call cap and the budgets hold it at
that ceiling.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import cast

import anyio
from pydantic import BaseModel, ConfigDict, Field

from lusha_mcp.api.models import ActionPrice

SEARCH_ACTION = "api_search"
REVEAL_ACTIONS: Mapping[str, str] = {"emails": "revealEmail", "phones": "revealPhone"}
COMPANY_REVEAL_ACTION = "reveal_company"


class UnknownPriceError(Exception):
    """The account's pricebook has no entry for an action the call needs."""

    def __init__(self, action: str) -> None:
        super().__init__(
            f"The account's pricebook lists no price for '{action}', so this call cannot be quoted "
            "and was not sent. Check get_account_usage for the actions your plan prices."
        )
        self.action = action


@dataclass(frozen=True, slots=True)
class Price:
    """`credits` are charged per `per_quantity` units (1 credit per 25 results, say)."""

    credits: float
    per_quantity: float = 1.0

    def cost(self, quantity: int) -> int:
        if quantity <= 0 or self.credits <= 0:
            return 0
        per = self.per_quantity if self.per_quantity > 0 else 1.0
        return math.ceil(math.ceil(quantity / per) * self.credits)


class PriceBook:
    """The account's price per action."""

    def __init__(self, prices: Mapping[str, Price]) -> None:
        self._prices = dict(prices)

    @classmethod
    def from_pricing(cls, pricing: Mapping[str, object]) -> PriceBook:
        """Build from the `pricing` of account usage: ActionPrice entries, or their JSON objects
        ({"credits": 1, "perQuantity": 25}); an entry without a numeric price is left out."""
        prices: dict[str, Price] = {}
        for action, entry in pricing.items():
            credits, per = _price_of(entry)
            if credits is None:
                continue
            prices[action] = Price(credits=credits, per_quantity=per or 1.0)
        return cls(prices)

    def __contains__(self, action: str) -> bool:
        return action in self._prices

    def price(self, action: str) -> Price:
        try:
            return self._prices[action]
        except KeyError:
            raise UnknownPriceError(action) from None

    @property
    def unknown_unit_ceiling(self) -> int:
        """Credits per unit assumed for an action the pricebook does not list: the highest
        per-unit price it lists, rounded up, and at least 1 (no documented Lusha action costs
        more per unit than the dearest one an account is priced for)."""
        per_unit = [price.credits / (price.per_quantity or 1.0) for price in self._prices.values()]
        return max(1, math.ceil(max(per_unit, default=1.0)))

    def item(self, what: str, action: str, quantity: int, *, batch_size: int | None = None) -> QuoteItem:
        """One quote line; with `batch_size`, priced per request of that many units (rounding per request).

        An action the pricebook does not list is priced at `unknown_unit_ceiling` per unit and
        marked `price_known=False` (never 0)."""
        known = action in self._prices
        price = self._prices[action] if known else Price(credits=float(self.unknown_unit_ceiling))
        if not known:
            what = f"{what} (price unknown: the pricebook lists no '{action}'; ceiling assumed)"
        if batch_size:
            full, rest = divmod(quantity, batch_size)
            credits = full * price.cost(batch_size) + price.cost(rest)
        else:
            credits = price.cost(quantity)
        return QuoteItem(
            what=what,
            action=action,
            quantity=quantity,
            unit_credits=price.credits,
            per_quantity=price.per_quantity,
            credits=credits,
            price_known=known,
        )

    def action_for(self, *candidates: str) -> str:
        """The first of `candidates` the pricebook prices (action names vary by plan); when it
        prices none, the first (its quote line is then "price unknown", see `item`)."""
        for action in candidates:
            if action in self._prices:
                return action
        return candidates[0]


def _price_of(entry: object) -> tuple[float | None, float | None]:
    """(credits, per quantity) of one pricing entry; None where absent or not a number."""
    if isinstance(entry, ActionPrice):
        return _number(entry.credits), _number(entry.per_quantity)
    if isinstance(entry, Mapping):
        fields = cast("Mapping[str, object]", entry)
        per = _number(fields.get("per_quantity")) or _number(fields.get("perQuantity"))
        return _number(fields.get("credits")), per
    return None, None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


class QuoteItem(BaseModel):
    """One line of a quote."""

    model_config = ConfigDict(frozen=True)

    what: str = Field(description="What is paid for.")
    action: str = Field(description="Lusha billing action.")
    quantity: int = Field(description="How many units.")
    unit_credits: float = Field(description="Credits per `per_quantity` units.")
    per_quantity: float = Field(default=1.0, description="Units covered by unit_credits.")
    credits: int = Field(description="Credits for this line (upper bound).")
    price_known: bool = Field(
        default=True,
        description="False: the account's pricebook lists no price for this action; "
        "unit_credits is the conservative ceiling assumed.",
    )


class Quote(BaseModel):
    """An upper bound of the credits one call can spend, itemised."""

    model_config = ConfigDict(frozen=True)

    items: tuple[QuoteItem, ...] = Field(default=(), description="What the credits pay for.")
    total_credits: int = Field(description="Upper bound of credits this call spends.")
    reveals: tuple[str, ...] = Field(default=(), description="Personal data fields this call reveals.")
    unpriced: tuple[str, ...] = Field(
        default=(),
        description="Actions the account's pricebook does not price: quoted at a conservative "
        "ceiling, and the call needs confirmation.",
    )
    records: int | None = Field(
        default=None, description="Records (ids, results, rows) the call asks for, when it has a count."
    )
    min_records: int | None = Field(
        default=None, description="The fewest records one call can ask for, when more than 1 (a page size)."
    )

    @classmethod
    def of(
        cls,
        items: Iterable[QuoteItem],
        *,
        reveals: Iterable[str] = (),
        records: int | None = None,
        min_records: int | None = None,
    ) -> Quote:
        kept = tuple(item for item in items if item.quantity > 0)
        return cls(
            items=kept,
            total_credits=sum(item.credits for item in kept),
            reveals=tuple(dict.fromkeys(reveals)),
            unpriced=tuple(dict.fromkeys(item.action for item in kept if not item.price_known)),
            records=records,
            min_records=min_records,
        )

    def fitting(self, credits: int) -> int | None:
        """How many of this call's `records` fit in `credits` (each line scaled with the record
        count, rounded up); None when the call has no record count."""
        if self.records is None or self.records <= 0:
            return None
        if self.total_credits <= credits:
            return self.records

        def cost(count: int) -> int:
            assert self.records is not None
            total = 0
            for item in self.items:
                quantity = math.ceil(item.quantity * count / self.records)
                total += min(item.credits, Price(item.unit_credits, item.per_quantity).cost(quantity))
            return total

        low, high = 0, self.records
        while low < high:
            middle = (low + high + 1) // 2
            if cost(middle) <= credits:
                low = middle
            else:
                high = middle - 1
        return low

    @classmethod
    def free(cls) -> Quote:
        return cls(total_credits=0)

    def describe(self) -> str:
        lines = [f"- {item.what}: {item.quantity} × {_unit(item)} = {item.credits}" for item in self.items]
        lines.append(f"Total: at most {self.total_credits} credits")
        if self.unpriced:
            lines.append(
                f"Price unknown for {', '.join(self.unpriced)}: the account's pricebook does not list "
                "it, so this quote assumes the dearest per-unit price the pricebook lists; the user "
                "must confirm."
            )
        return "\n".join(lines)


def _unit(item: QuoteItem) -> str:
    credits = f"{item.unit_credits:g} cr"
    return credits if item.per_quantity == 1 else f"{credits}/{item.per_quantity:g}"


PricingFetch = Callable[[], Awaitable[Mapping[str, object]]]


class PricingSource:
    """The account's pricebook, fetched once and kept (account usage allows 5 calls a minute)."""

    def __init__(self, fetch: PricingFetch, *, max_age_seconds: float = 900.0) -> None:
        self._fetch = fetch
        self._max_age = max_age_seconds
        self._book: PriceBook | None = None
        self._fetched_at = 0.0
        self._lock = anyio.Lock()

    def offer(self, pricing: Mapping[str, object]) -> None:
        """Take a pricebook seen elsewhere (a usage call made for the user) instead of fetching."""
        self._book = PriceBook.from_pricing(pricing)
        self._fetched_at = time.monotonic()

    async def book(self) -> PriceBook:
        if self._book is not None and time.monotonic() - self._fetched_at < self._max_age:
            return self._book
        async with self._lock:
            if self._book is None or time.monotonic() - self._fetched_at >= self._max_age:
                self.offer(await self._fetch())
            assert self._book is not None
            return self._book


class RevealPreview(BaseModel):
    """What a search result said about one record: the fields it has and their reveal price."""

    model_config = ConfigDict(frozen=True)

    has: frozenset[str] = frozenset()
    can_reveal: Mapping[str, float] = Field(default_factory=dict[str, float])


class PreviewCache:
    """`has`/`canReveal` of every contact or company seen in a result, so reveals quote without spending."""

    def __init__(self, capacity: int = 100_000) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[str, RevealPreview] = OrderedDict()

    def remember(self, record_id: str, has: Iterable[str], can_reveal: Mapping[str, float]) -> None:
        self._entries[record_id] = RevealPreview(has=frozenset(has), can_reveal=dict(can_reveal))
        self._entries.move_to_end(record_id)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)

    def get(self, record_id: str) -> RevealPreview | None:
        return self._entries.get(record_id)


def quote_contact_reveals(
    book: PriceBook, previews: PreviewCache, ids: Iterable[str], fields: Iterable[str]
) -> Quote:
    """Price revealing `fields` of contacts by id.

    A known id costs what its preview's canReveal says (0 = already revealed, a field not in
    canReveal has nothing to reveal); an id never seen is quoted at the full per-field price.
    """
    wanted = list(dict.fromkeys(fields))
    ids = list(ids)
    items: list[QuoteItem] = []
    for field in wanted:
        action = REVEAL_ACTIONS[field]
        unknown = 0
        known_credits = 0.0
        known_count = 0
        for record_id in ids:
            preview = previews.get(record_id)
            if preview is None:
                unknown += 1
                continue
            credits = preview.can_reveal.get(field, 0.0)
            if credits > 0:
                known_count += 1
                known_credits += credits
        if unknown:
            items.append(book.item(f"{field} of contacts not seen in a search (full price)", action, unknown))
        if known_count:
            items.append(
                QuoteItem(
                    what=f"{field} of previewed contacts (canReveal)",
                    action=action,
                    quantity=known_count,
                    unit_credits=known_credits / known_count,
                    credits=math.ceil(known_credits),
                )
            )
    return Quote.of(items, reveals=wanted, records=len(ids))
