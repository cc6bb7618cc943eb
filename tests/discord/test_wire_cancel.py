"""Cancelling a chat turn on the wire: the real bot (`run_bot`) against the fake Discord.

What Discord itself would see: a Cancel button on the turn's live reply, private answers
to whoever cancels (a refusal for someone else), the reply edited to the outcome of the
state read and nothing posted after it, a waiting message dropped with a word to its
author; and at the emulator, the message reaching `/run_sse` once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.core.wording import Wording
from bot.emulator.server import RunningEmulator
from bot.nemo.draft import Draft, timeline_summary
from tests.discord.conftest import FAST
from tests.discord.wire_helpers import (
    READY_SECONDS,
    assert_bodies_match_discords_schema,
    button_custom_id,
    nemobot_running,
    open_session_thread,
)
from tests.fakediscord import FakeDiscord, run_fake_discord
from tests.fakediscord.interactions import InteractionRecord

EN = Wording("en")
SUNSET = "make a 15-second video of a sunset"
FLOW_SECONDS = 20.0
EPHEMERAL = 1 << 6


def run_sse(emulator: RunningEmulator) -> int:
    """How many chat messages reached NemoVideo, from the emulator's request log."""
    return sum(1 for r in emulator.state.requests if r.path == "/run_sse")


def bot_messages(fake: FakeDiscord, thread_id: int) -> list[dict[str, Any]]:
    return [m for m in fake.messages_in(thread_id) if m["author"]["id"] == str(fake.bot_user.id)]


async def private_answer(fake: FakeDiscord, record: InteractionRecord) -> str:
    """The content of the bot's answer to an interaction, which must be ephemeral."""
    await fake.wait_for(lambda: record.original_message_id is not None, READY_SECONDS)
    assert record.original_message_id is not None
    answer = fake.message(record.original_message_id)
    assert int(answer["flags"]) & EPHEMERAL, answer
    return str(answer["content"])


async def test_a_cancelled_turn_on_the_wire_is_never_resent_and_only_its_state_read_follows(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with run_fake_discord() as fake, nemobot_running(fake, emulator, tmp_path, timings=FAST):
        thread_id = await open_session_thread(fake, SUNSET)
        await fake.wait_for(
            lambda: any(button_custom_id(m, "Export MP4") for m in bot_messages(fake, thread_id)),
            FLOW_SECONDS,
        )
        emulator.state.config.turn_scale = 0.3  # the edit below streams for seconds
        seen = {m["id"] for m in bot_messages(fake, thread_id)}
        await fake.send_message(thread_id, fake.alice, "make the music calmer")
        live = await fake.wait_for(
            lambda: (
                run_sse(emulator) == 2
                and next(
                    (
                        m
                        for m in bot_messages(fake, thread_id)
                        if m["id"] not in seen and button_custom_id(m, "Cancel")
                    ),
                    None,
                )
            ),
            FLOW_SECONDS,
        )
        cancel_id = button_custom_id(live, "Cancel")
        assert cancel_id is not None
        await fake.send_message(thread_id, fake.alice, "add a title Golden Hour")
        await fake.wait_for(
            lambda: any(m["content"] == EN.wait_your_turn() for m in bot_messages(fake, thread_id)),
            FLOW_SECONDS,
        )

        bob = fake.add_member("bob")
        refused = await fake.invoke_slash("cancel", channel_id=thread_id, user=bob)
        assert await private_answer(fake, refused) == EN.cancel_not_yours()
        pressed = await fake.click_component(int(live["id"]), cancel_id, user=bob)
        assert await private_answer(fake, pressed) == EN.cancel_not_yours()
        assert button_custom_id(fake.message(live["id"]), "Cancel"), "the turn goes on"

        cancelled = await fake.click_component(int(live["id"]), cancel_id)
        answer = await private_answer(fake, cancelled)
        ended = await fake.wait_for(
            lambda: (m := fake.message(live["id"])) and not button_custom_id(m, "Cancel") and m,
            FLOW_SECONDS,
        )
        dropped = await fake.wait_for(
            lambda: [
                m
                for m in bot_messages(fake, thread_id)
                if m["content"] == EN.message_dropped("add a title Golden Hour")
            ],
            FLOW_SECONDS,
        )
        posted = len(bot_messages(fake, thread_id))
        await fake.wait_for(lambda: run_sse(emulator) >= 2, READY_SECONDS)

    assert answer == f"{EN.cancel_turn_done()} {EN.cancel_dropped(1)}"
    assert run_sse(emulator) == 2, "each message reached /run_sse once; the queued one never"
    session = next(iter(emulator.state.sessions.values()))
    summary = timeline_summary(Draft.from_wire(session.draft))
    assert ended["content"].endswith(
        (EN.turn_cancelled_changed(summary), EN.turn_cancelled_unchanged())
    ), ended["content"]
    edits = [
        r.body.get("content", "")
        for r in fake.find_requests("PATCH", "/channels/{channel_id}/messages/{message_id}")
        if r.path.endswith(f"/messages/{live['id']}")
    ]
    notice = next(i for i, text in enumerate(edits) if EN.turn_cancelled_checking() in text)
    assert edits[notice + 1 :] == [ended["content"]], "after the notice, only the outcome"
    assert len(dropped) == 1
    assert len(bot_messages(fake, thread_id)) == posted, "nothing posted after the cancel"
    assert_bodies_match_discords_schema(fake)
