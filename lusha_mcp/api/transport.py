"""The transport of the Lusha client: one httpx client, pacing, the retry policy and the spend rule.

Every request goes through `Transport.send(operation, ...)`: a metered operation first checks that
it runs inside a plan the credit guard authorised (api/spend.py), then the request is paced per
endpoint bucket, sent, and retried as `RetryPolicy` decides; the answer is parsed into the
operation's response model. httpx errors (whose request carries the api_key header) are never
chained to what the caller sees.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

import anyio
import httpx
from pydantic import SecretStr, ValidationError

from lusha_mcp.api.errors import (
    APIConnectionError,
    APITimeoutError,
    LushaError,
    RateLimitError,
    ResponseLostError,
    UnexpectedResponseError,
    error_from_response,
)
from lusha_mcp.api.models import LushaRequest, LushaResponse, MeteredResponse
from lusha_mcp.api.ratelimit import Pacer, RateLimitState, bucket_of
from lusha_mcp.api.retries import RetryPolicy, Verdict
from lusha_mcp.api.spend import require_authorized_spend
from lusha_mcp.redaction import SECRETS

__all__ = ["Method", "Operation", "Transport"]

logger = logging.getLogger("lusha_mcp.api.client")

Method = Literal["GET", "POST", "PATCH", "DELETE"]
ResponseT = TypeVar("ResponseT", bound=LushaResponse)

_UNREADABLE = object()


@dataclass(frozen=True, slots=True)
class Operation(Generic[ResponseT]):
    """One Lusha endpoint as a resource declares it; `metered` ones send only under the guard."""

    name: str
    """What callers call it (contacts.enrich), for errors and logs."""
    method: Method
    path: str
    """The path; `{id}` is filled from the path id of the call."""
    response: type[ResponseT]
    metered: bool = False


class Transport:
    """Sends operations to Lusha over one httpx.AsyncClient."""

    def __init__(
        self,
        *,
        api_key: SecretStr,
        base_url: str,
        http: httpx.AsyncClient,
        pacer: Pacer,
        retries: RetryPolicy,
        request_deadline: float,
        max_concurrency: int,
    ) -> None:
        self._api_key = api_key
        self.base_url = base_url
        self._http = http
        self._pacer = pacer
        self.retries = retries
        self.rate_limits = RateLimitState()
        self.request_deadline = request_deadline
        """Longest one request may take: the budget httpx enforces piecewise over a network,
        enforced whole here because in-process (ASGI) transports ignore httpx timeouts."""
        self.max_concurrency = max_concurrency

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._pacer.aclose()

    def lost(self, method: str, path: str, metered: bool, what: str) -> ResponseLostError:
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

    def _json(self, response: httpx.Response) -> object:
        """The parsed body with the key and every registered secret masked wherever they appear
        whole (a successful body is never cut, so no piece of one can be there alone)."""
        try:
            data: object = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _UNREADABLE
        key = self._api_key.get_secret_value()
        if key in response.text or SECRETS.may_contain(response.text):
            data = SECRETS.redact_whole_value(data, key)
        return data

    async def send(
        self,
        operation: Operation[ResponseT],
        *,
        body: LushaRequest | Mapping[str, Any] | None = None,
        params: Mapping[str, str | int | None] | None = None,
        path_id: str | None = None,
    ) -> ResponseT:
        """Send one request of `operation` and parse its answer (metered: only under the guard)."""
        if operation.metered:
            require_authorized_spend(operation.name)
        method = operation.method
        path = operation.path.format(id=path_id) if path_id is not None else operation.path
        wire = body.to_wire() if isinstance(body, LushaRequest) else body
        query = {k: v for k, v in (params or {}).items() if v is not None}
        data, response = await self._call(method, path, body=wire, params=query, metered=operation.metered)
        parsed: ResponseT | None = None
        try:
            parsed = operation.response.model_validate(data)
        except ValidationError:
            parsed = None
        if parsed is None:
            if method != "GET":
                raise self.lost(
                    method, path, operation.metered, "its response did not have the documented shape"
                )
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

    async def _call(
        self,
        method: Method,
        path: str,
        *,
        body: Mapping[str, Any] | None,
        params: Mapping[str, str | int],
        metered: bool,
    ) -> tuple[object, httpx.Response]:
        bucket = bucket_of(path)
        policy = self.retries
        attempt = 0
        while True:
            ticket = await self._pacer.acquire(bucket)
            request = self._http.build_request(
                method,
                path,
                json=body,
                params=dict(params),
                headers={"api_key": self._api_key.get_secret_value()},
            )
            # Exceptions are raised outside the except blocks so no httpx error (whose request
            # carries the api_key header) is ever chained to what the caller sees.
            failure: LushaError | None = None
            final = False
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
                final = True
            finally:
                await self._pacer.done(bucket, ticket)
            del request

            if response is not None:
                minute = self.rate_limits.update(bucket, response.headers)
                if response.is_success:
                    if minute is not None and minute.exhausted:
                        await self._pacer.pause_for_minute_window(bucket)
                    data = self._json(response)
                    if data is not _UNREADABLE:
                        return data, response
                    lost = "its response could not be read"
                else:
                    error = error_from_response(response, api_key=self._api_key.get_secret_value())
                    verdict = policy.classify_status(
                        error, quota_exhausted=self.rate_limits.exhausted_quota() is not None
                    )
                    retry_after = error.retry_after if isinstance(error, RateLimitError) else None
                    delay = policy.delay(verdict, attempt, retry_after=retry_after)
                    if delay is None:
                        raise error
                    if verdict is Verdict.RATE_LIMITED:
                        await self._pacer.pause(bucket, delay)
                    logger.info(
                        "Lusha answered %s to %s %s; retry %d of %d in %.2f s",
                        error.status, method, path, attempt + 1, policy.max_retries, delay,
                    )  # fmt: skip
                    await anyio.sleep(delay)
                    attempt += 1
                    continue
            if lost is not None:
                if policy.classify_lost(method) is Verdict.FINAL:
                    logger.warning("%s %s was sent but %s; not retried", method, path, lost)
                    raise self.lost(method, path, metered, lost)
                failure = APITimeoutError(f"Lusha did not answer {method} {path}: {lost}. Try again shortly.")
            assert failure is not None
            delay = None if final else policy.delay(Verdict.TRANSIENT, attempt)
            if delay is None:
                raise failure
            logger.info(
                "%s %s failed (%s); retry %d of %d in %.2f s",
                method, path, type(failure).__name__, attempt + 1, policy.max_retries, delay,
            )  # fmt: skip
            await anyio.sleep(delay)
            attempt += 1
