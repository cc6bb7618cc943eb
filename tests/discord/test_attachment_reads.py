"""Reading attachments from Discord's CDN, on the wire: a stalled one is bounded and explained.

The real `nemobot run` against the fake Discord, whose CDN is taught to stall on one file
(a few bytes, then silence); NemoVideo is the emulator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.core.wording import Wording
from bot.emulator.server import RunningEmulator
from tests.discord.wire_helpers import nemobot_running, open_session_thread, writes_in
from tests.fakediscord import FakeDiscord, FakeFile, run_fake_discord

EN = Wording("en")
SUNSET = "make a 15-second video of a sunset"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(4096)
FLOW_SECONDS = 20.0


def contents(fake: FakeDiscord, thread_id: int) -> list[str]:
    return [str(r.body.get("content") or "") for r in writes_in(fake, thread_id)]


def cdn_reads(fake: FakeDiscord, filename: str) -> list[Any]:
    return [r for r in fake.requests if r.path.startswith("/attachments/")
            and r.path.endswith("/" + filename)]


@pytest.mark.slow
async def test_a_stalled_attachment_neither_blocks_the_thread_nor_goes_unexplained(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with (
        run_fake_discord() as fake,
        nemobot_running(fake, emulator, tmp_path, download_read_timeout_seconds=1.0),
    ):
        thread_id = await open_session_thread(fake, SUNSET)
        await fake.wait_for(lambda: emulator.state.counters.turns == 1, FLOW_SECONDS)
        fake.state.stalled_attachments.add("stuck.png")

        await fake.send_message(thread_id, fake.alice, "", [FakeFile("stuck.png", PNG)])
        await fake.wait_for(lambda: cdn_reads(fake, "stuck.png"), FLOW_SECONDS)
        await fake.send_message(thread_id, fake.alice, "add a title Golden Hour")
        await fake.wait_for(lambda: emulator.state.counters.turns == 2, FLOW_SECONDS)
        told = await fake.wait_for(
            lambda: [c for c in contents(fake, thread_id)
                     if c == EN.attachment_unavailable("stuck.png")],
            FLOW_SECONDS,
        )

    assert told, "the person who attached it is told"
    shown = contents(fake, thread_id)
    assert EN.wait_your_turn() not in shown, "no turn was running: nobody is told there was"
    # The words wait for the file sent before them (they may speak of it), and say so.
    assert shown.index(EN.wait_for_files()) < shown.index(EN.attachment_unavailable("stuck.png"))
    assert emulator.state.counters.uploads == 0


async def test_an_attachment_after_a_stalled_one_is_still_uploaded(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with (
        run_fake_discord() as fake,
        nemobot_running(fake, emulator, tmp_path, download_read_timeout_seconds=0.5),
    ):
        thread_id = await open_session_thread(fake, SUNSET)
        await fake.wait_for(lambda: emulator.state.counters.turns == 1, FLOW_SECONDS)
        fake.state.stalled_attachments.add("stuck.png")

        await fake.send_message(
            thread_id, fake.alice, "", [FakeFile("stuck.png", PNG), FakeFile("logo.png", PNG)]
        )
        await fake.wait_for(
            lambda: any("Uploaded logo.png" in c for c in contents(fake, thread_id)),
            FLOW_SECONDS,
        )

    assert EN.attachment_unavailable("stuck.png") in contents(fake, thread_id)
    assert emulator.state.counters.uploads == 1
