"""Checking a sandbox answer with the client's own models: what Lusha's client must be able to read.

A 2xx body must parse into the response model the client uses for that operation (the table is
tests/api/test_operations.py's CASES); an error body must become the client's error of that
status with a message. Checking the same answers against Lusha's published spec is tests/spec/.
"""

from __future__ import annotations

import re

import httpx

from lusha_mcp.api.errors import error_from_response
from lusha_mcp.api.models import LushaResponse
from tests.api.test_operations import CASES

_TEMPLATES = (
    (re.compile(r"^(/v3/(?:contacts|companies)/prospecting/filters)/[^/]+$"), r"\1/{filterType}"),
    (re.compile(r"^(/v3/companies/signals/filters)/[^/]+$"), r"\1/{filterType}"),
    (re.compile(r"^/api/subscriptions/(?!delete$|opt-out$)[^/]+/test$"), "/api/subscriptions/{id}/test"),
    (re.compile(r"^/api/subscriptions/(?!delete$|opt-out$)[^/]+$"), "/api/subscriptions/{id}"),
)


def _template(path: str) -> str:
    for pattern, replacement in _TEMPLATES:
        if pattern.match(path):
            return pattern.sub(replacement, path)
    return path


MODELS: dict[tuple[str, str], type[LushaResponse]] = {
    (method, _template(path)): model for _, method, path, _, model in CASES
}


def assert_answer_parses(method: str, path: str, response: httpx.Response) -> None:
    """The client reads this answer of `method path` (a template such as /api/subscriptions/{id})."""
    key = (method, _template(path))
    assert key in MODELS, f"{method} {path} is not an operation the client uses"
    if response.is_success:
        parsed = MODELS[key].model_validate(response.json())
        assert isinstance(parsed, MODELS[key])
        return
    error = error_from_response(response)
    assert error.status == response.status_code
    assert error.message, f"{method} {path} -> {response.status_code}: no message for the user"
