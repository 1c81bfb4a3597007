"""Tables: saved lists of contacts or companies in the Lusha account, with columns run in the background.

Every table call names the acting user (`owner.email` in POST/PATCH/DELETE-with-body bodies,
`?email=` on the other GET/DELETE calls). Entity ids are the `v{N}.` token or the legacy numeric id.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from lusha_mcp.api.models.base import (
    Billing,
    Email,
    LushaModel,
    LushaRequest,
    LushaResponse,
    MeteredResponse,
    Pagination,
)

TableEntityType = Literal["contacts", "companies"]
Visibility = Literal["private", "shared"]
TableStatus = Literal["active", "archived", "deleted"]
ListStatus = Literal["active", "archived"]
ColumnType = Literal["lusha", "crm", "signal", "ai", "score"]
CellStatus = Literal["not_run", "processing", "success", "no_data", "failed"]
RunScope = Literal["all", "missing", "specific"]

MAX_ENTITY_IDS = 500
"""Entity ids per add/remove call."""
MAX_PAGE = 100
"""Highest `page` of List Tables and Get Entities."""

_ENTITY_ID = re.compile(r"^(v\d+\.[A-Za-z0-9_\-=.]+|\d+)$")


def _check_entity_id(value: str) -> str:
    value = value.strip()
    if not _ENTITY_ID.match(value):
        raise ValueError(
            f"{value!r} is not a Lusha id: send the v{{N}}. token returned by search, enrich or "
            "read_table, or the numeric id"
        )
    return value


EntityId = Annotated[str, AfterValidator(_check_entity_id)]
"""A contact (`personId`) or company (`lushaCompanyId`) id: `v{N}.…` token or numeric."""


class TableOwner(LushaRequest):
    """The user acting on the table (must be a user of the account of the API key)."""

    email: Email


class TableCreateRequest(LushaRequest):
    name: str = Field(min_length=1, max_length=255)
    visibility: Visibility | None = None
    owner: TableOwner
    ids: list[EntityId] | None = Field(default=None, max_length=MAX_ENTITY_IDS)


class TableUpdateRequest(LushaRequest):
    """Only the fields sent change; sending none of name/visibility/archived is a no-op."""

    name: str | None = Field(default=None, min_length=1, max_length=255)
    visibility: Visibility | None = None
    archived: bool | None = None
    owner: TableOwner


class TableListRequest(LushaRequest):
    owner: TableOwner
    page: int = Field(default=0, ge=0, le=MAX_PAGE)
    size: int = Field(default=100, ge=1, le=100)
    name: str | None = None
    status: ListStatus | None = None


class EntitiesAddRequest(LushaRequest):
    entity_ids: list[EntityId] = Field(min_length=1, max_length=MAX_ENTITY_IDS)
    company_ids: list[EntityId] | None = Field(default=None, max_length=MAX_ENTITY_IDS)
    owner: TableOwner

    @model_validator(mode="after")
    def _aligned(self) -> EntitiesAddRequest:
        if self.company_ids is not None and len(self.company_ids) != len(self.entity_ids):
            raise ValueError(
                f"companyIds must be index-aligned with entityIds: {len(self.company_ids)} company ids "
                f"for {len(self.entity_ids)} entity ids"
            )
        return self


class EntitiesRemoveRequest(LushaRequest):
    entity_ids: list[EntityId] = Field(min_length=1, max_length=MAX_ENTITY_IDS)
    owner: TableOwner


class ColumnsRunRequest(LushaRequest):
    run_scope: RunScope
    entity_ids: list[EntityId] | None = Field(default=None, max_length=MAX_ENTITY_IDS)
    owner: TableOwner

    @model_validator(mode="after")
    def _specific_needs_ids(self) -> ColumnsRunRequest:
        if self.run_scope == "specific" and not self.entity_ids:
            raise ValueError("runScope specific needs entityIds (the rows to run)")
        if self.run_scope != "specific" and self.entity_ids:
            raise ValueError(f"entityIds are only sent with runScope specific, not {self.run_scope}")
        return self


# --- responses ---------------------------------------------------------------------------------


class OwnerInfo(LushaModel):
    id: int | None = None
    email: str | None = None
    name: str | None = None


class CreatedBy(LushaModel):
    surface: str | None = None
    created_by_user_id: int | None = None


class ColumnSummary(LushaModel):
    """A column and how many of its cells are in each status."""

    column_id: str
    name: str | None = None
    type: str | None = None
    key: str | None = None
    is_default: bool = False
    added_at: str | None = None
    updated_at: str | None = None
    rows_not_run: int = 0
    rows_processing: int = 0
    rows_success: int = 0
    rows_no_data: int = 0
    rows_failed: int = 0

    @property
    def rows(self) -> int:
        return (
            self.rows_not_run
            + self.rows_processing
            + self.rows_success
            + self.rows_no_data
            + self.rows_failed
        )


class TableMetadata(LushaModel):
    table_id: str
    name: str | None = None
    entity_type: str | None = None
    visibility: str | None = None
    status: str | None = None
    owner: OwnerInfo | None = None
    created_by: CreatedBy | None = None
    workspace_url: str | None = None


class TableStatusData(TableMetadata):
    entity_count: int = 0
    is_processing: bool = False
    columns: list[ColumnSummary] = Field(default_factory=list[ColumnSummary])

    def column(self, column_id: str) -> ColumnSummary | None:
        return next((c for c in self.columns if c.column_id == column_id), None)


class TableResponse(LushaResponse):
    data: TableStatusData
    billing: Billing | None = None


class TableListResponse(LushaResponse):
    data: list[TableMetadata] = Field(default_factory=list[TableMetadata])
    pagination: Pagination | None = None
    billing: Billing | None = None


class TableDeleted(LushaResponse):
    table_id: str | None = None
    status: str | None = None


class AddedBy(LushaModel):
    surface: str | None = None


class EntitiesAdded(LushaModel):
    added: int = 0
    already_present: int = 0
    invalid_ids: list[str] = Field(default_factory=list[str])
    added_by: AddedBy | None = None


class EntitiesAddResponse(MeteredResponse):
    """Add Entities: metered on companies tables (reveal_company per newly added company)."""

    data: EntitiesAdded = Field(default_factory=EntitiesAdded)


class EntitiesRemoved(LushaModel):
    removed: int = 0
    invalid_ids: list[str] = Field(default_factory=list[str])


class EntitiesRemoveResponse(LushaResponse):
    data: EntitiesRemoved = Field(default_factory=EntitiesRemoved)
    billing: Billing | None = None


class EntityColumnValue(LushaModel):
    id: str | None = None
    name: str | None = None
    type: str | None = None
    source_type: str | None = None
    value: object = None
    status: str | None = None


class TableEntity(LushaModel):
    id: str
    columns: list[EntityColumnValue] = Field(default_factory=list[EntityColumnValue])


class EntitiesGetResponse(MeteredResponse):
    """A page of rows (metered: export_api per row returned)."""

    data: list[TableEntity] = Field(default_factory=list[TableEntity])
    pagination: Pagination | None = None


class ColumnsListResponse(LushaResponse):
    data: list[ColumnSummary] = Field(default_factory=list[ColumnSummary])
    billing: Billing | None = None


class ColumnRemoved(LushaResponse):
    table_id: str | None = None
    column_id: str | None = None
    removed: bool = False


class ColumnRunAccepted(LushaModel):
    column_id: str | None = None
    run_scope: str | None = None
    status: str | None = None


class ColumnsRunResponse(MeteredResponse):
    """A column run accepted (it runs in the background; poll the table for its counts)."""

    data: ColumnRunAccepted = Field(default_factory=ColumnRunAccepted)


class TableWrite(LushaModel):
    """What a prospecting or lookalike call with `tableId` did to the table."""

    table_id: str | None = None
    added: int = 0
    already_present: int = 0
    columns_created: int | list[object] | None = None
    rows_processed: int | None = None
    rows_charged: int | None = None
    rows_already_paid_in_table: int | None = None
    credits_charged: int | None = None
