"""`nemobot chat` on a real terminal (tmux) while it works: cancel, and a render's progress.

Under the line editor the prompt stays open while a reply streams, so a line typed then
waits its turn and a cancel goes first. A render's progress is one line, above the prompt,
redrawn in place and gone once the video is saved. Every wait is for text on the screen
(bounded), never a timed assertion.
"""

from __future__ import annotations

import asyncio
import re

import pytest

from bot.core.wording import Wording
from bot.emulator import RunningEmulator
from tests.cli.test_terminal_keys import Pane, emulator, pane

__all__ = ["emulator", "pane"]  # the fixtures, shared with test_terminal_keys.py

EN = Wording("en")
GENERATE = "generate a 15-second video of a sunset over a mountain lake"
BAR = re.compile(r"[▰▱]{10} \d+%")


def run_sse(emulator: RunningEmulator) -> int:
    """How many chat messages reached NemoVideo, from the emulator's request log."""
    return sum(1 for r in emulator.state.requests if r.path == "/run_sse")


@pytest.mark.slow
async def test_typing_cancel_during_a_reply_stops_it_drops_the_next_line_and_sends_nothing_again(
    pane: Pane, emulator: RunningEmulator
) -> None:
    emulator.state.config.turn_scale = 0.5  # a generation streams for minutes
    pane.type(GENERATE)
    pane.keys("Enter")
    await pane.wait_for(EN.thinking())
    pane.type("add a title Golden Hour")
    pane.keys("Enter")
    await pane.wait_for(EN.wait_your_turn())

    pane.type("cancel")
    pane.keys("Enter")
    screen = await pane.wait_for(EN.cancel_turn_done())

    assert EN.message_dropped("add a title Golden Hour") in screen
    assert EN.turn_cancelled_checking() in screen, "told NemoVideo may still finish"
    assert f"{EN.cancel_turn_done()} {EN.cancel_dropped(1)}" in screen
    assert run_sse(emulator) == 1, "the message reached /run_sse once; the next one never"
    assert screen.rstrip().endswith("you>"), "the prompt is back at once"


@pytest.mark.slow
async def test_a_renders_progress_is_one_line_above_the_prompt_and_gone_once_saved(
    pane: Pane, emulator: RunningEmulator
) -> None:
    await pane.wait_for("you>")
    pane.type(GENERATE)
    pane.keys("Enter")
    await pane.wait_for("Your video is ready!")
    emulator.state.config.render_seconds = 6.0  # past the first status check (3 s)
    pane.type("export")
    pane.keys("Enter")

    screens = []
    while "Poster frame of your video saved" not in (screen := pane.screen()):
        screens.append(screen)
        await asyncio.sleep(0.05)
        assert len(screens) < 1200, screen  # a minute at most

    drawn = [screen for screen in screens if BAR.search(screen)]
    assert drawn, "the progress was shown"
    for shown in drawn:
        bars = [line for line in shown.splitlines() if BAR.search(line)]
        assert len(bars) == 1, shown  # one line, redrawn in place
        lines = shown.rstrip().splitlines()
        assert BAR.search(lines[-2]) and lines[-1].startswith("you>"), shown  # above the prompt
    final = await pane.wait_for("you>")
    assert not BAR.search(final), "gone once the video is saved"
    assert "Render finished" not in final
    assert final.count(EN.render_done_file(None)) == 1
