"""The real bot on the wire: `run_bot` against the fake Discord and the NemoVideo emulator.

What Discord itself would see: streamed replies as edits of one message, the MP4 as a
multipart upload (or a link when it is over the upload limit), discord.py riding out a
429, our own pacing keeping a long reply inside the channel's 5-writes-per-5-s bucket,
and relayed backend text that pings nobody. Every request body is checked against
Discord's OpenAPI description.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot.core.store import Store
from bot.core.wording import Wording
from bot.emulator.server import RunningEmulator
from cogs.client import NemoBot
from cogs.keys import conversation_key
from cogs.port import DEFAULT_UPLOAD_BYTES
from tests.discord.wire_helpers import (
    READY_SECONDS,
    assert_bodies_match_discords_schema,
    button_custom_id,
    mentioned_ids,
    nemobot_running,
    open_session_thread,
    writes_in,
)
from tests.fakediscord import FakeDiscord, RecordedRequest, run_fake_discord

SUNSET = "make a 15-second video of a sunset"
#: discord.py calls `on_ready` this long after the guilds arrive (NemoBot's default).
DISCORD_READY_DELAY: float = inspect.signature(NemoBot).parameters["guild_ready_timeout"].default
#: Long enough for a turn, a render poll (the bot's first is after 3 s) and a delivery.
FLOW_SECONDS = 20.0
MESSAGE_EDIT = "/channels/{channel_id}/messages/{message_id}"
LIVE_STATUS = re.compile(r" · <t:\d+:R>$")


def agent_text(content: str) -> str:
    """A streamed reply without its trailing live status line ("🎬 Generating video… ·
    <t:…:R>"; status lines are the ones that end with Discord's elapsed-time marker)."""
    head, _, last = content.rpartition("\n\n")
    return head if LIVE_STATUS.search(last) else content


def finished_reply(fake: FakeDiscord, thread_id: int) -> dict[str, Any] | None:
    """The bot's reply once the turn is over and the video can be exported."""
    return next(
        (m for m in fake.messages_in(thread_id) if button_custom_id(m, "Export MP4")), None
    )


def edits_of(fake: FakeDiscord, message_id: str) -> list[RecordedRequest]:
    return [r for r in fake.find_requests("PATCH", MESSAGE_EDIT)
            if r.path.endswith(f"/messages/{message_id}")]


@pytest.mark.slow
@pytest.mark.emulator(
    turn_scale=0.003, partial_text=True, partial_chunks=6, partial_interval_seconds=0.4
)
async def test_video_streams_into_one_message_then_export_uploads_an_mp4_pinging_only_alice(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with run_fake_discord() as fake, nemobot_running(fake, emulator, tmp_path):
        ready_at = fake.clock() + DISCORD_READY_DELAY  # when discord.py calls on_ready
        thread_id = await open_session_thread(fake, SUNSET)
        reply = await fake.wait_for(lambda: finished_reply(fake, thread_id), FLOW_SECONDS)
        export_id = button_custom_id(reply, "Export MP4")
        assert export_id is not None
        click = await fake.click_component(int(reply["id"]), export_id)
        uploads = await fake.wait_for(
            lambda: [r for r in writes_in(fake, thread_id) if r.files], FLOW_SECONDS
        )

    first_post = writes_in(fake, thread_id)[0]
    assert first_post.method == "POST" and first_post.response["id"] == reply["id"]
    edits = edits_of(fake, reply["id"])
    texts = [agent_text(r.body["content"]) for r in edits]
    live = texts[:-1]
    assert len(live) >= 2, texts  # edited while the text streamed, before the final edit
    assert [len(t) for t in texts] == sorted(len(t) for t in texts)  # it only grows
    assert len(set(texts)) >= 3
    assert texts[-1].startswith("Great idea! I'm generating a 15-second video")
    assert "Your video is ready!" in texts[-1]
    # The turn was running when discord.py became ready, and was not taken for one that
    # a restart cut off (which the start-up resumes).
    assert first_post.time < ready_at < edits[-1].time
    recovery = Wording("en").recovery_checking()
    assert not any(recovery in (r.body.get("content") or "") for r in writes_in(fake, thread_id))
    assert emulator.state.counters.turns == 1

    assert click.calls, "the button press was answered"
    upload = uploads[0]
    assert (upload.method, upload.is_multipart, len(upload.files)) == ("POST", True, 2)
    sent, poster = upload.files
    assert sent.filename is not None and sent.filename.endswith(".mp4")
    assert poster.filename is not None and poster.filename.endswith(".poster.jpg")
    assert sent.size > 0
    attachment, poster_attachment = upload.response["attachments"]
    mp4 = fake.attachment_bytes(attachment["id"])
    assert (len(mp4), mp4[4:8]) == (sent.size, b"ftyp")
    assert fake.attachment_bytes(poster_attachment["id"])[:3] == b"\xff\xd8\xff"  # JPEG
    assert poster_attachment["description"] == Wording("en").poster_alt()
    mentions = upload.body["allowed_mentions"]
    assert mentioned_ids(mentions, "users") == [str(fake.alice.id)]
    assert mentions.get("parse") == [] and not mentions.get("roles")
    assert upload.body["content"].startswith(f"<@{fake.alice.id}>")
    assert_bodies_match_discords_schema(fake)


@pytest.mark.emulator(large_render=True)
async def test_a_render_over_the_upload_limit_is_posted_as_its_link_and_a_preview_that_fits(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with run_fake_discord() as fake, nemobot_running(fake, emulator, tmp_path):
        thread_id = await open_session_thread(fake, SUNSET)
        await fake.wait_for(lambda: finished_reply(fake, thread_id), FLOW_SECONDS)
        await fake.invoke_slash("export", channel_id=thread_id)
        delivered = await fake.wait_for(
            lambda: [r for r in writes_in(fake, thread_id) if "/files/" in json.dumps(r.body)],
            FLOW_SECONDS,
        )

    render = next(iter(emulator.state.renders.values()))
    assert render.size_bytes is not None and render.size_bytes > DEFAULT_UPLOAD_BYTES
    link = f"{emulator.url}/files/{render.render_id}.mp4"
    message = delivered[0]
    assert (message.method, message.status) == ("POST", 200)
    assert link in json.dumps(message.body)
    assert mentioned_ids(message.body["allowed_mentions"], "users") == [str(fake.alice.id)]
    clip, poster = message.files
    assert clip.filename is not None and clip.filename.endswith(".preview.mp4")
    assert poster.filename is not None and poster.filename.endswith(".poster.jpg")
    assert clip.size + poster.size < fake.state.filesize_limit == DEFAULT_UPLOAD_BYTES
    assert [r.files for r in fake.requests if r.files] == [message.files]  # one message
    preview_attachment = message.response["attachments"][0]
    assert preview_attachment["description"] == Wording("en").preview_alt()
    assert fake.attachment_bytes(preview_attachment["id"])[4:8] == b"ftyp"
    assert_bodies_match_discords_schema(fake)


async def test_a_429_on_an_edit_is_retried_and_the_turn_ends_normally(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with run_fake_discord() as fake, nemobot_running(fake, emulator, tmp_path):
        fake.force_rate_limit(1, method="PATCH", route=MESSAGE_EDIT, retry_after=0.3)
        thread_id = await open_session_thread(fake, SUNSET)
        reply = await fake.wait_for(lambda: finished_reply(fake, thread_id), FLOW_SECONDS)

    edits = edits_of(fake, reply["id"])
    statuses = [r.status for r in edits]
    assert statuses.count(429) == 1 and statuses[-1] == 200
    limited = statuses.index(429)
    assert edits[limited].body == edits[limited + 1].body  # sent again by discord.py
    assert fake.rate_limited_count == 1
    assert "Your video is ready!" in reply["content"]
    assert button_custom_id(reply, "Timeline") is not None
    assert [r.method for r in writes_in(fake, thread_id)] == ["POST"] + ["PATCH"] * len(edits)
    assert emulator.state.counters.turns == 1
    assert_bodies_match_discords_schema(fake)


#: A chat message (no video words) that the emulator quotes back twice in its reply: about
#: 2,600 characters, so the reply grows into a second message while it streams.
LONG_CHAT = " ".join(
    ["Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
     "incididunt ut labore et dolore magna aliqua."] * 10
)


@pytest.mark.slow
@pytest.mark.emulator(
    partial_text=True, partial_chunks=16, partial_interval_seconds=0.45, echo_chat=True,
    reply_repeat=2,
)
async def test_a_long_streamed_reply_stays_within_the_hidden_channel_bucket(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    # Discord's real numbers, and headers that do not tell discord.py about them: only
    # the bot's own pacing stands between a 7-second stream of edits and a 429. When the
    # reply outgrows its first message, one update is two writes (edit, then a new post).
    async with (
        run_fake_discord(message_rate_limit=(5, 5.0), advertise_rate_limits=False) as fake,
        nemobot_running(fake, emulator, tmp_path),
    ):
        thread_id = await open_session_thread(fake, LONG_CHAT)
        shown = await fake.wait_for(lambda: complete_reply(fake, thread_id), FLOW_SECONDS)

    writes = writes_in(fake, thread_id)
    assert len(writes) > 5
    assert fake.rate_limited_count == 0
    assert all(r.status == 200 for r in writes)
    assert len(shown) == 2 and all(len(text) <= 2000 for text in shown)
    assert shown[0].startswith("You said: Lorem ipsum")
    assert "".join(shown).count(f"You said: {LONG_CHAT}") == 2  # once each, cut between words
    assert_bodies_match_discords_schema(fake)


def complete_reply(fake: FakeDiscord, thread_id: int) -> list[str] | None:
    """The contents of the bot's messages once the whole (twice-said) reply is shown."""
    shown = [m["content"] for m in fake.messages_in(thread_id)]
    joined = "".join(shown)
    done = joined.endswith("when it looks right.") and joined.count("looks right.") == 2
    return shown if done else None


@pytest.mark.emulator(echo_chat=True)
async def test_relayed_everyone_and_role_mentions_ping_nobody(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with run_fake_discord() as fake, nemobot_running(fake, emulator, tmp_path):
        role = fake.video_makers_role_id
        loud = f"@everyone @here look at this, <@&{role}> and <@{fake.bob.id}>"
        thread_id = await open_session_thread(fake, SUNSET)
        await fake.wait_for(lambda: finished_reply(fake, thread_id), FLOW_SECONDS)
        await fake.send_message(thread_id, fake.alice, loud)
        relayed = await fake.wait_for(
            lambda: [r for r in writes_in(fake, thread_id)
                     if f"You said: {loud}" in r.body["content"]],
            FLOW_SECONDS,
        )

    assert relayed[-1].status == 200
    writes = writes_in(fake, thread_id)
    assert len(writes) >= 4  # two replies, each posted and then edited
    assert [r.body.get("allowed_mentions") for r in writes] == [{"parse": []}] * len(writes)
    assert_bodies_match_discords_schema(fake)


async def test_a_turn_the_last_run_left_is_resumed_once_when_a_second_client_is_needed(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    # Without the Message Content intent the first client is refused at IDENTIFY and
    # `run_bot` starts a second one: what the last run left must be resumed only once.
    async with run_fake_discord(allowed_privileged_intents=0) as fake:
        thread = fake.state.add_thread(fake.text_channel_id, SUNSET, owner=fake.bot_user)
        status = fake.state.create_message(int(thread["id"]), fake.bot_user, "💭 Thinking…")
        key = conversation_key(int(thread["id"]))
        async with await Store.open(tmp_path / "nemobot.sqlite3") as store:
            await store.save_conversation(key, session_id="session-of-the-last-run")
            await store.start_turn(key, author_id=fake.alice.id, status_message_id=status["id"])
        async with nemobot_running(fake, emulator, tmp_path):
            await fake.wait_for(lambda: edits_of(fake, status["id"]), READY_SECONDS)
            await asyncio.sleep(0.2)  # room for a second resume to show itself

    edits = edits_of(fake, status["id"])
    assert [(r.status, r.body["content"]) for r in edits] == [
        (200, Wording("en").recovery_checking())
    ]
    assert_bodies_match_discords_schema(fake)
