"""The `lusha-mcp` command line.

Exit codes: 0 ok, 1 failure (a check or the run failed), 2 usage error (bad flags),
3 configuration error (missing or invalid key, invalid settings, unsafe HTTP binding),
130 interrupted.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import anyio
from pydantic import ValidationError

from lusha_mcp import __version__
from lusha_mcp.redaction import install_log_redaction
from lusha_mcp.settings import KEYS_PAGE, Settings

if TYPE_CHECKING:
    from lusha_mcp.tools.framework import LushaServer

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_INTERRUPTED = 130

MISSING_KEY = (
    "lusha-mcp: no Lusha API key. Get one at "
    f"{KEYS_PAGE} and set LUSHA_API_KEY, or add --sandbox to run against the offline sandbox "
    "(no key needed)."
)

EXIT_CODES_HELP = """\
exit codes:
  0  ok
  1  failure (a check failed, the API could not be reached, a run failed)
  2  usage error (unknown command or bad flag)
  3  configuration error (missing or invalid API key, invalid settings, unsafe HTTP binding)
  130 interrupted

Settings: flags override LUSHA_* environment variables, which override defaults.
"""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    pass


def _settings_flags(parser: argparse.ArgumentParser, *, guard: bool) -> None:
    parser.add_argument(
        "--sandbox",
        action="store_true",
        default=None,
        help="Use the embedded offline sandbox (key lusha-sandbox, no network). Env: LUSHA_SANDBOX.",
    )
    parser.add_argument("--data-dir", help="Where the ledger and caches live. Env: LUSHA_DATA_DIR.")
    parser.add_argument("--base-url", help="Lusha API base URL. Env: LUSHA_BASE_URL.")
    parser.add_argument(
        "--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="Env: LUSHA_LOG_LEVEL."
    )
    if not guard:
        return
    parser.add_argument(
        "--no-spend",
        action="store_true",
        default=None,
        help="Only free tools run; metered tools are hidden. Env: LUSHA_NO_SPEND.",
    )
    parser.add_argument(
        "--toolsets",
        help="Comma-separated toolsets: core,signals,lookalikes,decision_makers,website_visits,webhooks. "
        "Env: LUSHA_TOOLSETS.",
    )
    parser.add_argument(
        "--max-credits-per-call", type=int, help="Cap on one call's quote. Env: LUSHA_MAX_CREDITS_PER_CALL."
    )
    parser.add_argument(
        "--session-budget", type=int, help="Credits this server session may spend. Env: LUSHA_SESSION_BUDGET."
    )
    parser.add_argument(
        "--daily-budget", type=int, help="Credits per UTC day, across restarts. Env: LUSHA_DAILY_BUDGET."
    )
    parser.add_argument(
        "--confirm-above",
        type=int,
        help="Confirm non-reveal calls quoted above this many credits. Env: LUSHA_CONFIRM_ABOVE.",
    )
    parser.add_argument(
        "--auto-approve",
        action="store_true",
        default=None,
        help="Skip confirmation for unattended runs (budgets still apply). Env: LUSHA_AUTO_APPROVE.",
    )
    parser.add_argument(
        "--allowed-reveals",
        help="Comma-separated reveal fields the assistant may ask for (emails,phones). "
        "Env: LUSHA_ALLOWED_REVEALS.",
    )


_FLAG_SETTINGS = {
    "sandbox": "sandbox",
    "data_dir": "data_dir",
    "base_url": "base_url",
    "log_level": "log_level",
    "no_spend": "no_spend",
    "toolsets": "toolsets",
    "max_credits_per_call": "max_credits_per_call",
    "session_budget": "session_budget",
    "daily_budget": "daily_budget",
    "confirm_above": "confirm_above",
    "auto_approve": "auto_approve",
    "allowed_reveals": "allowed_reveals",
    "transport": "transport",
    "host": "http_host",
    "port": "http_port",
    "seed": "sandbox_seed",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lusha-mcp",
        description="MCP server for the Lusha B2B data API, with a credit guard and an offline sandbox.\n"
        "Run without a command to serve over stdio.",
        epilog=EXIT_CODES_HELP,
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"lusha-mcp {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, summary: str, description: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name, help=summary, description=description, epilog=EXIT_CODES_HELP, formatter_class=_Formatter
        )

    serve = command(
        "serve",
        "Run the MCP server (stdio by default; the default command).",
        "Run the MCP server. Over stdio for Claude Desktop and other local clients, or over streamable\n"
        "HTTP at http://HOST:PORT/mcp with --transport http (127.0.0.1 by default; any other address\n"
        "needs LUSHA_HTTP_TOKEN, sent by clients as `Authorization: Bearer <token>`).",
    )
    serve.add_argument(
        "--transport",
        choices=list(get_args(Settings.model_fields["transport"].annotation)),
        help="Env: LUSHA_TRANSPORT.",
    )
    serve.add_argument("--host", help="HTTP bind address (default 127.0.0.1). Env: LUSHA_HTTP_HOST.")
    serve.add_argument("--port", type=int, help="HTTP port (default 8000). Env: LUSHA_HTTP_PORT.")
    _settings_flags(serve, guard=True)

    sandbox = command(
        "sandbox",
        "Run the offline Lusha API emulator on its own (127.0.0.1).",
        "Serve the sandbox (an emulator of the Lusha V3 API) on 127.0.0.1:PORT. Point any Lusha client\n"
        "at it with the key `lusha-sandbox`.",
    )
    sandbox.add_argument("--port", type=int, default=8765, help="Port (default 8765).")
    sandbox.add_argument("--seed", type=int, help="Seed of the generated dataset. Env: LUSHA_SANDBOX_SEED.")
    sandbox.add_argument("--data-dir", help="Where the dataset and account state live. Env: LUSHA_DATA_DIR.")
    sandbox.add_argument(
        "--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="Env: LUSHA_LOG_LEVEL."
    )

    demo = command(
        "demo",
        "A go-to-market research run on the sandbox, printed as a transcript.",
        "Prospect, check signals, find decision makers, quote, confirm and reveal on the offline\n"
        "sandbox through a real MCP client session. Needs no key and never touches your ledger.",
    )
    demo.add_argument("--data-dir", help="Where the cached demo dataset is kept. Env: LUSHA_DATA_DIR.")

    doctor = command(
        "doctor",
        "Check the installation, settings, key, API reachability, usage and data dir.",
        "Check Python, the installed version, the settings, the key (never printed), reachability of\n"
        "the API (or the sandbox), the account's credits and rate limits, the data dir and the ledger;\n"
        "print what to fix. Exit 1 when a check fails, 3 when the key is missing or refused.",
    )
    _settings_flags(doctor, guard=True)

    ledger = command(
        "ledger",
        "Report credits spent, by day, tool and session (and user and team).",
        "Report what the credit guard recorded: calls, credits quoted and charged, grouped by day,\n"
        "tool and session; --by user or --by team groups the calls of signed-in users. Reads the\n"
        "data dir's ledger, or the database of LUSHA_DATABASE_URL when set.",
    )
    ledger.add_argument(
        "--by", choices=["day", "tool", "session", "user", "team"], help="Only this grouping."
    )
    ledger.add_argument("--json", action="store_true", help="Machine-readable output.")
    ledger.add_argument("--data-dir", help="Env: LUSHA_DATA_DIR.")

    purge = command(
        "purge",
        "Delete cached revealed data (everything, or one contact, email or domain).",
        "Delete revealed contacts and companies kept in the local cache (for privacy requests).\n"
        "Without a selector, everything cached is deleted. The ledger holds no personal data\n"
        "(argument hashes only) and is kept.",
    )
    purge.add_argument("--contact-id", help="A Lusha contact id.")
    purge.add_argument("--email", help="Every cached contact with this email.")
    purge.add_argument("--domain", help="Every cached company and contact of this domain.")
    purge.add_argument("--json", action="store_true", help="Machine-readable output.")
    purge.add_argument("--data-dir", help="Env: LUSHA_DATA_DIR.")

    migrate = command(
        "migrate",
        "Create or update the PostgreSQL schema (team mode, LUSHA_DATABASE_URL).",
        "Apply the schema migrations the database of LUSHA_DATABASE_URL lacks (yoyo-migrations, plain\n"
        "SQL shipped with lusha-mcp) and print what was applied. Safe to run again, and from several\n"
        "hosts at once (a lock serialises them). Servers refuse to start until it has run.",
    )
    migrate.add_argument("--json", action="store_true", help="Machine-readable output.")

    budgets = command(
        "budgets",
        "Show, set or clear daily budgets per user, team or the account (in the ledger's database).",
        "Daily credit budgets stored with the ledger (the data dir, or LUSHA_DATABASE_URL's database),\n"
        "over the defaults LUSHA_USER_DAILY_BUDGET, LUSHA_TEAM_DAILY_BUDGET and LUSHA_DAILY_BUDGET.\n"
        "A user is their sign-in issuer and subject; a team a value of the LUSHA_OAUTH_TEAM_CLAIM claim.\n"
        "  lusha-mcp budgets set --team sales --daily 500\n"
        "  lusha-mcp budgets set --user https://idp.example.com alice --daily 100\n"
        "  lusha-mcp budgets show\n"
        "  lusha-mcp budgets clear --team sales",
    )
    budgets.add_argument("action", choices=["show", "set", "clear"])
    whose = budgets.add_mutually_exclusive_group()
    whose.add_argument("--user", nargs=2, metavar=("ISSUER", "SUBJECT"), help="One signed-in user.")
    whose.add_argument("--team", metavar="NAME", help="One team.")
    whose.add_argument("--account", action="store_true", help="The whole account.")
    budgets.add_argument("--daily", type=int, help="Credits per UTC day (with set).")
    budgets.add_argument("--json", action="store_true", help="Machine-readable output (with show).")
    budgets.add_argument("--data-dir", help="Env: LUSHA_DATA_DIR.")

    docs = command(
        "docs",
        "Render the tool and settings tables into README.md.",
        "Render the tool catalogue and the settings table between the markers in README.md.",
    )
    docs.add_argument("--readme", default="README.md", help="The file to update (default README.md).")
    docs.add_argument("--check", action="store_true", help="Exit 1 if the file is stale; change nothing.")
    return parser


class ConfigError(Exception):
    """Settings that cannot work; the message says what to set."""


def settings_from_flags(args: argparse.Namespace, **extra: Any) -> Settings:
    """Flags override the environment, which overrides defaults."""
    overrides: dict[str, Any] = {}
    for flag, name in _FLAG_SETTINGS.items():
        value = getattr(args, flag, None)
        if value is not None:
            overrides[name] = value
    overrides.update(extra)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            # A check across settings (no field named) says itself which settings it is about.
            (f"{'.'.join(str(part) for part in error['loc'])}: " if error["loc"] else "")
            + error["msg"].removeprefix("Value error, ")
            for error in exc.errors(include_url=False)
        )
        raise ConfigError(f"invalid settings: {problems}") from None


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        stream=sys.stderr, level=settings.log_level, format="%(levelname)s %(name)s: %(message)s"
    )
    # stderr shows LUSHA_LOG_LEVEL and above even when a client asks for more (logging/setLevel).
    for handler in logging.getLogger().handlers:
        handler.setLevel(settings.log_level)


def _innermost(exc: BaseException) -> BaseException:
    """The first leaf of an exception group (the SDK's task groups wrap the error that matters)."""
    current = exc
    leaves: tuple[BaseException, ...] = getattr(current, "exceptions", ())
    while leaves:
        current = leaves[0]
        leaves = getattr(current, "exceptions", ())
    return current


def _existing_data_dir(settings: Settings, command: str) -> bool:
    """ledger/purge read a data dir the server wrote; a missing one is reported, never created."""
    if settings.data_dir.is_dir():
        return True
    print(
        f"lusha-mcp {command}: no data dir at {settings.data_dir} (nothing was recorded there). "
        "Pass the server's --data-dir or set LUSHA_DATA_DIR to it.",
        file=sys.stderr,
    )
    return False


def _build_server_quickly(settings: Settings) -> LushaServer:
    """build_server with the cyclic GC paused: start-up creates mostly long-lived objects (models,
    schemas), so collecting meanwhile is wasted work; they are then frozen out of later collections."""
    # httpx imports its own command-line client (click, rich, pygments) at `import httpx`; the server
    # never runs it, so it is skipped (about 40 ms and 4 MB of start-up): None in sys.modules makes
    # that import fail, and httpx then defines a stub in its place.
    sys.modules.setdefault("httpx._main", None)  # pyright: ignore[reportArgumentType]
    gc.disable()
    try:
        from lusha_mcp.server import build_server

        return build_server(settings)
    finally:
        gc.freeze()
        gc.enable()


def serve(args: argparse.Namespace) -> int:
    settings = settings_from_flags(args)
    _configure_logging(settings)
    if settings.api_key is None:
        print(MISSING_KEY, file=sys.stderr)
        return EXIT_CONFIG
    if settings.database_url is not None:
        from lusha_mcp.storage.migrate import schema_problem

        try:
            problem = schema_problem(settings.database_url.get_secret_value())
        except ImportError:
            from lusha_mcp.storage import TEAM_EXTRA_MISSING

            problem = TEAM_EXTRA_MISSING
        if problem is not None:
            print(f"lusha-mcp: {problem}", file=sys.stderr)
            return EXIT_CONFIG
    server = _build_server_quickly(settings)
    if settings.transport == "http":
        from lusha_mcp.http import MCP_PATH, HTTPConfigError, check_binding, serve_http

        try:
            check_binding(settings)
        except HTTPConfigError as exc:
            print(f"lusha-mcp: {exc}", file=sys.stderr)
            return EXIT_CONFIG
        print(
            f"lusha-mcp: serving MCP over streamable HTTP at "
            f"http://{settings.http_host}:{settings.http_port}{MCP_PATH}",
            file=sys.stderr,
            flush=True,
        )
        serve_http(server, settings)
        return EXIT_OK
    try:
        server.run("stdio")
    except BaseExceptionGroup as group:  # a failure inside the SDK's task groups: one line, not a traceback
        cause = _innermost(group)
        if isinstance(cause, KeyboardInterrupt):
            return EXIT_INTERRUPTED
        logging.getLogger(__name__).debug("the server stopped", exc_info=group)
        print(f"lusha-mcp: the server stopped: {type(cause).__name__}: {cause}", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


def sandbox(args: argparse.Namespace) -> int:
    settings = settings_from_flags(args, sandbox=True)
    _configure_logging(settings)
    from lusha_mcp.sandbox import serve_sandbox

    print(
        f"lusha-mcp: sandbox at http://127.0.0.1:{args.port} (header `api_key: lusha-sandbox`); "
        f"data in {settings.data_dir}",
        file=sys.stderr,
        flush=True,
    )
    serve_sandbox(settings, host="127.0.0.1", port=args.port)
    return EXIT_OK


def demo(args: argparse.Namespace) -> int:
    settings = settings_from_flags(args)
    from lusha_mcp.demo import DemoStepError, run_demo

    try:
        anyio.run(run_demo, settings, sys.stdout)
    except DemoStepError as exc:
        print(f"lusha-mcp demo: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


def doctor(args: argparse.Namespace) -> int:
    settings = settings_from_flags(args)
    from lusha_mcp.doctor import run_doctor

    print(f"lusha-mcp doctor {__version__}")
    report = anyio.run(run_doctor, settings)
    report.print(sys.stdout)
    if report.key_problem:
        return EXIT_CONFIG
    return EXIT_FAILURE if report.failed else EXIT_OK


def ledger(args: argparse.Namespace) -> int:
    settings = settings_from_flags(args)
    if settings.database_url is None and not _existing_data_dir(settings, "ledger"):
        return EXIT_FAILURE
    from lusha_mcp.guard import LedgerUnavailable
    from lusha_mcp.storage import report as ledger_report

    groupings: list[Any] = [args.by] if args.by else ["day", "tool", "session"]
    try:
        report = {by: [group.model_dump() for group in ledger_report(settings, by)] for by in groupings}
    except LedgerUnavailable as exc:
        print(f"lusha-mcp ledger: {exc.message}", file=sys.stderr)
        return EXIT_FAILURE
    where = _ledger_place(settings)
    if args.json:
        place = {"database": where} if settings.database_url is not None else {}
        print(json.dumps({"data_dir": str(settings.data_dir), **place, **report}, indent=2))
        return EXIT_OK
    print(f"Ledger in {where}")
    for by, rows in report.items():
        print(f"\nBy {by}:")
        if not rows:
            print("  (no metered calls recorded)")
            continue
        width = max(len(by), *(len(str(row["key"])) for row in rows))
        print(f"  {by:<{width}}  calls  quoted  charged  over-quote  charge unknown (quoted)")
        for row in rows:
            unknown = f"{row['unknown']} ({row['unknown_quoted']})" if row["unknown"] else "0"
            print(
                f"  {row['key']:<{width}}  {row['calls']:>5}  {row['quoted']:>6}  {row['charged']:>7}"
                f"  {row['over_quote']:>10}  {unknown:>23}"
            )
    totals = report[groupings[0]]
    unknown_calls = sum(row["unknown"] for row in totals)
    if unknown_calls:
        print(
            f"\n{unknown_calls} call{'s' if unknown_calls > 1 else ''} quoted, charge unknown: up to "
            f"{sum(row['unknown_quoted'] for row in totals)} credits more than 'charged' may have been "
            "spent (the answer was lost, or the server stopped mid-call). They stay counted at their "
            "quote in the budgets; get_account_usage shows what Lusha actually used."
        )
    return EXIT_OK


def purge(args: argparse.Namespace) -> int:
    settings = settings_from_flags(args)
    if settings.database_url is None and not _existing_data_dir(settings, "purge"):
        return EXIT_FAILURE
    from lusha_mcp.guard import LedgerUnavailable
    from lusha_mcp.storage import purge as purge_cache

    try:
        result = purge_cache(settings, contact_id=args.contact_id, email=args.email, domain=args.domain)
    except LedgerUnavailable as exc:
        print(f"lusha-mcp purge: {exc.message}", file=sys.stderr)
        return EXIT_FAILURE
    scope = (
        "everything"
        if args.contact_id is None and args.email is None and args.domain is None
        else ", ".join(
            f"{name}={value}"
            for name, value in (
                ("contact-id", args.contact_id),
                ("email", args.email),
                ("domain", args.domain),
            )
            if value is not None
        )
    )
    if args.json:
        print(json.dumps({"scope": scope, **result.model_dump()}))
    else:
        print(
            f"Purged {scope} from {settings.data_dir}: {result.contacts} contact(s), "
            f"{result.companies} compan{'y' if result.companies == 1 else 'ies'} removed from the cache."
        )
    return EXIT_OK


def docs(args: argparse.Namespace) -> int:
    from lusha_mcp.readme import render_readme

    path = Path(args.readme)
    try:
        current = path.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"lusha-mcp docs: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILURE
    try:
        rendered = render_readme(current)
    except ValueError as exc:  # a marker is missing: the message names it
        print(f"lusha-mcp docs: {path}: {exc}; add the marker pair, then run again.", file=sys.stderr)
        return EXIT_FAILURE
    if args.check:
        if rendered != current:
            print(f"{path} is stale: run `lusha-mcp docs` to regenerate it.", file=sys.stderr)
            return EXIT_FAILURE
        print(f"{path} is up to date.")
        return EXIT_OK
    if rendered != current:
        path.write_text(rendered, encoding="utf-8")
        print(f"Updated {path}.")
    else:
        print(f"{path} is already up to date.")
    return EXIT_OK


def _ledger_place(settings: Settings) -> str:
    """Where the ledger is, for output: the data dir, or the database URL without its password."""
    if settings.database_url is None:
        return str(settings.data_dir)
    from lusha_mcp.redaction import safe_url

    return safe_url(settings.database_url.get_secret_value())


def migrate(args: argparse.Namespace) -> int:
    settings = settings_from_flags(args)
    if settings.database_url is None:
        raise ConfigError(
            "migrate needs LUSHA_DATABASE_URL=postgresql://user:password@host:port/database (team mode); "
            "without it the ledger is SQLite in the data dir, which needs no migration"
        )
    try:
        from lusha_mcp.redaction import hide_password, safe_url
        from lusha_mcp.storage.migrate import apply_migrations, migration_ids
    except ImportError as exc:  # psycopg / yoyo not installed
        raise ConfigError(
            f"team mode needs the `team` extra: pip install 'lusha-mcp[team]' ({exc})"
        ) from None
    url = settings.database_url.get_secret_value()
    try:
        applied = apply_migrations(url)
    except Exception as exc:  # the driver's and yoyo's errors: one line, never the password
        reason = hide_password(
            str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, url
        )
        print(f"lusha-mcp migrate: could not migrate {safe_url(url)}: {reason}", file=sys.stderr)
        return EXIT_FAILURE
    if args.json:
        print(json.dumps({"database": safe_url(url), "applied": applied, "schema": migration_ids()}))
    elif applied:
        print(f"Applied {len(applied)} migration(s) to {safe_url(url)}: {', '.join(applied)}")
    else:
        print(
            f"{safe_url(url)} is up to date ({len(migration_ids())} migration(s) applied before); nothing to do"
        )
    return EXIT_OK


def budgets(args: argparse.Namespace) -> int:
    settings = settings_from_flags(args)
    if settings.database_url is None and args.action != "set" and not _existing_data_dir(settings, "budgets"):
        return EXIT_FAILURE
    from lusha_mcp.guard import LedgerUnavailable
    from lusha_mcp.storage import ScopeKind, budget_overrides, clear_budget, set_budget, user_key

    kind: ScopeKind | None = (
        "user" if args.user else "team" if args.team else "account" if args.account else None
    )
    key = user_key(*args.user) if args.user else (args.team or "")
    if args.action != "show" and kind is None:
        print(
            "lusha-mcp budgets: say whose budget: --user ISSUER SUBJECT, --team NAME or --account",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.action == "set" and (args.daily is None or args.daily < 0):
        print("lusha-mcp budgets set: --daily N is needed (credits per UTC day, 0 or more)", file=sys.stderr)
        return EXIT_USAGE
    if args.action != "set" and args.daily is not None:
        print(f"lusha-mcp budgets {args.action}: --daily goes with set only", file=sys.stderr)
        return EXIT_USAGE
    if args.team is not None and not args.team.strip():
        print("lusha-mcp budgets: --team needs a team name", file=sys.stderr)
        return EXIT_USAGE
    label = "the account" if kind == "account" else f"{kind} {key}"
    daily: int = args.daily if args.daily is not None else 0
    try:
        if args.action == "set":
            assert kind is not None
            set_budget(settings, kind, key, daily)
            print(f"Daily budget of {label}: {daily} credits (in {_ledger_place(settings)})")
        elif args.action == "clear":
            assert kind is not None
            if clear_budget(settings, kind, key):
                print(f"Daily budget of {label} cleared: the default setting applies again")
            else:
                print(f"No daily budget was set for {label}; the default setting applies")
        else:
            _print_budgets(settings, budget_overrides(settings), as_json=args.json)
    except LedgerUnavailable as exc:
        print(f"lusha-mcp budgets: {exc.message}", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


def _print_budgets(settings: Settings, overrides: list[Any], *, as_json: bool) -> None:
    defaults = {
        "user": settings.user_daily_budget,
        "team": settings.team_daily_budget,
        "account": settings.daily_budget,
        "session": settings.session_budget,
    }
    if as_json:
        print(json.dumps({"defaults": defaults, "overrides": [item.model_dump() for item in overrides]}))
        return
    print(f"Budgets in {_ledger_place(settings)}")
    print("Defaults (settings; unset = unlimited):")
    for name, setting in (
        ("account", "LUSHA_DAILY_BUDGET"),
        ("user", "LUSHA_USER_DAILY_BUDGET"),
        ("team", "LUSHA_TEAM_DAILY_BUDGET"),
        ("session", "LUSHA_SESSION_BUDGET"),
    ):
        value = defaults[name]
        print(f"  {name:<8} {'unlimited' if value is None else f'{value} credits'}  ({setting})")
    print("Set with `lusha-mcp budgets set` (per UTC day):")
    if not overrides:
        print("  (none)")
    for item in overrides:
        print(f"  {'account' if item.kind == 'account' else f'{item.kind} {item.key}'}: {item.daily} credits")


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "serve": serve,
    "sandbox": sandbox,
    "demo": demo,
    "doctor": doctor,
    "ledger": ledger,
    "purge": purge,
    "migrate": migrate,
    "budgets": budgets,
    "docs": docs,
}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    arguments = sys.argv[1:] if argv is None else argv
    if not arguments or (arguments[0].startswith("-") and arguments[0] not in ("-h", "--help", "--version")):
        arguments = ["serve", *arguments]
    args = parser.parse_args(arguments)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    install_log_redaction()  # every command: even warnings printed without a configured handler
    try:
        return COMMANDS[args.command](args)
    except ConfigError as exc:
        print(f"lusha-mcp: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
