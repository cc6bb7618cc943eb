"""Slash commands, as a member uses them in a simulated Discord with the real engine."""

from __future__ import annotations

import contextlib

import discord
import pytest

from cogs.keys import conversation_key
from tests.discord.conftest import (
    WorldFactory,
    button_labels,
    hanging_nemovideo,
    said,
    start_video,
)

SUNSET = "a 15-second clip of a sunset over a mountain lake, cinematic, with background music"


async def test_video_opens_a_thread_named_after_the_prompt_and_replies_there(
    studio: WorldFactory,
) -> None:
    world = await studio()

    result = await world.alice.slash(world.channel, "video", prompt=SUNSET)
    await world.idle()

    assert result.acknowledged and not result.ephemeral
    assert result.response is not None and "is making a video" in result.response.content
    thread = world.thread()
    assert thread.name == SUNSET
    created = world.requests("POST", f"/messages/{result.response.id}/threads")
    assert created and isinstance(created[0].json, dict)
    assert created[0].json["auto_archive_duration"] == 1440
    reply = world.bot_messages(thread)[-1]
    assert "sunset" in reply.content.lower()
    assert button_labels(reply) == ["Export MP4", "Timeline"]
    assert world.requests("PATCH", f"/channels/{thread.id}/messages/"), "the reply was streamed"
    assert await world.bot.engine.is_session(conversation_key(thread.id))


async def test_video_explains_in_the_thread_when_nemovideo_is_down(
    studio: WorldFactory,
) -> None:
    world = await studio()
    world.emulator.set_fault("server_error", times=-1)

    await world.alice.slash(world.channel, "video", prompt=SUNSET)
    await world.idle()

    explained = world.bot_messages(world.thread())
    assert len(explained) == 1 and "NemoVideo" in explained[0].content
    assert world.emulator.state.counters.turns == 0


async def test_video_names_the_thread_within_discords_100_characters(
    studio: WorldFactory,
) -> None:
    world = await studio()
    prompt = "a slow pan over " + "very " * 40 + "tall mountains at dawn"

    await world.alice.slash(world.channel, "video", prompt=prompt)
    await world.idle()

    name = world.thread().name
    assert name is not None and len(name) <= 100 and name.endswith("…")


async def test_video_explains_which_permissions_the_bot_is_missing(
    studio: WorldFactory,
) -> None:
    world = await studio()
    me = world.bot.user
    assert me is not None
    closed = world.guild.create_text_channel(
        "no-threads", overwrites={me: discord.PermissionOverwrite(create_public_threads=False)}
    )
    await world.env.settle()

    result = await world.alice.slash(closed, "video", prompt=SUNSET)

    assert result.ephemeral and result.response is not None
    assert "Create Public Threads" in result.response.content
    assert closed.threads == [] and world.emulator.state.counters.sessions == 0


async def test_video_inside_a_session_thread_says_to_just_type(studio: WorldFactory) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)

    result = await world.alice.slash(thread, "video", prompt="another video")

    assert result.ephemeral
    assert result.response is not None and "just type" in result.response.content
    assert len(world.channel.threads) == 1


async def test_video_in_a_dm_makes_the_dm_the_conversation(studio: WorldFactory) -> None:
    world = await studio()
    user = world.alice_user  # the same person, in a DM with the bot

    result = await user.slash("video", prompt=SUNSET)
    await world.idle()

    dm = user.dm_channel
    assert result.response is not None and "New video" in result.response.content
    assert await world.bot.engine.is_session(conversation_key(dm.id))
    assert "sunset" in world.bot_messages(dm)[-1].content.lower()


async def test_export_posts_the_mp4_in_the_thread(studio: WorldFactory) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)

    result = await world.alice.slash(thread, "export")
    await world.idle()

    assert result.ephemeral and result.response is not None
    delivered = world.bot_messages(thread)[-1]
    assert delivered.attachments and delivered.attachments[0].filename.endswith(".mp4")
    assert delivered.content.startswith(world.alice.mention)


async def test_export_outside_a_session_says_how_to_start_one(studio: WorldFactory) -> None:
    world = await studio()

    result = await world.alice.slash(world.channel, "export")

    assert result.ephemeral
    assert result.response is not None and "/video" in result.response.content
    assert world.emulator.state.counters.renders == 0


async def test_status_shows_the_timeline_to_the_thread(studio: WorldFactory) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)

    result = await world.alice.slash(thread, "status")

    assert result.acknowledged and result.ephemeral  # as the Timeline button
    assert result.response is not None
    assert "📋" in said(result.response) and "sunset" in said(result.response).lower()


async def test_credits_answers_only_the_member_who_asked(studio: WorldFactory) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)

    result = await world.alice.slash(thread, "credits")

    assert result.acknowledged and result.ephemeral
    assert result.response is not None and "credits left" in result.response.content


async def test_reset_gives_the_thread_a_fresh_session(studio: WorldFactory) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    key = conversation_key(thread.id)
    before = await world.bot.store.get_conversation(key)

    result = await world.alice.slash(thread, "reset")
    await world.idle()
    asked = await world.bot.store.get_conversation(key)
    assert result.ephemeral and result.response is not None
    assert asked == before, "nothing is thrown away before the confirmation"

    await world.alice.click(result.response, label="Start over")
    await world.idle()

    after = await world.bot.store.get_conversation(key)
    assert before is not None and after is not None
    assert after.session_id != before.session_id
    assert "fresh session" in world.bot_messages(thread)[-1].content


async def test_reset_by_someone_else_is_refused(studio: WorldFactory) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    bob = world.guild.add_member(world.env.create_user("bob"))
    key = conversation_key(thread.id)
    before = await world.bot.store.get_conversation(key)

    result = await bob.slash(thread, "reset")

    after = await world.bot.store.get_conversation(key)
    assert result.ephemeral and result.response is not None
    assert "Only the person who started" in result.response.content
    assert before is not None and after is not None and after.session_id == before.session_id


async def test_help_explains_how_to_start_privately(studio: WorldFactory) -> None:
    world = await studio()

    result = await world.alice.slash(world.channel, "help")

    assert result.ephemeral and result.response is not None
    assert "/video" in result.response.content and "/export" in result.response.content


@pytest.mark.parametrize(
    "command", ["video", "export", "cancel", "status", "credits", "reset", "help"]
)
async def test_every_command_is_described_for_users(studio: WorldFactory, command: str) -> None:
    world = await studio()

    commands = {c.name: c for c in world.bot.tree.get_commands()}

    slash = commands[command]
    assert isinstance(slash, discord.app_commands.Command)
    description = slash.description
    assert description and description[0].isupper() and len(description) <= 100


@pytest.mark.parametrize(
    ("action", "where", "options"),
    [
        ("/video", "channel", {"prompt": SUNSET}),
        ("/export", "thread", {}),
        ("/status", "thread", {}),
        ("/credits", "thread", {}),
        ("/reset", "thread", {}),
        ("/cancel", "thread", {}),
        ("/help", "thread", {}),
        ("Export MP4", "reply", {}),
        ("Timeline", "reply", {}),
    ],
)
async def test_every_interaction_is_answered_even_while_nemovideo_hangs(
    studio: WorldFactory, action: str, where: str, options: dict[str, str]
) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    reply = world.bot_messages(thread)[-1]
    async with hanging_nemovideo() as silent_backend:
        await world.restart(api_url=silent_backend)
        callbacks_before = len(world.requests("POST", "/callback"))
        world.env.settle_timeout = 0.5  # do not wait for NemoVideo: it never answers

        with contextlib.suppress(TimeoutError):  # the bot is still waiting for NemoVideo…
            if where == "reply":
                await world.alice.click(reply, label=action)
            else:
                target = thread if where == "thread" else world.channel
                await world.alice.slash(target, action.removeprefix("/"), **options)

        # …but the member already has an answer.
        assert len(world.requests("POST", "/callback")) == callbacks_before + 1



async def test_credits_shows_the_claim_link_only_to_an_admin_and_only_privately(
    studio: WorldFactory,
) -> None:
    world = await studio(nemo_token=None)  # the bot's shared anonymous account
    thread = await start_video(world, SUNSET)
    admins = world.guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    owner = world.guild.add_member(world.env.create_user("owner"), roles=[admins])

    member = await world.alice.slash(thread, "credits")
    admin = await owner.slash(thread, "credits")

    assert member.response is not None and "bind=" not in member.response.content
    assert admin.ephemeral and admin.response is not None
    assert "register?bind=anon_" in admin.response.content
    assert all("bind=" not in m.content for m in world.bot_messages(thread))


async def test_commands_in_a_thread_whose_session_is_starting_say_so_without_waiting(
    studio: WorldFactory,
) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    key = conversation_key(thread.id)
    engine = world.bot.engine
    engine.expect_session(key)  # as `/video` does before its session exists
    try:
        reset = await world.alice.slash(thread, "reset")
        video = await world.alice.slash(thread, "video", prompt=SUNSET)
    finally:
        engine._starting.pop(key).set()

    assert reset.response is not None and "still starting" in reset.response.content
    assert video.response is not None and "already a video session" in video.response.content
