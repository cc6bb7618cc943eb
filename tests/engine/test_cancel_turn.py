"""Cancelling a chat turn while NemoVideo streams it: the stream is closed, never re-sent.

The emulator goes on with a turn whose client left (as NemoVideo does), so the state read
after the cancel finds the edit made: the user is told the cancel came too late for it.
"""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from bot.core.port import Action
from bot.core.wording import Wording
from bot.nemo.draft import timeline_summary
from tests.engine.conftest import FAST, KEY, Rig, fast_config, registered_token
from tests.engine.memport import Shown
from tests.engine.test_turns import GENERATE, say

EN = Wording("en")
#: A generation takes 100-300 s at NemoVideo; a tenth of that here: long enough to cancel.
SLOW_TURNS = pytest.mark.parametrize("emulator_config", [fast_config(turn_scale=0.1)])


def told(reply: Shown, sentence: str) -> bool:
    """Some version of `reply` said `sentence` (after the text streamed before it)."""
    return any(sentence in version for version in reply.versions)


def sent_to_run_sse(rig: Rig) -> int:
    """How many chat messages reached NemoVideo, from the emulator's request log."""
    return sum(1 for r in rig.emulator.state.requests if r.path == "/run_sse")


async def streaming(rig: Rig, author: int = 1) -> tuple[Shown, asyncio.Task[None]]:
    """`author`'s generation, started; its live reply once NemoVideo is streaming it."""
    turn = asyncio.create_task(say(rig, GENERATE, author=author))
    await rig.port.wait_for(lambda: sent_to_run_sse(rig) == 1 and rig.port.messages)
    reply = rig.port.messages[0]
    await rig.port.wait_for(lambda: len(reply.versions) > 1)  # the stream has begun
    return reply, turn


@SLOW_TURNS
@pytest.mark.parametrize("how", ["engine", "cancel", "取消"])
async def test_cancel_during_a_turn_closes_its_stream_reads_the_state_and_never_resends(
    rig: Rig, how: str
) -> None:
    reply, turn = await streaming(rig)
    assert reply.actions == (Action.CANCEL,), "the live reply carries a Cancel button"

    if how == "engine":
        answer = await rig.engine.cancel(KEY, 1)
    else:
        await say(rig, how, author=1)
        answer = rig.port.messages[-1].text
    await turn
    await rig.engine.drain()

    assert answer == EN.cancel_turn_done()
    assert sent_to_run_sse(rig) == 1, "the message reached /run_sse once, never again"
    assert rig.emulator.state.counters.turns == 1
    assert told(reply, EN.turn_cancelled_checking()), "told NemoVideo may still finish"
    record = await rig.store.get_conversation(KEY)
    assert record is not None
    state = rig.emulator.state.sessions[record.session_id]
    assert state.draft, "NemoVideo finished the generation although the client left"
    draft = (await rig.engine.status_reply(KEY)).draft
    assert draft is not None
    assert reply.text.endswith(EN.turn_cancelled_changed(timeline_summary(draft)))
    assert reply.actions == (Action.EXPORT, Action.TIMELINE)
    unfinished = await rig.store.get_unfinished_turns()
    assert unfinished == [], "nothing is left to resume (and post) after a restart"


@SLOW_TURNS
async def test_nothing_but_the_state_read_is_posted_for_a_cancelled_turn(rig: Rig) -> None:
    reply, turn = await streaming(rig)

    await rig.engine.cancel(KEY, 1)
    posted = len(rig.port.messages)
    await turn
    await rig.engine.drain()

    assert len(rig.port.messages) == posted, "no message after the cancel's own answer"
    [notice] = [i for i, v in enumerate(reply.versions) if EN.turn_cancelled_checking() in v]
    assert reply.versions[notice + 1 :] == [reply.text], "then only the state read's outcome"
    assert EN.turn_cancelled_checking() not in reply.text


@SLOW_TURNS
async def test_a_queued_message_is_dropped_and_its_author_told(rig: Rig) -> None:
    _reply, turn = await streaming(rig, author=1)
    queued = asyncio.create_task(say(rig, "make the music calmer", author=1))
    await rig.port.wait_for(lambda: EN.wait_your_turn() in rig.port.texts())

    answer = await rig.engine.cancel(KEY, 1)
    await asyncio.gather(turn, queued)
    await rig.engine.drain()

    assert answer == f"{EN.cancel_turn_done()} {EN.cancel_dropped(1)}"
    assert EN.message_dropped("make the music calmer") in rig.port.texts()
    assert sent_to_run_sse(rig) == 1, "the queued message never reached NemoVideo"


@SLOW_TURNS
async def test_someone_else_may_not_cancel_a_turn_but_a_moderator_may(rig: Rig) -> None:
    reply, turn = await streaming(rig, author=1)
    queued = asyncio.create_task(say(rig, "make the music calmer", author=1))
    await rig.port.wait_for(lambda: EN.wait_your_turn() in rig.port.texts())

    refused = await rig.engine.cancel(KEY, 2)
    assert refused == EN.cancel_not_yours()
    assert not told(reply, EN.turn_cancelled_checking())
    assert reply.actions == (Action.CANCEL,), "the turn goes on"

    allowed = await rig.engine.cancel(KEY, 2, may_manage=True)
    await asyncio.gather(turn, queued)

    assert allowed == f"{EN.cancel_turn_done()} {EN.cancel_dropped(1)}"
    assert sent_to_run_sse(rig) == 1


async def test_an_export_waiting_behind_a_turn_is_dropped_too(rig: Rig) -> None:
    await say(rig, GENERATE)
    rig.emulator.state.config.turn_scale = 0.1
    reply_count = len(rig.port.messages)
    turn = asyncio.create_task(say(rig, "what can you do?", author=1))
    await rig.port.wait_for(lambda: sent_to_run_sse(rig) == 2)
    export = asyncio.create_task(rig.engine.export(KEY, 1))
    await rig.port.wait_for(lambda: EN.wait_your_turn() in rig.port.texts()[reply_count:])

    answer = await rig.engine.cancel(KEY, 1)
    await asyncio.gather(turn, export)

    assert answer == f"{EN.cancel_turn_done()} {EN.cancel_dropped(1)}"
    assert EN.export_dropped() in rig.port.texts()
    assert rig.emulator.state.counters.renders == 0, "nothing was rendered"


async def test_a_cancel_while_waiting_out_a_rate_limit_sends_nothing(make_rig) -> None:  # type: ignore[no-untyped-def]
    patient = dataclasses.replace(
        FAST, rate_limit_retry_seconds=60.0, rate_limit_max_wait_seconds=60.0
    )
    async with make_rig(timings=patient, nemo_token=registered_token()) as rig:
        await say(rig, "hello")
        rig.emulator.set_fault("rate_limited", times=2)  # the state read, then the message
        turn = asyncio.create_task(say(rig, GENERATE))
        await rig.port.wait_for(lambda: rig.port.find(EN.rate_limited_retrying(60.0)))

        answer = await rig.engine.cancel(KEY, 1)
        await turn

        assert answer == EN.cancel_turn_done()
        assert rig.port.messages[-1].text == EN.message_dropped(GENERATE)
        assert rig.emulator.state.counters.turns == 1, "refused once, never sent again"
        assert sent_to_run_sse(rig) == 2  # "hello", then GENERATE refused with a 429
