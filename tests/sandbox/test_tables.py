"""The sandbox's Tables over HTTP: ownership and visibility, ids in both forms, pagination,
asynchronous runs that move with time, and billing per the spec's notes."""

from __future__ import annotations

import sqlite3
from typing import Any

import anyio
import httpx
import pytest

from lusha_mcp.settings import Settings

pytestmark = pytest.mark.anyio

OWNER = {"email": "user@example.com"}
TEAMMATE = {"email": "teammate@example.com"}


def ids_of(settings: Settings, table: str, count: int) -> list[str]:
    with sqlite3.connect(settings.sandbox_db_path()) as db:
        where = " WHERE gdpr_blocked = 0" if table == "contacts" else ""
        return [
            str(r[0]) for r in db.execute(f"SELECT id FROM {table}{where} ORDER BY seq LIMIT ?", (count,))
        ]


async def create(http: httpx.AsyncClient, name: str, **extra: Any) -> str:
    response = await http.post("/v3/contacts/tables", json={"name": name, "owner": OWNER, **extra})
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["tableId"])


async def charges(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    return (await http.get("/_sandbox/charges")).json()["calls"]


async def test_private_tables_are_hidden_from_teammates_and_only_owners_change_them(
    unthrottled_http: httpx.AsyncClient,
) -> None:
    http = unthrottled_http
    table_id = await create(http, "mine")
    hidden = await http.get(f"/v3/contacts/tables/{table_id}", params=TEAMMATE)
    assert hidden.status_code == 404
    assert "TABLE_NOT_FOUND" in hidden.json()["message"]
    listed = await http.post("/v3/contacts/tables/list", json={"owner": TEAMMATE})
    assert listed.json()["data"] == []

    shared = await http.patch(
        f"/v3/contacts/tables/{table_id}", json={"visibility": "shared", "owner": OWNER}
    )
    assert shared.json()["data"]["visibility"] == "shared"
    seen = await http.get(f"/v3/contacts/tables/{table_id}", params=TEAMMATE)
    assert seen.status_code == 200
    rename = await http.patch(f"/v3/contacts/tables/{table_id}", json={"name": "theirs", "owner": TEAMMATE})
    assert rename.status_code == 403
    delete = await http.delete(f"/v3/contacts/tables/{table_id}", params=TEAMMATE)
    assert delete.status_code == 403

    no_owner = await http.post("/v3/contacts/tables", json={"name": "x"})
    assert no_owner.status_code == 400
    assert any("owner" in e for e in no_owner.json()["errors"])
    stranger = await http.get(f"/v3/contacts/tables/{table_id}", params={"email": "nobody@example.com"})
    assert stranger.status_code == 400
    unknown = await http.get("/v3/contacts/tables/999999999", params=OWNER)
    assert unknown.status_code == 404


async def test_ids_in_token_and_numeric_form_and_pages_of_rows(
    unthrottled_http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    http = unthrottled_http
    ids = ids_of(sandbox_settings, "contacts", 5)
    table_id = await create(http, "paged", ids=ids[:3])
    first = await http.get(f"/v3/contacts/tables/{table_id}/entities", params={**OWNER, "size": 2})
    body = first.json()
    assert body["pagination"] == {"page": 0, "size": 2, "total": 3}
    assert body["billing"]["creditsCharged"] == 2
    tokens = [row["id"] for row in body["data"]]
    assert all(token.startswith("v1.") for token in tokens)

    added = await http.post(
        f"/v3/contacts/tables/{table_id}/entities",
        json={"entityIds": [*tokens, ids[3], "v1.bm9wZQ", "12"], "owner": OWNER},
    )
    assert added.json()["data"] | {"addedBy": None} == {
        "added": 1, "alreadyPresent": 2, "invalidIds": ["v1.bm9wZQ", "12"], "addedBy": None,
    }  # fmt: skip
    malformed = await http.post(
        f"/v3/contacts/tables/{table_id}/entities", json={"entityIds": ["not an id"], "owner": OWNER}
    )
    assert malformed.status_code == 400
    second = await http.get(
        f"/v3/contacts/tables/{table_id}/entities", params={**OWNER, "page": 1, "size": 2}
    )
    assert len(second.json()["data"]) == 2

    removed = await http.request(
        "DELETE",
        f"/v3/contacts/tables/{table_id}/entities",
        json={"entityIds": [tokens[0], ids[4]], "owner": OWNER},
    )
    assert removed.json()["data"] == {"removed": 1, "invalidIds": [ids[4]]}


async def test_a_run_moves_through_processing_and_all_charges_again(
    unthrottled_http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    http = unthrottled_http
    table_id = await create(http, "slow", ids=ids_of(sandbox_settings, "contacts", 4))
    run = f"/v3/contacts/tables/{table_id}/columns/col_signal_score/run"
    started = await http.post(run, json={"runScope": "missing", "owner": OWNER})
    assert started.json()["data"]["status"] == "processing"
    assert started.json()["billing"]["creditsCharged"] == 4
    status = (await http.get(f"/v3/contacts/tables/{table_id}", params=OWNER)).json()["data"]
    column = next(c for c in status["columns"] if c["columnId"] == "col_signal_score")
    assert status["isProcessing"] is True
    assert column["rowsProcessing"] > 0
    for _ in range(200):
        status = (await http.get(f"/v3/contacts/tables/{table_id}", params=OWNER)).json()["data"]
        if not status["isProcessing"]:
            break
        await anyio.sleep(0.05)
    column = next(c for c in status["columns"] if c["columnId"] == "col_signal_score")
    assert column["rowsSuccess"] + column["rowsNoData"] == 4
    assert column["rowsProcessing"] == column["rowsNotRun"] == 0

    nothing = await http.post(run, json={"runScope": "missing", "owner": OWNER})
    assert nothing.json()["billing"]["creditsCharged"] == 0
    again = await http.post(run, json={"runScope": "all", "owner": OWNER})
    assert again.json()["billing"]["creditsCharged"] == 4
    default = await http.post(
        f"/v3/contacts/tables/{table_id}/columns/col_name/run", json={"runScope": "all", "owner": OWNER}
    )
    assert default.status_code == 400
    missing_column = await http.post(
        f"/v3/contacts/tables/{table_id}/columns/col_nope/run", json={"runScope": "all", "owner": OWNER}
    )
    assert missing_column.status_code == 404
    assert "COLUMN_NOT_FOUND" in missing_column.json()["message"]


async def test_a_run_the_balance_cannot_cover_charges_only_the_rows_it_ran(
    unthrottled_http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    http = unthrottled_http
    table_id = await create(http, "short", ids=ids_of(sandbox_settings, "contacts", 6))
    await http.post("/_sandbox/credits", json={"remaining": 3})
    cut = await http.post(
        f"/v3/contacts/tables/{table_id}/columns/col_signal_score/run",
        json={"runScope": "missing", "owner": OWNER},
    )
    assert cut.status_code == 402
    assert cut.json()["billing"]["creditsCharged"] == 3
    runs = [c for c in await charges(http) if c["operation"].endswith("/run")]
    assert runs[-1]["creditsCharged"] == 3
    columns = (await http.get(f"/v3/contacts/tables/{table_id}/columns", params=OWNER)).json()["data"]
    score = next(c for c in columns if c["columnId"] == "col_signal_score")
    assert score["rowsNotRun"] == 3


async def test_companies_added_are_charged_once_and_firmographics_once_per_table(
    unthrottled_http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    http = unthrottled_http
    ids = ids_of(sandbox_settings, "companies", 3)
    created = await http.post("/v3/companies/tables", json={"name": "accounts", "owner": OWNER})
    table_id = created.json()["data"]["tableId"]
    add = f"/v3/companies/tables/{table_id}/entities"
    first = await http.post(add, json={"entityIds": ids[:2], "owner": OWNER})
    second = await http.post(add, json={"entityIds": ids, "owner": OWNER})
    assert first.json()["billing"]["creditsCharged"] == 2
    assert second.json()["billing"]["creditsCharged"] == 1
    run = f"/v3/companies/tables/{table_id}/columns/col_firmographics/run"
    paid = await http.post(run, json={"runScope": "all", "owner": OWNER})
    rerun = await http.post(run, json={"runScope": "all", "owner": OWNER})
    assert paid.json()["billing"]["creditsCharged"] == 3
    assert rerun.json()["billing"]["creditsCharged"] == 0


async def test_lookalikes_with_table_id_save_their_results(
    unthrottled_http: httpx.AsyncClient, sandbox_settings: Settings
) -> None:
    http = unthrottled_http
    table_id = await create(http, "lookalikes")
    seeds = ids_of(sandbox_settings, "contacts", 5)
    found = await http.post(
        "/v3/contacts/lookalike", json={"seeds": {"ids": seeds}, "limit": 5, "tableId": table_id}
    )
    body = found.json()
    assert found.status_code == 200, found.text
    assert body["tableWrite"]["added"] == len(body["results"]) > 0
    status = (await http.get(f"/v3/contacts/tables/{table_id}", params=OWNER)).json()["data"]
    assert status["entityCount"] == len(body["results"])
    unknown = await http.post(
        "/v3/contacts/lookalike", json={"seeds": {"ids": seeds}, "limit": 5, "tableId": "999999999"}
    )
    assert unknown.status_code == 404
    assert not [c for c in await charges(http) if c["requestId"] == unknown.headers["x-request-id"]]
