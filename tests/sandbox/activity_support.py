"""Shared by the activity endpoint tests: picking inputs from the dataset, reading the charge log."""

from __future__ import annotations

import sqlite3
from collections.abc import Generator
from contextlib import contextmanager
from typing import Any, cast

import httpx

from lusha_mcp.settings import Settings

JsonObject = dict[str, Any]


@contextmanager
def dataset(settings: Settings) -> Generator[sqlite3.Connection]:
    """A read-only connection to the generated dataset, for choosing test inputs."""
    conn = sqlite3.connect(f"file:{settings.sandbox_db_path()}?mode=ro", uri=True)
    try:
        yield conn
    finally:
        conn.close()


async def charges(http: httpx.AsyncClient) -> JsonObject:
    response = await http.get("/_sandbox/charges")
    assert response.status_code == 200, response.text
    return cast(JsonObject, response.json())
