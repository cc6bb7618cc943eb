"""Buttons under replies: Export MP4, Timeline, Retry; they keep working after a restart."""

from __future__ import annotations

import discord
import pytest
import simcord

from tests.discord.conftest import (
    World,
    WorldFactory,
    button_labels,
    has_mp4,
    said,
    start_video,
    switchable_proxy,
)

SUNSET = "a 15-second clip of a sunset over a mountain lake with music"


def last_with_button(
    world: World, thread: simcord.ChannelHandle, label: str
) -> discord.Message:
    for message in reversed(world.bot_messages(thread)):
        if label in button_labels(message):
            return message
    raise AssertionError(f"no message with a {label!r} button")


async def test_export_button_delivers_the_mp4_and_pings_only_the_presser(
    studio: WorldFactory,
) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)

    result = await world.alice.click(world.bot_messages(thread)[-1], label="Export MP4")
    await world.idle()

    assert result.acknowledged
    delivered = world.bot_messages(thread)[-1]
    assert has_mp4(delivered)
    assert [user.id for user in delivered.mentions] == [world.alice.id]


@pytest.mark.emulator(large_render=True)
async def test_a_video_over_the_upload_limit_is_delivered_as_its_link_and_a_preview(
    studio: WorldFactory,
) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)

    await world.alice.click(world.bot_messages(thread)[-1], label="Export MP4")
    await world.idle()

    delivered = world.bot_messages(thread)[-1]
    names = [a.filename for a in delivered.attachments]
    assert len(names) == 2 and names[0].endswith(".preview.mp4") and names[1].endswith(".jpg")
    assert world.emulator.url in said(delivered) and ".mp4" in said(delivered)
    assert [user.id for user in delivered.mentions] == [world.alice.id]


async def test_timeline_button_shows_the_timeline_to_the_presser_only(
    studio: WorldFactory,
) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    posted_before = len(world.bot_messages(thread))

    result = await world.alice.click(world.bot_messages(thread)[-1], label="Timeline")

    assert result.ephemeral and result.response is not None
    assert "📋" in said(result.response) and "sunset" in said(result.response).lower()
    assert len(world.bot_messages(thread)) == posted_before


async def test_an_old_export_button_still_works_after_a_restart(studio: WorldFactory) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    old_reply = world.bot_messages(thread)[-1]

    await world.restart()  # a new bot process on the same database
    result = await world.alice.click(old_reply, label="Export MP4")
    await world.idle()

    assert result.acknowledged
    assert has_mp4(world.bot_messages(thread)[-1])
    assert world.emulator.state.counters.renders == 1


async def test_retry_under_a_failed_export_exports_again(studio: WorldFactory) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    world.emulator.set_fault("render_failure")

    await world.alice.click(world.bot_messages(thread)[-1], label="Export MP4")
    await world.idle()
    failure = last_with_button(world, thread, "Retry")
    assert not has_mp4(world.bot_messages(thread)[-1])

    await world.alice.click(failure, label="Retry")
    await world.idle()

    assert has_mp4(world.bot_messages(thread)[-1])
    assert world.emulator.state.counters.renders == 2


async def test_out_of_credits_offers_add_credits_and_the_link_only_to_admins(
    studio: WorldFactory,
) -> None:
    world = await studio(nemo_token=None)  # the bot's shared anonymous account
    thread = await start_video(world, SUNSET)
    world.emulator.set_fault("no_credits")
    await world.alice.send(thread, 'add a title "Golden Hour"')
    await world.idle()
    failure = world.bot_messages(thread)[-1]
    turns_before = world.emulator.state.counters.turns

    assert button_labels(failure) == ["Add credits"], "no Retry where nothing can succeed"
    assert "bind=" not in failure.content and "used up" in failure.content
    assert all("bind=" not in m.content for m in world.bot_messages(thread))

    asked = await world.alice.click(failure, label="Add credits")
    admins = world.guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    owner = world.guild.add_member(world.env.create_user("owner"), roles=[admins])
    told = await owner.click(failure, label="Add credits")

    assert asked.ephemeral and asked.response is not None
    assert "bind=" not in asked.response.content and "admin" in asked.response.content
    assert told.ephemeral and told.response is not None
    assert "register?bind=anon_" in told.response.content
    assert world.emulator.state.counters.turns == turns_before


async def test_send_again_sends_a_message_that_never_reached_nemovideo(
    studio: WorldFactory,
) -> None:
    world = await studio()
    async with switchable_proxy(world.emulator.url) as proxy:
        await world.restart(api_url=proxy.url)
        thread = await start_video(world, SUNSET)
        turns_before = world.emulator.state.counters.turns
        await proxy.refuse()  # connection refused: the message cannot have left
        await world.alice.send(thread, 'add a title "Golden Hour"')
        await world.idle()
        failure = world.bot_messages(thread)[-1]
        assert button_labels(failure) == ["Send again"]
        assert world.emulator.state.counters.turns == turns_before

        await proxy.accept()
        result = await world.alice.click(failure, label="Send again")
        await world.idle()

    assert result.acknowledged
    assert world.emulator.state.counters.turns == turns_before + 1, "sent exactly once"
    assert "Golden Hour" in world.bot_messages(thread)[-1].content
    again = await world.alice.click(failure, label="Send again")
    await world.idle()
    assert world.emulator.state.counters.turns == turns_before + 1, "never twice"
    assert again.acknowledged


async def test_someone_who_cannot_talk_in_the_thread_gets_an_explanation(
    studio: WorldFactory,
) -> None:
    world = await studio()
    muted = world.guild.create_role("muted")
    quiet = world.guild.create_text_channel(
        "quiet", overwrites={muted: discord.PermissionOverwrite(send_messages_in_threads=False)}
    )
    carol = world.guild.add_member(world.env.create_user("carol"), roles=[muted])
    await world.alice.slash(quiet, "video", prompt=SUNSET)
    await world.idle()
    thread = quiet.threads[0]

    result = await carol.click(world.bot_messages(thread)[-1], label="Export MP4")
    await world.idle()

    assert result.ephemeral and result.response is not None
    assert "Only people who can talk in this thread" in result.response.content
    assert world.emulator.state.counters.renders == 0


#: A title so long that the timeline showing it is longer than one Discord message.
LONG_TITLE = "golden " * 270


async def test_a_timeline_longer_than_a_message_is_cut_to_one(studio: WorldFactory) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    await world.alice.send(thread, f'add a title "{LONG_TITLE.strip()}"')
    await world.idle()

    result = await world.alice.click(world.bot_messages(thread)[-1], label="Timeline")

    assert result.ephemeral and result.response is not None
    [card] = result.response.embeds
    assert card.title is not None and card.title.startswith("📋")
    values = [field.value or "" for field in card.fields]
    assert all(len(value) <= 1024 for value in values)  # Discord's limit for a field
    assert any(value.endswith("…") for value in values), "the long title is cut"
    assert len(card) <= 6000
