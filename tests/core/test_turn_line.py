"""A conversation's turn line: arrival order, places given up, waiters cancelled."""

from __future__ import annotations

import asyncio
import contextlib

from bot.core.turn_line import Place, TurnLine


async def test_turns_follow_arrival_order_and_an_unused_place_lets_the_next_go() -> None:
    line = TurnLine("c")
    order: list[str] = []
    async with contextlib.AsyncExitStack() as places:
        first = await places.enter_async_context(line.place())
        second = await places.enter_async_context(line.place())
        third = await places.enter_async_context(line.place())

        async def take(place: Place, name: str) -> None:
            async with place.turn():
                order.append(name)

        later = asyncio.create_task(take(third, "third"))
        sooner = asyncio.create_task(take(second, "second"))
        await asyncio.sleep(0.01)
        assert order == [], "both wait for the first place"
        await first.leave()  # the first message needed no turn
        await asyncio.gather(later, sooner)

    assert order == ["second", "third"]
    assert not line.busy()


async def test_a_cancelled_waiter_gives_up_its_place() -> None:
    line = TurnLine("c")
    async with line.place() as holder, holder.turn():
        async with line.place() as waiter:
            waiting = asyncio.create_task(waiter.turn().__aenter__())
            await asyncio.sleep(0.01)
            waiting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiting
        assert line.busy() and line.running()
    async with line.place() as next_one, next_one.turn():
        assert line.running()
    assert not line.busy()


async def test_later_messages_know_they_wait_for_an_earlier_ones_files() -> None:
    line = TurnLine("c")
    async with line.place() as with_files, line.place() as words:
        with_files.reading_files(True)
        assert words.behind_files()
        with_files.reading_files(False)
        assert not words.behind_files()
