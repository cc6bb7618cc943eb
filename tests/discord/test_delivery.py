"""A finished render that cannot be posted: the thread is told, pinging the requester, and
its Retry posts the same video, even after a restart."""

from __future__ import annotations

from tests.discord.conftest import (
    World,
    WorldFactory,
    button_labels,
    has_mp4,
    said,
    start_video,
)
from tests.discord.test_buttons import last_with_button

SUNSET = "a 15-second clip of a sunset over a mountain lake with music"
FOREVER = -1  # an emulator fault armed until cleared


async def export_that_cannot_be_downloaded(world: World) -> None:
    thread = world.thread()
    world.emulator.set_fault("download_failure", FOREVER)
    await world.alice.click(world.bot_messages(thread)[-1], label="Export MP4")
    await world.idle()
    world.emulator.clear_faults()


async def test_an_undeliverable_video_is_reported_to_the_requester_with_retry(
    studio: WorldFactory,
) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)

    await export_that_cannot_be_downloaded(world)

    told = world.bot_messages(thread)[-1]
    assert "couldn't post it here" in said(told)
    assert button_labels(told) == ["Retry"]
    assert [user.id for user in told.mentions] == [world.alice.id]
    assert not any(has_mp4(m) for m in world.bot_messages(thread))


async def test_retry_after_a_restart_posts_the_rendered_video(studio: WorldFactory) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    await export_that_cannot_be_downloaded(world)
    failure = last_with_button(world, thread, "Retry")

    await world.restart()  # a new bot process on the same database
    result = await world.alice.click(failure, label="Retry")
    await world.idle()

    assert result.acknowledged
    delivered = world.bot_messages(thread)[-1]
    assert has_mp4(delivered)
    assert [user.id for user in delivered.mentions] == [world.alice.id]
    assert world.emulator.state.counters.renders == 1, "posted again, not rendered again"
    assert sum(has_mp4(m) for m in world.bot_messages(thread)) == 1
