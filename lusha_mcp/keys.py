"""The keys every replica shares: they sign confirmation tokens and protect the SDK's requestState.

`LUSHA_CONFIRMATION_KEYS` (comma-separated) or `LUSHA_CONFIRMATION_KEY_FILE` (one key a line, the
file mode 0600) list the keys of a ring: the first signs, every one verifies. Rotation: put the new
key first and keep the old one after it until the tokens it signed have expired
(`LUSHA_CONFIRMATION_TTL_SECONDS`), then drop it. With replicas updated one by one, first add the
new key last everywhere (`OLD,NEW`: it verifies), then move it first (`NEW,OLD`), so no replica
meets a key it does not know yet. Each token names its key by a fingerprint (a
short, one-way hash of the key, safe to print), so verification picks the key without trying
them all. Without either setting, the ring is the per-install secret in the data dir
(`guard.confirm.load_or_create_secret`), as for a single server.

The SDK seals the 2026-07-28 `requestState` (multi-round-trip elicitation) under keys derived from
the same ring (HMAC with a label of their own: never the confirmation keys' own bytes), in the
same order, so a question asked by one replica is answered on any other.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import stat
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lusha_mcp.settings import Settings

MIN_KEY_BITS = 256
"""A shared key must carry at least 32 bytes of entropy (as the SDK asks of request-state keys)."""

MIN_DISTINCT_CHARACTERS = 8
"""Fewer distinct characters than this is a pattern (`aaaa…`, `abab…`), not a random key."""

GENERATE_HINT = 'generate one with `python3 -c "import secrets; print(secrets.token_urlsafe(32))"`'

_FINGERPRINT_LABEL = b"lusha-mcp/confirmation-key-id/v1\0"
_REQUEST_STATE_LABEL = b"lusha-mcp/request-state-key/v1"
_HEX = frozenset(string.hexdigits)
_BASE64 = frozenset(string.ascii_letters + string.digits + "+/-_=")
_PRINTABLE = frozenset(string.printable) - frozenset(string.whitespace)


class KeyConfigError(ValueError):
    """The configured keys cannot be used; the message says what to change."""


def fingerprint(secret: bytes) -> str:
    """A short, one-way name for a key (12 hex digits), safe to put in tokens and to print."""
    return hashlib.sha256(_FINGERPRINT_LABEL + secret).hexdigest()[:12]


def estimated_bits(key: str) -> float:
    """Entropy of a key as its length times the bits of the smallest alphabet it is written in
    (hex, base64, printable ASCII; other text counts 8 bits a UTF-8 byte): generous to a random
    key, and a pattern of few distinct characters counts as none."""
    if len(set(key)) < MIN_DISTINCT_CHARACTERS:
        return 0.0
    characters = set(key)
    for alphabet, size in ((_HEX, 16), (_BASE64, 64), (_PRINTABLE, len(_PRINTABLE))):
        if characters <= alphabet:
            return len(key) * math.log2(size)
    return len(key.encode()) * 8.0


@dataclass(frozen=True, slots=True)
class SigningKey:
    secret: bytes = field(repr=False)
    fingerprint: str


@dataclass(frozen=True, slots=True)
class KeyRing:
    """Keys in order: `keys[0]` signs, all verify."""

    keys: tuple[SigningKey, ...]
    source: str
    """Where the keys came from, for messages (never the keys)."""
    shared: bool = True
    """False for the per-install secret of the data dir (one server only)."""

    @classmethod
    def of(cls, *secrets: bytes, source: str = "given keys", shared: bool = True) -> KeyRing:
        if not secrets:
            raise KeyConfigError(f"{source}: no key given; {GENERATE_HINT}")
        return cls(tuple(SigningKey(secret, fingerprint(secret)) for secret in secrets), source, shared)

    @property
    def signing(self) -> SigningKey:
        return self.keys[0]

    def find(self, key_id: str) -> SigningKey | None:
        """The key a token names by fingerprint (None: not, or no longer, one of ours)."""
        for key in self.keys:
            if hmac.compare_digest(key.fingerprint, key_id):
                return key
        return None

    def request_state_keys(self) -> list[bytes]:
        """The SDK's requestState keys, one per key of the ring and in its order (the first seals):
        HMAC-SHA256 of a label of their own under each key, so never the keys' own bytes."""
        return [hmac.new(key.secret, _REQUEST_STATE_LABEL, hashlib.sha256).digest() for key in self.keys]


def ring_from_text(keys: Sequence[str], source: str) -> KeyRing:
    """A ring of configured keys, each checked for entropy and repetition (by position only: a
    message never names a weak key, not even by fingerprint)."""
    cleaned = [key.strip() for key in keys if key.strip()]
    if not cleaned:
        raise KeyConfigError(f"{source} lists no key; {GENERATE_HINT}")
    count = len(cleaned)
    for number, key in enumerate(cleaned, start=1):
        bits = estimated_bits(key)
        if bits < MIN_KEY_BITS:
            raise KeyConfigError(
                f"{source}: key {number} of {count} is too weak (about {int(bits)} bits of entropy; "
                f"at least {MIN_KEY_BITS}, i.e. 32 random bytes, are needed); {GENERATE_HINT}"
            )
        if key in cleaned[: number - 1]:
            raise KeyConfigError(
                f"{source}: key {number} of {count} repeats key {cleaned.index(key) + 1}; list each key once"
            )
    from lusha_mcp.redaction import SECRETS

    for key in cleaned:
        SECRETS.add(key)  # never logged or shown, whole or in part
    return KeyRing.of(*(key.encode() for key in cleaned), source=source)


def ring_from_file(path: Path) -> KeyRing:
    """The keys of a key file: one a line (blank lines and `#` comments skipped), mode 0600."""
    source = f"LUSHA_CONFIRMATION_KEY_FILE ({path})"
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise KeyConfigError(f"{source}: cannot read it ({exc.strerror}); point it at the key file") from None
    if not stat.S_ISREG(mode):
        raise KeyConfigError(f"{source} is not a regular file; point it at the key file")
    if os.name == "posix" and stat.S_IMODE(mode) & 0o077:
        raise KeyConfigError(
            f"{source} is readable by others (mode {stat.S_IMODE(mode):04o}); "
            f"make it private to the server's user: chmod 600 {path}"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyConfigError(f"{source}: cannot read it ({exc}); one key a line, UTF-8") from None
    lines = [line for line in text.splitlines() if not line.strip().startswith("#")]
    return ring_from_text(lines, source)


def configured_ring(settings: Settings) -> KeyRing | None:
    """The shared ring the settings configure, or None when they configure none (one server)."""
    if settings.confirmation_keys is not None:
        value = settings.confirmation_keys.get_secret_value()
        return ring_from_text(value.split(","), "LUSHA_CONFIRMATION_KEYS")
    if settings.confirmation_key_file is not None:
        return ring_from_file(settings.confirmation_key_file)
    return None


def key_ring(settings: Settings) -> KeyRing:
    """The configured shared ring, or else the data dir's per-install secret (created on first use)."""
    ring = configured_ring(settings)
    if ring is not None:
        return ring
    from lusha_mcp.guard.confirm import SECRET_FILE, load_or_create_secret

    secret = load_or_create_secret(settings.data_dir)
    return KeyRing.of(secret, source=f"the data dir's {SECRET_FILE}", shared=False)
