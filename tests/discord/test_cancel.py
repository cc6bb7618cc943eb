"""Cancelling a running render in a thread: /cancel, the Cancel button, who may."""

from __future__ import annotations

import asyncio

import discord
import pytest

from bot.core.records import RenderState
from bot.core.wording import Wording
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
