"""Token counts with a real tokenizer (tiktoken o200k_base), loaded offline from ../shared/tokenizer."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENCODING = "o200k_base"
SHARED_CACHE = Path(__file__).resolve().parents[2] / "shared" / "tokenizer" / "tiktoken-cache"


@dataclass(frozen=True, slots=True)
class TokenCounter:
    """Counts tokens of text or of JSON as it travels (compact, UTF-8, key order kept)."""

    encoding_name: str
    source: str
    _encode: Any

    def count(self, text: str) -> int:
        return len(self._encode(text))

    def count_json(self, value: Any) -> int:
        return self.count(compact_json(value))


def compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def load_token_counter() -> tuple[TokenCounter | None, str]:
    """The o200k_base counter, or None with the reason it could not be loaded (never an estimate)."""
    try:
        import tiktoken
    except ImportError:
        return None, "tokenizer unavailable: tiktoken is not installed (pip install -e '.[test]')"
    if SHARED_CACHE.is_dir() and "TIKTOKEN_CACHE_DIR" not in os.environ:
        os.environ["TIKTOKEN_CACHE_DIR"] = str(SHARED_CACHE)
    source = os.environ.get("TIKTOKEN_CACHE_DIR") or "tiktoken download"
    try:
        encoding = tiktoken.get_encoding(ENCODING)
    except Exception as exc:
        return None, (
            f"tokenizer unavailable: {ENCODING} could not be loaded from {source} "
            f"({type(exc).__name__}: {exc}); no offline vocabulary and no network"
        )
    return TokenCounter(ENCODING, source, encoding.encode_ordinary), f"{ENCODING} from {source}"
