"""One process of the cross-process reservation test: many concurrent reservations (and
settlements) against one PostgreSQL database. Prints how many were taken and refused (JSON).

Usage: python -m tests.storage.reserve_worker URL WORKER CALLS
"""

from __future__ import annotations

import json
import random
import sys

import anyio

from lusha_mcp.guard import OverBudget
from lusha_mcp.storage import Caller, Limits
from lusha_mcp.storage.postgres import PostgresStorage

LIMITS = Limits(session=40, user=60, team=110, account=200)
CALLERS = [
    Caller(
        f"s{index}",
        user=f"https://idp.example user{index % 6}",
        teams=(("sales",), ("support",), ("sales", "emea"))[index % 3],
    )
    for index in range(12)
]


async def main(url: str, worker: int, calls: int) -> None:
    storage = PostgresStorage(url)
    rng = random.Random(worker)  # the quotes are the test's input, not its outcome
    taken = refused = 0
    await storage.open()

    async def one(number: int) -> None:
        nonlocal taken, refused
        caller = CALLERS[(worker * calls + number) % len(CALLERS)]
        quote = rng.randint(1, 5)
        try:
            reservation = await storage.ledger.reserve(
                caller,
                tool="enrich_contacts",
                arguments_hash=f"{worker}.{number}",
                quote=quote,
                limits=LIMITS,
            )
        except OverBudget:
            refused += 1
            return
        taken += 1
        if number % 3 == 0:
            await storage.ledger.settle(reservation, charged=quote - 1, request_id=None, outcome="ok")
        elif number % 3 == 1:
            await storage.ledger.settle(reservation, charged=None, request_id=None, outcome="unknown")
        # the rest stay pending: counted at their quote

    try:
        async with anyio.create_task_group() as group:
            for number in range(calls):
                group.start_soon(one, number)
    finally:
        await storage.aclose()
    print(json.dumps({"taken": taken, "refused": refused}))


if __name__ == "__main__":
    anyio.run(main, sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
