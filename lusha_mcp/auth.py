"""Sign-in for the HTTP transport: lusha-mcp as an OAuth 2.1 resource server (MCP authorization).

With `LUSHA_OAUTH_ISSUER` and `LUSHA_OAUTH_RESOURCE_URL` set, every HTTP request must carry a JWT
access token from that issuer, for this server (`aud` = the resource URL), unexpired, signed by a
key of the issuer's JWKS and carrying the required scopes. The SDK does the rest: it answers 401
with `WWW-Authenticate` pointing at the Protected Resource Metadata document (RFC 9728) it serves,
403 for a missing scope, and binds each MCP session to the principal that opened it.

A user is the token's issuer + subject (`Principal`); their teams come from a configurable claim.
Tokens are never stored or logged: a refusal is logged with its reason only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import anyio
import jwt
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from pydantic import AnyHttpUrl

from lusha_mcp.settings import Settings

logger = logging.getLogger(__name__)

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA")
"""Asymmetric algorithms only: a shared-secret (HS*) token could be forged by anyone holding the JWKS."""

LEEWAY_SECONDS = 30
"""Clock skew tolerated on `exp`/`nbf`/`iat`."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a verified token speaks for."""

    issuer: str
    subject: str
    teams: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """A stable, non-reversible name for this user (safe to store and log)."""
        return hashlib.sha256(f"lusha-mcp user\0{self.issuer}\0{self.subject}".encode()).hexdigest()[:16]


def principal_of_token(token: AccessToken) -> Principal | None:
    claims = token.claims or {}
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or not token.subject:
        return None
    teams = claims.get("lusha_teams", ())
    return Principal(issuer, token.subject, tuple(str(team) for team in cast(Sequence[Any], teams)))


def fetch_json(url: str) -> dict[str, Any]:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310 - https or loopback only (settings)
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        document = json.loads(response.read())
    if not isinstance(document, dict):
        raise ValueError(f"{url} did not answer a JSON object")
    return cast(dict[str, Any], document)


def discover_jwks_url(issuer: str) -> str:
    """The issuer's `jwks_uri` from its RFC 8414 (or OpenID Connect) metadata."""
    base = issuer.rstrip("/")
    problems: list[str] = []
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        try:
            jwks = fetch_json(base + path).get("jwks_uri")
        except (OSError, ValueError) as exc:
            problems.append(f"{path}: {exc}")
            continue
        if isinstance(jwks, str) and jwks:
            return jwks
        problems.append(f"{path}: no jwks_uri")
    raise ValueError(
        f"could not find the issuer's JWKS ({'; '.join(problems)}); set LUSHA_OAUTH_JWKS_URL to it"
    )


class JWTVerifier:
    """The SDK's `TokenVerifier` for JWT access tokens of one issuer, for one resource."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks_url: str | None,
        required_scopes: Sequence[str] = (),
        team_claim: str = "groups",
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self._jwks_url = jwks_url
        self._jwks: jwt.PyJWKClient | None = None
        self._required = tuple(required_scopes)
        self._team_claim = team_claim
        self._lock = anyio.Lock()
        self._reported: set[str] = set()

    @classmethod
    def from_settings(cls, settings: Settings) -> JWTVerifier | None:
        if settings.oauth_issuer is None or settings.oauth_resource_url is None:
            return None
        return cls(
            issuer=settings.oauth_issuer,
            audience=settings.oauth_resource_url,
            jwks_url=settings.oauth_jwks_url,
            required_scopes=settings.oauth_required_scopes,
            team_claim=settings.oauth_team_claim,
        )

    async def _keys(self) -> jwt.PyJWKClient:
        async with self._lock:
            if self._jwks is None:
                url = self._jwks_url or await anyio.to_thread.run_sync(discover_jwks_url, self.issuer)
                # PyJWKClient caches the key set and refetches it when a token names an unknown kid
                # (key rotation at the issuer).
                self._jwks = jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=10)
            return self._jwks

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            keys = await self._keys()
            key = await anyio.to_thread.run_sync(keys.get_signing_key_from_jwt, token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=list(ALGORITHMS),
                audience=self.audience,
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except (jwt.PyJWTError, ValueError, OSError) as exc:
            logger.info("HTTP request refused: the access token is not valid (%s)", type(exc).__name__)
            return None
        if not isinstance(claims["sub"], str) or not claims["sub"].strip():
            # A user is issuer + subject: a token naming no one would be a user shared by all such tokens.
            logger.info("HTTP request refused: the access token names no subject (sub)")
            return None
        scopes = _scopes(claims)
        return AccessToken(
            token=token,
            client_id=str(claims.get("client_id") or claims.get("azp") or claims["sub"]),
            scopes=scopes,
            expires_at=int(claims["exp"]),
            resource=self.audience,
            subject=str(claims["sub"]),
            claims={
                "iss": claims["iss"],
                "lusha_teams": self._teams(claims),
            },
        )

    def _teams(self, claims: dict[str, Any]) -> list[str]:
        """The team names the team claim lists; anything else gives no teams and one log line (per
        kind of problem, not per request), naming the claim but neither the token nor its values."""
        value = claims.get(self._team_claim)
        if value is None:
            return []
        if not isinstance(value, list):
            self._report_teams(
                f"is {_kind(value)}, not a list of team names, so signed-in users get no teams"
            )
            return []
        items = cast(list[Any], value)
        teams = [item for item in items if isinstance(item, str) and item]
        if len(teams) < len(items):
            self._report_teams(
                "lists entries that are not team names (objects, numbers or empty strings); they are ignored"
            )
        return teams

    def _report_teams(self, problem: str) -> None:
        if problem in self._reported:
            return
        self._reported.add(problem)
        logger.warning(
            "sign-in: the team claim %r (LUSHA_OAUTH_TEAM_CLAIM) %s; set it to a claim whose value is "
            "a list of team names, e.g. groups",
            self._team_claim,
            problem,
        )


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "an object (a nested claim)"
    if isinstance(value, str):
        return "a single string"
    return f"a {type(value).__name__}"


def _scopes(claims: dict[str, Any]) -> list[str]:
    scope = claims.get("scope")
    if isinstance(scope, str):
        return scope.split()
    scp = claims.get("scp")
    if isinstance(scp, list):
        return [str(item) for item in cast(list[Any], scp)]
    return []


def auth_settings(settings: Settings) -> AuthSettings | None:
    """What the SDK needs to act as a resource server (PRM document, 401/403, session binding)."""
    if settings.oauth_issuer is None or settings.oauth_resource_url is None:
        return None
    return AuthSettings(
        issuer_url=AnyHttpUrl(settings.oauth_issuer),
        resource_server_url=AnyHttpUrl(settings.oauth_resource_url),
        required_scopes=list(settings.oauth_required_scopes) or None,
        validate_token_resource=False,  # JWTVerifier checks `aud` against the resource URL itself
    )
