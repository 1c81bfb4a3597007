"""The `lusha-mcp` command line."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from pydantic import ValidationError

from lusha_mcp import __version__
from lusha_mcp.settings import Settings


def _add_serve(commands: Any) -> None:
    serve: argparse.ArgumentParser = commands.add_parser(
        "serve",
        help="Run the MCP server over stdio (the default command).",
        description="Run the MCP server.",
    )
    serve.add_argument(
        "--sandbox", action="store_true", default=None, help="Use the embedded offline sandbox."
    )
    serve.add_argument("--no-spend", action="store_true", default=None, help="Only free tools run.")
    serve.add_argument("--toolsets", help="Comma-separated toolsets (core,signals,...).")
    serve.add_argument("--max-credits-per-call", type=int, help="Cap on one call's quote.")
    serve.add_argument("--session-budget", type=int, help="Credits this server session may spend.")
    serve.add_argument("--daily-budget", type=int, help="Credits per UTC day, across restarts.")
    serve.add_argument("--confirm-above", type=int, help="Confirm non-reveal calls quoted above this.")
    serve.add_argument(
        "--auto-approve", action="store_true", default=None, help="Skip confirmation (never budgets)."
    )
    serve.add_argument("--allowed-reveals", help="Comma-separated reveal fields the assistant may ask for.")
    serve.add_argument("--data-dir", help="Where the ledger and caches live.")


_SERVE_FLAGS = (
    "sandbox",
    "no_spend",
    "toolsets",
    "max_credits_per_call",
    "session_budget",
    "daily_budget",
    "confirm_above",
    "auto_approve",
    "allowed_reveals",
    "data_dir",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lusha-mcp",
        description="MCP server for the Lusha API with a credit guard and an offline sandbox.",
    )
    parser.add_argument("--version", action="version", version=f"lusha-mcp {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_serve(commands)
    return parser


def settings_from_flags(args: argparse.Namespace) -> Settings:
    """Flags override the environment, which overrides defaults."""
    overrides = {name: getattr(args, name) for name in _SERVE_FLAGS if getattr(args, name, None) is not None}
    return Settings(**overrides)


def serve(args: argparse.Namespace) -> int:
    try:
        settings = settings_from_flags(args)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        print(f"lusha-mcp: invalid settings: {problems}", file=sys.stderr)
        return 2
    logging.basicConfig(
        stream=sys.stderr, level=settings.log_level, format="%(levelname)s %(name)s: %(message)s"
    )
    if settings.api_key is None:
        print("lusha-mcp: set LUSHA_API_KEY, or run with --sandbox for the offline sandbox.", file=sys.stderr)
        return 2
    from lusha_mcp.server import build_server

    build_server(settings).run("stdio")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(["serve"] if argv is None and len(sys.argv) == 1 else argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    if args.command == "serve":
        return serve(args)
    return 0
