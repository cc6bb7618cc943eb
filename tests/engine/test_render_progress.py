"""A running render's status message: a progress bar through its stages, paced by the polls."""

from __future__ import annotations

import time

from bot.core.progress import Stage, bar
from bot.core.wording import Wording
from tests.emulator.helpers import FakeClock
from tests.engine.conftest import Rig
from tests.engine.memport import Shown
from tests.engine.test_exports import generated
from tests.engine.test_turns import say

EN = Wording("en")


def _status(rig: Rig) -> Shown:
    """The render's status message (deleted once the video is posted)."""
    shown = [*rig.port.messages, *rig.port.deleted]
    return next(m for m in shown if m.versions[0].startswith(EN.render_started()))


async def test_the_status_shows_a_bar_through_queued_rendering_downloading_and_uploading(
    rig: Rig,
) -> None:
    clock = FakeClock(time.time())
    rig.emulator.state.clock = clock
    duration = rig.emulator.state.config.render_seconds
    await generated(rig)
    await say(rig, "export")
    queued = f"{EN.render_stage(Stage.QUEUED)} {bar(5)}"
    await rig.port.wait_for(lambda: any(v.startswith(queued) for v in _status(rig).versions))
    clock.advance(duration * 0.4)  # 10 + 89 × 0.4 = 45 %
    rendering = f"{EN.render_stage(Stage.RENDERING)} ▰▰▰▰▱▱▱▱▱▱ 45%"
    await rig.port.wait_for(lambda: any(v.startswith(rendering) for v in _status(rig).versions))
    clock.advance(duration)
    await rig.engine.drain()

    status = _status(rig)
    labels = [
        next((stage for stage in Stage if v.startswith(EN.render_stage(stage))), v)
        for v in status.versions[1:]
    ]
    assert labels[:2] == [Stage.QUEUED, Stage.RENDERING], status.versions
    assert labels[-2:] == [Stage.DOWNLOADING, Stage.UPLOADING]
    assert f"{EN.render_stage(Stage.UPLOADING)} {bar(100)} · {EN.started_at('[since')}" in (
        status.versions[-1]
    )
    assert status in rig.port.deleted, "once the video is posted, the status goes"
    # Never an edit that shows the same text again, and at most one per poll.
    assert all(a != b for a, b in zip(status.versions, status.versions[1:], strict=False))
    polls = [r for r in rig.emulator.state.requests
             if r.method == "GET" and "/api/render/proxy/" in r.path and "download" not in r.path]
    polled_edits = [label for label in labels if label in (Stage.QUEUED, Stage.RENDERING)]
    assert 2 <= len(polled_edits) <= len(polls)
    [video] = rig.port.files()
    assert video.file_bytes is not None and video.file_bytes[4:8] == b"ftyp"


async def test_a_render_over_the_limit_says_it_is_preparing_a_preview(rig: Rig) -> None:
    rig.port.upload_limit = 10 * 1024 * 1024
    rig.emulator.state.config.large_render = True
    await generated(rig)
    await say(rig, "export")
    await rig.engine.drain()

    versions = _status(rig).versions
    [preparing] = [v for v in versions if v.startswith(EN.render_stage(Stage.PREPARING))]
    assert bar(100) in preparing
