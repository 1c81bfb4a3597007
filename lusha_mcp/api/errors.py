"""One exception tree for everything the Lusha API (or our own validation) can fail with.

`error_from_response` is the single factory mapping an HTTP status and Lusha's error envelope
to a class. Messages say what happened and what to do next; none ever contains the API key.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar, cast

import httpx

from lusha_mcp.redaction import redact
from lusha_mcp.settings import KEYS_PAGE

if TYPE_CHECKING:
    from lusha_mcp.api.models.base import LushaResponse

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedRequestError",
    "ConflictError",
    "GDPRBlockedError",
    "GoneError",
    "InsufficientCreditsError",
    "InvalidRequestError",
    "LushaError",
    "NotFoundError",
    "PermissionDeniedError",
    "PreconditionFailedError",
    "RateLimitError",
    "ResponseLostError",
    "ServerError",
    "UnexpectedResponseError",
    "UnprocessableEntityError",
    "error_from_response",
]

_SUPPORT = "https://status.lusha.com"
_KEYS_PAGE = KEYS_PAGE


class LushaError(Exception):
    """Base of every error raised by lusha_mcp.api; `.message` is safe to show a user.

    When a call split into batches fails part-way, `partial` holds the merged response of the
    batches that succeeded (they were charged), so their results and billing are not lost.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.partial: LushaResponse | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class InvalidRequestError(LushaError):
    """Our own validation refused the input before anything was sent (nothing was charged)."""

    def __init__(self, message: str, *, field: str | None = None, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.field = field
        self.problems = list(problems) or [message]


class APIConnectionError(LushaError):
    """The request never reached Lusha (DNS, refused connection, pool exhausted)."""


class APITimeoutError(APIConnectionError):
    """Lusha did not answer in time and the request was safe to give up on (nothing charged)."""


class UnexpectedResponseError(LushaError):
    """Lusha answered 2xx with a body this client cannot read."""


class ResponseLostError(LushaError):
    """A metered request was sent but its response was lost, so it may have been charged.

    It is never retried automatically: repeating it could charge twice.
    """

    def __init__(self, message: str, *, method: str, path: str) -> None:
        super().__init__(message)
        self.method = method
        self.path = path


class APIStatusError(LushaError):
    """Lusha answered with an error status."""

    status: int
    default_hint: ClassVar[str] = "Check the request and try again."

    def __init__(
        self,
        status: int,
        request_id: str | None,
        body: object,
        message: str,
        *,
        errors: Sequence[str] = (),
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.request_id = request_id
        self.body = body
        self.errors = list(errors)
        self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, request_id={self.request_id!r}, message={self.message!r})"


class BadRequestError(APIStatusError):
    default_hint = (
        "Lusha rejected the request as malformed: fix the field named above (valid emails, "
        "ISO 2-letter country codes, values from the filter endpoints) and send it again."
    )


class AuthenticationError(APIStatusError):
    default_hint = (
        "The API key is missing, invalid, revoked or expired. Set LUSHA_API_KEY to an active key "
        f"({_KEYS_PAGE})."
    )


class InsufficientCreditsError(APIStatusError):
    default_hint = (
        "The account has too few credits for this call. Check the balance with the account usage "
        "call, narrow the request, or top up the plan."
    )


class PermissionDeniedError(APIStatusError):
    default_hint = (
        "The account is inactive or its plan does not include this endpoint. Check the plan's "
        "entitlements in the Lusha dashboard or contact support@lusha.com."
    )


class NotFoundError(APIStatusError):
    default_hint = "The resource does not exist (or is not visible to this account); check the id."


class ConflictError(APIStatusError):
    default_hint = "The resource already exists; use a different name or update the existing one."


class GoneError(APIStatusError):
    default_hint = (
        "The lookalike dedupeSessionId is invalid or expired (sessions last 30 days from last use). "
        "Send the request again without dedupeSessionId to start a fresh session."
    )


class PreconditionFailedError(APIStatusError):
    default_hint = "A precondition of the request was not met; read the message and adjust the request."


class UnprocessableEntityError(APIStatusError):
    default_hint = "The request is well formed but a value cannot be processed; fix the field named above."


class RateLimitError(APIStatusError):
    default_hint = (
        "Lusha's rate limit or request quota is exhausted. Wait before retrying, or spread the work "
        "over time; the minute/hour/day quotas are in client.rate_limits."
    )

    def __init__(
        self,
        status: int,
        request_id: str | None,
        body: object,
        message: str,
        *,
        errors: Sequence[str] = (),
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(status, request_id, body, message, errors=errors, code=code)
        self.retry_after = retry_after


class GDPRBlockedError(APIStatusError):
    default_hint = (
        "Lusha withheld this data for GDPR reasons; it cannot be retrieved. Remove the record from "
        "the request and continue with the others."
    )


class ClientClosedRequestError(APIStatusError):
    default_hint = (
        "The request took too long and was closed before Lusha finished. Send smaller batches or "
        "narrower filters and try again."
    )


class ServerError(APIStatusError):
    default_hint = f"Lusha had an internal failure. Retry later; check {_SUPPORT} if it persists."


_STATUS_CLASSES: Mapping[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: InsufficientCreditsError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    410: GoneError,
    412: PreconditionFailedError,
    422: UnprocessableEntityError,
    429: RateLimitError,
    451: GDPRBlockedError,
    499: ClientClosedRequestError,
}

_TITLES: Mapping[int, str] = {
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    410: "Gone",
    412: "Precondition Failed",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    451: "Unavailable For Legal Reasons",
    499: "Client Closed Request",
}

_V3_NOT_ENABLED_HINT = (
    "V3 API access is not enabled for this account. Ask your Lusha account manager or "
    "support@lusha.com to enable the V3 API for this key."
)


BODY_KEPT = 500
"""Characters of a non-JSON error body kept (after the secrets are redacted from all of it)."""


def _parse_body(response: httpx.Response, secret: str | None) -> object:
    try:
        parsed: object = response.json()
        return parsed
    except (json.JSONDecodeError, UnicodeDecodeError):
        text = redact(response.text, secret).strip()
        return redact(text[:BODY_KEPT]) if text else None


def _as_mapping(value: object) -> dict[str, object] | None:
    return cast("dict[str, object]", value) if isinstance(value, dict) else None


def _envelope(body: object) -> tuple[str | None, list[str], str | None]:
    """(message, per-field errors, symbolic code) from either Lusha error envelope."""
    if isinstance(body, str):
        return body or None, [], None
    data = _as_mapping(body)
    if data is None:
        return None, [], None
    inner = _as_mapping(data.get("error"))
    if inner is not None:
        message = inner.get("message")
        code = inner.get("code")
        return (
            str(message) if message is not None else None,
            [],
            str(code) if code is not None else None,
        )
    message = data.get("message")
    raw_errors = data.get("errors")
    errors: list[str] = []
    if isinstance(raw_errors, list):
        items: list[object] = raw_errors  # pyright: ignore[reportUnknownVariableType]
        errors = [str(item) for item in items]
    code = data.get("code")
    return (
        str(message) if message is not None else None,
        errors,
        str(code) if isinstance(code, str) else None,
    )


def _retry_after(headers: httpx.Headers) -> float | None:
    for name in ("retry-after", "x-rate-limit-reset", "x-ratelimit-reset"):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            value = float(raw)
        except ValueError:
            continue
        if not math.isfinite(value) or value < 0:
            continue
        if value > 1_000_000_000:
            return max(0.0, value - time.time())
        return value
    return None


def _scrub(text: str, secret: str | None) -> str:
    return redact(text, secret)


def _scrub_value(value: object, secret: str) -> object:
    if isinstance(value, str):
        return _scrub(value, secret)
    mapping = _as_mapping(value)
    if mapping is not None:
        return {_scrub(k, secret): _scrub_value(v, secret) for k, v in mapping.items()}
    if isinstance(value, list):
        items = cast("list[object]", value)
        return [_scrub_value(item, secret) for item in items]
    return value


def error_from_response(response: httpx.Response, *, api_key: str | None = None) -> APIStatusError:
    """Build the exception for an error response; `api_key` is scrubbed from anything kept."""
    status = response.status_code
    body: object = _scrub_value(_parse_body(response, api_key), api_key or "")
    lusha_message, errors, code = _envelope(body)
    request_id: str | None = response.headers.get("x-request-id")
    mapping = _as_mapping(body)
    if request_id is None and mapping is not None and mapping.get("requestId"):
        request_id = str(mapping["requestId"])
    request_id = _scrub(request_id, api_key) if request_id is not None else None
    if status >= 500:
        cls: type[APIStatusError] = ServerError
    else:
        cls = _STATUS_CLASSES.get(status, APIStatusError)
    hint = cls.default_hint
    if (
        status == 403
        and lusha_message
        and "v3" in lusha_message.lower()
        and "enabled" in lusha_message.lower()
    ):
        hint = _V3_NOT_ENABLED_HINT
    retry_after = _retry_after(response.headers) if status == 429 else None
    if status == 429 and retry_after is not None:
        hint = f"{hint} Lusha asked to wait {retry_after:g} s."
    if status == 429 and response.headers.get("x-daily-requests-left") == "0":
        hint = (
            "The daily request quota of this Lusha key is used up; it resets at the start of the next "
            "day. Try again then, or ask your account manager for a higher quota."
        )

    title = _TITLES.get(status) or response.reason_phrase or "Error"
    head = f"Lusha answered {status} {title}"
    if lusha_message:
        head += f": {lusha_message}"
    sentences = [head]
    if errors:
        sentences.append("Problems: " + "; ".join(errors))
    sentences.append(hint)
    message = " ".join(s if s.endswith(".") else s + "." for s in sentences)
    if request_id:
        message += f" (requestId {request_id})"
    secret = api_key or ""
    message = _scrub(message, secret)
    errors = [_scrub(e, secret) for e in errors]
    if cls is RateLimitError:
        return RateLimitError(
            status, request_id, body, message, errors=errors, code=code, retry_after=retry_after
        )
    return cls(status, request_id, body, message, errors=errors, code=code)
