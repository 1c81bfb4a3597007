"""Confirmation tokens: the user's yes to one exact call, for clients that cannot elicit.

A token is `lc2.<key id>.<payload>.<mac>` (base64url): the payload names the tool, the hash of the
exact arguments, the quoted ceiling, an expiry and, over HTTP, the holder it was issued to; the mac
is HMAC-SHA256 under one key of the server's ring (`lusha_mcp.keys`: keys every replica shares, or a
per-install secret kept in the data dir, mode 0600), which the key id (its fingerprint, never the
key) names. Single use is enforced by the ledger, which records each redeemed token id, so a replay
is refused even after a restart.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lusha_mcp.guard.policy import GuardRefusal
from lusha_mcp.keys import KeyRing
from lusha_mcp.private import private_dir, private_file

TOKEN_PREFIX = "lc2"  # noqa: S105
OLD_TOKEN_PREFIX = "lc1"  # noqa: S105
"""Tokens of earlier versions (no key id): refused as signed by a key no longer accepted."""
SECRET_FILE = "confirm.key"  # noqa: S105


class TokenRefusal(GuardRefusal):
    """A confirmation token that cannot authorise this call."""


class TokenForged(TokenRefusal):
    code = "token_invalid"

    def __init__(self) -> None:
        super().__init__(
            "The confirmation_token is not one this server issued (malformed or wrong signature). "
            "Nothing was spent. Call the tool again without confirmation_token to get a fresh quote "
            "and token, and pass that token back only after the user agrees."
        )


class TokenKeyRetired(TokenRefusal):
    code = "token_key_retired"

    def __init__(self) -> None:
        super().__init__(
            "The confirmation_token was signed with a key this server no longer accepts; ask for a new "
            "quote: call the tool again without confirmation_token, and pass the new token back only "
            "after the user agrees. Nothing was spent."
        )


class TokenExpired(TokenRefusal):
    code = "token_expired"

    def __init__(self, age_seconds: int) -> None:
        super().__init__(
            f"The confirmation_token expired {age_seconds} s ago. Nothing was spent. Call the tool "
            "again without confirmation_token to get a fresh quote, and confirm it with the user."
        )


class TokenMismatch(TokenRefusal):
    code = "token_mismatch"

    def __init__(self, tool: str, issued_for: str) -> None:
        target = "other arguments" if tool == issued_for else f"the tool {issued_for}"
        super().__init__(
            f"The confirmation_token was issued for {target}, not this exact {tool} call. Nothing "
            "was spent. Pass exactly the arguments that were quoted, or call again without "
            "confirmation_token to get a quote for these arguments."
        )


class TokenReplayed(TokenRefusal):
    code = "token_used"

    def __init__(self) -> None:
        super().__init__(
            "This confirmation_token was already used: each token runs its call once. Nothing was "
            "spent. To run the call again, call without confirmation_token for a fresh quote."
        )


class TokenOtherClient(TokenRefusal):
    code = "token_other_client"

    def __init__(self) -> None:
        super().__init__(
            "This confirmation_token was issued to another user or client session: a token works "
            "only for the signed-in user (without sign-in, the client session) it was quoted to. "
            "Nothing was spent. Call the tool again without confirmation_token to get your own "
            "quote and token."
        )


class QuoteAboveConfirmed(TokenRefusal):
    code = "quote_changed"

    def __init__(self, confirmed: int, quote: int) -> None:
        super().__init__(
            f"The price went up since the user confirmed: now at most {quote} credits, the token "
            f"covers {confirmed}. Nothing was spent. Call again without confirmation_token for a new quote."
        )


def canonical_arguments_hash(tool: str, arguments: Mapping[str, Any]) -> str:
    """SHA-256 of the tool name and its arguments as canonical JSON (sorted keys, no token)."""
    kept = {key: value for key, value in arguments.items() if key != "confirmation_token"}
    text = json.dumps([tool, kept], sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def load_or_create_secret(data_dir: Path) -> bytes:
    """The per-install HMAC key, created on first use with mode 0600."""
    path = private_dir(data_dir) / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        private_file(path)
        secret = path.read_bytes()
        if len(secret) >= 32:
            return secret
        raise RuntimeError(f"{path} is damaged; delete it to issue new confirmation tokens") from None
    with os.fdopen(fd, "wb") as handle:
        secret = secrets.token_bytes(32)
        handle.write(secret)
    return secret


@dataclass(frozen=True, slots=True)
class ConfirmationToken:
    token_id: str
    tool: str
    arguments_hash: str
    max_credits: int
    expires_at: float
    holder: str = ""
    """The client session the token was issued to ("" for the server's own session)."""


def _mac(secret: bytes, body: str) -> bytes:
    return hmac.new(secret, body.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenIssuer:
    """Issues and verifies confirmation tokens; single use is the ledger's job."""

    def __init__(
        self, keys: KeyRing | bytes, ttl_seconds: int, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._keys = keys if isinstance(keys, KeyRing) else KeyRing.of(keys, shared=False)
        self._ttl = ttl_seconds
        self._clock = clock

    @property
    def ttl_seconds(self) -> int:
        return self._ttl

    def issue(
        self, tool: str, arguments_hash: str, max_credits: int, *, holder: str = ""
    ) -> tuple[str, ConfirmationToken]:
        token = ConfirmationToken(
            token_id=secrets.token_hex(12),
            tool=tool,
            arguments_hash=arguments_hash,
            max_credits=max_credits,
            expires_at=int(self._clock()) + self._ttl,
            holder=holder,
        )
        claims: dict[str, Any] = {
            "jti": token.token_id,
            "tool": tool,
            "args": arguments_hash,
            "max": max_credits,
            "exp": token.expires_at,
        }
        if holder:
            claims["sub"] = holder
        payload = json.dumps(
            claims,
            separators=(",", ":"),
            sort_keys=True,
        ).encode()
        signing = self._keys.signing
        body = f"{TOKEN_PREFIX}.{signing.fingerprint}.{_b64(payload)}"
        return f"{body}.{_b64(_mac(signing.secret, body))}", token

    def verify(
        self, text: str, tool: str, arguments_hash: str, quote_credits: int, *, holder: str = ""
    ) -> ConfirmationToken:
        """Check signature, holder, binding to this call, expiry and ceiling; a distinct refusal for each."""
        token = self._decode(text)
        if not hmac.compare_digest(token.holder, holder):
            raise TokenOtherClient()
        if token.tool != tool or not hmac.compare_digest(token.arguments_hash, arguments_hash):
            raise TokenMismatch(tool, token.tool)
        now = self._clock()
        if now > token.expires_at:
            raise TokenExpired(int(now - token.expires_at))
        if quote_credits > token.max_credits:
            raise QuoteAboveConfirmed(token.max_credits, quote_credits)
        return token

    def _decode(self, text: str) -> ConfirmationToken:
        parts = text.strip().split(".")
        if len(parts) == 3 and parts[0] == OLD_TOKEN_PREFIX:
            raise TokenKeyRetired()
        if len(parts) != 4 or parts[0] != TOKEN_PREFIX:
            raise TokenForged()
        key = self._keys.find(parts[1])
        if key is None:
            raise TokenKeyRetired()
        body = ".".join(parts[:3])
        try:
            mac = _unb64(parts[3])
            if not hmac.compare_digest(mac, _mac(key.secret, body)):
                raise TokenForged()
            data = json.loads(_unb64(parts[2]))
            return ConfirmationToken(
                token_id=str(data["jti"]),
                tool=str(data["tool"]),
                arguments_hash=str(data["args"]),
                max_credits=int(data["max"]),
                expires_at=float(data["exp"]),
                holder=str(data.get("sub", "")),
            )
        except (binascii.Error, ValueError, KeyError, TypeError):
            raise TokenForged() from None
