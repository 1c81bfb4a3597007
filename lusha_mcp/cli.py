"""The `lusha-mcp` command line."""

from __future__ import annotations

import argparse
import sys

from lusha_mcp import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lusha-mcp",
        description="MCP server for the Lusha API with a credit guard and an offline sandbox.",
    )
    parser.add_argument("--version", action="version", version=f"lusha-mcp {__version__}")
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    return 0
