"""DiscordPort on its own: rate budgets, splitting, elapsed time, gone messages, threads."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import discord
import pytest

from bot.core.port import Action, MessageGone, OutgoingFile
from cogs.keys import channel_id_of, conversation_key
from cogs.port import DEFAULT_UPLOAD_BYTES, DiscordLimits, DiscordPort
from tests.discord.conftest import World, WorldFactory, start_video

SUNSET = "a 15-second clip of a sunset over a mountain lake with music"


class FakeClock:
    """A clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def port_on_fake_clock(world: World, limits: DiscordLimits | None = None) -> tuple[
    DiscordPort, FakeClock
]:
    clock = FakeClock()
    port = DiscordPort(limits, clock=clock, sleep=clock.sleep)
    port.attach(world.bot)
    return port, clock


def most_in_any_window(times: list[float], window: float) -> int:
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


# ----- rate budgets -------------------------------------------------------------------------


async def test_one_channel_never_gets_more_than_five_writes_in_five_seconds(
    studio: WorldFactory,
) -> None:
    world = await studio()
    port, clock = port_on_fake_clock(world)  # Discord's real numbers
    key = conversation_key(world.channel.id)
    message_id = await port.send(key, "💭 Thinking…")
    times = [clock.now]

    for step in range(11):
        await port.edit(key, message_id, f"part {step}")
        times.append(clock.now)

    assert most_in_any_window(times, 5.0) == 5
    assert times[-1] == pytest.approx(10.0)  # and it waited no longer than needed


async def test_the_bot_never_makes_more_than_its_global_requests_per_second(
    studio: WorldFactory,
) -> None:
    world = await studio()
    port, clock = port_on_fake_clock(world, DiscordLimits(requests_per_second=5))
    channels = [world.guild.create_text_channel(f"room-{n}") for n in range(12)]
    await world.env.settle()
    times = []

    for channel in channels:
        await port.send(conversation_key(channel.id), "hello")
        times.append(clock.now)

    assert most_in_any_window(times, 1.0) == 5
    assert all(channel.last_message is not None for channel in channels)


async def two_rooms_on_a_full_budget(
    studio: WorldFactory,
) -> tuple[DiscordPort, tuple[str, str], tuple[str, str]]:
    """A port allowed one request a second, and two rooms, each with a message: the first
    posted at t = 0, the second at t = 1; a third room's post at t = 2 fills the budget.
    Returns the port and each room's (conversation, message id)."""
    world = await studio()
    port, _ = port_on_fake_clock(world, DiscordLimits(requests_per_second=1))
    rooms = [world.guild.create_text_channel(name) for name in ("first", "second", "filler")]
    await world.env.settle()
    first, second, filler = (conversation_key(room.id) for room in rooms)
    first_id = await port.send(first, "shown first")  # t = 0
    second_id = await port.send(second, "shown later")  # t = 1
    await port.send(filler, "the budget is full now")  # t = 2
    return port, (first, first_id), (second, second_id)


async def test_the_channel_whose_shown_text_is_oldest_is_written_first(
    studio: WorldFactory,
) -> None:
    port, (stale, stale_id), (fresh, fresh_id) = await two_rooms_on_a_full_budget(studio)
    written: list[str] = []

    async def edit(key: str, message_id: str, name: str) -> None:
        await port.edit(key, message_id, "newer text")
        written.append(name)

    # "fresh" asks first, but "stale" has shown the same text for longer: it goes first.
    await asyncio.gather(edit(fresh, fresh_id, "fresh"), edit(stale, stale_id, "stale"))
    assert written == ["stale", "fresh"]


async def test_the_next_page_of_an_update_keeps_its_place_in_the_global_queue(
    studio: WorldFactory,
) -> None:
    port, (spill, spill_id), (other, other_id) = await two_rooms_on_a_full_budget(studio)
    written: list[str] = []

    async def spill_onto_a_new_page() -> None:
        await port.edit(spill, spill_id, "page one, finished")
        written.append("spill page 1")
        await port.send(spill, "page two", continued=True)
        written.append("spill page 2")

    async def edit_other() -> None:
        await port.edit(other, other_id, "newer text")
        written.append("other")

    # "other" has waited since t = 1; the spill's second page, part of an update queued
    # at t = 0, goes before it rather than behind it.
    await asyncio.gather(spill_onto_a_new_page(), edit_other())
    assert written == ["spill page 1", "spill page 2", "other"]


# ----- what a message looks like ------------------------------------------------------------


async def test_long_text_becomes_several_messages_with_buttons_under_the_last(
    studio: WorldFactory,
) -> None:
    world = await studio()
    key = conversation_key(world.channel.id)
    text = "\n\n".join(f"Paragraph {n}: " + "words " * 60 for n in range(12))

    last_id = await world.bot.port.send(key, text, actions=(Action.EXPORT,))
    await world.env.settle()

    sent = world.bot_messages(world.channel)
    assert len(sent) >= 3 and all(len(m.content) <= 2000 for m in sent)
    assert "".join(m.content for m in sent).replace("\n", "") == text.replace("\n", "")
    assert [bool(m.components) for m in sent] == [False] * (len(sent) - 1) + [True]
    assert str(sent[-1].id) == last_id


def test_the_clock_is_a_self_updating_discord_timestamp() -> None:
    assert DiscordPort().clock_since(1_700_000_000.9) == "<t:1700000000:R>"


# ----- messages and channels that are not what they were -----------------------------------


async def test_editing_a_deleted_message_raises_message_gone(studio: WorldFactory) -> None:
    world = await studio()
    key = conversation_key(world.channel.id)
    message_id = await world.bot.port.send(key, "soon deleted")
    await world.env.settle()
    moderator = world.moderator()
    await moderator.delete(world.channel.last_message)  # type: ignore[arg-type]

    with pytest.raises(MessageGone):
        await world.bot.port.edit(key, message_id, "still here?")


async def test_a_message_out_of_edits_raises_message_gone(studio: WorldFactory) -> None:
    world = await studio()
    key = conversation_key(world.channel.id)
    message_id = await world.bot.port.send(key, "an old message")
    world.env.inject_error("PATCH", "/channels/*/messages/*", status=400, code=30046,
                           message="Maximum number of edits to messages older than 1 hour")

    with pytest.raises(MessageGone):
        await world.bot.port.edit(key, message_id, "one edit too many")


async def test_a_file_discord_refuses_as_too_large_becomes_its_link(
    studio: WorldFactory, tmp_path: Path
) -> None:
    world = await studio()
    key = conversation_key(world.channel.id)
    video = tmp_path / "render.mp4"
    video.write_bytes(b"\x00" * 1024)
    world.env.inject_error("POST", "/channels/*/messages", status=413, code=40005,
                           message="Request entity too large")

    await world.bot.port.send_files(key, [OutgoingFile(video)],
                                    "✅ Ready: https://example.invalid/render.mp4",
                                    ping_user=world.alice.id)
    await world.env.settle()

    posted = world.channel.last_message
    assert posted is not None and not posted.attachments
    assert "https://example.invalid/render.mp4" in posted.content


async def test_the_upload_limit_is_the_guilds(studio: WorldFactory) -> None:
    world = await studio()
    guild = world.bot.get_guild(world.guild.id)
    assert guild is not None

    limit = await world.bot.port.upload_limit_bytes(conversation_key(world.channel.id))

    assert limit == guild.filesize_limit == DEFAULT_UPLOAD_BYTES


async def test_an_archived_thread_is_unarchived_before_posting(studio: WorldFactory) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    # simcord has no public verb for archiving; its backend does what Discord does.
    world.env.backend.edit_channel(thread.id, {}, thread_metadata={"archived": True})
    await world.env.settle()

    await world.bot.port.send(conversation_key(thread.id), "back again")
    await world.env.settle()

    assert world.channel_edits(thread.id) == [{"archived": False}]
    assert world.bot_messages(thread)[-1].content == "back again"


async def test_a_missing_permission_is_logged_once(
    studio: WorldFactory, caplog: pytest.LogCaptureFixture
) -> None:
    world = await studio()
    me = world.bot.user
    assert me is not None
    locked = world.guild.create_text_channel(
        "locked", overwrites={me: discord.PermissionOverwrite(send_messages=False)}
    )
    await world.env.settle()
    key = conversation_key(locked.id)

    with caplog.at_level(logging.WARNING, logger="cogs.port"):
        for _ in range(3):
            with pytest.raises(discord.Forbidden):
                await world.bot.port.send(key, "hello?")

    warnings = [r for r in caplog.records if "missing permission" in r.getMessage()]
    assert len(warnings) == 1


async def test_background_work_refused_for_a_missing_permission_is_logged_once(
    studio: WorldFactory, caplog: pytest.LogCaptureFixture
) -> None:
    world = await studio()
    me = world.bot.user
    assert me is not None
    locked = world.guild.create_text_channel(
        "locked", overwrites={me: discord.PermissionOverwrite(send_messages=False)}
    )
    await world.env.settle()
    key = conversation_key(locked.id)

    with caplog.at_level(logging.WARNING):
        for attempt in range(3):
            world.bot.spawn(world.bot.port.send(key, "hello?"), name=f"turn-{attempt}")
            await world.idle()

    refusals = [r for r in caplog.records if "missing permission" in r.getMessage()]
    assert [r.name for r in refusals] == ["cogs.port"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("channel_id", [1, 1456074443980800014])
def test_conversation_keys_round_trip(channel_id: int) -> None:
    assert channel_id_of(conversation_key(channel_id)) == channel_id


def test_a_key_from_another_platform_is_rejected() -> None:
    with pytest.raises(ValueError, match="not a Discord conversation"):
        channel_id_of("terminal:default")
