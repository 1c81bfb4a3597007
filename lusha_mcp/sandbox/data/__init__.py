"""Data files of the sandbox (vocabularies, name pools), shipped inside the package.

`load(name)` reads `<name>.json` from this folder; the typed views live in the modules that use
them (`lusha_mcp.sandbox.catalog` for vocabularies and names).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, cast


@cache
def load(name: str) -> dict[str, Any]:
    """The parsed `<name>.json` of this folder (read once per process)."""
    text = resources.files(__name__).joinpath(f"{name}.json").read_text(encoding="utf-8")
    return cast(dict[str, Any], json.loads(text))
