"""What a delivered render carries: a poster frame, and a preview when it is too large."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.core import preview
from bot.core.wording import Wording
from tests.engine.conftest import registered_token
from tests.engine.memport import MemoryPort
from tests.engine.test_exports import REQUESTER, generated
from tests.engine.test_turns import say

EN = Wording("en")
TEN_MIB = 10 * 1024 * 1024


async def _media_info(data: bytes, tmp_path: Path, name: str) -> str:
    """What `ffmpeg -i` says about `data` (its stream lines name the codecs)."""
    path = tmp_path / name
    path.write_bytes(data)
    _, stderr = await preview.run_ffmpeg(preview.find_ffmpeg(), ["-i", str(path)], 30)
    return stderr


async def test_a_render_that_fits_is_posted_with_its_poster_frame(
    make_rig: Any, tmp_path: Path
) -> None:
    async with make_rig(nemo_token=registered_token()) as rig:
        await generated(rig)
        await say(rig, "export", author=REQUESTER)
        await rig.engine.drain()

    [delivered] = rig.port.files()
    video, poster = delivered.attached
    assert video.data[4:8] == b"ftyp" and video.description == EN.video_alt()
    assert poster.name.endswith(".jpg") and poster.description == EN.poster_alt()
    assert poster.data[:3] == b"\xff\xd8\xff"  # a JPEG
    info = await _media_info(poster.data, tmp_path, "poster.jpg")
    assert "Video: mjpeg" in info
    assert EN.render_done_file(None) in delivered.text and delivered.ping_user == REQUESTER


async def test_a_render_over_the_limit_comes_as_its_link_and_a_preview_that_fits(
    make_rig: Any, tmp_path: Path
) -> None:
    port = MemoryPort(upload_limit=TEN_MIB)
    async with make_rig(port=port, nemo_token=registered_token()) as rig:
        rig.emulator.state.config.large_render = True  # about 12 MiB
        await generated(rig)
        await say(rig, "export", author=REQUESTER)
        await rig.engine.drain()

    [render] = rig.emulator.state.renders.values()
    assert render.size_bytes is not None and render.size_bytes > TEN_MIB
    [delivered] = port.files()
    link = f"{rig.emulator.url}/files/{render.render_id}.mp4"
    assert delivered.text == EN.render_done_preview(link)
    clip, poster = delivered.attached
    assert clip.name.endswith(".preview.mp4") and clip.description == EN.preview_alt()
    assert len(clip.data) + len(poster.data) < TEN_MIB
    info = await _media_info(clip.data, tmp_path, "preview.mp4")
    assert "Video: h264" in info and "Audio: aac" in info
    parsed = preview.parse_media_info(info)
    assert parsed is not None and parsed.duration_seconds == pytest.approx(
        render.video_seconds, abs=0.2
    )
    assert poster.data[:3] == b"\xff\xd8\xff"
    assert len([m for m in port.messages if link in m.text]) == 1


async def test_without_ffmpeg_a_large_render_is_its_link_and_one_sentence_once(
    make_rig: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(preview, "find_ffmpeg", lambda: "/nonexistent/ffmpeg")
    port = MemoryPort(upload_limit=TEN_MIB)
    async with make_rig(port=port, nemo_token=registered_token()) as rig:
        rig.emulator.state.config.large_render = True  # about 12 MiB
        await generated(rig)
        await say(rig, "export", author=REQUESTER)
        await rig.engine.drain()

    [render] = rig.emulator.state.renders.values()
    link = f"{rig.emulator.url}/files/{render.render_id}.mp4"
    assert port.files() == []
    [delivered] = [m for m in port.messages if link in m.text]
    assert delivered.text == f"{EN.render_done_link(link)}\n{EN.preview_unavailable()}"
    assert delivered.ping_user == REQUESTER


async def test_without_ffmpeg_a_render_that_fits_is_still_posted(
    make_rig: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(preview, "find_ffmpeg", lambda: "/nonexistent/ffmpeg")
    async with make_rig(nemo_token=registered_token()) as rig:
        await generated(rig)
        await say(rig, "export")
        await rig.engine.drain()

    [delivered] = rig.port.files()
    [video] = delivered.attached
    assert video.data[4:8] == b"ftyp"
