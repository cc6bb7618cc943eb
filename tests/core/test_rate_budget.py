"""Rate budgets on a fake clock: a sliding window as the server counts it, fair between waiters."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import random
from collections.abc import Awaitable

import pytest

from bot.core.rate_budget import RateBudget
from tests.core.fake_clock import FakeClock


async def test_rate_budget_never_allows_more_than_capacity_in_a_window() -> None:
    clock = FakeClock()
    budget = RateBudget(5, 5.0, clock=clock, sleep=clock.sleep)
    granted: list[float] = []

    async def edit() -> None:
        await budget.acquire()
        granted.append(clock())

    start = clock()
    await asyncio.gather(*(edit() for _ in range(23)))
    assert len(granted) == 23
    assert granted[:5] == [start] * 5  # a full burst at once
    assert all(granted[i + 5] - granted[i] >= 5.0 for i in range(len(granted) - 5))
    assert granted[-1] - start == pytest.approx(20.0)  # and no slower than needed


async def test_global_budget_of_50_per_second() -> None:
    clock = FakeClock()
    budget = RateBudget(50, 1.0, clock=clock, sleep=clock.sleep)
    granted: list[float] = []
    for _ in range(120):
        await budget.acquire()
        granted.append(clock())
    assert all(granted[i + 50] - granted[i] >= 1.0 for i in range(len(granted) - 50))
    assert granted[-1] - granted[0] == pytest.approx(2.0)


def test_try_acquire_never_waits() -> None:
    clock = FakeClock()
    budget = RateBudget(2, 5.0, clock=clock)
    assert budget.try_acquire()
    assert budget.try_acquire()
    assert not budget.try_acquire()
    assert budget.seconds_until_available() == pytest.approx(5.0)
    clock.advance(5.0)
    assert budget.try_acquire()


@pytest.mark.parametrize(("capacity", "per"), [(0, 1.0), (1, 0.0)])
def test_a_budget_needs_room(capacity: int, per: float) -> None:
    with pytest.raises(ValueError):
        RateBudget(capacity, per)


class VirtualTime:
    """A timeline shared by many tasks: `sleep` waits until `run` moves time to its end."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(0.0, seconds), next(self._order), future))
        await future

    async def run(self, main: Awaitable[object]) -> None:
        """Run `main`, moving time on to the next sleeper whenever every task is idle."""
        task = asyncio.ensure_future(main)
        while not task.done():
            for _ in range(50):  # let every ready task run up to its next wait
                await asyncio.sleep(0)
            while self._sleepers and self._sleepers[0][2].done():
                heapq.heappop(self._sleepers)
            if task.done() or not self._sleepers:
                continue
            at, _, future = heapq.heappop(self._sleepers)
            self.now = max(self.now, at)
            future.set_result(None)
        task.result()


async def test_a_request_held_back_after_its_slot_still_counts_in_every_window() -> None:
    time_line = VirtualTime()
    budget = RateBudget(5, 1.0, clock=time_line, sleep=time_line.sleep)
    rng = random.Random(4)
    arrivals: list[float] = []

    async def request() -> None:
        async with budget.slot():
            await time_line.sleep(rng.uniform(0.0, 1.5))  # held back by the client library
            arrivals.append(time_line())  # the server sees it now
            await time_line.sleep(rng.uniform(0.0, 0.2))  # the answer comes back

    await time_line.run(asyncio.gather(*(request() for _ in range(60))))
    assert len(arrivals) == 60
    assert all(arrivals[i + 5] - arrivals[i] >= 1.0 for i in range(len(arrivals) - 5))


async def test_a_slot_taken_and_given_back_by_hooks_counts_from_its_answer_once() -> None:
    clock = FakeClock()
    budget = RateBudget(1, 1.0, clock=clock, sleep=clock.sleep)
    taken = await budget.take()
    assert budget.seconds_until_available() == math.inf  # in flight: no end known yet
    clock.advance(0.5)
    budget.give_back(taken)
    budget.give_back(taken)  # an exception hook after the end hook: counted once
    assert budget.seconds_until_available() == pytest.approx(1.0)
    clock.advance(1.0)
    assert budget.try_acquire()


async def test_the_waiter_with_the_oldest_shown_text_goes_first() -> None:
    time_line = VirtualTime()
    budget = RateBudget(1, 1.0, clock=time_line, sleep=time_line.sleep)
    served: list[str] = []

    async def write(name: str, shown_at: float) -> None:
        async with budget.slot(priority=shown_at):
            served.append(name)

    async def scene() -> None:
        await budget.acquire()  # the budget is full for a second
        waiters = [
            asyncio.ensure_future(write(n, at))
            for n, at in [("fresh", 9.0), ("stale", 1.0), ("middle", 5.0)]
        ]
        await asyncio.gather(*waiters)

    await time_line.run(scene())
    assert served == ["stale", "middle", "fresh"]


async def test_a_cancelled_waiter_gives_its_turn_to_the_next() -> None:
    time_line = VirtualTime()
    budget = RateBudget(1, 1.0, clock=time_line, sleep=time_line.sleep)
    served: list[str] = []

    async def write(name: str, shown_at: float) -> None:
        async with budget.slot(priority=shown_at):
            served.append(name)

    async def scene() -> None:
        await budget.acquire()
        first = asyncio.ensure_future(write("first", 1.0))
        second = asyncio.ensure_future(write("second", 2.0))
        await asyncio.sleep(0)
        first.cancel()
        await asyncio.gather(second)

    await time_line.run(scene())
    assert served == ["second"]
    assert budget.waiting == 0
