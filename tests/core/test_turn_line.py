"""A conversation's turn line: arrival order, places given up, waiters cancelled."""

from __future__ import annotations

import asyncio
import contextlib

from bot.core.turn_line import Place, TurnDropped, TurnLine


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


async def test_a_cancel_drops_the_waiting_places_it_may_and_the_line_goes_on() -> None:
    line = TurnLine("c")
    outcomes: dict[str, str] = {}

    async def wait_in(place: Place, name: str) -> None:
        try:
            async with place.turn():
                outcomes[name] = "ran"
        except TurnDropped:
            outcomes[name] = "dropped"

    async with contextlib.AsyncExitStack() as places:
        running = await places.enter_async_context(line.place(author=1))
        async with running.turn():
            mine = await places.enter_async_context(line.place(author=1))
            theirs = await places.enter_async_context(line.place(author=2))
            reading = await places.enter_async_context(line.place(author=1))
            reading.reading_files(True)
            routing = await places.enter_async_context(line.place(author=1))  # no turn asked yet
            waiters = [
                asyncio.create_task(wait_in(mine, "mine")),
                asyncio.create_task(wait_in(theirs, "theirs")),
            ]
            await asyncio.sleep(0.01)  # both are waiting for the running turn

            dropped = await line.drop_waiting(lambda author: author == 1)

            assert [place.ticket for place in dropped] == [mine.ticket, reading.ticket]
            assert line.running(), "the running turn is not the line's to drop"
            assert line.holds_waiting(), "the other author's message still waits"
            await routing.leave()
        reading.reading_files(False)
        await wait_in(reading, "reading")  # its files are read: its turn never comes
        await asyncio.gather(*waiters)

    assert outcomes == {"mine": "dropped", "reading": "dropped", "theirs": "ran"}
    assert not line.busy()
    async with line.place() as later, later.turn():
        assert line.running(), "a message after the cancel has its turn"
