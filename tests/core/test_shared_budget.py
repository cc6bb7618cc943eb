"""The Discord budget shared through Redis: two budgets (two processes' worth) on one
window never let more than its capacity through in any second together, and a Redis that
stops answering leaves each process to its own budget, said once in the log."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from bot.core.rate_budget import RateBudget
from bot.core.shared_budget import RedisWindow, SharedBudget
from tests.conftest import REDIS_TEST_URL

CAPACITY = 5


def most_in_one_second(stamps: list[float]) -> int:
    stamps = sorted(stamps)
    return max(sum(1 for t in stamps[i:] if t - start < 1.0) for i, start in enumerate(stamps))


@pytest.mark.parametrize("way", ["slot", "take and give back"])
async def test_two_processes_on_one_window_stay_within_its_capacity_together(
    redis_prefix: str, way: str
) -> None:
    """Either way the port uses it: a slot around a write, or taken and given back from
    discord.py's HTTP trace hooks."""
    windows = [RedisWindow(REDIS_TEST_URL, redis_prefix, CAPACITY) for _ in range(2)]
    budgets = [SharedBudget(RateBudget(CAPACITY, 1.0), window) for window in windows]
    made: list[float] = []

    async def request(budget: SharedBudget) -> None:
        if way == "slot":
            async with budget.slot():
                made.append(time.time())
        else:
            taken = await budget.take()
            made.append(time.time())
            await asyncio.sleep(0)  # the answer comes later, in a hook
            budget.give_back(taken)

    try:
        await asyncio.gather(*(request(budgets[n % 2]) for n in range(4 * CAPACITY)))
        for budget in budgets:
            await budget.settle()
    finally:
        for window in windows:
            await window.close()
    assert len(made) == 4 * CAPACITY
    # each alone would allow CAPACITY a second: together they allow no more
    assert most_in_one_second(made) <= CAPACITY, "\n".join(str(t) for t in sorted(made))
    assert sum(b.shared_waits for b in budgets) > 0


async def test_an_unreachable_redis_leaves_each_process_its_own_budget_said_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    window = RedisWindow("redis://127.0.0.1:1/0", "nemobot-test-unreachable", CAPACITY)
    budget = SharedBudget(RateBudget(CAPACITY, 1.0), window)
    made = 0
    with caplog.at_level(logging.WARNING, logger="bot.core.shared_budget"):
        try:
            for _ in range(3):
                async with budget.slot():
                    made += 1
        finally:
            await window.close()
    assert made == 3
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "Redis is unreachable" in warnings[0]
