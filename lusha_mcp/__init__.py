"""lusha-mcp: the Lusha B2B data API as typed MCP tools, behind a credit guard."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lusha-mcp")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
