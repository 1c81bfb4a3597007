"""`lusha-mcp doctor`: checks the installation, the settings and the account, and says what to fix.

Each check is one `@doctor_check` coroutine `(report, settings, out)`, run in the order defined;
adding a check is writing one.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal, TextIO

from lusha_mcp import __version__
from lusha_mcp.api.client import LushaClient
from lusha_mcp.api.errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    LushaError,
    PermissionDeniedError,
)
from lusha_mcp.guard import ledger_report
from lusha_mcp.settings import KEYS_PAGE, SANDBOX_API_KEY, Settings
from lusha_mcp.storage.base import LedgerGroup

Status = Literal["ok", "warn", "fail"]
MARKS: dict[Status, str] = {"ok": "[ok]  ", "warn": "[warn]", "fail": "[FAIL]"}


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str | None = None


@dataclass
class DoctorReport:
    checks: list[Check] = field(default_factory=list[Check])
    key_problem: bool = False
    settings_ok: bool = True
    """False once the settings check failed: checks that need a working key skip."""

    def add(self, name: str, status: Status, detail: str, fix: str | None = None) -> None:
        self.checks.append(Check(name, status, detail, fix))

    @property
    def failed(self) -> bool:
        return any(check.status == "fail" for check in self.checks)

    def print(self, out: TextIO) -> None:
        for check in self.checks:
            print(f"{MARKS[check.status]} {check.name}: {check.detail}", file=out)
            if check.fix:
                print(f"       fix: {check.fix}", file=out)
        fixes = [check for check in self.checks if check.status == "fail"]
        print(file=out)
        if fixes:
            print(f"{len(fixes)} problem(s) to fix (see `fix:` above).", file=out)
        else:
            print("All checks passed.", file=out)


DoctorCheck = Callable[[DoctorReport, Settings, TextIO], Awaitable[None]]
CHECKS: list[DoctorCheck] = []
"""Every check, in the order they run and print."""


def doctor_check(check: DoctorCheck) -> DoctorCheck:
    """Register a check (run after those defined before it)."""
    CHECKS.append(check)
    return check


@doctor_check
async def _check_install(report: DoctorReport, settings: Settings, out: TextIO) -> None:
    version = sys.version.split()[0]
    report.add("python", "ok", f"{version} ({sys.executable})")
    if __version__.startswith("0.0.0"):
        report.add(
            "lusha-mcp", "warn", "running from a source tree that is not installed", "pip install -e ."
        )
    else:
        report.add("lusha-mcp", "ok", __version__)


@doctor_check
async def _check_settings(report: DoctorReport, settings: Settings, out: TextIO) -> None:
    if settings.sandbox:
        report.add("mode", "ok", "embedded offline sandbox (no key needed, no network)")
    else:
        report.add("mode", "ok", f"Lusha API at {settings.base_url}")
    if settings.api_key is None:
        report.key_problem = True
        report.add(
            "api key",
            "fail",
            "not set",
            f"get a key at {KEYS_PAGE} and set LUSHA_API_KEY, or use --sandbox (no key needed)",
        )
        report.settings_ok = False
        return
    if settings.sandbox and settings.ignored_api_key:
        report.add(
            "api key",
            "ok",
            "the sandbox key (lusha-sandbox); LUSHA_API_KEY is set but not used in sandbox mode",
        )
    elif settings.sandbox or settings.api_key.get_secret_value() == SANDBOX_API_KEY:
        report.add("api key", "ok", "the sandbox key (lusha-sandbox)")
    else:
        report.add("api key", "ok", "set (not shown)")
    guards: list[str] = []
    if settings.no_spend:
        guards.append("no-spend mode")
    if settings.max_credits_per_call is not None:
        guards.append(f"per-call cap {settings.max_credits_per_call}")
    if settings.session_budget is not None:
        guards.append(f"session budget {settings.session_budget}")
    if settings.daily_budget is not None:
        guards.append(f"daily budget {settings.daily_budget}")
    guards.append(f"confirm above {settings.confirm_above} credits")
    if settings.auto_approve:
        guards.append("auto-approve ON (no confirmations)")
    report.add("credit guard", "ok", ", ".join(guards))
    report.add("toolsets", "ok", ", ".join(toolset.value for toolset in settings.effective_toolsets))


@doctor_check
async def _check_account(report: DoctorReport, settings: Settings, out: TextIO) -> None:
    if not report.settings_ok:
        return
    where = "the sandbox" if settings.sandbox else settings.base_url
    if settings.sandbox and not settings.sandbox_db_path().exists():
        print(
            "(first run: generating the sandbox dataset in "
            f"{settings.sandbox_db_path().parent}; this takes about 10-30 s, once)",
            file=out,
            flush=True,
        )
    try:
        async with LushaClient.from_settings(settings.model_copy(update={"max_retries": 0})) as client:
            usage = await client.account.usage()
            limits = client.rate_limits
    except AuthenticationError:
        report.key_problem = True
        report.add(
            "api key",
            "fail",
            "Lusha refused the key (401)",
            f"copy an active key from {KEYS_PAGE} into LUSHA_API_KEY",
        )
        return
    except PermissionDeniedError as exc:
        report.add("account", "fail", exc.message, "ask your Lusha admin to enable API V3 for this key")
        return
    except (APIConnectionError, APITimeoutError):
        report.add(
            "reachability",
            "fail",
            f"cannot reach {where}",
            "check the network, proxy and LUSHA_BASE_URL (default https://api.lusha.com); "
            "`lusha-mcp doctor --sandbox` checks everything else offline",
        )
        return
    except LushaError as exc:
        report.add("reachability", "fail", exc.message)
        return
    report.add("reachability", "ok", f"{where} answered (request id {usage.request_id or '-'})")
    credits = usage.credits
    remaining = credits.remaining
    detail = f"{_num(remaining)} credits left of {_num(credits.total)} (used {_num(credits.used)})"
    if usage.plan is not None and usage.plan.category:
        detail += f", plan {usage.plan.category}"
    report.add("credits", "warn" if remaining is not None and remaining <= 0 else "ok", detail)
    windows: list[str] = []
    if usage.rate_limits is not None:
        for name in ("daily", "hourly", "minute"):
            window = getattr(usage.rate_limits, name)
            if window is not None and window.limit is not None:
                windows.append(f"{name} {_num(window.remaining)}/{_num(window.limit)} left")
    elif limits.daily is not None:
        windows.append(f"daily {limits.daily.remaining}/{limits.daily.limit} left")
    report.add("rate limits", "ok", ", ".join(windows) or "not reported")
    report.add("pricing", "ok" if usage.pricing else "warn", f"{len(usage.pricing)} priced actions")


def _num(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


@doctor_check
async def _check_data_dir(report: DoctorReport, settings: Settings, out: TextIO) -> None:
    path = settings.data_dir
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".doctor-write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        report.add(
            "data dir",
            "fail",
            f"{path} is not writable ({exc.strerror})",
            "set LUSHA_DATA_DIR to a writable folder",
        )
        return
    report.add("data dir", "ok", str(path))
    if settings.database_url is not None:
        return  # the ledger is in the database: _check_database reports it
    try:
        days = ledger_report(path, "day")
    except Exception as exc:
        report.add("ledger", "fail", f"cannot read the ledger ({type(exc).__name__})", f"check {path}")
        return
    _report_ledger(report, days)


def _report_ledger(report: DoctorReport, days: list[LedgerGroup]) -> None:
    spent = sum(group.charged for group in days)
    report.add(
        "ledger", "ok", f"{sum(group.calls for group in days)} metered calls, {spent} credits recorded"
    )


@doctor_check
async def _check_database(report: DoctorReport, settings: Settings, out: TextIO) -> None:
    """Team mode: the PostgreSQL database answers, its schema is current, and its ledger reads."""
    if settings.database_url is None:
        return
    import anyio

    from lusha_mcp import storage
    from lusha_mcp.redaction import hide_password
    from lusha_mcp.storage.migrate import database_status

    url = settings.database_url.get_secret_value()
    try:
        ok, line = await anyio.to_thread.run_sync(database_status, url)
    except ImportError:
        report.add("database", "fail", "LUSHA_DATABASE_URL is set but the team extra is not installed",
                   storage.TEAM_EXTRA_MISSING)  # fmt: skip
        return
    if not ok:
        fix = (
            "run `lusha-mcp migrate`"
            if "migrate" in line
            else "check that the database server runs and LUSHA_DATABASE_URL"
        )
        report.add("database", "fail", line, fix)
        return
    report.add("database", "ok", line)
    try:
        days = await anyio.to_thread.run_sync(storage.report, settings, "day")
    except Exception as exc:
        report.add(
            "ledger",
            "fail",
            f"cannot read the ledger in the database ({hide_password(type(exc).__name__, url)})",
        )
        return
    _report_ledger(report, days)


@doctor_check
async def _check_redis(report: DoctorReport, settings: Settings, out: TextIO) -> None:
    """Team mode: Redis (shared pacing of Lusha's rate limits) answers and is new enough."""
    if settings.redis_url is None:
        return
    from lusha_mcp.redaction import hide_password, safe_url

    url = settings.redis_url.get_secret_value()
    shown = safe_url(url)
    local = f"each replica paces at 1/{settings.replicas} of Lusha's limits (LUSHA_REPLICAS) until it answers"
    try:
        from redis.asyncio import Redis
        from redis.exceptions import RedisError
    except ImportError:
        from lusha_mcp.storage import TEAM_EXTRA_MISSING

        report.add(
            "redis", "fail", "LUSHA_REDIS_URL is set but the team extra is not installed", TEAM_EXTRA_MISSING
        )
        return
    client = Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3)
    try:
        info = await client.info("server")
    except (RedisError, OSError) as exc:
        report.add(
            "redis", "fail", f"{shown} is unreachable ({hide_password(type(exc).__name__, url)}): {local}",
            "check that Redis runs and LUSHA_REDIS_URL",
        )  # fmt: skip
        return
    finally:
        await client.aclose()
    version = str(info.get("redis_version", "?"))
    major = version.partition(".")[0]
    if major.isdigit() and int(major) < 5:
        report.add(
            "redis", "fail", f"{shown} runs Redis {version}; shared pacing needs 5 or newer", "upgrade Redis"
        )
        return
    report.add(
        "redis", "ok", f"{shown} reachable (Redis {version}); pacing shared by {settings.replicas} replica(s)"
    )


@doctor_check
async def _check_confirmation_keys(report: DoctorReport, settings: Settings, out: TextIO) -> None:
    """Which keys sign and verify confirmation tokens (and the SDK's requestState): fingerprints only."""
    from lusha_mcp.guard.confirm import SECRET_FILE
    from lusha_mcp.keys import KeyConfigError, configured_ring, key_ring

    try:
        ring = configured_ring(settings)
        if ring is None and (settings.data_dir / SECRET_FILE).exists():
            ring = key_ring(settings)
    except (KeyConfigError, RuntimeError, OSError) as exc:
        report.add("confirmation keys", "fail", str(exc))
        return
    if ring is None:
        report.add("confirmation keys", "ok", "a per-install secret, created in the data dir on first use")
    else:
        keys = [
            f"{key.fingerprint} signs" if key is ring.signing else f"{key.fingerprint} verifies"
            for key in ring.keys
        ]
        report.add("confirmation keys", "ok", f"{ring.source}: " + ", ".join(keys))
        if len(ring.keys) > 1:
            report.add(
                "key rotation",
                "ok",
                f"drop a key that only verifies once its last tokens expired "
                f"({settings.confirmation_ttl_seconds} s after the new key started signing)",
            )
    if (ring is None or not ring.shared) and settings.oauth_issuer is not None:
        report.add(
            "confirmation keys",
            "warn",
            "this server's key is its own: behind a load balancer, a token quoted by one replica is refused by another",
            "give every replica the same LUSHA_CONFIRMATION_KEYS or LUSHA_CONFIRMATION_KEY_FILE",
        )


@doctor_check
async def _check_jwks(report: DoctorReport, settings: Settings, out: TextIO) -> None:
    """With sign-in on: the issuer's JWKS answers and holds signing keys."""
    if settings.oauth_issuer is None:
        return
    import anyio
    import jwt

    from lusha_mcp.auth import discover_jwks_url, fetch_json

    url = settings.oauth_jwks_url
    try:
        if url is None:
            url = await anyio.to_thread.run_sync(discover_jwks_url, settings.oauth_issuer)
        document = await anyio.to_thread.run_sync(fetch_json, url)
        keys = jwt.PyJWKSet.from_dict(document).keys
    except (OSError, ValueError) as exc:
        report.add(
            "issuer JWKS",
            "fail",
            f"cannot use the JWKS of {settings.oauth_issuer} ({exc})",
            "check that LUSHA_OAUTH_ISSUER is reachable from here, or set LUSHA_OAUTH_JWKS_URL",
        )
        return
    except jwt.PyJWKSetError as exc:
        report.add(
            "issuer JWKS",
            "fail",
            f"{url} holds no usable signing key ({exc})",
            "check LUSHA_OAUTH_JWKS_URL points at the issuer's key set",
        )
        return
    kids = ", ".join(sorted(str(key.key_id) for key in keys if key.key_id)) or "no key ids"
    report.add("issuer JWKS", "ok", f"{url}: {len(keys)} signing key(s) ({kids})")


async def run_doctor(settings: Settings, out: TextIO = sys.stdout) -> DoctorReport:
    report = DoctorReport()
    for check in CHECKS:
        await check(report, settings, out)
    return report
