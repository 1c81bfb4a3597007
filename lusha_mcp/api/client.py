"""LushaClient: one async client for every Lusha V3 operation the product uses.

It paces requests per endpoint, retries what is safe to retry (429, 502/503/504, connection
failures before sending, lost responses of free GETs), never retries a metered request whose
response was lost, and splits bulk lists into batches merged back in input order.
"""

from __future__ import annotations

import inspect
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar, cast, get_args
from urllib.parse import quote

import anyio
import httpx
from pydantic import SecretStr, ValidationError

from lusha_mcp import __version__
from lusha_mcp.api.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    InvalidRequestError,
    LushaError,
    RateLimitError,
    ResponseLostError,
    UnexpectedResponseError,
    error_from_response,
)
from lusha_mcp.api.models import (
    AccountSecret,
    AccountUsage,
    AuditLogs,
    AuditLogStats,
    Billing,
    BuyingGroupRequest,
    BuyingGroupResponse,
    CompaniesEnrichRequest,
    CompaniesEnrichResponse,
    CompaniesSearchAndEnrichRequest,
    CompaniesSearchAndEnrichResponse,
    CompaniesSearchRequest,
    CompaniesSearchResponse,
    CompanyFilterType,
    CompanyLookalikesRequest,
    CompanyLookalikesResponse,
    CompanySearchItem,
    CompanySignalFilterType,
    CompanySignalScoresRequest,
    CompanySignalScoresResponse,
    CompanySignalsOptions,
    CompanySignalsRequest,
    CompanySignalsResponse,
    CompanySignalTypes,
    ContactFilterType,
    ContactLookalikesRequest,
    ContactLookalikesResponse,
    ContactReveal,
    ContactSearchItem,
    ContactsEnrichRequest,
    ContactsEnrichResponse,
    ContactSignalScoresRequest,
    ContactSignalScoresResponse,
    ContactSignalsOptions,
    ContactSignalsRequest,
    ContactSignalsResponse,
    ContactSignalTypes,
    ContactsSearchAndEnrichRequest,
    ContactsSearchAndEnrichResponse,
    ContactsSearchRequest,
    ContactsSearchResponse,
    CreateSubscriptionsRequest,
    FilterTypes,
    FilterValues,
    LushaRequest,
    LushaResponse,
    MeteredResponse,
    OptOutSubscriptionRequest,
    Pagination,
    ProspectingCompaniesRequest,
    ProspectingCompaniesResponse,
    ProspectingContactsRequest,
    ProspectingContactsResponse,
    SearchOptions,
    Subscription,
    SubscriptionBatchResult,
    SubscriptionList,
    SubscriptionOutcome,
    SubscriptionTestResult,
    SubscriptionUpdate,
    WebsiteVisitsRequest,
    WebsiteVisitsResponse,
)
from lusha_mcp.api.models.webhooks import DeliveryStatus, TestMode
from lusha_mcp.api.ratelimit import Pacer, RateLimitState, bucket_of
from lusha_mcp.redaction import SECRETS
from lusha_mcp.settings import SANDBOX_API_KEY

if TYPE_CHECKING:
    from lusha_mcp.settings import Settings

__all__ = ["BATCH_LIMIT", "SMALL_BATCH_LIMIT", "LushaClient", "ProgressCallback"]

ProgressCallback = Callable[[int, int], Awaitable[None] | None]
"""Called as on_progress(items_done, items_total) after each batch of a bulk call."""

BATCH_LIMIT = 100
"""Items per request of search, enrich, signals and signal scores."""
SMALL_BATCH_LIMIT = 25
"""Items per request of buying group and webhook subscriptions."""

logger = logging.getLogger(__name__)

_RETRY_STATUSES = frozenset({502, 503, 504})
_UNREADABLE = object()
_DEADLINE_MARGIN = 0.2
"""Seconds past the connect and read timeouts before the client's own deadline ends a request."""
_SANDBOX_BASE_URL = "http://sandbox.lusha.invalid"

ResponseT = TypeVar("ResponseT", bound=LushaResponse)
MeteredT = TypeVar("MeteredT", bound=MeteredResponse)
ItemT = TypeVar("ItemT")
BatchT = TypeVar("BatchT")

BatchCallback = Callable[[BatchT], None]
"""Called with each batch's response as soon as it arrives, before the bulk call ends (so a
caller keeps what was paid for even if a later batch fails or the process dies)."""


def _check_choice(value: str, choices: tuple[str, ...], field: str) -> str:
    if value not in choices:
        raise InvalidRequestError(
            f"Invalid {field} {value!r}: send one of {', '.join(choices)}. Nothing was sent to Lusha.",
            field=field,
        )
    return value


def _check_query(query: str | None) -> str | None:
    if query is None:
        return None
    query = query.strip()
    if not 2 <= len(query) <= 256:
        raise InvalidRequestError(
            "Invalid query: send 2 to 256 characters of search text. Nothing was sent to Lusha.",
            field="query",
        )
    return query


def _check_range(value: int, low: int, high: int | None, field: str) -> int:
    if value < low or (high is not None and value > high):
        accepted = f"{low} to {high}" if high is not None else f"{low} or more"
        raise InvalidRequestError(
            f"Invalid {field} {value}: send {accepted}. Nothing was sent to Lusha.", field=field
        )
    return value


def _sum_billing(responses: Sequence[MeteredResponse]) -> Billing | None:
    bills = [r.billing for r in responses if r.billing is not None]
    if not bills:
        return None
    total = Billing()
    for bill in bills:
        total = total + bill
    return total


def _merge_results(responses: Sequence[MeteredT]) -> MeteredT:
    """One response from the batches of one call: results in batch order, billing summed."""
    first = responses[0]
    if len(responses) == 1:
        return first
    results: list[Any] = []
    for response in responses:
        results.extend(cast("list[Any]", getattr(response, "results", [])))
    request_ids = [rid for r in responses for rid in r.request_ids]
    return first.model_copy(
        update={"results": results, "billing": _sum_billing(responses), "request_ids": request_ids}
    )


def _merge_buying_group(responses: Sequence[BuyingGroupResponse]) -> BuyingGroupResponse:
    merged = _merge_results(responses)
    pages = [r.pagination for r in responses if r.pagination is not None]
    if len(responses) > 1 and pages:
        total = sum(p.total or 0 for p in pages)
        merged = merged.model_copy(
            update={"pagination": Pagination(page=pages[0].page, size=pages[0].size, total=total)}
        )
    return merged


def _merge_subscription_batches(
    responses: Sequence[SubscriptionBatchResult], sizes: Sequence[int]
) -> SubscriptionBatchResult:
    if len(responses) == 1:
        return responses[0]
    outcomes: list[SubscriptionOutcome] = []
    offset = 0
    for response, size in zip(responses, sizes, strict=True):
        outcomes.extend(o.model_copy(update={"index": o.index + offset}) for o in response.results)
        offset += size
    return responses[0].model_copy(
        update={
            "total": sum(r.total for r in responses),
            "successful": sum(r.successful for r in responses),
            "failed": sum(r.failed for r in responses),
            "results": outcomes,
        }
    )


async def _report(on_progress: ProgressCallback | None, done: int, total: int) -> None:
    if on_progress is None:
        return
    outcome = on_progress(done, total)
    if inspect.isawaitable(outcome):
        await outcome


class LushaClient:
    """Async client of the Lusha V3 API over one httpx.AsyncClient.

    Use as `async with LushaClient(key) as client: ...`, or call `aclose()` when done.
    """

    def __init__(
        self,
        api_key: str | SecretStr,
        *,
        base_url: str = "https://api.lusha.com",
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        max_retries: int = 4,
        requests_per_second: float = 25.0,
        user_agent_suffix: str | None = None,
        retry_base_delay: float = 1.0,
        retry_max_delay: float = 60.0,
        max_concurrency: int = 32,
    ) -> None:
        key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        key = key.strip()
        if not key:
            raise InvalidRequestError(
                "No Lusha API key: set LUSHA_API_KEY (or run with --sandbox for the offline sandbox).",
                field="api_key",
            )
        if requests_per_second <= 0:
            raise InvalidRequestError("requests_per_second must be above 0.", field="requests_per_second")
        self._api_key = SecretStr(key)
        if key != SANDBOX_API_KEY:  # the sandbox's key is public (and would mask "lusha-" everywhere)
            SECRETS.add(key)
        self.base_url = base_url.rstrip("/")
        self.max_retries = max(0, max_retries)
        self.retry_base_delay = max(0.0, retry_base_delay)
        self.retry_max_delay = max(self.retry_base_delay, retry_max_delay)
        self.max_concurrency = max(1, max_concurrency)
        self.user_agent = f"lusha-mcp/{__version__}" + (f" {user_agent_suffix}" if user_agent_suffix else "")
        self.rate_limits = RateLimitState()
        self._pacer = Pacer(requests_per_second)
        self.request_deadline = connect_timeout + timeout + _DEADLINE_MARGIN
        """Longest one request may take: the budget httpx enforces piecewise over a network,
        enforced whole here because in-process (ASGI) transports ignore httpx timeouts."""
        self._jitter = random.Random()
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            headers={"user-agent": self.user_agent, "accept": "application/json"},
            limits=httpx.Limits(max_connections=max(self.max_concurrency, 10)),
            follow_redirects=False,
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> LushaClient:
        """A client configured from Settings; in sandbox mode it talks to the in-process sandbox."""
        base_url = settings.base_url
        if settings.sandbox and transport is None:
            from lusha_mcp.sandbox import sandbox_transport

            transport = sandbox_transport(settings)
            base_url = _SANDBOX_BASE_URL
        elif settings.sandbox:
            base_url = _SANDBOX_BASE_URL
        if settings.api_key is None:
            raise InvalidRequestError(
                "No Lusha API key: set LUSHA_API_KEY (or run with --sandbox for the offline sandbox).",
                field="api_key",
            )
        return cls(
            settings.api_key,
            base_url=base_url,
            transport=transport,
            timeout=settings.timeout,
            connect_timeout=settings.connect_timeout,
            max_retries=settings.max_retries,
            requests_per_second=settings.requests_per_second,
        )

    def __repr__(self) -> str:
        return f"LushaClient(base_url={self.base_url!r}, api_key='***')"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ transport, retries

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.retry_max_delay, self.retry_base_delay * (2**attempt))
        return ceiling * (0.5 + self._jitter.random() / 2)

    def _retry_delay(self, error: APIStatusError, attempt: int) -> float | None:
        if isinstance(error, RateLimitError):
            if self.rate_limits.exhausted_quota() is not None:
                return None
            if error.retry_after is not None:
                return error.retry_after if error.retry_after <= self.retry_max_delay else None
            return self._backoff(attempt)
        if error.status in _RETRY_STATUSES:
            return self._backoff(attempt)
        return None

    def _lost(self, method: str, path: str, metered: bool, what: str) -> ResponseLostError:
        if metered:
            message = (
                f"The {method} {path} request reached Lusha but {what}, so it may have been charged. "
                "It was not retried to avoid paying twice: check the account usage (credits used) or "
                "the ledger before sending it again."
            )
        else:
            message = (
                f"The {method} {path} request reached Lusha but {what}, so it may have taken effect. "
                "It was not retried: check the current state (list or get) before sending it again."
            )
        return ResponseLostError(message, method=method, path=path)

    async def _call(
        self,
        method: Literal["GET", "POST", "PATCH"],
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str | int] | None = None,
        metered: bool = False,
    ) -> tuple[object, httpx.Response]:
        bucket = bucket_of(path)
        attempt = 0
        while True:
            await self._pacer.acquire(bucket)
            request = self._http.build_request(
                method,
                path,
                json=body,
                params=dict(params or {}),
                headers={"api_key": self._api_key.get_secret_value()},
            )
            # Exceptions are raised outside the except blocks so no httpx error (whose request
            # carries the api_key header) is ever chained to what the caller sees.
            failure: LushaError | None = None
            lost: str | None = None
            response: httpx.Response | None = None
            try:
                with anyio.fail_after(self.request_deadline):
                    response = await self._http.send(request)
            except TimeoutError:
                lost = "the response timed out"
            except (httpx.ConnectTimeout, httpx.PoolTimeout):
                failure = APITimeoutError(
                    f"Could not connect to Lusha ({self.base_url}) in time for {method} {path}; nothing was "
                    "sent or charged. Check the network and try again."
                )
            except httpx.ConnectError:
                failure = APIConnectionError(
                    f"Could not connect to Lusha ({self.base_url}) for {method} {path}; nothing was sent or "
                    "charged. Check the network, proxy and LUSHA_BASE_URL, then try again."
                )
            except httpx.TimeoutException:
                lost = "the response timed out"
            except (httpx.NetworkError, httpx.RemoteProtocolError):
                lost = "the connection broke before the response arrived"
            except httpx.HTTPError as exc:
                failure = APIConnectionError(
                    f"The {method} {path} request failed before Lusha answered ({type(exc).__name__}); "
                    "check LUSHA_BASE_URL and try again."
                )
                attempt = self.max_retries
            del request

            if response is not None:
                minute = self.rate_limits.update(bucket, response.headers)
                if response.is_success:
                    if minute is not None and minute.exhausted:
                        self._pacer.pause_for_minute_window(bucket)
                    data = self._json(response)
                    if data is not _UNREADABLE:
                        return data, response
                    lost = "its response could not be read"
                else:
                    error = error_from_response(response, api_key=self._api_key.get_secret_value())
                    delay = self._retry_delay(error, attempt)
                    if delay is None or attempt >= self.max_retries:
                        raise error
                    if isinstance(error, RateLimitError):
                        self._pacer.limiter(bucket).pause_until(time.monotonic() + delay)
                    logger.info(
                        "Lusha answered %s to %s %s; retry %d of %d in %.2f s",
                        error.status, method, path, attempt + 1, self.max_retries, delay,
                    )  # fmt: skip
                    await anyio.sleep(delay)
                    attempt += 1
                    continue
            if lost is not None:
                if method != "GET":
                    logger.warning("%s %s was sent but %s; not retried", method, path, lost)
                    raise self._lost(method, path, metered, lost)
                failure = APITimeoutError(f"Lusha did not answer {method} {path}: {lost}. Try again shortly.")
            assert failure is not None
            if attempt >= self.max_retries:
                raise failure
            delay = self._backoff(attempt)
            logger.info(
                "%s %s failed (%s); retry %d of %d in %.2f s",
                method, path, type(failure).__name__, attempt + 1, self.max_retries, delay,
            )  # fmt: skip
            await anyio.sleep(delay)
            attempt += 1

    def _json(self, response: httpx.Response) -> object:
        """The parsed body, redacted of the key and of any piece of a secret (a successful body
        carries none; if one ever did, it would reach the model)."""
        try:
            data: object = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _UNREADABLE
        key = self._api_key.get_secret_value()
        if key in response.text or SECRETS.may_contain(response.text):
            data = SECRETS.redact_value(_redact_whole(data, key))
        return data

    async def _send(
        self,
        model: type[ResponseT],
        method: Literal["GET", "POST", "PATCH"],
        path: str,
        *,
        body: LushaRequest | Mapping[str, Any] | None = None,
        params: Mapping[str, str | int | None] | None = None,
        metered: bool = False,
    ) -> ResponseT:
        wire = body.to_wire() if isinstance(body, LushaRequest) else body
        query = {k: v for k, v in (params or {}).items() if v is not None}
        data, response = await self._call(method, path, body=wire, params=query, metered=metered)
        parsed: ResponseT | None = None
        try:
            parsed = model.model_validate(data)
        except ValidationError:
            parsed = None
        if parsed is None:
            if method != "GET":
                raise self._lost(method, path, metered, "its response did not have the documented shape")
            raise UnexpectedResponseError(
                f"Lusha answered {method} {path} with a body that does not have the documented shape."
            )
        if parsed.request_id is None:
            header_id = response.headers.get("x-request-id")
            if header_id:
                parsed.request_id = header_id
        if isinstance(parsed, MeteredResponse) and not parsed.request_ids and parsed.request_id:
            parsed.request_ids = [parsed.request_id]
        return parsed

    async def _in_batches(
        self,
        items: Sequence[ItemT],
        limit: int,
        send: Callable[[list[ItemT]], Awaitable[BatchT]],
        merge: Callable[[list[BatchT], list[int]], BatchT],
        on_progress: ProgressCallback | None,
        on_batch: BatchCallback[BatchT] | None = None,
    ) -> BatchT:
        """Send `items` in batches of `limit` concurrently (within the pace), merged in input order."""
        total = len(items)
        chunks = [list(items[start : start + limit]) for start in range(0, total, limit)]
        results: list[BatchT | None] = [None] * len(chunks)
        failures: list[LushaError] = []
        gate = anyio.CapacityLimiter(self.max_concurrency)
        done = 0

        async def run(index: int, chunk: list[ItemT]) -> None:
            nonlocal done
            async with gate:
                if failures:
                    return
                try:
                    results[index] = result = await send(chunk)
                except LushaError as exc:
                    failures.append(exc)
                    return
            if on_batch is not None:
                on_batch(result)
            done += len(chunk)
            await _report(on_progress, done, total)

        if len(chunks) == 1:
            await run(0, chunks[0])
        else:
            async with anyio.create_task_group() as group:
                for index, chunk in enumerate(chunks):
                    group.start_soon(run, index, chunk)
        completed = [(r, len(c)) for r, c in zip(results, chunks, strict=True) if r is not None]
        if failures:
            error = failures[0]
            if completed:
                error.partial = merge([r for r, _ in completed], [n for _, n in completed])
            raise error
        return merge([r for r, _ in completed], [n for _, n in completed])

    # ------------------------------------------------------------------ contacts

    async def search_contacts(
        self,
        contacts: Sequence[ContactSearchItem],
        *,
        options: SearchOptions | None = None,
        signals: ContactSignalsOptions | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> ContactsSearchResponse:
        """Previews of contacts by identifier (metered per result: api_search)."""
        request = ContactsSearchRequest(contacts=list(contacts), options=options, signals=signals)

        async def send(chunk: list[ContactSearchItem]) -> ContactsSearchResponse:
            body = request.model_copy(update={"contacts": chunk})
            return await self._send(
                ContactsSearchResponse, "POST", "/v3/contacts/search", body=body, metered=True
            )

        return await self._in_batches(request.contacts, BATCH_LIMIT, send, self._merge, on_progress)

    async def enrich_contacts(
        self,
        ids: Sequence[str],
        *,
        reveal: Sequence[ContactReveal],
        waterfall_enabled: bool | None = None,
        on_progress: ProgressCallback | None = None,
        on_batch: BatchCallback[ContactsEnrichResponse] | None = None,
    ) -> ContactsEnrichResponse:
        """Reveal emails and/or phones of contacts by Lusha id (metered per revealed field)."""
        request = ContactsEnrichRequest(
            ids=list(ids), reveal=list(reveal), waterfall_enabled=waterfall_enabled
        )

        async def send(chunk: list[str]) -> ContactsEnrichResponse:
            body = request.model_copy(update={"ids": chunk})
            return await self._send(
                ContactsEnrichResponse, "POST", "/v3/contacts/enrich", body=body, metered=True
            )

        return await self._in_batches(request.ids, BATCH_LIMIT, send, self._merge, on_progress, on_batch)

    async def search_and_enrich_contacts(
        self,
        contacts: Sequence[ContactSearchItem],
        *,
        reveal: Sequence[ContactReveal],
        options: SearchOptions | None = None,
        on_progress: ProgressCallback | None = None,
        on_batch: BatchCallback[ContactsSearchAndEnrichResponse] | None = None,
    ) -> ContactsSearchAndEnrichResponse:
        """Search contacts by identifier and reveal them in one step (metered: search + reveals)."""
        request = ContactsSearchAndEnrichRequest(
            contacts=list(contacts), reveal=list(reveal), options=options
        )

        async def send(chunk: list[ContactSearchItem]) -> ContactsSearchAndEnrichResponse:
            body = request.model_copy(update={"contacts": chunk})
            return await self._send(
                ContactsSearchAndEnrichResponse,
                "POST",
                "/v3/contacts/search-and-enrich",
                body=body,
                metered=True,
            )

        return await self._in_batches(request.contacts, BATCH_LIMIT, send, self._merge, on_progress, on_batch)

    async def prospect_contacts(self, request: ProspectingContactsRequest) -> ProspectingContactsResponse:
        """One page of contacts matching prospecting filters (metered per result)."""
        return await self._send(
            ProspectingContactsResponse, "POST", "/v3/contacts/prospecting", body=request, metered=True
        )

    async def get_contact_filter_types(self) -> FilterTypes:
        return await self._send(FilterTypes, "GET", "/v3/contacts/prospecting/filters")

    async def get_contact_filter_values(self, filter_type: str, *, query: str | None = None) -> FilterValues:
        """Valid values of a contact prospecting filter (some types need a `query`)."""
        kind = _check_choice(filter_type, get_args(ContactFilterType), "filter_type")
        return await self._send(
            FilterValues,
            "GET",
            f"/v3/contacts/prospecting/filters/{kind}",
            params={"query": _check_query(query)},
        )

    async def get_contact_signals(
        self, request: ContactSignalsRequest, *, on_progress: ProgressCallback | None = None
    ) -> ContactSignalsResponse:
        """Signals of contacts by id (metered per matched signal); more than 100 ids are batched."""

        async def send(chunk: list[str]) -> ContactSignalsResponse:
            body = request.model_copy(update={"ids": chunk})
            return await self._send(
                ContactSignalsResponse, "POST", "/v3/contacts/signals", body=body, metered=True
            )

        return await self._in_batches(request.ids, BATCH_LIMIT, send, self._merge, on_progress)

    async def get_contact_signal_types(self) -> ContactSignalTypes:
        return await self._send(ContactSignalTypes, "GET", "/v3/contacts/signals/types")

    async def contact_lookalikes(self, request: ContactLookalikesRequest) -> ContactLookalikesResponse:
        """Contacts similar to the seeds (metered per result); keep dedupe_session_id for more."""
        return await self._send(
            ContactLookalikesResponse, "POST", "/v3/contacts/lookalike", body=request, metered=True
        )

    async def buying_group(
        self, request: BuyingGroupRequest, *, on_progress: ProgressCallback | None = None
    ) -> BuyingGroupResponse:
        """Decision makers within companies (metered per contact); more than 25 companies are batched."""

        async def send(chunk: list[Any]) -> BuyingGroupResponse:
            body = request.model_copy(update={"companies": chunk})
            return await self._send(
                BuyingGroupResponse, "POST", "/v3/contacts/buying-group", body=body, metered=True
            )

        return await self._in_batches(
            request.companies, SMALL_BATCH_LIMIT, send, lambda rs, _: _merge_buying_group(rs), on_progress
        )

    async def contact_signal_scores(
        self, request: ContactSignalScoresRequest, *, on_progress: ProgressCallback | None = None
    ) -> ContactSignalScoresResponse:
        """Signal scores of contacts (metered); more than 100 are batched."""

        async def send(chunk: list[Any]) -> ContactSignalScoresResponse:
            body = request.model_copy(update={"contacts": chunk})
            return await self._send(
                ContactSignalScoresResponse, "POST", "/v3/contacts/signal-score", body=body, metered=True
            )

        return await self._in_batches(request.contacts, BATCH_LIMIT, send, self._merge, on_progress)

    async def company_signal_scores(
        self, request: CompanySignalScoresRequest, *, on_progress: ProgressCallback | None = None
    ) -> CompanySignalScoresResponse:
        """Signal scores of companies (metered); more than 100 are batched."""

        async def send(chunk: list[Any]) -> CompanySignalScoresResponse:
            body = request.model_copy(update={"companies": chunk})
            return await self._send(
                CompanySignalScoresResponse, "POST", "/v3/companies/signal-score", body=body, metered=True
            )

        return await self._in_batches(request.companies, BATCH_LIMIT, send, self._merge, on_progress)

    # ------------------------------------------------------------------ companies

    async def search_companies(
        self,
        companies: Sequence[CompanySearchItem],
        *,
        options: SearchOptions | None = None,
        signals: CompanySignalsOptions | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> CompaniesSearchResponse:
        """Previews of companies by id, name or domain (metered per result: api_search)."""
        request = CompaniesSearchRequest(companies=list(companies), options=options, signals=signals)

        async def send(chunk: list[CompanySearchItem]) -> CompaniesSearchResponse:
            body = request.model_copy(update={"companies": chunk})
            return await self._send(
                CompaniesSearchResponse, "POST", "/v3/companies/search", body=body, metered=True
            )

        return await self._in_batches(request.companies, BATCH_LIMIT, send, self._merge, on_progress)

    async def enrich_companies(
        self,
        ids: Sequence[str],
        *,
        reveal: Sequence[str] = (),
        on_progress: ProgressCallback | None = None,
        on_batch: BatchCallback[CompaniesEnrichResponse] | None = None,
    ) -> CompaniesEnrichResponse:
        """Full firmographics of companies by id, plus extras named in `reveal` (CompanyReveal values).

        Metered per result (reveal_company) and per extra.
        """
        request = CompaniesEnrichRequest.model_validate({"ids": list(ids), "reveal": list(reveal) or None})

        async def send(chunk: list[str]) -> CompaniesEnrichResponse:
            body = request.model_copy(update={"ids": chunk})
            return await self._send(
                CompaniesEnrichResponse, "POST", "/v3/companies/enrich", body=body, metered=True
            )

        return await self._in_batches(request.ids, BATCH_LIMIT, send, self._merge, on_progress, on_batch)

    async def search_and_enrich_companies(
        self,
        companies: Sequence[CompanySearchItem],
        *,
        options: SearchOptions | None = None,
        on_progress: ProgressCallback | None = None,
        on_batch: BatchCallback[CompaniesSearchAndEnrichResponse] | None = None,
    ) -> CompaniesSearchAndEnrichResponse:
        """Search companies by identifier and enrich them in one step (metered)."""
        request = CompaniesSearchAndEnrichRequest(companies=list(companies), options=options)

        async def send(chunk: list[CompanySearchItem]) -> CompaniesSearchAndEnrichResponse:
            body = request.model_copy(update={"companies": chunk})
            return await self._send(
                CompaniesSearchAndEnrichResponse,
                "POST",
                "/v3/companies/search-and-enrich",
                body=body,
                metered=True,
            )

        return await self._in_batches(
            request.companies, BATCH_LIMIT, send, self._merge, on_progress, on_batch
        )

    async def prospect_companies(self, request: ProspectingCompaniesRequest) -> ProspectingCompaniesResponse:
        """One page of companies matching prospecting filters (metered per result)."""
        return await self._send(
            ProspectingCompaniesResponse, "POST", "/v3/companies/prospecting", body=request, metered=True
        )

    async def get_company_filter_types(self) -> FilterTypes:
        return await self._send(FilterTypes, "GET", "/v3/companies/prospecting/filters")

    async def get_company_filter_values(self, filter_type: str, *, query: str | None = None) -> FilterValues:
        """Valid values of a company prospecting filter (some types need a `query`)."""
        kind = _check_choice(filter_type, get_args(CompanyFilterType), "filter_type")
        return await self._send(
            FilterValues,
            "GET",
            f"/v3/companies/prospecting/filters/{kind}",
            params={"query": _check_query(query)},
        )

    async def get_company_signals(
        self, request: CompanySignalsRequest, *, on_progress: ProgressCallback | None = None
    ) -> CompanySignalsResponse:
        """Signals of companies by id (metered per matched signal); more than 100 ids are batched."""

        async def send(chunk: list[str]) -> CompanySignalsResponse:
            body = request.model_copy(update={"ids": chunk})
            return await self._send(
                CompanySignalsResponse, "POST", "/v3/companies/signals", body=body, metered=True
            )

        return await self._in_batches(request.ids, BATCH_LIMIT, send, self._merge, on_progress)

    async def get_company_signal_types(self) -> CompanySignalTypes:
        return await self._send(CompanySignalTypes, "GET", "/v3/companies/signals/types")

    async def get_company_signal_filter_types(self) -> FilterTypes:
        return await self._send(FilterTypes, "GET", "/v3/companies/signals/filters")

    async def get_company_signal_filter_values(
        self, filter_type: str, *, query: str | None = None
    ) -> FilterValues:
        """Valid values of a company signal sub-filter (newsEventTypes, hiringByDepartments...)."""
        kind = _check_choice(filter_type, get_args(CompanySignalFilterType), "filter_type")
        return await self._send(
            FilterValues,
            "GET",
            f"/v3/companies/signals/filters/{kind}",
            params={"query": _check_query(query)},
        )

    async def company_lookalikes(self, request: CompanyLookalikesRequest) -> CompanyLookalikesResponse:
        """Companies similar to the seeds (metered per result); keep dedupe_session_id for more."""
        return await self._send(
            CompanyLookalikesResponse, "POST", "/v3/companies/lookalike", body=request, metered=True
        )

    async def website_visits(self, request: WebsiteVisitsRequest) -> WebsiteVisitsResponse:
        """Companies that visited the tracked domains in a date range (metered)."""
        return await self._send(
            WebsiteVisitsResponse, "POST", "/v3/companies/website-visits", body=request, metered=True
        )

    # ------------------------------------------------------------------ account

    async def account_usage(self) -> AccountUsage:
        """Credits, quotas, plan and per-action pricing (Lusha allows 5 calls a minute: cache it)."""
        return await self._send(AccountUsage, "GET", "/v3/account/usage")

    # ------------------------------------------------------------------ webhooks

    async def create_subscriptions(
        self, request: CreateSubscriptionsRequest, *, on_progress: ProgressCallback | None = None
    ) -> SubscriptionBatchResult:
        """Create webhook subscriptions; more than 25 are batched and result indexes kept global."""

        async def send(chunk: list[Any]) -> SubscriptionBatchResult:
            body = request.model_copy(update={"subscriptions": chunk})
            return await self._send(SubscriptionBatchResult, "POST", "/api/subscriptions", body=body)

        return await self._in_batches(
            request.subscriptions, SMALL_BATCH_LIMIT, send, _merge_subscription_batches, on_progress
        )

    async def list_subscriptions(self, *, limit: int = 10, offset: int = 0) -> SubscriptionList:
        _check_range(limit, 1, 100, "limit")
        _check_range(offset, 0, None, "offset")
        return await self._send(
            SubscriptionList, "GET", "/api/subscriptions", params={"limit": limit, "offset": offset}
        )

    async def get_subscription(self, subscription_id: str) -> Subscription:
        return await self._send(Subscription, "GET", f"/api/subscriptions/{self._path_id(subscription_id)}")

    async def update_subscription(self, subscription_id: str, update: SubscriptionUpdate) -> Subscription:
        return await self._send(
            Subscription, "PATCH", f"/api/subscriptions/{self._path_id(subscription_id)}", body=update
        )

    async def delete_subscriptions(
        self, ids: Sequence[str], *, on_progress: ProgressCallback | None = None
    ) -> SubscriptionBatchResult:
        """Delete subscriptions (permanent); more than 25 ids are batched."""
        clean = [i.strip() for i in ids]
        if not clean or not all(clean):
            raise InvalidRequestError(
                "Invalid ids: send at least one subscription id, none blank. Nothing was sent to Lusha.",
                field="ids",
            )

        async def send(chunk: list[str]) -> SubscriptionBatchResult:
            return await self._send(
                SubscriptionBatchResult, "POST", "/api/subscriptions/delete", body={"ids": chunk}
            )

        return await self._in_batches(
            clean, SMALL_BATCH_LIMIT, send, _merge_subscription_batches, on_progress
        )

    async def test_subscription(
        self, subscription_id: str, *, mode: TestMode = "full"
    ) -> SubscriptionTestResult:
        """Send a test delivery to a subscription's URL (free)."""
        _check_choice(mode, get_args(TestMode), "mode")
        return await self._send(
            SubscriptionTestResult,
            "POST",
            f"/api/subscriptions/{self._path_id(subscription_id)}/test",
            params={"mode": mode},
        )

    async def create_opt_out_subscription(self, request: OptOutSubscriptionRequest) -> Subscription:
        return await self._send(Subscription, "POST", "/api/subscriptions/opt-out", body=request)

    async def get_audit_logs(
        self,
        *,
        subscription_id: str | None = None,
        status: DeliveryStatus | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> AuditLogs:
        """Webhook delivery attempts, newest first."""
        if status is not None:
            _check_choice(status, get_args(DeliveryStatus), "status")
        _check_range(limit, 1, 100, "limit")
        _check_range(offset, 0, None, "offset")
        return await self._send(
            AuditLogs,
            "GET",
            "/api/audit-logs",
            params={"subscriptionId": subscription_id, "status": status, "limit": limit, "offset": offset},
        )

    async def get_audit_log_stats(self, *, subscription_id: str | None = None) -> AuditLogStats:
        return await self._send(
            AuditLogStats, "GET", "/api/audit-logs/stats", params={"subscriptionId": subscription_id}
        )

    async def get_account_secret(self) -> AccountSecret:
        """The account's webhook signing secret (404 until one was created)."""
        return await self._send(AccountSecret, "GET", "/api/account/secret")

    async def regenerate_account_secret(self) -> AccountSecret:
        """Replace the webhook signing secret; deliveries are signed with the new one from now on."""
        return await self._send(AccountSecret, "POST", "/api/account/secret/regenerate")

    # ------------------------------------------------------------------ internals

    @staticmethod
    def _merge(responses: list[MeteredT], _sizes: list[int]) -> MeteredT:
        return _merge_results(responses)

    @staticmethod
    def _path_id(value: str) -> str:
        value = value.strip()
        if not value:
            raise InvalidRequestError(
                "Invalid subscription_id: send a subscription id as returned by list_subscriptions. "
                "Nothing was sent to Lusha.",
                field="subscription_id",
            )
        return quote(value, safe="")


def _redact_whole(value: object, secret: str) -> object:
    """`value` with every whole occurrence of `secret` in its strings (keys too) masked."""
    if isinstance(value, str):
        return value.replace(secret, "***")
    if isinstance(value, dict):
        mapping = cast(dict[object, object], value)
        return {
            (k.replace(secret, "***") if isinstance(k, str) else k): _redact_whole(v, secret)
            for k, v in mapping.items()
        }
    if isinstance(value, list):
        return [_redact_whole(item, secret) for item in cast(list[object], value)]
    return value
