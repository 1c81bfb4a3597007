"""Dataset rows shared by every domain: fetching them by id and reading their JSON columns."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any, cast

Row = Mapping[str, Any]
JsonObject = dict[str, Any]


def rows_by_id(conn: sqlite3.Connection, table: str, ids: Sequence[str]) -> dict[str, Row]:
    """Rows of `table` ("contacts" or "companies") keyed by id, for the ids that exist."""
    assert table in {"contacts", "companies"}
    result: dict[str, Row] = {}
    cursor = conn.cursor()
    cursor.row_factory = sqlite3.Row
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in cursor.execute(f"SELECT * FROM {table} WHERE id IN ({marks})", chunk):
            result[row["id"]] = cast(Row, row)
    return result


def rows_in_order(conn: sqlite3.Connection, table: str, ids: Sequence[str]) -> list[Row]:
    found = rows_by_id(conn, table, ids)
    return [found[item] for item in ids if item in found]


def json_list(text: str | None) -> list[Any]:
    """A JSON array column as a list ([] when empty)."""
    return cast(list[Any], json.loads(text)) if text else []


def change_percentage(previous: int, current: int) -> float:
    """(current - previous) / previous in percent, to one decimal, as Lusha shows changes."""
    return round((current - previous) / previous * 100, 1)
