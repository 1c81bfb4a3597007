"""What one sandbox instance needs to know, taken from Settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lusha_mcp.settings import SANDBOX_API_KEY, Settings


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """Configuration of one sandbox app (immutable; runtime changes go through /_sandbox)."""

    dataset_path: Path
    account_path: Path
    seed: int = 7
    contacts: int = 50_000
    companies: int = 5_000
    api_key: str = SANDBOX_API_KEY
    initial_credits: int = 10_000
    enforce_rate_limits: bool = True
    requests_per_second: int = 25
    account_usage_per_minute: int = 5
    webhooks_per_minute: int = 100
    daily_quota: int = 100_000
    hourly_quota: int = 30_000
    minute_quota: int = 1_500
    latency_ms: int = 0
    fault_rate: float = 0.0
    webhook_backoff_s: float = 1.0
    """Base of the webhook retry backoff: retries wait 1, 2, 4 x this many seconds."""
    table_row_seconds: float = 0.2
    """How long a table column run takes per row (rows finish one after another)."""
    hang_seconds: float = 61.0
    """How long a `timeout` fault hangs: longer than the client's read timeout."""

    @classmethod
    def from_settings(cls, settings: Settings) -> SandboxConfig:
        return cls(
            dataset_path=settings.sandbox_db_path(),
            account_path=settings.data_dir / "sandbox" / "account.sqlite",
            seed=settings.sandbox_seed,
            contacts=settings.sandbox_contacts,
            companies=settings.sandbox_companies,
            initial_credits=settings.sandbox_credits,
            enforce_rate_limits=settings.sandbox_rate_limits,
            daily_quota=settings.sandbox_daily_quota,
            hourly_quota=settings.sandbox_hourly_quota,
            minute_quota=settings.sandbox_minute_quota,
            latency_ms=settings.sandbox_latency_ms,
            fault_rate=settings.sandbox_fault_rate,
            webhook_backoff_s=settings.sandbox_webhook_backoff_s,
            table_row_seconds=settings.sandbox_table_row_seconds,
            hang_seconds=settings.timeout * 1.5 + 0.05,
        )
