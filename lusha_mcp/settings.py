"""All configuration of lusha-mcp: one settings class, env prefix LUSHA_.

Precedence: command-line flags (passed as keyword arguments) > environment > defaults.
No other module reads os.environ.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import platformdirs
from pydantic import Field, PrivateAttr, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PRODUCTION_BASE_URL = "https://api.lusha.com"
SANDBOX_API_KEY = "lusha-sandbox"
"""The one key the embedded sandbox accepts; any other gets 401."""
KEYS_PAGE = "https://dashboard.lusha.com/enrich/api"
"""Where Lusha users create and manage API keys (the page Lusha's V3 docs name)."""

RevealField = Literal["emails", "phones"]


class Toolset(StrEnum):
    core = "core"
    signals = "signals"
    lookalikes = "lookalikes"
    decision_makers = "decision_makers"
    website_visits = "website_visits"
    webhooks = "webhooks"
    tables = "tables"


DEFAULT_TOOLSETS: tuple[Toolset, ...] = (
    Toolset.core,
    Toolset.signals,
    Toolset.lookalikes,
    Toolset.decision_makers,
    Toolset.website_visits,
)


def _split_csv(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _secure_url(url: str) -> bool:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    if parsed.scheme == "https" and parsed.hostname:
        return True
    return parsed.scheme == "http" and parsed.hostname in {"127.0.0.1", "localhost", "::1"}


class Settings(BaseSettings):
    """Every knob of lusha-mcp. Each field is also the environment variable LUSHA_<NAME>."""

    model_config = SettingsConfigDict(
        env_prefix="LUSHA_",
        extra="forbid",
        validate_default=True,
        hide_input_in_errors=True,
    )

    # --- connection -------------------------------------------------------------------------
    api_key: SecretStr | None = Field(default=None, description="Lusha API key (api_key header).")
    base_url: str = Field(default=PRODUCTION_BASE_URL, description="Base URL of the Lusha API.")
    sandbox: bool = Field(default=False, description="Use the embedded offline sandbox instead of Lusha.")
    sandbox_seed: int = Field(default=7, description="Seed of the sandbox's generated dataset.")
    sandbox_contacts: int = Field(default=50_000, ge=100, description="Contacts in the sandbox dataset.")
    sandbox_companies: int = Field(default=5_000, ge=10, description="Companies in the sandbox dataset.")
    timeout: float = Field(default=30.0, gt=0, description="Read timeout of one HTTP request, seconds.")
    connect_timeout: float = Field(default=10.0, gt=0, description="Connect timeout, seconds.")
    max_retries: int = Field(default=4, ge=0, le=10, description="Retries of 429/5xx/connection failures.")
    requests_per_second: float = Field(
        default=25.0, gt=0, description="Client-side pace per endpoint (Lusha allows 25/s)."
    )
    redis_url: SecretStr | None = Field(
        default=None,
        description="Redis (or Valkey) URL, redis://[:password@]host:port/db: replicas sharing one "
        "Lusha key pace its rate limits, 429 pauses and account-usage snapshot through it.",
    )
    replicas: int = Field(
        default=1,
        ge=1,
        le=1000,
        description="How many replicas share the Lusha key; without Redis (or while it is down) each "
        "paces at 1/replicas of Lusha's limits.",
    )
    sandbox_credits: int = Field(
        default=10_000, ge=0, description="Initial credit balance of the sandbox account."
    )
    sandbox_rate_limits: bool = Field(
        default=True, description="Enforce Lusha's rate limits in the sandbox (429 when exceeded)."
    )
    sandbox_daily_quota: int = Field(default=100_000, ge=1, description="Sandbox requests per day.")
    sandbox_hourly_quota: int = Field(default=30_000, ge=1, description="Sandbox requests per hour.")
    sandbox_minute_quota: int = Field(default=1_500, ge=1, description="Sandbox requests per minute.")
    sandbox_latency_ms: int = Field(
        default=0, ge=0, description="Latency the sandbox adds to every response."
    )
    sandbox_fault_rate: float = Field(
        default=0.0, ge=0.0, le=1.0, description="Share of sandbox requests answered with a 5xx."
    )
    sandbox_webhook_backoff_s: float = Field(
        default=1.0,
        ge=0,
        description="Base of the sandbox's webhook retry backoff (1, 2, 4 x this), seconds.",
    )
    sandbox_table_row_seconds: float = Field(
        default=0.2, ge=0, le=60, description="Seconds a sandbox table column run takes per row."
    )
    tables_owner_email: str | None = Field(
        default=None,
        description="Lusha user the Tables tools act as (owner.email; the sandbox uses user@example.com).",
    )
    sandbox_dataset_dir: Path | None = Field(
        default=None, description="Where the generated sandbox dataset is kept (default: <data_dir>/sandbox)."
    )
    data_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_data_dir("lusha-mcp", appauthor=False)),
        description="Where the ledger, the reveal cache, lookalike sessions and the sandbox dataset live.",
    )

    # --- credit guard -----------------------------------------------------------------------
    no_spend: bool = Field(default=False, description="Only free tools run; metered tools are hidden.")
    max_credits_per_call: int | None = Field(default=None, ge=0, description="Cap on one call's quote.")
    session_budget: int | None = Field(
        default=None,
        ge=0,
        description="Credits one client session may spend (over stdio: the server process).",
    )
    daily_budget: int | None = Field(
        default=None, ge=0, description="Credits per UTC day for the whole account, across restarts."
    )
    user_daily_budget: int | None = Field(
        default=None,
        ge=0,
        description="Credits per UTC day for each signed-in user (`lusha-mcp budgets set --user` overrides it).",
    )
    team_daily_budget: int | None = Field(
        default=None,
        ge=0,
        description="Credits per UTC day for each team (`lusha-mcp budgets set --team` overrides it).",
    )
    database_url: SecretStr | None = Field(
        default=None,
        description="postgresql://... : keep the ledger, budgets, tokens and caches in PostgreSQL, "
        "shared by every replica (run `lusha-mcp migrate` first); unset: SQLite in the data dir.",
    )
    confirm_above: int = Field(
        default=10, ge=0, description="A non-reveal call quoted above this many credits needs confirmation."
    )
    confirm_reveals: bool = Field(
        default=True, description="Reveals of emails or phones always need confirmation."
    )
    auto_approve: bool = Field(
        default=False, description="Unattended runs: skip confirmation (never the budgets)."
    )
    allowed_reveals: Annotated[list[RevealField], NoDecode] = Field(
        default_factory=lambda: ["emails", "phones"], description="Reveal fields the assistant may ask for."
    )
    confirmation_ttl_seconds: int = Field(default=600, ge=10, description="Lifetime of a confirmation token.")
    confirmation_keys: SecretStr | None = Field(
        default=None,
        description="Keys every replica shares to sign confirmation tokens (comma-separated, each at "
        "least 32 random bytes): the first signs, all verify. Unset: a per-install secret in the data dir.",
    )
    confirmation_key_file: Path | None = Field(
        default=None,
        description="File of confirmation keys instead (one a line, same order rule; mode 0600).",
    )
    cache_ttl_days: float = Field(
        default=30.0, gt=0, description="How long revealed data is kept and served."
    )

    # --- MCP surface ------------------------------------------------------------------------
    toolsets: Annotated[list[Toolset], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_TOOLSETS), description="Toolsets to expose."
    )
    http_token: SecretStr | None = Field(
        default=None,
        description="Bearer token(s) for the HTTP transport; comma-separated tokens give each holder "
        "their own session ledger, session budget and confirmations.",
    )
    transport: Literal["stdio", "http"] = Field(
        default="stdio", description="How `serve` talks to the client: stdio, or streamable HTTP."
    )
    http_host: str = Field(
        default="127.0.0.1",
        description="Address the HTTP transport binds to; anything beyond loopback needs http_token.",
    )
    http_port: int = Field(default=8000, ge=0, le=65535, description="Port of the HTTP transport.")
    http_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list[str],
        description="Extra Host header values the HTTP transport accepts (DNS-rebinding guard).",
    )
    http_allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list[str],
        description="Extra browser Origins the HTTP transport accepts (DNS-rebinding guard).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="WARNING")

    _ignored_api_key: bool = PrivateAttr(default=False)

    @field_validator("api_key", mode="before")
    @classmethod
    def _blank_key_is_no_key(cls, value: Any) -> Any:
        """An empty or whitespace key (what a blank `promptString` gives) is no key at all."""
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(raw, str) and not raw.strip():
            return None
        return value

    @field_validator("redis_url", mode="before")
    @classmethod
    def _redis_url(cls, value: Any) -> Any:
        """Blank is no Redis; anything else must be a redis://, rediss:// or unix:// URL (never echoed)."""
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if not isinstance(raw, str):
            return value
        if not raw.strip():
            return None
        if not raw.strip().startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(
                "redis_url must be a redis://[:password@]host:port/db, rediss:// (TLS) or unix:// URL"
            )
        return SecretStr(raw.strip())

    # --- sign-in (the HTTP transport as an OAuth 2.1 resource server) --------------------------
    oauth_issuer: str | None = Field(
        default=None,
        description="Issuer (`iss`) of the identity provider whose JWT access tokens the HTTP "
        "transport accepts; turns on sign-in (instead of LUSHA_HTTP_TOKEN).",
    )
    oauth_resource_url: str | None = Field(
        default=None,
        description="This server's public MCP URL, e.g. https://mcp.example.com/mcp: the audience "
        "tokens must be issued for, and where Protected Resource Metadata points.",
    )
    oauth_jwks_url: str | None = Field(
        default=None,
        description="The issuer's JWKS; by default read from its authorization-server metadata.",
    )
    oauth_required_scopes: Annotated[list[str], NoDecode] = Field(
        default_factory=list[str], description="Scopes every token must carry (comma-separated)."
    )
    oauth_team_claim: str = Field(
        default="groups", description="Claim that lists the teams a signed-in user belongs to."
    )

    @field_validator(
        "allowed_reveals",
        "toolsets",
        "http_allowed_hosts",
        "http_allowed_origins",
        "oauth_required_scopes",
        mode="before",
    )
    @classmethod
    def _csv(cls, value: Any) -> Any:
        return _split_csv(value)

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if not value.get_secret_value().startswith(("postgresql://", "postgres://")):
            raise ValueError("database_url must be a postgresql://user:password@host:port/database URL")
        return value

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _oauth(self) -> Settings:
        if self.oauth_issuer is None and self.oauth_resource_url is None:
            return self
        if self.oauth_issuer is None or self.oauth_resource_url is None:
            raise ValueError(
                "sign-in needs both LUSHA_OAUTH_ISSUER (the identity provider) and LUSHA_OAUTH_RESOURCE_URL "
                "(this server's public MCP URL, e.g. https://mcp.example.com/mcp)"
            )
        if self.http_token is not None:
            raise ValueError(
                "set either LUSHA_OAUTH_ISSUER (sign-in) or LUSHA_HTTP_TOKEN (static tokens), not both"
            )
        for name, url in (
            ("oauth_issuer", self.oauth_issuer),
            ("oauth_resource_url", self.oauth_resource_url),
            ("oauth_jwks_url", self.oauth_jwks_url),
        ):
            if url is not None and not _secure_url(url):
                raise ValueError(f"{name} must be an https:// URL (http:// only on loopback), got {url!r}")
        return self

    @model_validator(mode="after")
    def _confirmation_keys(self) -> Settings:
        """Shared keys are checked at start (entropy, file mode), so a weak key never signs."""
        if self.confirmation_keys is not None and self.confirmation_key_file is not None:
            raise ValueError(
                "set either LUSHA_CONFIRMATION_KEYS or LUSHA_CONFIRMATION_KEY_FILE (the shared "
                "confirmation keys), not both"
            )
        if self.confirmation_keys is not None or self.confirmation_key_file is not None:
            from lusha_mcp.keys import configured_ring

            configured_ring(self)  # raises KeyConfigError (a ValueError) saying what to change
        return self

    @model_validator(mode="after")
    def _sandbox_key(self) -> Settings:
        """The sandbox accepts only its own key, so sandbox mode uses it whatever LUSHA_API_KEY holds."""
        if self.sandbox:
            if self.api_key is not None and self.api_key.get_secret_value() != SANDBOX_API_KEY:
                self._ignored_api_key = True
            self.api_key = SecretStr(SANDBOX_API_KEY)
        return self

    @property
    def ignored_api_key(self) -> bool:
        """True when a real key was configured but sandbox mode replaced it with the sandbox key."""
        return self._ignored_api_key

    @property
    def effective_toolsets(self) -> tuple[Toolset, ...]:
        return tuple(dict.fromkeys(self.toolsets))

    def sandbox_db_path(self) -> Path:
        folder = self.sandbox_dataset_dir or self.data_dir / "sandbox"
        return (
            folder / f"dataset-s{self.sandbox_seed}-c{self.sandbox_contacts}-k{self.sandbox_companies}.sqlite"
        )
