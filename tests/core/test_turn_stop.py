"""A running turn's stop: a request ends the streaming block, a shutdown stays a shutdown."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.turn_stop import TurnStop, TurnStopped


async def test_a_request_ends_the_block_with_turn_stopped_and_the_task_goes_on() -> None:
    stop = TurnStop(requester=1)
    entered = asyncio.Event()

    async def stream() -> str:
        try:
            async with stop.scope():
                entered.set()
                await asyncio.Event().wait()  # a stream that never ends by itself
        except TurnStopped as stopped:
            await asyncio.sleep(0)  # the task is not left cancelled: it may await again
            task = asyncio.current_task()
            assert task is not None
            return f"stopped, sent={stopped.sent}, cancelling={task.cancelling()}"
        return "ended"

    task = asyncio.create_task(stream())
    await entered.wait()
    stop.request()

    assert await task == "stopped, sent=True, cancelling=0"
    assert stop.requested and stop.requester == 1


async def test_a_request_before_the_stream_starts_sends_nothing() -> None:
    stop = TurnStop(requester=None)
    stop.request()
    ran = False

    with pytest.raises(TurnStopped) as stopped:
        async with stop.scope():
            ran = True

    assert not ran
    assert not stopped.value.sent


async def test_a_shutdown_cancel_stays_a_cancelled_error() -> None:
    stop = TurnStop(requester=1)
    entered = asyncio.Event()

    async def stream() -> None:
        async with stop.scope():
            entered.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(stream())
    await entered.wait()
    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await task
    assert not stop.requested


def test_a_request_once_the_turn_is_past_streaming_changes_nothing() -> None:
    stop = TurnStop(requester=1)
    stop.over()  # the state is being read: the stream is closed already

    assert stop.request() is False, "the canceller is not told it stopped anything"
    assert not stop.requested
    fresh = TurnStop(requester=1)
    assert fresh.request() is True and fresh.request() is False, "once is enough"
