"""State and behaviour of the sandbox's Tables, kept in the account file (so they outlive a restart).

Column runs are asynchronous without a background task: a run charges its rows and stamps each
cell with the time it finishes (`ready_at`, one row every `SandboxConfig.table_row_seconds`);
a cell reads as `processing` until then and as its outcome (`success` / `no_data`) after, so
`isProcessing` and the per-column counts move with the wall clock, across restarts too.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from starlette.requests import Request

from lusha_mcp.sandbox.account import ChargeItem, Reveal
from lusha_mcp.sandbox.errors import LushaHTTPError, bad_request
from lusha_mcp.sandbox.pricing import PRICING, REVEAL_COMPANY
from lusha_mcp.sandbox.rows import rows_by_id
from lusha_mcp.sandbox.state import Charger, SandboxState, billing_json, charger, sandbox_state
from lusha_mcp.sandbox.tables.records import (
    COLUMNS,
    TABLE_ID_BASE,
    USERS,
    ColumnDef,
    Entity,
    JsonObject,
    column_def,
    column_json,
    decode_entity_id,
    default_values,
    entity_token,
    id_shape_ok,
    run_value,
    table_json,
)

MAX_TABLES = 500
MAX_ENTITIES = 50_000


_SCHEMA = """
CREATE TABLE IF NOT EXISTS lt_tables (
    id INTEGER PRIMARY KEY AUTOINCREMENT, entity TEXT NOT NULL, name TEXT NOT NULL,
    visibility TEXT NOT NULL, status TEXT NOT NULL, owner_email TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS lt_rows (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, table_id INTEGER NOT NULL, entity_id TEXT NOT NULL,
    company_id TEXT, UNIQUE (table_id, entity_id)
);
CREATE TABLE IF NOT EXISTS lt_removed_columns (
    table_id INTEGER NOT NULL, column_id TEXT NOT NULL, PRIMARY KEY (table_id, column_id)
);
CREATE TABLE IF NOT EXISTS lt_cells (
    table_id INTEGER NOT NULL, column_id TEXT NOT NULL, entity_id TEXT NOT NULL,
    outcome TEXT NOT NULL, value TEXT, ready_at REAL NOT NULL, paid INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL, PRIMARY KEY (table_id, column_id, entity_id)
);
"""


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def table_not_found() -> LushaHTTPError:
    return LushaHTTPError(
        404, body={"statusCode": 404, "code": 404, "message": "TABLE_NOT_FOUND: Table not found"}
    )


def column_not_found() -> LushaHTTPError:
    return LushaHTTPError(
        404, body={"statusCode": 404, "code": 404, "message": "COLUMN_NOT_FOUND: Column not found"}
    )


@dataclass(slots=True)
class PendingWrite:
    """Rows a prospecting or lookalike call is about to save into a table, and what that costs."""

    backend: TablesBackend
    entity: Entity
    table_id: int
    new: list[tuple[str, str | None]]
    already_present: int
    charges: list[ChargeItem] = field(default_factory=list[ChargeItem])

    def apply(self) -> JsonObject:
        """Save the rows (after the call was charged); the tableWrite part of the answer."""
        self.backend.insert_rows(self.table_id, self.new)
        credits = sum(item.credits for item in self.charges)
        return {
            "tableId": str(self.table_id),
            "added": len(self.new),
            "alreadyPresent": self.already_present,
            "columnsCreated": 0,
            "rowsProcessed": len(self.new) + self.already_present,
            "rowsCharged": len(self.new) if self.charges else 0,
            "rowsAlreadyPaidInTable": self.already_present if self.charges else 0,
            "creditsCharged": credits,
        }


class TablesBackend:
    """Every Tables operation of one sandbox account."""

    def __init__(self, state: SandboxState) -> None:
        self.account = state.account
        self.dataset = state.dataset
        self.row_seconds = state.config.table_row_seconds
        self.db = state.account.db
        with self.account.lock:
            self.db.executescript(_SCHEMA)
            self.db.execute(
                "INSERT INTO sqlite_sequence(name, seq) SELECT 'lt_tables', ? "
                "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'lt_tables')",
                (TABLE_ID_BASE,),
            )

    # --- access ----------------------------------------------------------------------------------

    @staticmethod
    def user(email: object) -> str:
        if not isinstance(email, str) or not email.strip():
            bad_request(
                ["owner.email: is required with an API key; send the email of a user of this account"]
            )
        email = email.strip().lower()
        if email not in USERS:
            bad_request(
                [f"owner.email: {email} is not a user of this account; send one of {', '.join(USERS)}"]
            )
        return email

    def _row(self, entity: Entity, table_id: str) -> sqlite3.Row | None:
        if not table_id.isdigit():
            return None
        cursor = self.db.cursor()
        cursor.row_factory = sqlite3.Row
        found: sqlite3.Row | None = cursor.execute(
            "SELECT * FROM lt_tables WHERE id = ? AND entity = ? AND status != 'deleted'",
            (int(table_id), entity),
        ).fetchone()
        return found

    def table(self, entity: Entity, table_id: str, email: str, *, owner_only: bool = False) -> sqlite3.Row:
        """The table, if `email` may see it (private: its owner only); 403 when only its owner may act."""
        row = self._row(entity, table_id)
        if row is None or (row["visibility"] == "private" and row["owner_email"] != email):
            raise table_not_found()
        if owner_only and row["owner_email"] != email:
            raise LushaHTTPError(
                403, f"Only the table's owner ({row['owner_email']}) may rename, share, archive or delete it"
            )
        return row

    def columns_of(self, entity: Entity, table_id: int) -> list[ColumnDef]:
        removed = {
            str(r[0])
            for r in self.db.execute(
                "SELECT column_id FROM lt_removed_columns WHERE table_id = ?", (table_id,)
            )
        }
        return [c for c in COLUMNS[entity] if c.column_id not in removed]

    def column(self, entity: Entity, table_id: int, column_id: str) -> ColumnDef:
        found = next((c for c in self.columns_of(entity, table_id) if c.column_id == column_id), None)
        if found is None:
            raise column_not_found()
        return found

    # --- tables ----------------------------------------------------------------------------------

    def create(
        self, entity: Entity, name: str, visibility: str, email: str, ids: Sequence[str]
    ) -> JsonObject:
        with self.account.lock:
            taken = self.db.execute(
                "SELECT 1 FROM lt_tables WHERE entity = ? AND lower(name) = lower(?) AND status != 'deleted'",
                (entity, name),
            ).fetchone()
            if taken:
                raise LushaHTTPError(
                    409,
                    body={
                        "statusCode": 409,
                        "code": 409,
                        "message": "TABLE_NAME_CONFLICT: A table with this name already exists",
                    },
                )
            count = self.db.execute("SELECT COUNT(*) FROM lt_tables WHERE status != 'deleted'").fetchone()[0]
            if int(count) >= MAX_TABLES:
                bad_request([f"name: the account already has {MAX_TABLES} tables; delete one first"])
            resolved, _, _ = self.resolve(entity, ids)
            cursor = self.db.execute(
                "INSERT INTO lt_tables(entity, name, visibility, status, owner_email, created_at) "
                "VALUES (?, ?, ?, 'active', ?, ?)",
                (entity, name, visibility, email, _now_iso()),
            )
            table_id = int(cursor.lastrowid or 0)
            self.insert_rows(table_id, [(i, None) for i in resolved])
        return self.status(entity, str(table_id), email)

    def list(
        self, entity: Entity, email: str, page: int, size: int, name: str | None, status: str | None
    ) -> tuple[list[JsonObject], int]:
        cursor = self.db.cursor()
        cursor.row_factory = sqlite3.Row
        sql = (
            "SELECT * FROM lt_tables WHERE entity = ? AND status = ? "
            "AND (owner_email = ? OR visibility = 'shared')"
        )
        params: list[Any] = [entity, status or "active", email]
        if name:
            sql += " AND instr(lower(name), lower(?)) > 0"
            params.append(name)
        rows = list(cursor.execute(sql + " ORDER BY id", params))
        return [table_json(r) for r in rows[page * size : (page + 1) * size]], len(rows)

    def status(self, entity: Entity, table_id: str, email: str) -> JsonObject:
        row = self.table(entity, table_id, email)
        count, columns, processing = self._counts(entity, int(row["id"]))
        return {**table_json(row), "entityCount": count, "isProcessing": processing, "columns": columns}

    def update(self, entity: Entity, table_id: str, email: str, changes: dict[str, Any]) -> JsonObject:
        row = self.table(entity, table_id, email, owner_only=True)
        with self.account.lock:
            if "name" in changes:
                self.db.execute("UPDATE lt_tables SET name = ? WHERE id = ?", (changes["name"], row["id"]))
            if "visibility" in changes:
                self.db.execute(
                    "UPDATE lt_tables SET visibility = ? WHERE id = ?", (changes["visibility"], row["id"])
                )
            if "archived" in changes:
                self.db.execute(
                    "UPDATE lt_tables SET status = ? WHERE id = ?",
                    ("archived" if changes["archived"] else "active", row["id"]),
                )
        return self.status(entity, table_id, email)

    def delete(self, entity: Entity, table_id: str, email: str) -> None:
        row = self.table(entity, table_id, email, owner_only=True)
        with self.account.lock:
            self.db.execute("UPDATE lt_tables SET status = 'deleted' WHERE id = ?", (row["id"],))
            for sql in (
                "DELETE FROM lt_rows WHERE table_id = ?",
                "DELETE FROM lt_cells WHERE table_id = ?",
                "DELETE FROM lt_removed_columns WHERE table_id = ?",
            ):
                self.db.execute(sql, (row["id"],))

    # --- entities --------------------------------------------------------------------------------

    def resolve(self, entity: Entity, values: Sequence[str]) -> tuple[list[str], list[str], dict[str, str]]:
        """(dataset ids in order without repeats, ids that name nothing, dataset id -> the form sent).

        An id that is neither a `v{N}.` token nor numeric is a 400."""
        bad = [v for v in values if not id_shape_ok(v)]
        if bad:
            bad_request(
                [f"entityIds: {v!r} is neither a Lusha v{{N}}. token nor a numeric id" for v in bad[:5]]
            )
        decoded = {v: decode_entity_id(entity, v) for v in values}
        known = rows_by_id(self.dataset, entity, [d for d in decoded.values() if d is not None])
        resolved: list[str] = []
        invalid: list[str] = []
        sent: dict[str, str] = {}
        for value, dataset_id in decoded.items():
            if dataset_id is None or dataset_id not in known:
                invalid.append(value)
            elif dataset_id not in sent:
                sent[dataset_id] = value
                resolved.append(dataset_id)
        return resolved, invalid, sent

    def present(self, table_id: int, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            found |= {
                str(r[0])
                for r in self.db.execute(
                    f"SELECT entity_id FROM lt_rows WHERE table_id = ? AND entity_id IN ({marks})",
                    [table_id, *chunk],
                )
            }
        return found

    def insert_rows(self, table_id: int, rows: Sequence[tuple[str, str | None]]) -> None:
        with self.account.lock:
            self.db.executemany(
                "INSERT OR IGNORE INTO lt_rows(table_id, entity_id, company_id) VALUES (?, ?, ?)",
                [(table_id, entity_id, company) for entity_id, company in rows],
            )

    def _room(self, table_id: int, adding: int) -> None:
        count = int(
            self.db.execute("SELECT COUNT(*) FROM lt_rows WHERE table_id = ?", (table_id,)).fetchone()[0]
        )
        if count + adding > MAX_ENTITIES:
            bad_request([f"entityIds: a table holds at most {MAX_ENTITIES} entities; it has {count}"])

    def add(
        self,
        entity: Entity,
        table_id: str,
        email: str,
        ids: Sequence[str],
        company_ids: Sequence[str] | None,
        charge: Charger,
    ) -> tuple[JsonObject, int, int]:
        """Add entities; companies tables charge reveal_company per newly added company.

        Returns (data, credits, rows added)."""
        row = self.table(entity, table_id, email)
        companies = dict(zip(ids, company_ids, strict=True)) if company_ids and entity == "contacts" else {}
        with self.account.lock:
            resolved, invalid, sent = self.resolve(entity, ids)
            already = self.present(int(row["id"]), resolved)
            new = [i for i in resolved if i not in already]
            self._room(int(row["id"]), len(new))
            credits = charge([ChargeItem(REVEAL_COMPANY, len(new))] if entity == "companies" else [], [])
            self.insert_rows(int(row["id"]), [(i, companies.get(sent[i])) for i in new])
        data = {
            "added": len(new),
            "alreadyPresent": len(already),
            "invalidIds": invalid,
            "addedBy": {"surface": "api"},
        }
        return data, credits, len(new)

    def remove(self, entity: Entity, table_id: str, email: str, ids: Sequence[str]) -> JsonObject:
        row = self.table(entity, table_id, email)
        with self.account.lock:
            resolved, invalid, sent = self.resolve(entity, ids)
            present = self.present(int(row["id"]), resolved)
            invalid += [sent[i] for i in resolved if i not in present]
            for entity_id in present:
                self.db.execute(
                    "DELETE FROM lt_rows WHERE table_id = ? AND entity_id = ?", (row["id"], entity_id)
                )
                self.db.execute(
                    "DELETE FROM lt_cells WHERE table_id = ? AND entity_id = ?", (row["id"], entity_id)
                )
        return {"removed": len(present), "invalidIds": invalid}

    def _row_ids(self, table_id: int, page: int | None = None, size: int = 0) -> list[str]:
        sql = "SELECT entity_id FROM lt_rows WHERE table_id = ? ORDER BY seq"
        params: list[Any] = [table_id]
        if page is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [size, page * size]
        return [str(r[0]) for r in self.db.execute(sql, params)]

    def _cells(self, table_id: int, column_id: str | None = None) -> dict[tuple[str, str], sqlite3.Row]:
        cursor = self.db.cursor()
        cursor.row_factory = sqlite3.Row
        sql = "SELECT * FROM lt_cells WHERE table_id = ?"
        params: list[Any] = [table_id]
        if column_id is not None:
            sql += " AND column_id = ?"
            params.append(column_id)
        return {(str(r["column_id"]), str(r["entity_id"])): r for r in cursor.execute(sql, params)}

    @staticmethod
    def _cell_status(cell: sqlite3.Row | None, now: float) -> str:
        if cell is None:
            return "not_run"
        return "processing" if float(cell["ready_at"]) > now else str(cell["outcome"])

    def entities(
        self, entity: Entity, table_id: str, email: str, page: int, size: int, charge: Charger
    ) -> tuple[list[JsonObject], int, int]:
        """A page of rows (export_api per row returned). Returns (rows, total, credits)."""
        row = self.table(entity, table_id, email)
        tid = int(row["id"])
        with self.account.lock:
            ids = self._row_ids(tid, page, size)
            total = int(
                self.db.execute("SELECT COUNT(*) FROM lt_rows WHERE table_id = ?", (tid,)).fetchone()[0]
            )
            credits = charge([ChargeItem("export_api", len(ids))], [])
            cells = self._cells(tid)
        now = time.time()
        records = rows_by_id(self.dataset, entity, ids)
        companies = (
            rows_by_id(self.dataset, "companies", [records[i]["company_id"] for i in ids if i in records])
            if entity == "contacts"
            else {}
        )
        columns = self.columns_of(entity, tid)
        out: list[JsonObject] = []
        for entity_id in ids:
            record = records[entity_id]
            company = companies.get(record["company_id"]) if entity == "contacts" else None
            defaults = default_values(entity, record, company)
            values: list[JsonObject] = []
            for column in columns:
                if column.is_default:
                    value, status = defaults.get(column.column_id), "success"
                else:
                    cell = cells.get((column.column_id, entity_id))
                    status = self._cell_status(cell, now)
                    value = json.loads(cell["value"]) if cell is not None and status == "success" else None
                values.append(
                    {
                        "id": column.column_id,
                        "name": column.name,
                        "type": column.type,
                        "sourceType": "lusha" if column.type == "lusha" else column.type,
                        "value": value,
                        "status": status,
                    }
                )
            out.append({"id": entity_token(entity, entity_id), "columns": values})
        return out, total, credits

    # --- columns ---------------------------------------------------------------------------------

    def _counts(self, entity: Entity, table_id: int) -> tuple[int, list[JsonObject], bool]:
        now = time.time()
        count = int(
            self.db.execute("SELECT COUNT(*) FROM lt_rows WHERE table_id = ?", (table_id,)).fetchone()[0]
        )
        stats: dict[str, dict[str, int]] = {}
        updated: dict[str, str] = {}
        processing = False
        for column_id, outcome, ready_at, updated_at in self.db.execute(
            "SELECT c.column_id, c.outcome, c.ready_at, c.updated_at FROM lt_cells c JOIN lt_rows r "
            "ON r.table_id = c.table_id AND r.entity_id = c.entity_id WHERE c.table_id = ?",
            (table_id,),
        ):
            status = "processing" if float(ready_at) > now else str(outcome)
            processing = processing or status == "processing"
            bucket = stats.setdefault(str(column_id), {})
            bucket[status] = bucket.get(status, 0) + 1
            updated[str(column_id)] = max(updated.get(str(column_id), ""), str(updated_at))
        created = str(
            self.db.execute("SELECT created_at FROM lt_tables WHERE id = ?", (table_id,)).fetchone()[0]
        )
        columns: list[JsonObject] = []
        for column in self.columns_of(entity, table_id):
            if column.is_default:
                counts = {"success": count}
            else:
                counts = dict(stats.get(column.column_id, {}))
                counts["not_run"] = count - sum(counts.values())
            columns.append(column_json(column, counts, created, updated.get(column.column_id, created)))
        return count, columns, processing

    def list_columns(self, entity: Entity, table_id: str, email: str) -> list[JsonObject]:
        row = self.table(entity, table_id, email)
        return self._counts(entity, int(row["id"]))[1]

    def remove_column(self, entity: Entity, table_id: str, column_id: str, email: str) -> None:
        row = self.table(entity, table_id, email)
        column = self.column(entity, int(row["id"]), column_id)
        if column.is_default:
            bad_request([f"column_id: {column_id} is a default Lusha column and cannot be removed"])
        with self.account.lock:
            self.db.execute(
                "INSERT OR IGNORE INTO lt_removed_columns(table_id, column_id) VALUES (?, ?)",
                (row["id"], column_id),
            )
            self.db.execute(
                "DELETE FROM lt_cells WHERE table_id = ? AND column_id = ?", (row["id"], column_id)
            )

    def run(
        self,
        entity: Entity,
        table_id: str,
        column_id: str,
        email: str,
        scope: str,
        ids: Sequence[str],
        charge: Charger,
    ) -> tuple[int, int]:
        """Start a run: charge the rows in scope in table order for as long as the balance lasts.

        Returns (credits, rows processed); a run the balance cannot cover whole charges the rows it
        could pay, processes those, and answers 402 saying so."""
        row = self.table(entity, table_id, email)
        tid = int(row["id"])
        column = self.column(entity, tid, column_id)
        if column.is_default or column.action is None:
            bad_request(
                [f"column_id: {column_id} is a default column, filled when rows are added; nothing to run"]
            )
        action = column.action
        unit = PRICING[action].cost(1)
        with self.account.lock:
            rows = self._row_ids(tid)
            cells = self._cells(tid, column_id)
            if scope == "missing":
                targets = [i for i in rows if (column_id, i) not in cells]
            elif scope == "all":
                targets = rows
            else:
                resolved, invalid, _ = self.resolve(entity, ids)
                in_table = set(rows)
                invalid += [i for i in resolved if i not in in_table]
                if invalid:
                    bad_request([f"entityIds: {', '.join(invalid[:5])} are not rows of this table"])
                targets = [i for i in rows if i in set(resolved)]
            records = rows_by_id(self.dataset, entity, targets)
            remaining = self.account.remaining
            spent = 0
            taken: list[tuple[str, object, int]] = []
            for entity_id in targets:
                value = run_value(entity, column, records[entity_id])
                cell = cells.get((column_id, entity_id))
                if column.billing == "per_row":
                    cost = unit
                elif column.billing == "per_row_with_data":
                    cost = unit if value is not None else 0
                else:
                    cost = 0 if cell is not None and cell["paid"] else unit
                if spent + cost > remaining:
                    break
                spent += cost
                taken.append((entity_id, value, cost))
            charged_rows = sum(1 for _, _, cost in taken if cost)
            reveal_field = {"email": "emails", "phone": "phones"}.get(column.key)
            reveals: list[Reveal] = (
                [("contact", i, reveal_field) for i, value, _ in taken if value is not None]
                if reveal_field
                else []
            )
            credits = charge([ChargeItem(action, charged_rows)], reveals)
            start, stamp = time.time(), _now_iso()
            self.db.executemany(
                "INSERT OR REPLACE INTO lt_cells(table_id, column_id, entity_id, outcome, value, ready_at, paid, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        tid,
                        column_id,
                        entity_id,
                        "success" if value is not None else "no_data",
                        json.dumps(value),
                        start + (n + 1) * self.row_seconds,
                        1
                        if cost
                        or (
                            cells.get((column_id, entity_id)) is not None
                            and cells[(column_id, entity_id)]["paid"]
                        )
                        else 0,
                        stamp,
                    )
                    for n, (entity_id, value, cost) in enumerate(taken)
                ],
            )
        if len(taken) < len(targets):
            message = (
                f"Insufficient credits for this operation: the run was stopped after {len(taken)} of "
                f"{len(targets)} rows; those were charged {credits} credits and are processing, the "
                "rest were not run"
            )
            raise LushaHTTPError(
                402,
                body={
                    "statusCode": 402,
                    "code": 402,
                    "message": message,
                    "data": {
                        "columnId": column_id,
                        "runScope": scope,
                        "rowsProcessed": len(taken),
                        "rowsNotRun": len(targets) - len(taken),
                    },
                    "billing": billing_json(credits, len(taken)),
                },
            )
        return credits, len(taken)

    # --- tableId on prospecting and lookalikes ------------------------------------------------------

    def prepare_write(
        self, entity: Entity, table_id: object, ids: Sequence[str], company_ids: Sequence[str | None] = ()
    ) -> PendingWrite | None:
        """The write of `ids` into table `table_id` (None when no tableId was sent); 404 for an
        unknown table. Companies tables charge reveal_company per newly added company."""
        if table_id is None:
            return None
        if not isinstance(table_id, str):
            bad_request(["tableId: send the table's id as a string, as returned by list tables"])
        row = self._row(entity, table_id)
        if row is None:
            raise table_not_found()
        tid = int(row["id"])
        already = self.present(tid, ids)
        companies = dict(zip(ids, company_ids, strict=False))
        new = [(i, companies.get(i)) for i in dict.fromkeys(ids) if i not in already]
        self._room(tid, len(new))
        charges = [ChargeItem(REVEAL_COMPANY, len(new))] if entity == "companies" and new else []
        return PendingWrite(self, entity, tid, new, len(already), charges)


_lock = threading.Lock()


def tables_backend(request: Request) -> TablesBackend:
    """The Tables backend of this request's sandbox app (created on first use)."""
    state = sandbox_state(request)
    with _lock:
        backend = cast(TablesBackend | None, getattr(request.app.state, "tables", None))
        if backend is None:
            backend = TablesBackend(state)
            request.app.state.tables = backend
        return backend


__all__ = ["PendingWrite", "TablesBackend", "charger", "column_def", "tables_backend"]
