"""Secrets out of every text: the Lusha API key and the HTTP bearer tokens never appear, whole or
in part, in tool results, errors, CLI output or log records (ours and every library's).

A text is redacted of every piece of a registered secret at least `MIN_PIECE` characters long,
wherever it sits: so a key cut by a truncation (a prefix at the end of a kept text, a suffix at
the start of one) or by a library's line wrapping is caught as well as a whole one. Redaction
runs before any truncation; `install_log_redaction` makes every log record pass through it at
creation (every logger and level, including httpx/httpcore DEBUG header dumps, uvicorn and mcp).
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

MIN_PIECE = 6
"""Pieces shorter than this are too common to redact (and too short to use)."""
MASK = "***"


class Redactor:
    """The registered secrets, and the texts redacted of them. Thread-safe."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None

    def add(self, secret: str | None) -> None:
        """Register a secret (empty and shorter-than-a-piece values are only redacted whole)."""
        if not secret or secret in self._secrets:
            return
        with self._lock:
            self._secrets.add(secret)
            pieces = {
                known[start : start + MIN_PIECE]
                for known in self._secrets
                for start in range(max(len(known) - MIN_PIECE + 1, 1))
            }
            alternatives = "|".join(re.escape(piece) for piece in sorted(pieces, key=len, reverse=True))
            # A lookahead finds overlapping pieces, so every character of a secret is covered.
            self._pattern = re.compile(f"(?=({alternatives}))")

    def clear(self) -> None:
        with self._lock:
            self._secrets.clear()
            self._pattern = None

    def may_contain(self, text: str) -> bool:
        pattern = self._pattern
        return pattern is not None and pattern.search(text) is not None

    def redact(self, text: str, *extra: str | None) -> str:
        """`text` with every registered secret (and `extra` ones, whole) and every piece of one
        of at least MIN_PIECE characters replaced by ***."""
        for secret in extra:
            if secret:
                text = text.replace(secret, MASK)
        pattern = self._pattern
        if pattern is None:
            return text
        spans: list[list[int]] = []
        for match in pattern.finditer(text):
            start, end = match.start(), match.start() + len(match.group(1))
            if spans and start <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], end)
            else:
                spans.append([start, end])
        if not spans:
            return text
        parts: list[str] = []
        done = 0
        for start, end in spans:
            parts.append(text[done:start])
            parts.append(MASK)
            done = end
        parts.append(text[done:])
        return "".join(parts)

    def redact_value(self, value: object) -> object:
        """A parsed JSON value with every string (keys too) redacted."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            mapping = cast(dict[object, object], value)
            return {
                (self.redact(k) if isinstance(k, str) else k): self.redact_value(v)
                for k, v in mapping.items()
            }
        if isinstance(value, list):
            return [self.redact_value(item) for item in cast(list[object], value)]
        return value

    def redact_whole_value(self, value: object, *extra: str) -> object:
        """A parsed JSON value with every whole registered secret (and `extra` ones) masked in its
        strings (keys too).

        For successful bodies: nothing in them was cut, so a secret could only be there whole, and
        masking pieces would corrupt ids that happen to share six characters with a secret."""
        with self._lock:
            secrets = sorted(self._secrets.union(secret for secret in extra if secret), key=len, reverse=True)
        return _whole(value, secrets)


def _whole(value: object, secrets: list[str]) -> object:
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, MASK)
        return value
    if isinstance(value, dict):
        mapping = cast(dict[object, object], value)
        return {
            _whole(k, secrets) if isinstance(k, str) else k: _whole(v, secrets) for k, v in mapping.items()
        }
    if isinstance(value, list):
        return [_whole(item, secrets) for item in cast(list[object], value)]
    return value


SECRETS = Redactor()
"""The process's secrets: the API key (registered by LushaClient) and the HTTP tokens."""


def redact(text: str, *extra: str | None) -> str:
    return SECRETS.redact(text, *extra)


def url_password(url: str) -> str | None:
    """The password of a `scheme://user:password@host/...` URL (the database's, Redis'), or None."""
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def safe_url(url: str) -> str:
    """`url` with its password replaced by ***, for output and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:{MASK}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def hide_password(text: str, url: str) -> str:
    """`text` (an engine's error) without the password of `url` in it."""
    password = url_password(url)
    return text.replace(password, MASK) if password else text


_installed = False
_install_lock = threading.Lock()


def install_log_redaction() -> None:
    """Redact every log record at creation, for every logger and level (idempotent).

    The record's message is formatted once, redacted and frozen (args cleared), and its
    traceback and stack text are formatted and redacted too, so no handler, formatter or
    library logger (httpx, httpcore, uvicorn, mcp) can print a secret."""
    global _installed
    with _install_lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()
        formatter = logging.Formatter()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            if SECRETS.may_contain(str(record.msg)) or record.args:
                try:
                    message = record.getMessage()
                except Exception:  # a malformed call: keep logging's own error path
                    return record
                record.msg, record.args = SECRETS.redact(message), None
            if record.exc_info and record.exc_info[1] is not None:
                record.exc_text = SECRETS.redact(formatter.formatException(record.exc_info))
            if record.stack_info:
                record.stack_info = SECRETS.redact(record.stack_info)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True
