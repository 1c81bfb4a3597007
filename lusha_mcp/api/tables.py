"""The 22 Tables operations (contacts and companies), over the client's one transport.

Pacing, retries and error mapping are the transport's: a metered POST (Get Entities, Add Entities
on companies tables, Run Column) is sent only under an authorised plan, and one whose answer is
lost is never retried.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, cast, get_args
from urllib.parse import quote

from pydantic import ValidationError

from lusha_mcp.api.errors import APIStatusError, InvalidRequestError
from lusha_mcp.api.models.base import LushaRequest, LushaResponse
from lusha_mcp.api.models.tables import (
    MAX_PAGE,
    ColumnRemoved,
    ColumnsListResponse,
    ColumnsRunRequest,
    ColumnsRunResponse,
    EntitiesAddRequest,
    EntitiesAddResponse,
    EntitiesGetResponse,
    EntitiesRemoveRequest,
    EntitiesRemoveResponse,
    ListStatus,
    RunScope,
    TableCreateRequest,
    TableDeleted,
    TableEntityType,
    TableListRequest,
    TableListResponse,
    TableOwner,
    TableResponse,
    TableUpdateRequest,
    Visibility,
)
from lusha_mcp.api.transport import Method, Operation, Transport

__all__ = ["TablesResource"]

ResponseT = TypeVar("ResponseT", bound=LushaResponse)


def _segment(value: str, field: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidRequestError(
            f"Invalid {field}: send the id as returned by list_tables. Nothing was sent to Lusha.",
            field=field,
        )
    return quote(value, safe="")


def _entity(entity: str) -> TableEntityType:
    if entity not in get_args(TableEntityType):
        raise InvalidRequestError(
            f"Invalid entity {entity!r}: send contacts or companies. Nothing was sent to Lusha.",
            field="entity",
        )
    return "contacts" if entity == "contacts" else "companies"


class TablesResource:
    """Contacts and companies tables: `client.tables.create("contacts", ...)` and so on.

    `owner_email` names the acting user on every call (required with an API key)."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    async def _send(
        self,
        model: type[ResponseT],
        method: Method,
        path: str,
        *,
        body: LushaRequest | None = None,
        params: Mapping[str, str | int | None] | None = None,
        metered: bool = False,
    ) -> ResponseT:
        # Table paths carry two ids (table, column) and the entity, so each call names its concrete
        # path; the transport's rules (pacing, retries, never resending a lost metered POST, and
        # sending a metered operation only under an authorised plan) apply as to every operation.
        operation = Operation(
            name=f"tables {method} {path}", method=method, path=path, response=model, metered=metered
        )
        return await self._transport.send(operation, body=body, params=params)

    @staticmethod
    def _base(entity: str, table_id: str | None = None) -> str:
        path = f"/v3/{_entity(entity)}/tables"
        return path if table_id is None else f"{path}/{_segment(table_id, 'table_id')}"

    @staticmethod
    def _email(owner_email: str) -> str:
        return TableOwner(email=owner_email).email

    # --- tables ----------------------------------------------------------------------------------

    async def create(
        self,
        entity: TableEntityType,
        name: str,
        *,
        owner_email: str,
        visibility: Visibility | None = None,
        ids: Sequence[str] | None = None,
    ) -> TableResponse:
        """Create a table (free), optionally seeded with ids; 409 when the name is taken."""
        request = TableCreateRequest.model_validate(
            {"name": name, "visibility": visibility, "owner": {"email": owner_email}, "ids": ids}
        )
        return await self._send(TableResponse, "POST", self._base(entity), body=request)

    async def list(
        self,
        entity: TableEntityType,
        *,
        owner_email: str,
        page: int = 0,
        size: int = 100,
        name: str | None = None,
        status: ListStatus | None = None,
    ) -> TableListResponse:
        """Tables owned by the user plus those shared with the account (free)."""
        request = TableListRequest.model_validate(
            {"owner": {"email": owner_email}, "page": page, "size": size, "name": name, "status": status}
        )
        return await self._send(TableListResponse, "POST", f"{self._base(entity)}/list", body=request)

    async def get(self, entity: TableEntityType, table_id: str, *, owner_email: str) -> TableResponse:
        """A table's metadata, entity count, isProcessing and per-column status counts (free)."""
        return await self._send(
            TableResponse, "GET", self._base(entity, table_id), params={"email": self._email(owner_email)}
        )

    async def update(
        self,
        entity: TableEntityType,
        table_id: str,
        *,
        owner_email: str,
        name: str | None = None,
        visibility: Visibility | None = None,
        archived: bool | None = None,
    ) -> TableResponse:
        """Rename, change visibility, archive or restore (free); fields left None stay unchanged."""
        request = TableUpdateRequest.model_validate(
            {"owner": {"email": owner_email}, "name": name, "visibility": visibility, "archived": archived}
        )
        return await self._send(TableResponse, "PATCH", self._base(entity, table_id), body=request)

    async def delete(self, entity: TableEntityType, table_id: str, *, owner_email: str) -> TableDeleted:
        """Delete a table and all its data, permanently (free)."""
        return await self._send(
            TableDeleted, "DELETE", self._base(entity, table_id), params={"email": self._email(owner_email)}
        )

    # --- entities --------------------------------------------------------------------------------

    async def get_entities(
        self, entity: TableEntityType, table_id: str, *, owner_email: str, page: int = 0, size: int = 100
    ) -> EntitiesGetResponse:
        """A page of rows with every column's value and cell status (metered: export_api per row)."""
        if not 0 <= page <= MAX_PAGE or size < 1:
            raise InvalidRequestError(
                f"Invalid page {page} / size {size}: send page 0 to {MAX_PAGE} and size 1 or more. "
                "Nothing was sent to Lusha.",
                field="page",
            )
        return await self._send(
            EntitiesGetResponse,
            "GET",
            f"{self._base(entity, table_id)}/entities",
            params={"email": self._email(owner_email), "page": page, "size": size},
            metered=True,
        )

    async def add_entities(
        self,
        entity: TableEntityType,
        table_id: str,
        ids: Sequence[str],
        *,
        owner_email: str,
        company_ids: Sequence[str] | None = None,
    ) -> EntitiesAddResponse:
        """Add up to 500 ids (contacts: free; companies: reveal_company per newly added company)."""
        request = EntitiesAddRequest.model_validate(
            {"entityIds": list(ids), "companyIds": company_ids, "owner": {"email": owner_email}}
        )
        return await self._send(
            EntitiesAddResponse,
            "POST",
            f"{self._base(entity, table_id)}/entities",
            body=request,
            metered=_entity(entity) == "companies",
        )

    async def remove_entities(
        self, entity: TableEntityType, table_id: str, ids: Sequence[str], *, owner_email: str
    ) -> EntitiesRemoveResponse:
        """Remove up to 500 ids (free); unknown ids come back in invalidIds."""
        request = EntitiesRemoveRequest.model_validate(
            {"entityIds": list(ids), "owner": {"email": owner_email}}
        )
        return await self._send(
            EntitiesRemoveResponse, "DELETE", f"{self._base(entity, table_id)}/entities", body=request
        )

    # --- columns ---------------------------------------------------------------------------------

    async def list_columns(
        self, entity: TableEntityType, table_id: str, *, owner_email: str
    ) -> ColumnsListResponse:
        return await self._send(
            ColumnsListResponse,
            "GET",
            f"{self._base(entity, table_id)}/columns",
            params={"email": self._email(owner_email)},
        )

    async def remove_column(
        self, entity: TableEntityType, table_id: str, column_id: str, *, owner_email: str
    ) -> ColumnRemoved:
        """Remove a column and its cells (free); default columns cannot be removed."""
        return await self._send(
            ColumnRemoved,
            "DELETE",
            f"{self._base(entity, table_id)}/columns/{_segment(column_id, 'column_id')}",
            params={"email": self._email(owner_email)},
        )

    async def run_column(
        self,
        entity: TableEntityType,
        table_id: str,
        column_id: str,
        *,
        scope: RunScope,
        owner_email: str,
        ids: Sequence[str] | None = None,
    ) -> ColumnsRunResponse:
        """Start a column run (asynchronous; metered per row processed at the column's tier).

        When Lusha stops the run with 402 and says what it charged for the rows it did process,
        the error carries that as `partial` (so the guard records what was paid)."""
        request = ColumnsRunRequest.model_validate(
            {"runScope": scope, "entityIds": list(ids) if ids else None, "owner": {"email": owner_email}}
        )
        path = f"{self._base(entity, table_id)}/columns/{_segment(column_id, 'column_id')}/run"
        try:
            return await self._send(ColumnsRunResponse, "POST", path, body=request, metered=True)
        except APIStatusError as exc:
            if exc.status == 402:
                exc.partial = _charged_before_stop(exc.body, exc.request_id)
            raise


def _charged_before_stop(body: object, request_id: str | None) -> ColumnsRunResponse | None:
    """The billing a 402 body reports for the rows processed before the balance ran out."""
    if not isinstance(body, dict):
        return None
    mapping = cast(dict[str, Any], body)
    if "billing" not in mapping:
        return None
    fields: dict[str, Any] = {"billing": mapping["billing"], "requestId": request_id}
    try:
        response = ColumnsRunResponse.model_validate(fields)
    except ValidationError:
        return None
    response.request_ids = [request_id] if request_id else []
    return response
