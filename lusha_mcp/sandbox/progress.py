"""How far the generation of each sandbox dataset has got in this process (read by the lazy transport)."""

from __future__ import annotations

import threading
from pathlib import Path

_shares: dict[Path, float] = {}
_lock = threading.Lock()


def report(path: Path, share: float) -> None:
    """Generation of the dataset at `path` is `share` (0..1) done; 1 ends the record."""
    with _lock:
        if share >= 1.0:
            _shares.pop(path, None)
        else:
            _shares[path] = max(0.0, share)


def share(path: Path) -> float | None:
    """The share of `path`'s generation done, or None when this process is not generating it."""
    with _lock:
        return _shares.get(path)
