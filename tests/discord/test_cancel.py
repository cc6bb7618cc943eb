"""Cancelling a running render in a thread: /cancel, the Cancel button, who may."""

from __future__ import annotations

import asyncio

import discord
import pytest

from bot.core.port import IncomingMessage
from bot.core.records import RenderState
from bot.core.wording import Wording
from bot.nemo.draft import Draft, timeline_summary
from cogs.keys import conversation_key
from tests.discord.conftest import (
    World,
    WorldFactory,
    button_labels,
    has_mp4,
    start_video,
)

SUNSET = "a 15-second clip of a sunset over a mountain lake, cinematic, with background music"
EN = Wording("en")
#: Long enough that the render is still running when it is cancelled.
LONG_RENDER = pytest.mark.emulator(render_seconds=30.0)


async def _rendering(world: World, thread: object) -> tuple[discord.Message, asyncio.Task[None]]:
    """Alice's export, started outside simcord's operations (a simcord operation waits for
    the bot to settle, which a 30-second render does not); returns the render's live
    status once its Cancel button is there, and the export's task."""
    key = conversation_key(thread.id)  # type: ignore[attr-defined]
    export = asyncio.create_task(world.bot.engine.export(key, world.alice.id))
    for _ in range(1000):
        status = [m for m in world.bot_messages(thread) if "Cancel" in button_labels(m)]  # type: ignore[arg-type]
        if status and world.emulator.state.counters.renders:
            return status[0], export
        await asyncio.sleep(0.01)
    raise AssertionError("no render status with a Cancel button")


async def _render_state(world: World, thread: object) -> RenderState:
    render = await world.bot.store.get_latest_render(conversation_key(thread.id))  # type: ignore[attr-defined]
    assert render is not None
    return render.status


@LONG_RENDER
async def test_cancel_during_a_render_stops_it_and_nothing_is_posted_even_after_a_restart(
    studio: WorldFactory,
) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    status, export = await _rendering(world, thread)

    result = await world.alice.slash(thread, "cancel")
    await export
    await world.idle()

    assert result.ephemeral and result.response is not None
    assert result.response.content == EN.cancel_done()
    [render] = world.emulator.state.renders.values()
    assert render.cancelled_at is not None, "NemoVideo was asked to stop it"
    assert await _render_state(world, thread) is RenderState.CANCELLED
    [shown] = [m for m in world.bot_messages(thread) if m.id == status.id]
    assert shown.embeds[0].description == EN.render_cancelled()
    assert "Cancel" not in button_labels(shown)
    posted = len(world.bot_messages(thread))

    await world.restart()
    await world.idle()

    assert len(world.bot_messages(thread)) == posted
    assert not any(has_mp4(m) for m in world.bot_messages(thread))


@LONG_RENDER
async def test_the_cancel_button_on_the_status_cancels_the_render(studio: WorldFactory) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    status, export = await _rendering(world, thread)

    click = await world.alice.click(status, label="Cancel")
    await export
    await world.idle()

    assert click.ephemeral and click.response is not None
    assert click.response.content == EN.cancel_done()
    assert await _render_state(world, thread) is RenderState.CANCELLED
    assert not any(has_mp4(m) for m in world.bot_messages(thread))


@LONG_RENDER
async def test_someone_else_may_not_cancel_but_a_thread_manager_may(studio: WorldFactory) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    status, export = await _rendering(world, thread)
    bob = world.guild.add_member(world.env.create_user("bob"))
    moderators = world.guild.create_role(
        "Moderators", permissions=discord.Permissions(manage_threads=True)
    )
    mod = world.guild.add_member(world.env.create_user("mod"), roles=[moderators])

    refused = await bob.slash(thread, "cancel")
    pressed = await bob.click(status, label="Cancel")

    for answer in (refused, pressed):
        assert answer.ephemeral and answer.response is not None
        assert answer.response.content == EN.cancel_not_yours()
    assert (await _render_state(world, thread)).in_flight
    [render] = world.emulator.state.renders.values()
    assert render.cancelled_at is None

    allowed = await mod.slash(thread, "cancel")
    await export
    await world.idle()

    assert allowed.response is not None and allowed.response.content == EN.cancel_done()
    assert await _render_state(world, thread) is RenderState.CANCELLED


async def test_cancel_with_nothing_running_says_so(studio: WorldFactory) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)

    result = await world.alice.slash(thread, "cancel")

    assert result.response is not None and result.response.content == EN.cancel_nothing()


# ----- a chat turn ------------------------------------------------------------------------

EDIT = "make the music calmer"
#: Turns at a third of NemoVideo's pace: an edit streams for several seconds.
SLOW_TURNS = 0.3


def _run_sse(world: World) -> int:
    """How many chat messages reached NemoVideo, from the emulator's request log."""
    return sum(1 for r in world.emulator.state.requests if r.path == "/run_sse")


async def _write(world: World, thread: object, author: object, text: str) -> asyncio.Task[None]:
    """`author`'s message in the thread, handled as the bot handles one, but outside
    simcord's operations (an operation waits for the bot to settle, which a streaming turn
    does not, and operations may not overlap: the cancel is one)."""
    key = conversation_key(thread.id)  # type: ignore[attr-defined]
    message = IncomingMessage(key, author.id, text)  # type: ignore[attr-defined]
    return asyncio.create_task(world.bot.engine.handle(message))


async def _turn_streaming(
    world: World, thread: object, author: object
) -> tuple[discord.Message, asyncio.Task[None]]:
    """`author` writes an edit in the thread; returns the turn's live reply once NemoVideo
    streams it, with its Cancel button, and the turn's task."""
    world.emulator.state.config.turn_scale = SLOW_TURNS
    sent_before = _run_sse(world)
    before = {m.id for m in world.bot_messages(thread)}  # type: ignore[arg-type]
    writing = await _write(world, thread, author, EDIT)
    for _ in range(2000):
        live = [
            m for m in world.bot_messages(thread)  # type: ignore[arg-type]
            if m.id not in before and "Cancel" in button_labels(m)
        ]
        if live and _run_sse(world) > sent_before:
            return live[0], writing
        await asyncio.sleep(0.01)
    raise AssertionError("no live reply with a Cancel button")


def _told_what_the_state_read_found(world: World, shown: discord.Message) -> bool:
    """The cancelled turn's message ends with what reading the session found: the edit
    made after all (NemoVideo goes on when the client leaves; the emulator makes the edit
    once it notices), or no change yet. Either way the notice came first."""
    session = next(iter(world.emulator.state.sessions.values()))
    summary = timeline_summary(Draft.from_wire(session.draft))
    return shown.content.endswith(
        (EN.turn_cancelled_changed(summary), EN.turn_cancelled_unchanged())
    )


async def test_cancel_during_a_turn_closes_the_stream_and_reads_the_state_never_resending(
    studio: WorldFactory,
) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    sent = _run_sse(world)
    live, writing = await _turn_streaming(world, thread, world.alice)

    result = await world.alice.slash(thread, "cancel")
    await writing
    await world.idle()

    assert result.ephemeral and result.response is not None
    assert result.response.content == EN.cancel_turn_done()
    assert _run_sse(world) == sent + 1, "the message reached /run_sse once, never again"
    [shown] = [m for m in world.bot_messages(thread) if m.id == live.id]
    assert _told_what_the_state_read_found(world, shown)
    assert "Cancel" not in button_labels(shown)
    assert world.bot_messages(thread)[-1].id == live.id, "nothing posted after it"


async def test_the_cancel_button_on_a_turn_and_typed_cancel_stop_it(studio: WorldFactory) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    sent = _run_sse(world)

    live, writing = await _turn_streaming(world, thread, world.alice)
    click = await world.alice.click(live, label="Cancel")
    await writing
    live_typed, typing = await _turn_streaming(world, thread, world.alice)
    typing_cancel = await world.alice.send(thread, "取消")
    await typing
    await world.idle()

    assert click.ephemeral and click.response is not None
    assert click.response.content == EN.cancel_turn_done()
    answer = next(m for m in world.bot_messages(thread) if m.id > typing_cancel.id)
    assert answer.content == EN.cancel_turn_done(), "in the thread's language"
    assert _run_sse(world) == sent + 2, "each message reached NemoVideo once"
    for message in (live, live_typed):
        [shown] = [m for m in world.bot_messages(thread) if m.id == message.id]
        assert _told_what_the_state_read_found(world, shown)
        assert "Cancel" not in button_labels(shown)


async def test_a_queued_message_is_dropped_and_its_author_told(studio: WorldFactory) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    sent = _run_sse(world)
    _live, writing = await _turn_streaming(world, thread, world.alice)
    queued = await _write(world, thread, world.alice, "add a title Golden Hour")
    for _ in range(2000):
        if any(m.content == EN.wait_your_turn() for m in world.bot_messages(thread)):
            break
        await asyncio.sleep(0.01)

    result = await world.alice.slash(thread, "cancel")
    await asyncio.gather(writing, queued)
    await world.idle()

    assert result.response is not None
    assert result.response.content == f"{EN.cancel_turn_done()} {EN.cancel_dropped(1)}"
    contents = [m.content for m in world.bot_messages(thread)]
    assert EN.message_dropped("add a title Golden Hour") in contents
    assert _run_sse(world) == sent + 1, "the queued message never reached NemoVideo"


async def test_someone_else_may_not_cancel_a_turn_but_a_thread_manager_may(
    studio: WorldFactory,
) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    bob = world.guild.add_member(world.env.create_user("bob"))
    moderators = world.guild.create_role(
        "Moderators", permissions=discord.Permissions(manage_threads=True)
    )
    mod = world.guild.add_member(world.env.create_user("mod"), roles=[moderators])
    live, writing = await _turn_streaming(world, thread, world.alice)

    refused = await bob.slash(thread, "cancel")
    pressed = await bob.click(live, label="Cancel")
    for answer in (refused, pressed):
        assert answer.ephemeral and answer.response is not None
        assert answer.response.content == EN.cancel_not_yours()
    [shown] = [m for m in world.bot_messages(thread) if m.id == live.id]
    assert "Cancel" in button_labels(shown), "the turn goes on"

    allowed = await mod.slash(thread, "cancel")
    await writing
    await world.idle()

    assert allowed.response is not None
    assert allowed.response.content == EN.cancel_turn_done()
