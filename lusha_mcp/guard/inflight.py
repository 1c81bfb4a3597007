"""Reveals in flight, so two concurrent calls for the same record pay for it once.

A reveal claims its record keys while it talks to Lusha; a second call for any of them waits
until the first is done and then reads the reveal cache, which the first filled batch by batch.
One event loop serves every client of a server, so claims need no lock.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from contextlib import asynccontextmanager

import anyio


class InFlight:
    def __init__(self) -> None:
        self._held: dict[str, anyio.Event] = {}

    async def wait(self, keys: Iterable[str]) -> bool:
        """Wait until none of `keys` is claimed; True if there was something to wait for."""
        waited = False
        wanted = list(keys)
        while True:
            busy = next((self._held[key] for key in wanted if key in self._held), None)
            if busy is None:
                return waited
            waited = True
            await busy.wait()

    @asynccontextmanager
    async def claim(self, keys: Iterable[str]) -> AsyncGenerator[bool]:
        """Hold `keys` for the body, after waiting for other holders; yields whether it waited."""
        wanted = list(dict.fromkeys(keys))
        waited = await self.wait(wanted)
        done = anyio.Event()
        for key in wanted:
            self._held[key] = done
        try:
            yield waited
        finally:
            for key in wanted:
                if self._held.get(key) is done:
                    del self._held[key]
            done.set()
