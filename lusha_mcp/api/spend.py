"""The credit guard as a rule of the client: a metered operation sends only inside an authorised plan.

The guard's pipeline (tools/framework/pipeline.py) runs a plan it authorised inside `authorized_spend(...)`;
the transport calls `require_authorized_spend(...)` before every metered request and refuses,
before anything is sent, when no authorised plan is running. Free operations (filter lookups,
account usage, webhook management) never ask.
"""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["UnauthorizedSpendError", "authorized_spend", "current_spend", "require_authorized_spend"]

_current: ContextVar[str | None] = ContextVar("lusha_authorized_spend", default=None)


class UnauthorizedSpendError(RuntimeError):
    """A metered operation was called outside a plan the credit guard authorised (a programming error).

    Not a LushaError: nothing was sent to Lusha and nothing was charged, and no caller should
    handle it as an API failure.
    """

    def __init__(self, operation: str) -> None:
        super().__init__(
            f"{operation} is metered and was called outside a plan the credit guard authorised; "
            "nothing was sent to Lusha. Run metered calls through the guard (a tool's Plan), or "
            "inside `with authorized_spend(...)` where the guard authorised the spend."
        )
        self.operation = operation


@contextmanager
def authorized_spend(authorization: str) -> Generator[None]:
    """Allow metered operations for the duration of the block (and the tasks it starts).

    `authorization` names what authorised it (the guard's call id), for the error and the logs.
    """
    if not authorization:
        raise ValueError("authorized_spend needs the id of what authorised the spend")
    token = _current.set(authorization)
    try:
        yield
    finally:
        _current.reset(token)


def current_spend() -> str | None:
    """The authorisation metered operations run under now, if any."""
    return _current.get()


def require_authorized_spend(operation: str) -> str:
    """The current authorisation; UnauthorizedSpendError (before any request) when there is none."""
    authorization = _current.get()
    if authorization is None:
        raise UnauthorizedSpendError(operation)
    return authorization
