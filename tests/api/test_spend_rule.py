"""The credit guard as a rule of the client: a metered operation outside an authorised plan is
refused before any request, and every operation says whether it is metered where it is declared."""

from __future__ import annotations

import contextlib
import inspect
import re
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from lusha_mcp.api import LushaClient, UnauthorizedSpendError, authorized_spend
from lusha_mcp.api import resources as resources_package
from lusha_mcp.api.errors import LushaError
from lusha_mcp.api.models import MeteredResponse
from lusha_mcp.api.resources import Resource
from lusha_mcp.api.transport import Operation
from lusha_mcp.settings import Settings
from tests.api.conftest import LushaStandIn, make_client
from tests.api.test_operations import CASES, Call
from tests.sandbox.dataset_picks import rows

pytestmark = pytest.mark.anyio

PACKAGE = Path(__file__).resolve().parents[2] / "lusha_mcp"


def declared_operations() -> list[Operation[Any]]:
    found: list[Operation[Any]] = []
    for _, resource in inspect.getmembers(resources_package, inspect.isclass):
        if issubclass(resource, Resource):
            found.extend(
                cast("Operation[Any]", v) for v in vars(resource).values() if isinstance(v, Operation)
            )
    return found


def test_an_operation_is_metered_exactly_when_lusha_bills_its_answer() -> None:
    operations = declared_operations()
    assert len(operations) == 36
    for operation in operations:
        assert operation.metered == issubclass(operation.response, MeteredResponse), operation.name


@pytest.mark.parametrize(("name", "method", "path", "call", "model"), CASES, ids=[c[0] for c in CASES])
async def test_a_metered_operation_outside_a_plan_sends_nothing(
    lusha: LushaStandIn, name: str, method: str, path: str, call: Call, model: type[object]
) -> None:
    async with make_client(lusha) as client:
        if issubclass(model, MeteredResponse):
            with pytest.raises(UnauthorizedSpendError) as refused:
                await call(client)
            assert "outside a plan the credit guard authorised" in str(refused.value)
            assert lusha.seen == []
        else:
            # Lusha's answer (even a 400 or 404 of the stand-in) proves the request was sent.
            with contextlib.suppress(LushaError):
                await call(client)
            assert [s.method for s in lusha.seen] == [method], "a free operation is sent as before"


async def test_the_sandbox_sees_no_charge_until_the_spend_is_authorised(
    sandbox_settings: Settings, sandbox_http: httpx.AsyncClient
) -> None:
    ids = [str(row["id"]) for row in rows(sandbox_settings, "SELECT id FROM contacts ORDER BY seq LIMIT 3")]
    async with LushaClient.from_settings(sandbox_settings) as client:
        with pytest.raises(UnauthorizedSpendError):
            await client.contacts.enrich(ids, reveal=["emails"])
        refused = (await sandbox_http.get("/_sandbox/charges")).json()
        assert refused["totalCreditsCharged"] == 0
        assert refused["calls"] == []

        with authorized_spend("test: the guard authorised this plan"):
            revealed = await client.contacts.enrich(ids, reveal=["emails"])
        charged = (await sandbox_http.get("/_sandbox/charges")).json()

    assert revealed.billing is not None
    assert revealed.billing.credits_charged > 0
    assert charged["totalCreditsCharged"] == revealed.billing.credits_charged
    assert [c["operation"] for c in charged["calls"]] == ["POST /v3/contacts/enrich"]


async def test_the_authorisation_ends_with_its_block(sandbox_settings: Settings) -> None:
    async with LushaClient.from_settings(sandbox_settings) as client:
        with authorized_spend("test: one plan"):
            pass
        with pytest.raises(UnauthorizedSpendError):
            await client.companies.enrich(["1"])


def test_only_the_guard_pipeline_opens_an_authorisation() -> None:
    """Product code opens `authorized_spend` in one place: where the guard runs a plan it authorised."""
    opens = re.compile(r"(?<![\w.])authorized_spend\(")
    opened = sorted(
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if opens.search(path.read_text(encoding="utf-8"))
        and path.relative_to(PACKAGE).as_posix() != "api/spend.py"
    )
    assert opened == ["tools/framework/pipeline.py"]
