"""Lusha Tables: saved lists of contacts or companies whose columns Lusha fills in the background.

Five tools: list_tables (free), manage_table (free: create, rename, share, archive, delete,
remove a column), edit_table_rows (add or remove rows; adding companies is metered),
read_table (metered per row) and run_table_column (metered per row in scope at the column's
tier). A column run is asynchronous: the tool starts it and follows it with progress
notifications for up to `wait_seconds`; calling it again while the column is still processing
follows the same run instead of starting (and paying for) a second one, also after a restart,
because the run is found from the table's own per-column status counts.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

import anyio
from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field

from lusha_mcp.api.errors import APIStatusError, InvalidRequestError, ResponseLostError
from lusha_mcp.api.models.tables import (
    MAX_ENTITY_IDS,
    ColumnSummary,
    TableMetadata,
    TableStatusData,
    TableWrite,
)
from lusha_mcp.guard import Quote
from lusha_mcp.settings import Toolset
from lusha_mcp.tools.framework import (
    FREE_READ,
    METERED_SEARCH,
    ArgumentError,
    Billed,
    MeteredResult,
    OfferedWith,
    Plan,
    ToolCall,
    ToolGroup,
    ToolResult,
    billed,
    table,
    until_failure,
)

group = ToolGroup()
register = group.register

SANDBOX_OWNER = "user@example.com"
POLL_SECONDS = 0.5
MAX_WAIT_SECONDS = 60

Entity = Literal["contacts", "companies"]
EntityArg = Annotated[Entity, Field(description="Table of contacts or of companies.")]
TableIdArg = Annotated[str, Field(description="Table id (list_tables).", min_length=1)]
SaveToTableArg = Annotated[
    str | None,
    Field(description="Also save the results into this table id.", min_length=1),
    OfferedWith(Toolset.tables),
]
"""The table_id argument of prospecting and lookalike tools."""

MANAGE = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=True
)
"""manage_table can delete a table or a column with its data."""
EDIT_ROWS = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True
)
"""edit_table_rows removes rows with their cell data; adding companies spends credits."""

_TIERS: dict[tuple[str, str], str] = {
    ("contacts", "email"): "revealEmail",
    ("contacts", "phone"): "revealPhone",
    ("contacts", "signal"): "showSignalsContact",
    ("contacts", "score"): "signal_score_contact_reveal",
    ("companies", "firmographics"): "reveal_company",
    ("companies", "signal"): "showSignalsCompany",
    ("companies", "score"): "signal_score_company_reveal",
}
"""(entity, column key or type) -> the billing action a run of that column charges per row."""
_REVEALS = {"email": "emails", "phone": "phones"}
_SCOPES = {
    "missing": "rows never run",
    "all": "every row, charged again also where it already has data",
    "specific": "the ids given",
}


def column_action(entity: str, column: ColumnSummary) -> str | None:
    """The action a run of `column` is charged under, or None when it cannot be priced."""
    return _TIERS.get((entity, column.key or "")) or _TIERS.get((entity, column.type or ""))


def owner_email(call: ToolCall) -> str:
    settings = call.settings
    if settings.tables_owner_email:
        return settings.tables_owner_email
    if settings.sandbox:
        return SANDBOX_OWNER
    raise ArgumentError(
        "owner",
        "Lusha's Tables API needs the email of the Lusha user acting on tables and none is configured",
        "set LUSHA_TABLES_OWNER_EMAIL to your Lusha login email and restart the server",
    )


# --- results -----------------------------------------------------------------------------------


class ColumnState(BaseModel):
    """A column and its cells by status."""

    column_id: str
    name: str | None = None
    type: str | None = None
    default: bool = Field(
        default=False, description="Default Lusha column: filled on add, cannot be removed."
    )
    not_run: int = 0
    processing: int = 0
    success: int = 0
    no_data: int = 0
    failed: int = 0
    action: str | None = Field(default=None, description="Billing action a run charges per row.")

    @classmethod
    def of(cls, entity: str, column: ColumnSummary) -> ColumnState:
        return cls(
            column_id=column.column_id,
            name=column.name,
            type=column.type,
            default=column.is_default,
            not_run=column.rows_not_run,
            processing=column.rows_processing,
            success=column.rows_success,
            no_data=column.rows_no_data,
            failed=column.rows_failed,
            action=None if column.is_default else column_action(entity, column),
        )


class TableInfo(BaseModel):
    table_id: str
    name: str | None = None
    visibility: str | None = None
    status: str | None = None
    owner: str | None = None
    rows: int | None = None
    processing: bool | None = Field(default=None, description="A column run is in progress.")
    columns: list[ColumnState] = Field(default_factory=list[ColumnState])

    @classmethod
    def of(cls, entity: str, data: TableMetadata) -> TableInfo:
        info = cls(
            table_id=data.table_id,
            name=data.name,
            visibility=data.visibility,
            status=data.status,
            owner=data.owner.email if data.owner else None,
        )
        if isinstance(data, TableStatusData):
            info.rows, info.processing = data.entity_count, data.is_processing
            info.columns = [ColumnState.of(entity, c) for c in data.columns]
        return info


def _columns_text(columns: list[ColumnState]) -> str:
    rows = [
        (
            c.column_id,
            c.name,
            "default" if c.default else (c.action or "not priceable"),
            c.success,
            c.no_data,
            c.processing,
            c.not_run,
            c.failed,
        )
        for c in columns
    ]
    return table(("column", "name", "tier", "success", "no data", "processing", "not run", "failed"), rows)


class TablesView(ToolResult):
    entity: Entity
    tables: list[TableInfo] = Field(default_factory=list[TableInfo])
    total: int | None = Field(default=None, description="Tables matching, over all pages.")

    def render(self) -> str:
        if len(self.tables) == 1 and self.tables[0].columns:
            t = self.tables[0]
            head = (
                f"{self.entity} table {t.table_id} '{t.name}' ({t.visibility}, {t.status}, owner {t.owner}): "
                f"{t.rows} rows{', a column run is processing' if t.processing else ''}."
            )
            return f"{head}\n{_columns_text(t.columns)}"
        rows = [(t.table_id, t.name, t.visibility, t.status, t.owner) for t in self.tables]
        head = f"{len(self.tables)} {self.entity} tables" + (f" of {self.total}" if self.total else "")
        return f"{head}. Columns and counts: list_tables(table_id=...).\n" + table(
            ("table_id", "name", "visibility", "status", "owner"), rows
        )


class TableChange(ToolResult):
    entity: Entity
    action: str
    table: TableInfo | None = None
    table_id: str | None = None
    column_id: str | None = None

    def render(self) -> str:
        if self.action == "delete":
            return f"Deleted {self.entity} table {self.table_id} and all its data."
        if self.action == "remove_column":
            return f"Removed column {self.column_id} and its data from table {self.table_id}."
        t = self.table
        assert t is not None
        text = f"{self.action}: {self.entity} table {t.table_id} '{t.name}' ({t.visibility}, {t.status}), {t.rows} rows."
        if t.columns:
            text += "\n" + _columns_text(t.columns)
        return text


class RowsEdit(MeteredResult):
    entity: Entity | None = None
    table_id: str | None = None
    action: Literal["add", "remove"] | None = None
    added: int | None = None
    already_present: int | None = None
    removed: int | None = None
    invalid_ids: list[str] = Field(default_factory=list[str], description="Ids Lusha could not resolve.")

    def render(self) -> str:
        if self.action == "remove":
            text = f"Removed {self.removed} rows from table {self.table_id}."
        else:
            text = f"Added {self.added} rows to table {self.table_id} ({self.already_present} already there)."
        if self.invalid_ids:
            text += f" Not resolved: {', '.join(self.invalid_ids[:20])}."
        if self.action == "add":
            text += " Fill columns with run_table_column(scope='missing')."
        return text


class TableRow(BaseModel):
    id: str = Field(description="Encrypted Lusha id (round-trips into add/remove and enrich).")
    values: dict[str, Any] = Field(default_factory=dict[str, Any], description="Column name -> value.")
    status: dict[str, str] = Field(default_factory=dict[str, str], description="Column name -> cell status.")


_MARKS = {"processing": "…", "no_data": "—", "not_run": "", "failed": "!"}


class TableRows(MeteredResult):
    entity: Entity | None = None
    table_id: str | None = None
    page: int | None = None
    total: int | None = None
    rows: list[TableRow] = Field(default_factory=list[TableRow])

    def render(self) -> str:
        names = list(dict.fromkeys(name for row in self.rows for name in row.status))
        cells = [
            [row.id]
            + [
                row.values.get(name)
                if row.status.get(name) == "success"
                else _MARKS.get(row.status.get(name, ""), "")
                for name in names
            ]
            for row in self.rows
        ]
        head = f"{len(self.rows)} rows of table {self.table_id} (page {self.page}, {self.total} in all)"
        legend = "Cells: value, … processing, — no data, blank not run, ! failed."
        return f"{head}. {legend}\n" + table(["id", *names], cells)


class ColumnRun(MeteredResult):
    entity: Entity | None = None
    table_id: str | None = None
    column: ColumnState | None = None
    scope: str | None = None
    rows_in_scope: int | None = None
    state: Literal["processing", "done", "nothing_to_run"] | None = Field(
        default=None, description="processing: call again with the same arguments to keep following it."
    )

    def render(self) -> str:
        c = self.column
        assert c is not None
        counts = f"{c.success} success, {c.no_data} no data, {c.processing} processing, {c.not_run} not run, {c.failed} failed"
        if self.state == "nothing_to_run":
            return f"Column {c.column_id} ({c.name}) of table {self.table_id}: nothing to run ({counts})."
        if self.state == "processing":
            return (
                f"Column {c.column_id} ({c.name}) of table {self.table_id} is still processing ({counts}). "
                "Call run_table_column again with the same arguments to keep following this run: "
                "it will not start or charge a second one. Read values with read_table."
            )
        return f"Column {c.column_id} ({c.name}) of table {self.table_id}: run done ({counts}). Read it with read_table."


def table_write_note(write: TableWrite | None) -> str | None:
    """The line prospecting and lookalike results add when they were saved into a table."""
    if write is None:
        return None
    return (
        f"Saved into table {write.table_id}: {write.added} added, {write.already_present} already there"
        + (f", {write.credits_charged} credits for the table write." if write.credits_charged else ".")
    )


# --- tools -------------------------------------------------------------------------------------


@group.tool(toolset=Toolset.tables, title="List tables", annotations=FREE_READ, metered=False)
async def list_tables(
    call: ToolCall,
    entity: EntityArg,
    table_id: Annotated[str | None, Field(description="One table: its columns and cell counts.")] = None,
    name: Annotated[str | None, Field(description="Names containing this text.")] = None,
    archived: Annotated[bool, Field(description="List archived tables instead.")] = False,
    page: Annotated[int, Field(ge=0, le=100)] = 0,
) -> TablesView:
    """List saved Lusha tables (lists) of contacts or companies, or show one with its columns.

    Use this to find a table id, or with table_id to see its rows, columns (id, billing tier)
    and per-column counts of success / no data / processing / not run. Free.
    """
    email = owner_email(call)
    if table_id is not None:
        response = await call.client.tables.get(entity, table_id, owner_email=email)
        return TablesView(entity=entity, tables=[TableInfo.of(entity, response.data)])
    listing = await call.client.tables.list(
        entity, owner_email=email, page=page, size=50, name=name, status="archived" if archived else "active"
    )
    total = listing.pagination.total if listing.pagination else None
    return TablesView(entity=entity, tables=[TableInfo.of(entity, t) for t in listing.data], total=total)


@group.tool(toolset=Toolset.tables, title="Manage a table", annotations=MANAGE, metered=False)
async def manage_table(
    call: ToolCall,
    entity: EntityArg,
    action: Annotated[
        Literal["create", "rename", "share", "unshare", "archive", "restore", "delete", "remove_column"],
        Field(description="delete and remove_column erase data permanently."),
    ],
    table_id: Annotated[str | None, Field(description="Every action but create.")] = None,
    name: Annotated[str | None, Field(description="create and rename.")] = None,
    column_id: Annotated[str | None, Field(description="remove_column.")] = None,
) -> TableChange:
    """Create, rename, share with the account, archive/restore or delete a table, or remove a column.

    Free. Use create before edit_table_rows; share makes it visible to teammates. delete removes
    the table and all its data for good (ask the user first); default columns cannot be removed.
    """
    email = owner_email(call)
    tables = call.client.tables
    if action == "create":
        if not name:
            raise ArgumentError("name", "create needs a name", 'name="Q3 fintech VPs"')
        created = await tables.create(entity, name, owner_email=email)
        return TableChange(entity=entity, action=action, table=TableInfo.of(entity, created.data))
    if table_id is None:
        raise ArgumentError("table_id", f"{action} needs the table", "the table_id from list_tables")
    if action == "delete":
        await tables.delete(entity, table_id, owner_email=email)
        return TableChange(entity=entity, action=action, table_id=table_id)
    if action == "remove_column":
        if not column_id:
            raise ArgumentError(
                "column_id", "remove_column needs the column", "a column id from list_tables(table_id=...)"
            )
        await tables.remove_column(entity, table_id, column_id, owner_email=email)
        return TableChange(entity=entity, action=action, table_id=table_id, column_id=column_id)
    if action == "rename" and not name:
        raise ArgumentError("name", "rename needs the new name", 'name="Q3 fintech VPs"')
    changes: dict[str, Any] = {
        "rename": {"name": name},
        "share": {"visibility": "shared"},
        "unshare": {"visibility": "private"},
        "archive": {"archived": True},
        "restore": {"archived": False},
    }[action]
    updated = await tables.update(entity, table_id, owner_email=email, **changes)
    return TableChange(entity=entity, action=action, table=TableInfo.of(entity, updated.data))


@group.tool(toolset=Toolset.tables, title="Add or remove table rows", annotations=EDIT_ROWS, metered=True)
async def edit_table_rows(
    call: ToolCall,
    entity: EntityArg,
    table_id: TableIdArg,
    action: Literal["add", "remove"],
    ids: Annotated[
        list[str],
        Field(
            description="Lusha ids (from search, prospecting or read_table), 1-500.",
            min_length=1,
            max_length=MAX_ENTITY_IDS,
        ),
    ],
    company_ids: Annotated[
        list[str] | None, Field(description="Contacts add: each contact's company id, same order.")
    ] = None,
) -> Plan[RowsEdit]:
    """Add contacts or companies to a table by Lusha id, or remove them (with their cell data).

    Cost: free, except adding companies: reveal_company per newly added company (ones already
    there are free). Ids already there or unknown are reported.
    """
    email = owner_email(call)
    tables = call.client.tables
    unique = list(dict.fromkeys(i.strip() for i in ids))
    if company_ids is not None and (action != "add" or entity != "contacts" or len(company_ids) != len(ids)):
        raise ArgumentError(
            "company_ids",
            "only for adding contacts, one per id in the same order",
            f"{len(ids)} company ids or none",
        )
    # Free changes are still Plans (quoted 0): the framework may build a plan to decide whether to
    # ask the user, so nothing may change the table before run() is called.
    if action == "remove":

        async def remove() -> Billed[RowsEdit]:
            removed = await tables.remove_entities(entity, table_id, unique, owner_email=email)
            result = RowsEdit(
                entity=entity, table_id=table_id, action=action, removed=removed.data.removed,
                invalid_ids=removed.data.invalid_ids,
            )  # fmt: skip
            return Billed(result, 0, removed.request_id)

        return Plan(quote=Quote.free(), run=remove)

    async def add() -> tuple[RowsEdit, Any]:
        response = await tables.add_entities(
            entity, table_id, ids, owner_email=email, company_ids=company_ids
        )
        data = response.data
        result = RowsEdit(
            entity=entity, table_id=table_id, action=action, added=data.added,
            already_present=data.already_present, invalid_ids=data.invalid_ids,
        )  # fmt: skip
        return result, response

    if entity == "contacts":
        quote = Quote.free()
    else:
        book = await call.guard.pricing.book()
        quote = Quote.of([book.item("companies added to the table", "reveal_company", len(unique))])

    async def run() -> Billed[RowsEdit]:
        result, response = await add()
        result.quote = quote
        return billed(result, response)

    return Plan(quote=quote, run=run)


@group.tool(toolset=Toolset.tables, title="Read table rows", annotations=METERED_SEARCH, metered=True)
async def read_table(
    call: ToolCall,
    entity: EntityArg,
    table_id: TableIdArg,
    page: Annotated[int, Field(ge=0, le=100)] = 0,
    size: Annotated[int, Field(description="Rows per page (1-100).", ge=1, le=100)] = 25,
) -> Plan[TableRows] | TableRows:
    """Read a page of a table's rows: every column's value and per-cell status.

    Cost: export_api per row returned, quoted per row requested (each read charges again).
    Check list_tables(table_id=...) first if you only need counts (free).
    """
    email = owner_email(call)
    status = (await call.client.tables.get(entity, table_id, owner_email=email)).data
    left = max(status.entity_count - page * size, 0)
    if left == 0:
        return TableRows(entity=entity, table_id=table_id, page=page, total=status.entity_count,
                         notes=["No rows on this page; nothing was requested."])  # fmt: skip
    # Page 0 can ask for just the rows the table holds; later pages keep the size (the offset).
    asked = min(size, left) if page == 0 else size
    book = await call.guard.pricing.book()
    quote = Quote.of([book.item("table rows read", "export_api", asked)])

    async def run() -> Billed[TableRows]:
        response = await call.client.tables.get_entities(
            entity, table_id, owner_email=email, page=page, size=asked
        )
        rows = [
            TableRow(
                id=row.id,
                values={c.name or c.id or "?": c.value for c in row.columns if c.status == "success"},
                status={c.name or c.id or "?": c.status or "" for c in row.columns},
            )
            for row in response.data
        ]
        total = response.pagination.total if response.pagination else status.entity_count
        result = TableRows(entity=entity, table_id=table_id, page=page, total=total, rows=rows, quote=quote)
        return billed(result, response)

    return Plan(quote=quote, run=run)


async def _follow(
    call: ToolCall, entity: Entity, table_id: str, column_id: str, total: int, wait_seconds: float
) -> tuple[TableStatusData, ColumnSummary]:
    """Poll the table (free) until the column has nothing processing or `wait_seconds` pass."""
    email = owner_email(call)
    deadline = time.monotonic() + wait_seconds
    while True:
        data = (await call.client.tables.get(entity, table_id, owner_email=email)).data
        column = data.column(column_id)
        if column is None:
            raise InvalidRequestError(
                f"Column {column_id} is no longer on table {table_id}.", field="column_id"
            )
        done = max(total - column.rows_processing, 0)
        await call.progress(done, total, f"{column.name or column_id}: {done} of {total} rows done")
        if column.rows_processing == 0 or time.monotonic() >= deadline:
            return data, column
        await anyio.sleep(min(POLL_SECONDS, max(deadline - time.monotonic(), 0.01)))


@group.tool(toolset=Toolset.tables, title="Run a table column", annotations=METERED_SEARCH, metered=True)
async def run_table_column(
    call: ToolCall,
    entity: EntityArg,
    table_id: TableIdArg,
    column_id: Annotated[str, Field(description="Column id (list_tables(table_id=...)).")],
    scope: Annotated[
        Literal["missing", "all", "specific"],
        Field(description="missing: rows never run; all: every row, charged again; specific: ids."),
    ] = "missing",
    ids: Annotated[
        list[str] | None, Field(description="Rows for scope specific (1-500).", max_length=500)
    ] = None,
    wait_seconds: Annotated[int, Field(description="How long to follow the run (0-60).", ge=0, le=60)] = 20,
) -> Plan[ColumnRun] | ColumnRun:
    """Fill a table column (email, phone, signals, score...) for its rows; Lusha runs it in the background.

    Cost: rows in scope x the column's tier (list_tables shows it): missing charges only rows
    never run; all re-runs every row and CHARGES AGAIN. While a run is processing, calling again
    with the same arguments follows it (free) instead of starting a second one.
    """
    email = owner_email(call)
    if (scope == "specific") != bool(ids):
        raise ArgumentError(
            "ids",
            f"ids go with scope specific only (scope is {scope})",
            "ids with scope='specific', none otherwise",
        )
    status = (await call.client.tables.get(entity, table_id, owner_email=email)).data
    column = status.column(column_id)
    if column is None:
        known = ", ".join(c.column_id for c in status.columns if not c.is_default)
        raise ArgumentError("column_id", f"table {table_id} has no column {column_id}", f"one of {known}")
    if column.is_default:
        raise ArgumentError(
            "column_id",
            f"{column_id} is a default column, filled when rows are added",
            "a non-default column",
        )
    action = column_action(entity, column)
    if action is None:
        raise ArgumentError(
            "column_id",
            f"column {column_id} (type {column.type}, key {column.key}) has a credit tier this server cannot price, "
            "so it cannot quote a ceiling and does not run it",
            "a Lusha data, signal or score column",
        )
    wait = float(min(wait_seconds, MAX_WAIT_SECONDS))

    def outcome(data: TableStatusData, summary: ColumnSummary, rows: int, **extra: Any) -> ColumnRun:
        state = "processing" if summary.rows_processing else "done"
        return ColumnRun(entity=entity, table_id=table_id, column=ColumnState.of(entity, summary), scope=scope,
                         rows_in_scope=rows, state=state, **extra)  # fmt: skip

    if column.rows_processing:
        total = column.rows_processing + column.rows_success + column.rows_no_data + column.rows_failed

        async def follow() -> Billed[ColumnRun]:
            data, summary = await _follow(call, entity, table_id, column_id, total, wait)
            note = (
                "Followed the run already in progress; nothing new was started or charged. "
                "Once it is done, call again to start another run."
            )
            return Billed(outcome(data, summary, total, notes=[note]), 0)

        return Plan(quote=Quote.free(), run=follow)
    unique = list(dict.fromkeys(i.strip() for i in ids or ()))
    rows = {"missing": column.rows_not_run, "all": status.entity_count, "specific": len(unique)}[scope]
    if rows == 0:
        return ColumnRun(entity=entity, table_id=table_id, column=ColumnState.of(entity, column), scope=scope,
                         rows_in_scope=0, state="nothing_to_run")  # fmt: skip
    book = await call.guard.pricing.book()
    reveal = _REVEALS.get(column.key or "")
    quote = Quote.of(
        [book.item(f"{column.name or column_id} column, {rows} rows ({_SCOPES[scope]})", action, rows)],
        reveals=(reveal,) if reveal else (),
    )
    notes = (
        ("scope all re-runs rows that already have data and charges for them again.",)
        if scope == "all"
        else ()
    )

    async def run() -> Billed[ColumnRun]:
        fresh = (await call.client.tables.get(entity, table_id, owner_email=email)).data
        current = fresh.column(column_id)
        now = rows
        if current is not None and scope != "specific":
            now = current.rows_not_run if scope == "missing" else fresh.entity_count
        if current is None or now > rows:
            raise InvalidRequestError(
                f"Table {table_id} changed since the quote ({now} rows in scope, {rows} quoted); nothing was "
                "run or charged. Call run_table_column again for a new quote.",
                field="table_id",
            )
        try:
            response, stopped = await until_failure(
                call.client.tables.run_column(
                    entity, table_id, column_id, scope=scope, owner_email=email, ids=unique or None
                )
            )
        except APIStatusError as exc:
            if exc.status != 402:
                raise
            raise ResponseLostError(
                "Lusha stopped the column run with 402 (not enough credits) without saying what it charged "
                "for the rows it processed first, so the ledger keeps this call at its quote. See what ran "
                "with list_tables(table_id=...); add credits, then run scope missing for the rest.",
                method="POST",
                path=f"/v3/{entity}/tables/{table_id}/columns/{column_id}/run",
            ) from None
        data, summary = await _follow(call, entity, table_id, column_id, rows, wait)
        return billed(outcome(data, summary, rows, quote=quote), response, stopped)

    return Plan(quote=quote, run=run, notes=notes)
