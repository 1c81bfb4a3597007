"""`lusha-mcp doctor`: checks the installation, the settings and the account, and says what to fix."""

from __future__ import annotations

import sys
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


def _check_install(report: DoctorReport) -> None:
    version = sys.version.split()[0]
    report.add("python", "ok", f"{version} ({sys.executable})")
    if __version__.startswith("0.0.0"):
        report.add(
            "lusha-mcp", "warn", "running from a source tree that is not installed", "pip install -e ."
        )
    else:
        report.add("lusha-mcp", "ok", __version__)


def _check_settings(report: DoctorReport, settings: Settings) -> bool:
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
        return False
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
    return True


async def _check_account(report: DoctorReport, settings: Settings, out: TextIO) -> None:
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


def _check_data_dir(report: DoctorReport, settings: Settings) -> None:
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
    try:
        days = ledger_report(path, "day")
    except Exception as exc:
        report.add("ledger", "fail", f"cannot read the ledger ({type(exc).__name__})", f"check {path}")
        return
    spent = sum(group.charged for group in days)
    report.add(
        "ledger", "ok", f"{sum(group.calls for group in days)} metered calls, {spent} credits recorded"
    )


async def run_doctor(settings: Settings, out: TextIO = sys.stdout) -> DoctorReport:
    report = DoctorReport()
    _check_install(report)
    if _check_settings(report, settings):
        await _check_account(report, settings, out)
    _check_data_dir(report, settings)
    return report
