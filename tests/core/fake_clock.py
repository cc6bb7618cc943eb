"""A monotonic clock for tests that moves only when told to."""

from __future__ import annotations

import asyncio


class FakeClock:
    """Time that moves only when a test (or the fake sleep) says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)
