"""Budgets across replicas: several users in two teams fire reveals and searches at all three replicas
at once; no user, team or account spends over its daily budget, and the shared ledger equals what
the sandbox charged."""

from __future__ import annotations

from collections import Counter
from typing import Any

import anyio
import pytest

from tests.team.harness import Team, User, structured, text_of

pytestmark = pytest.mark.anyio

USER_BUDGET = 5
RED_BUDGET = 7  # set with `lusha-mcp budgets set --team red`
ACCOUNT_BUDGET = 12
RED = [User(f"red-{n}", ("red",)) for n in range(3)]
BLUE = [User(f"blue-{n}", ("blue",)) for n in range(3)]
SEARCHES, REVEALS = 4, 2  # per user: 6 credits wanted, each call 1 credit


@pytest.fixture(scope="module")
def team_settings() -> dict[str, str]:
    return {
        "LUSHA_USER_DAILY_BUDGET": str(USER_BUDGET),
        "LUSHA_TEAM_DAILY_BUDGET": "100",
        "LUSHA_DAILY_BUDGET": str(ACCOUNT_BUDGET),
        "LUSHA_AUTO_APPROVE": "true",  # unattended: no confirmation, never past a budget
    }


async def test_concurrent_users_in_two_teams_never_exceed_any_budget(team: Team) -> None:
    done = team.cli("budgets", "set", "--team", "red", "--daily", str(RED_BUDGET))
    assert done.returncode == 0, done.stderr
    users = RED + BLUE
    fresh_ids = iter(team.contact_ids_with_emails(len(users) * REVEALS, skip=200))
    search_id = team.contact_ids_with_emails(1, skip=300)[0]
    spent: Counter[str] = Counter()
    refusals: list[str] = []
    calls: list[tuple[User, str, dict[str, Any]]] = [
        *(
            (user, "search_contacts", {"contacts": [{"id": search_id}]})
            for user in users
            for _ in range(SEARCHES)
        ),
        *(
            (user, "enrich_contacts", {"ids": [next(fresh_ids)], "reveal": ["emails"]})
            for user in users
            for _ in range(REVEALS)
        ),
    ]

    async def run(user: User, tool: str, arguments: dict[str, Any]) -> None:
        result = await team.call(user, tool, **arguments)
        if result.is_error:
            refusals.append(text_of(result))
        else:
            spent[user.subject] += structured(result)["credits_charged"]

    async with anyio.create_task_group() as group:
        for user, tool, arguments in calls:
            group.start_soon(run, user, tool, arguments)

    assert all("budget" in refusal for refusal in refusals), refusals
    assert max(spent.values()) <= USER_BUDGET, spent
    assert sum(spent[user.subject] for user in RED) <= RED_BUDGET, spent
    # Demand (36 credits) is far above the account's 12: the guard stops exactly at it, not before.
    assert sum(spent.values()) == ACCOUNT_BUDGET, spent
    assert await team.charged_total() == ACCOUNT_BUDGET
    assert sum(team.ledger("day").values()) == ACCOUNT_BUDGET
    by_user = team.ledger("user")
    assert {key.rsplit(" ", 1)[-1]: charged for key, charged in by_user.items() if charged} == {
        subject: charged for subject, charged in spent.items() if charged
    }
    by_team = team.ledger("team")
    assert by_team.get("red", 0) == sum(spent[user.subject] for user in RED)
    assert by_team.get("blue", 0) == sum(spent[user.subject] for user in BLUE)
