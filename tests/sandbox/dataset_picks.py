"""Picking records of the generated sandbox dataset for the core tests (read-only)."""

from __future__ import annotations

import sqlite3
from typing import Any

import httpx

from lusha_mcp.settings import Settings


def rows(settings: Settings, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    """Rows of a query over the dataset file the sandbox serves."""
    conn = sqlite3.connect(f"file:{settings.sandbox_db_path()}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return list(conn.execute(sql, params))
    finally:
        conn.close()


def one(settings: Settings, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row:
    found = rows(settings, sql, params)
    assert found, f"the dataset has no row for: {sql}"
    return found[0]


async def credits_charged(http: httpx.AsyncClient) -> int:
    response = await http.get("/_sandbox/charges")
    assert response.status_code == 200
    return int(response.json()["totalCreditsCharged"])


async def remaining_credits(http: httpx.AsyncClient) -> int:
    response = await http.get("/_sandbox/charges")
    return int(response.json()["creditsRemaining"])
