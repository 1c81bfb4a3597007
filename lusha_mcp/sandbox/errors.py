"""Lusha's error envelope: {"statusCode": n, "message": "...", "errors": ["field: what is wrong"]}.

Handlers raise `LushaHTTPError` (or one of the shortcuts below); the app turns it into the
envelope. 400s name the offending field in `errors`, each entry starting with the field path.
"""

from __future__ import annotations

from typing import Any, NoReturn

from starlette.responses import JSONResponse

MESSAGES: dict[int, str] = {
    400: "Invalid request parameters",
    401: "Invalid API key",
    402: "Insufficient credits for this operation",
    403: "V3 API access is not enabled for your account",
    404: "Resource not found",
    405: "Method not allowed",
    410: "The provided dedupeSessionId is invalid or expired. Generate a new request without dedupeSessionId to start a fresh run.",
    429: "Too many requests. Please wait before making another request.",
    451: "Request blocked due to GDPR regulations",
    500: "Internal server error. Please try again later.",
    502: "Bad gateway. Please try again later.",
    503: "Service temporarily unavailable. Please try again later.",
    504: "Gateway timeout. Please try again later.",
}


class LushaHTTPError(Exception):
    """An error answered in Lusha's envelope; `body` replaces the envelope when set."""

    def __init__(
        self,
        status: int,
        message: str | None = None,
        errors: list[str] | None = None,
        *,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.message = message or MESSAGES.get(status, "Request failed")
        self.errors = errors or []
        self.body = body
        self.headers = headers or {}
        super().__init__(f"{status} {self.message}")

    def envelope(self) -> dict[str, Any]:
        if self.body is not None:
            return self.body
        payload: dict[str, Any] = {"statusCode": self.status, "message": self.message}
        if self.errors:
            payload["errors"] = list(self.errors)
        return payload

    def response(self) -> JSONResponse:
        return JSONResponse(self.envelope(), status_code=self.status, headers=self.headers)


def error_response(status: int, message: str | None = None, errors: list[str] | None = None) -> JSONResponse:
    return LushaHTTPError(status, message, errors).response()


def bad_request(errors: list[str], message: str = "Validation failed") -> NoReturn:
    """400 naming each offending field, e.g. `bad_request(["contacts: at most 100 items"])`."""
    raise LushaHTTPError(400, message, errors)


def unauthorized(message: str | None = None) -> NoReturn:
    raise LushaHTTPError(401, message)


def payment_required(message: str | None = None) -> NoReturn:
    raise LushaHTTPError(402, message)


def forbidden(message: str | None = None) -> NoReturn:
    raise LushaHTTPError(403, message)


def not_found(message: str | None = None) -> NoReturn:
    raise LushaHTTPError(404, message)


def gone(message: str | None = None) -> NoReturn:
    """410 for an invalid or expired lookalike dedupe session (DedupeSessionInvalidError body)."""
    raise LushaHTTPError(410, body={"code": "DEDUPE_SESSION_INVALID", "message": message or MESSAGES[410]})


def too_many_requests(message: str | None = None, headers: dict[str, str] | None = None) -> NoReturn:
    raise LushaHTTPError(429, message, headers=headers)


def gdpr_blocked(message: str | None = None) -> NoReturn:
    raise LushaHTTPError(451, message)
