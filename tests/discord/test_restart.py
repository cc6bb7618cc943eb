"""Restarts and vanished messages: work in flight finishes in its thread."""

from __future__ import annotations

import dataclasses

import discord

from bot.core.state_fingerprint import fingerprint_state
from bot.core.wording import Wording
from bot.nemo.errors import SessionNotFound
from cogs.keys import conversation_key
from tests.discord.conftest import (
    FAST,
    World,
    WorldFactory,
    has_mp4,
    renders_finished,
    said,
    start_video,
)

SUNSET = "a 15-second clip of a sunset over a mountain lake with music"
#: The first render poll waits a minute (virtual time), so a render is still in flight
#: when the test restarts the bot or deletes a message; `advance_time` then moves on.
SLOW_POLL = dataclasses.replace(FAST, render_first_poll_seconds=60.0, render_max_poll_seconds=60.0)


async def export_in_flight(world: World) -> discord.Message:
    """Alice presses Export; returns the render's progress message (the render is running)."""
    thread = world.thread()
    await world.alice.click(world.bot_messages(thread)[-1], label="Export MP4")
    progress = world.bot_messages(thread)[-1]
    assert "Rendering" in said(progress) and not has_mp4(progress)
    return progress


async def test_a_render_in_flight_is_delivered_after_a_restart(studio: WorldFactory) -> None:
    world = await studio(timings=SLOW_POLL)
    thread = await start_video(world, SUNSET)
    await export_in_flight(world)

    await world.restart()
    await renders_finished(world.emulator)
    await world.env.advance_time(61)

    assert has_mp4(world.bot_messages(thread)[-1])
    assert world.emulator.state.counters.renders == 1  # resumed, not submitted again


async def test_a_turn_cut_off_by_a_restart_is_finished_from_the_state(
    studio: WorldFactory,
) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    key = conversation_key(thread.id)
    status = world.bot_messages(thread)[-1]
    # What the previous process left: a running turn, and the state from before it.
    record = await world.bot.store.get_conversation(key)
    assert record is not None
    before = await world.bot.nemo.fetch_state(record.session_id)
    await world.alice.send(thread, 'add a title "After the restart"')
    await world.bot.store.start_turn(
        key, author_id=world.alice.id, status_message_id=str(status.id),
        state_fingerprint=fingerprint_state(before),
    )
    turns_before = world.emulator.state.counters.turns

    await world.restart()
    await world.idle()

    recovered = world.bot_messages(thread)
    assert any("went through" in m.content for m in recovered)
    assert world.emulator.state.counters.turns == turns_before  # nothing was sent again
    assert await world.bot.store.get_unfinished_turns() == []


async def test_a_deleted_progress_message_is_replaced(studio: WorldFactory) -> None:
    world = await studio(timings=SLOW_POLL)
    thread = await start_video(world, SUNSET)
    progress = await export_in_flight(world)
    moderator = world.moderator()
    await moderator.delete(progress)
    await renders_finished(world.emulator)

    await world.env.advance_time(61)

    messages = world.bot_messages(thread)
    assert progress.id not in [m.id for m in messages]
    render = await world.bot.store.get_latest_render(conversation_key(thread.id))
    assert render is not None and render.message_id != str(progress.id)  # a new one
    assert any(has_mp4(m) for m in messages)


async def test_a_render_finishing_in_an_archived_thread_reopens_it(
    studio: WorldFactory,
) -> None:
    world = await studio(timings=SLOW_POLL)
    thread = await start_video(world, SUNSET)
    await export_in_flight(world)
    world.env.backend.edit_channel(thread.id, {}, thread_metadata={"archived": True})
    await renders_finished(world.emulator)

    await world.env.advance_time(61)

    assert any(has_mp4(m) for m in world.bot_messages(thread))
    assert world.channel_edits(thread.id) == [{"archived": False}]


async def test_reset_during_a_render_is_refused_and_the_video_still_arrives(
    studio: WorldFactory,
) -> None:
    world = await studio(timings=SLOW_POLL)
    thread = await start_video(world, SUNSET)
    key = conversation_key(thread.id)
    before = await world.bot.store.get_conversation(key)
    await export_in_flight(world)

    asked = await world.alice.slash(thread, "reset")
    assert asked.response is not None
    pressed = await world.alice.click(asked.response, label="Start over")
    await renders_finished(world.emulator)
    await world.env.advance_time(61)

    after = await world.bot.store.get_conversation(key)
    assert before is not None and after is not None and after.session_id == before.session_id
    assert pressed.acknowledged
    shown = asked.response  # the question, now edited into the answer
    assert shown is not None and shown.content == Wording("en").reset_while_rendering()
    assert all("fresh session" not in m.content for m in world.bot_messages(thread))
    assert has_mp4(world.bot_messages(thread)[-1])


async def test_a_turn_cut_off_by_a_restart_whose_session_is_gone_gets_one_sentence(
    studio: WorldFactory,
) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    key = conversation_key(thread.id)
    status = world.bot_messages(thread)[-1]
    record = await world.bot.store.get_conversation(key)
    assert record is not None
    before = await world.bot.nemo.fetch_state(record.session_id)
    await world.bot.store.start_turn(
        key, author_id=world.alice.id, status_message_id=str(status.id),
        state_fingerprint=fingerprint_state(before),
    )
    del world.emulator.state.sessions[record.session_id]  # NemoVideo forgot it meanwhile
    turns_before = world.emulator.state.counters.turns

    await world.restart()
    await world.idle()

    lost = Wording("en").error(SessionNotFound())
    shown = [m.content for m in world.bot_messages(thread)]
    assert shown.count(lost) == 1 and not any("Send it again" in m for m in shown)
    after = await world.bot.store.get_conversation(key)
    assert after is not None and after.session_id != record.session_id
    assert world.emulator.state.counters.turns == turns_before, "nothing was re-sent"
    assert await world.bot.store.get_unfinished_turns() == []
