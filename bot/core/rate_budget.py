"""At most `capacity` requests in any `per_seconds` window, as the server counts them,
shared fairly between waiters.

A slot is taken before the request leaves and given back once its answer has come:
`slot()` around the call, or `take` and `give_back` from an HTTP client's hooks (where
a request is known to leave, after any wait of the client's own).

Only `RateBudget.acquire` and `slot` wait; the clock and the sleep are passed in, so tests
run on a fake clock without sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable

__all__ = ["RateBudget", "Slot"]

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class Slot:
    """A request's place in a budget, from `RateBudget.take` until `give_back`."""

    __slots__ = ("returned",)

    def __init__(self) -> None:
        self.returned = False


class RateBudget:
    """At most `capacity` requests in any window of `per_seconds` (a sliding window), as the
    server counts them.

    Stricter than a token bucket, which would allow a full burst right after a full burst:
    Discord's buckets (5 edits / 5 s per channel, 50 requests / s per bot) must never see
    more than their limit. A request reaches the server at some moment between being given
    its slot and its answer coming back (a client library may still hold it back for its own
    bucket, or retry it), so a slot is held from the moment it is given (`slot()`) until
    `per_seconds` after the request has completed: then every window the server can see
    holds at most `capacity` requests, however late each one really left.

    Waiters are served by priority, lowest first (by default the time they started
    waiting, i.e. in arrival order); the Discord port passes the time a channel's shown text
    was last updated, so the channel that has waited longest since its last update goes
    next. When a request needs two budgets, take the narrow one (the channel's) before the
    global one, so a long wait does not hold a global slot.
    """

    def __init__(
        self,
        capacity: int,
        per_seconds: float,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if capacity < 1 or per_seconds <= 0:
            raise ValueError("a budget needs a capacity of at least 1 and a positive window")
        self.capacity = capacity
        self.per_seconds = per_seconds
        self._clock = clock
        self._sleep = sleep
        self._recent: list[float] = []  # a heap of the times requests left (or completed)
        self._in_flight = 0
        self._queue: list[tuple[float, int]] = []  # (priority, arrival) heap
        self._turns: dict[tuple[float, int], asyncio.Event] = {}
        self._arrivals = itertools.count()
        self._head_wake = asyncio.Event()

    @property
    def waiting(self) -> int:
        """How many requests are waiting for a slot."""
        return len(self._queue)

    def _forget_old(self, now: float) -> None:
        while self._recent and self._recent[0] + self.per_seconds - now <= 0:
            heapq.heappop(self._recent)

    def seconds_until_available(self) -> float:
        """0 when a slot is free now; `math.inf` while every slot is held by a request
        still in flight (one frees `per_seconds` after that request completes)."""
        now = self._clock()
        self._forget_old(now)
        if len(self._recent) + self._in_flight < self.capacity:
            return 0.0
        if not self._recent:
            return math.inf
        return self._recent[0] + self.per_seconds - now

    def try_acquire(self) -> bool:
        """Count a request made now if a slot is free and nobody waits (never waits)."""
        if self._queue or self.seconds_until_available() > 0:
            return False
        heapq.heappush(self._recent, self._clock())
        return True

    async def acquire(self, priority: float | None = None) -> None:
        """Wait for a slot for a request made at once (it counts as completed now)."""
        async with self.slot(priority):
            pass

    @contextlib.asynccontextmanager
    async def slot(self, priority: float | None = None) -> AsyncIterator[None]:
        """Hold a slot while the request inside the block is made (see the class)."""
        taken = await self.take(priority)
        try:
            yield
        finally:
            self.give_back(taken)

    async def take(self, priority: float | None = None) -> Slot:
        """Wait for a slot for a request about to leave; `give_back` it after the answer."""
        await self._wait_turn(self._clock() if priority is None else priority)
        self._in_flight += 1
        return Slot()

    def give_back(self, taken: Slot) -> None:
        """The request has its answer (or failed): it counts for one more window from now.
        Giving a slot back twice counts it once."""
        if taken.returned:
            return
        taken.returned = True
        self._in_flight -= 1
        heapq.heappush(self._recent, self._clock())
        self._head_wake.set()

    async def _wait_turn(self, priority: float) -> None:
        key = (priority, next(self._arrivals))
        turn = self._turns[key] = asyncio.Event()
        heapq.heappush(self._queue, key)
        self._wake_head()
        try:
            while True:
                if self._queue[0] != key:
                    turn.clear()
                    await turn.wait()
                    continue
                wait = self.seconds_until_available()
                if wait <= 0:
                    heapq.heappop(self._queue)
                    return
                self._head_wake.clear()
                await self._nap(wait, self._head_wake)
        finally:
            if key in self._turns:
                del self._turns[key]
                if self._queue and key in self._queue:  # cancelled while waiting
                    self._queue.remove(key)
                    heapq.heapify(self._queue)
                self._wake_head()

    def _wake_head(self) -> None:
        """Tell whoever is first in the queue to look again (it may have changed)."""
        self._head_wake.set()
        if self._queue:
            self._turns[self._queue[0]].set()

    async def _nap(self, seconds: float, wake: asyncio.Event) -> None:
        """Until `seconds` have passed on the budget's clock, or `wake` is set."""
        woken = asyncio.ensure_future(wake.wait())
        if math.isinf(seconds):
            await woken
            return
        timer = asyncio.ensure_future(self._sleep(seconds))
        try:
            await asyncio.wait({woken, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
            timer.cancel()
