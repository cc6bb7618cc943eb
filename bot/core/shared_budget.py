"""One Discord budget for every process of the bot, kept in Redis (`REDIS_URL`).

Discord allows a bot token 50 requests per second, whatever the number of processes
sending them. `SharedBudget` has the same `slot()`, `take()` and `give_back()` as the
in-process `RateBudget` and takes two turns for each request: first this process's own
budget (which orders the process's waiters), then one entry of a window in Redis that
every process counts in.

The window keeps `RateBudget`'s rule across processes: an entry is held from the moment it
is given until one window after its request completed, so no second Discord sees can hold
more than the capacity, however late each request really left. It is one sorted set per
budget and two atomic scripts (take an entry; mark it completed), timed by the Redis
server's own clock, so the processes' clocks need not agree. An entry whose process died
before completing it counts as completed `IN_FLIGHT_LIMIT_MS` after it was given.

(`limits`' moving window was tried first: it lets the whole key expire with `EXPIRE`, and
measured ten requests in 0.975 s through a window of five per second.)

When Redis cannot be reached, the process keeps to its own budget, says so once in the
log, and uses Redis again as soon as it answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import redis.asyncio
from redis.exceptions import RedisError

from bot.core.rate_budget import RateBudget, Slot

log = logging.getLogger(__name__)

#: The longest one wait for the shared window sleeps before it asks again.
MAX_NAP_SECONDS = 0.25
#: The shortest, so that a full window is not asked about in a busy loop.
MIN_NAP_SECONDS = 0.005
#: An entry not completed within this long (its process died) counts as completed then.
IN_FLIGHT_LIMIT_MS = 30_000

# KEYS[1] the window; ARGV capacity, window (ms), entry id, in-flight limit (ms).
# Scores: completion time, or given time + in-flight limit while in flight. Returns 0 when
# the entry was taken, else the milliseconds until the oldest one leaves the window.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local capacity, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < capacity then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window + tonumber(ARGV[4]))
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
"""
# KEYS[1] the window; ARGV entry id. The entry now counts from its completion.
_COMPLETE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
return 0
"""


class Budget(Protocol):
    """What the Discord port needs of its global budget (`RateBudget` has it too): a slot
    around a call, or taken and given back from discord.py's HTTP trace hooks."""

    def slot(self, priority: float | None = None) -> contextlib.AbstractAsyncContextManager[None]:
        """Hold a slot while one request is made."""
        ...

    async def take(self, priority: float | None = None) -> Any:
        """Wait for a slot for a request about to leave."""
        ...

    def give_back(self, taken: Any) -> None:
        """The request has its answer (or failed)."""
        ...


class RedisWindow:
    """`capacity` requests per `per_seconds` in Redis, for every process using `key`
    (`<key_prefix>:budget:<name>`)."""

    def __init__(
        self,
        url: str,
        key_prefix: str,
        capacity: int,
        *,
        name: str = "discord",
        per_seconds: float = 1.0,
    ) -> None:
        if capacity < 1 or per_seconds <= 0:
            raise ValueError("a budget needs a capacity of at least 1 and a positive window")
        self._client = redis.asyncio.Redis.from_url(url, socket_connect_timeout=2)
        self._take = self._client.register_script(_TAKE)
        self._complete = self._client.register_script(_COMPLETE)
        self.key = f"{key_prefix}:budget:{name}"
        self.capacity = capacity
        self._window_ms = round(per_seconds * 1000)
        self._ids = itertools.count()
        self._process = secrets.token_hex(6)

    async def take(self) -> tuple[str, float]:
        """Try to take one entry now: (its id, 0.0), or ("", seconds until one may be free)."""
        entry = f"{self._process}:{next(self._ids)}"
        wait_ms = await self._take(
            keys=[self.key], args=[self.capacity, self._window_ms, entry, IN_FLIGHT_LIMIT_MS]
        )
        if int(wait_ms) == 0:
            return entry, 0.0
        return "", max(int(wait_ms) / 1000, MIN_NAP_SECONDS)

    async def complete(self, entry: str) -> None:
        """The entry's request has completed: it leaves the window one window from now."""
        await self._complete(keys=[self.key], args=[entry])

    async def clear(self) -> None:
        """Forget every entry (benches start from an empty window)."""
        await self._client.delete(self.key)

    async def ping(self) -> bool:
        return bool(await self._client.ping())

    async def close(self) -> None:
        await self._client.aclose()


@dataclass(frozen=True, slots=True)
class SharedSlot:
    """A request's place in both budgets: this process's slot, the shared window's entry
    ("" when Redis could not be asked)."""

    local: Slot
    entry: str


class SharedBudget:
    """This process's budget first, then the window every process shares (see the module)."""

    def __init__(
        self,
        local: RateBudget,
        window: RedisWindow,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._local = local
        self._window = window
        self._sleep = sleep
        self._unreachable = False
        self._completing: set[asyncio.Task[None]] = set()
        #: Requests that waited for the shared window (other processes used it up).
        self.shared_waits = 0

    @contextlib.asynccontextmanager
    async def slot(self, priority: float | None = None) -> AsyncIterator[None]:
        taken = await self.take(priority)
        try:
            yield
        finally:
            self._local.give_back(taken.local)
            if taken.entry:
                await self._completed(taken.entry)

    async def take(self, priority: float | None = None) -> SharedSlot:
        """This process's slot, then an entry of the shared window (as `RateBudget.take`)."""
        local = await self._local.take(priority)
        try:
            entry = await self._shared_turn()
        except BaseException:
            self._local.give_back(local)  # cancelled while waiting for the shared window
            raise
        return SharedSlot(local, entry)

    def give_back(self, taken: SharedSlot) -> None:
        """The request has its answer: both count for one more window from now (the shared
        entry as soon as Redis hears it, in the background)."""
        self._local.give_back(taken.local)
        if taken.entry:
            task = asyncio.ensure_future(self._completed(taken.entry))
            self._completing.add(task)
            task.add_done_callback(self._completing.discard)

    async def settle(self) -> None:
        """Wait until Redis has heard of every answer given back (before closing it)."""
        await asyncio.gather(*self._completing)

    async def _shared_turn(self) -> str:
        """Wait for an entry of the shared window; its id ("" when Redis is unreachable)."""
        waited = False
        while True:
            try:
                entry, wait = await self._window.take()
            except (RedisError, OSError) as exc:
                self._lost(exc)
                return ""
            if self._unreachable:
                self._unreachable = False
                log.info("Redis answers again; the Discord budget is shared again")
            if entry:
                return entry
            if not waited:
                waited = True
                self.shared_waits += 1
            await self._sleep(min(wait, MAX_NAP_SECONDS))

    async def _completed(self, entry: str) -> None:
        try:
            await self._window.complete(entry)
        except (RedisError, OSError) as exc:
            self._lost(exc)  # the entry then counts as completed IN_FLIGHT_LIMIT_MS after

    def _lost(self, exc: Exception) -> None:
        if not self._unreachable:
            self._unreachable = True
            log.warning(
                "Redis is unreachable (%s); keeping to this process's own Discord budget "
                "until it answers again",
                type(exc).__name__,
            )
