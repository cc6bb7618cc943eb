"""Delivered videos on (simulated) Discord: one message each, a card with its controls;
/versions, Post again without a new render, an expired link, Delete and who may."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import discord
import pytest

from bot.core.card import Tone
from bot.core.wording import Wording
from bot.emulator.server import RunningEmulator
from cogs.cards import TONE_COLOURS
from cogs.keys import conversation_key
from tests.discord.conftest import World, WorldFactory, button_labels, has_mp4, start_video
from tests.discord.test_wire import finished_reply
from tests.discord.wire_helpers import (
    READY_SECONDS,
    assert_bodies_match_discords_schema,
    button_custom_id,
    nemobot_running,
    open_session_thread,
)
from tests.fakediscord import FakeDiscord, RecordedRequest, run_fake_discord

SUNSET = "a 15-second clip of a sunset over a mountain lake, cinematic, with background music"
EN = Wording("en")
CONTROLS = ["Post again", "Versions", "Timeline", "Delete"]
EPHEMERAL = 1 << 6


async def _export(world: World, thread: object, times: int = 1) -> list[discord.Message]:
    for _ in range(times):
        await world.alice.slash(thread, "export")  # type: ignore[arg-type]
        await world.idle()
    return [m for m in world.bot_messages(thread) if has_mp4(m)]  # type: ignore[arg-type]


async def test_a_delivered_video_is_one_message_with_its_card_and_controls(
    studio: WorldFactory,
) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    before = len(world.bot_messages(thread))

    [video] = await _export(world, thread)

    assert len(world.bot_messages(thread)) == before + 1, "the render's status went"
    assert video.content == world.alice.mention  # the ping; the rest is in the card
    [embed] = video.embeds
    assert embed.colour is not None and embed.colour.value == TONE_COLOURS[Tone.DONE]
    assert embed.title is not None and embed.title.startswith("🎬 Sunset")  # from the draft
    assert [f.name for f in embed.fields] == [EN.field_duration(), EN.field_size()]
    assert embed.fields[0].value == "0:15"
    poster = [a.filename for a in video.attachments if a.filename.endswith(".jpg")]
    assert embed.image.url is not None and poster and embed.image.url.endswith(poster[0])
    assert button_labels(video) == CONTROLS


async def test_versions_after_three_exports_lists_three_and_posts_one_again(
    studio: WorldFactory,
) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    videos = await _export(world, thread, 3)
    assert len(videos) == 3 and world.emulator.state.counters.renders == 3

    listed = await world.alice.slash(thread, "versions")

    assert listed.ephemeral and listed.response is not None
    [embed] = listed.response.embeds
    assert embed.title == EN.versions_title()
    assert [f.name.split(".")[0] for f in embed.fields] == ["3", "2", "1"]
    for field, video in zip(embed.fields, reversed(videos), strict=True):
        assert video.jump_url in (field.value or "")
    labels = [c["label"] for row in listed.response.components for c in row["components"]]
    assert labels == ["Post again · 3", "Post again · 2", "Post again · 1"]

    await world.alice.click(listed.response, label="Post again · 1")
    await world.idle()

    assert world.emulator.state.counters.renders == 3, "no new render"
    now = [m for m in world.bot_messages(thread) if has_mp4(m)]
    assert len(now) == 4 and now[-1].embeds[0].footer.text == EN.version_footer(1)
    assert now[-1].content == "", "a post made again pings nobody"


async def test_an_expired_link_says_so_with_export(studio: WorldFactory) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    [video] = await _export(world, thread)
    world.emulator.state.renders.clear()  # NemoVideo no longer has it

    await world.alice.click(video, label="Post again")
    await world.idle()

    notice = world.bot_messages(thread)[-1]
    assert notice.content == EN.version_expired(1)
    assert button_labels(notice) == ["Export MP4"]
    assert len([m for m in world.bot_messages(thread) if has_mp4(m)]) == 1


async def test_delete_is_refused_for_another_member_and_done_for_a_moderator(
    studio: WorldFactory,
) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    [video] = await _export(world, thread)
    bob = world.guild.add_member(world.env.create_user("bob"))

    refused = await bob.click(video, label="Delete")

    assert refused.ephemeral and refused.response is not None
    assert refused.response.content == EN.delete_not_yours()
    assert any(m.id == video.id for m in world.bot_messages(thread))

    done = await world.moderator().click(video, label="Delete")

    assert done.response is not None and done.response.content == EN.post_deleted()
    assert not any(m.id == video.id for m in world.bot_messages(thread))
    kept = await world.bot.store.list_versions(conversation_key(thread.id))
    assert len(kept) == 1 and kept[0].message_id is None


async def test_the_versions_button_lists_them_privately(studio: WorldFactory) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    [video] = await _export(world, thread)
    posted = len(world.bot_messages(thread))

    pressed = await world.alice.click(video, label="Versions")

    assert pressed.ephemeral and pressed.response is not None
    [embed] = pressed.response.embeds
    assert embed.title == EN.versions_title() and len(embed.fields) == 1
    assert len(world.bot_messages(thread)) == posted


# ----- on the wire: the real `nemobot run` against the fake Discord ------------------------

FOLLOWUP = "/webhooks/{webhook_id}/{token}"
MESSAGE = "/channels/{channel_id}/messages/{message_id}"
FLOW_SECONDS = 45.0  # three renders, each with a poster frame, on a busy machine


def _videos(fake: FakeDiscord, thread_id: int) -> list[dict[str, Any]]:
    return [
        m
        for m in fake.messages_in(thread_id)
        if any(a["filename"].endswith(".mp4") for a in m.get("attachments") or [])
    ]


def _followups(fake: FakeDiscord, since: int) -> list[RecordedRequest]:
    return fake.find_requests("POST", FOLLOWUP)[since:]


@pytest.mark.slow
async def test_on_the_wire_three_exports_are_three_versions_and_post_again_renders_nothing(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with run_fake_discord() as fake, nemobot_running(fake, emulator, tmp_path):
        thread_id = await open_session_thread(fake, SUNSET)
        await fake.wait_for(lambda: finished_reply(fake, thread_id), FLOW_SECONDS)
        for count in (1, 2, 3):
            await fake.invoke_slash("export", channel_id=thread_id)
            await fake.wait_for(lambda n=count: len(_videos(fake, thread_id)) == n, FLOW_SECONDS)
            # Its status card removed, the render is over: the next /export may start one.
            await fake.wait_for(
                lambda n=count: len(fake.find_requests("DELETE", MESSAGE)) == n, FLOW_SECONDS
            )
        seen = len(fake.find_requests("POST", FOLLOWUP))
        await fake.invoke_slash("versions", channel_id=thread_id)
        [listing] = await fake.wait_for(lambda: _followups(fake, seen), READY_SECONDS)
        first = _videos(fake, thread_id)[0]
        again = button_custom_id(first, "Post again")
        assert again is not None
        await fake.click_component(int(first["id"]), again)
        await fake.wait_for(lambda: len(_videos(fake, thread_id)) == 4, FLOW_SECONDS)
        latest = _videos(fake, thread_id)[-1]
        delete = button_custom_id(latest, "Delete")
        assert delete is not None
        seen = len(fake.find_requests("POST", FOLLOWUP))
        await fake.click_component(int(latest["id"]), delete, user=fake.bob)
        [refusal] = await fake.wait_for(lambda: _followups(fake, seen), READY_SECONDS)

    assert emulator.state.counters.renders == 3, "Post again made no render request"
    [embed] = listing.body["embeds"]
    assert embed["title"] == EN.versions_title()
    assert [f["name"].split(".")[0] for f in embed["fields"]] == ["3", "2", "1"]
    assert listing.body["flags"] & EPHEMERAL
    videos = _videos(fake, thread_id)
    for video in videos:  # each one message: the card, the MP4 and poster, the controls
        [card] = video["embeds"]
        assert card["color"] == TONE_COLOURS[Tone.DONE]
        assert card["image"]["url"].startswith("attachment://")
        poster = card["image"]["url"].removeprefix("attachment://")
        assert poster in [a["filename"] for a in video["attachments"]]
        assert all(button_custom_id(video, label) for label in CONTROLS)
    assert len(fake.find_requests("DELETE", MESSAGE)) == 3, "each render's status went"
    assert refusal.body["content"] == EN.delete_not_yours()
    assert int(latest["id"]) in [int(m["id"]) for m in videos], "still there"
    assert_bodies_match_discords_schema(fake)
