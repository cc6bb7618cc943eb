"""Real MP4 encoding of awkward titles, and `nemobot emulator`'s serve_forever."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
from pathlib import Path

import pytest

from bot.emulator import EmulatorConfig, serve_forever
from bot.emulator.media import render_mp4, spec_for
from tests.emulator.helpers import loopback_client


@pytest.mark.parametrize("title", ['Urban: "Dreams" 100% it\'s', "日落 · 湖", "a\\b;c,d[e]=f", ""])
async def test_any_title_renders_a_playable_mp4(tmp_path: Path, title: str) -> None:
    spec = spec_for(title, 1.0, (1920, 1080), ("Lo-fi", 0.35), large=False)

    size = await render_mp4(spec, tmp_path / "out.mp4")

    data = await asyncio.to_thread((tmp_path / "out.mp4").read_bytes)
    assert data[4:8] == b"ftyp"
    assert size == len(data)
    assert await asyncio.to_thread(os.listdir, tmp_path) == ["out.mp4"]  # no text file left


def test_spec_keeps_the_aspect_ratio_within_640_pixels() -> None:
    portrait = spec_for("t", 30.0, (1080, 1920), None, large=False)

    assert (portrait.width, portrait.height) == (360, 640)
    assert portrait.seconds == 15.0
    assert portrait.tone_hz is None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_serve_forever_logs_its_url_and_stops_when_cancelled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.emulator.server")
    port = _free_port()
    task = asyncio.create_task(serve_forever("127.0.0.1", port, EmulatorConfig()))
    for _ in range(500):
        if any("listening" in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.01)

    async with loopback_client(f"http://127.0.0.1:{port}") as http:
        stats = await http.get("/_emulator/stats")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    message = next(r.getMessage() for r in caplog.records if "listening" in r.getMessage())
    assert re.search(rf"listening on http://127\.0\.0\.1:{port}\b", message)
    assert f"NEMO_API_URL=http://127.0.0.1:{port}" in message
    assert stats.json()["turns"] == 0
