"""Real MP4 files for renders, made by the ffmpeg binary that imageio-ffmpeg ships.

A render is a coloured card with the draft's title in the middle and a sine tone at the
music's volume: tiny (tens of KB) and quick to make. `large` swaps the card for
incompressible noise, giving a file over 10 MiB to exercise delivery by link. Text is
drawn with `drawtext` from a file (no escaping games); if this ffmpeg cannot draw text
the video is made without it.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

from bot.emulator.diskio import in_thread

log = logging.getLogger(__name__)

MAX_SIDE_PIXELS = 640
FRAMES_PER_SECOND = 15
MIN_VIDEO_SECONDS = 1.0
MAX_VIDEO_SECONDS = 15.0
#: Lossless noise at 640x360, 24 fps is ~10 MB per second.
LARGE_VIDEO_SECONDS = 2.0
LARGE_SIZE = (640, 360)
_PALETTE = ("0x1e3a5f", "0x3d1e5f", "0x1e5f4a", "0x5f3a1e", "0x5f1e2e", "0x2e2e2e")


class MediaError(Exception):
    """ffmpeg could not produce the video."""


@dataclass(frozen=True)
class VideoSpec:
    """What to put in the file."""

    title: str
    seconds: float
    width: int
    height: int
    tone_hz: int | None = None
    volume: float = 0.35
    large: bool = False


def spec_for(
    title: str,
    seconds: float,
    canvas: tuple[int, int],
    music: tuple[str, float] | None,
    *,
    large: bool,
) -> VideoSpec:
    """A small-but-faithful spec: the draft's aspect ratio scaled to fit 640 px."""
    width, height = canvas
    scale = MAX_SIDE_PIXELS / max(width, height)
    even_w = max(2, int(width * scale) // 2 * 2)
    even_h = max(2, int(height * scale) // 2 * 2)
    tone = None
    volume = 0.35
    if music is not None:
        name, volume = music
        tone = 220 + zlib.crc32(name.encode()) % 440
    seconds = max(MIN_VIDEO_SECONDS, min(MAX_VIDEO_SECONDS, seconds))
    return VideoSpec(title, seconds, even_w, even_h, tone, volume, large)


def _command(ffmpeg: str, spec: VideoSpec, out: Path, text_file: Path | None) -> list[str]:
    color = _PALETTE[zlib.crc32(spec.title.encode()) % len(_PALETTE)]
    if spec.large:
        width, height = LARGE_SIZE
        seconds = LARGE_VIDEO_SECONDS
        video = f"color=c={color}:s={width}x{height}:d={seconds}:r=24,noise=alls=100:allf=t+u"
        codec = ["-c:v", "libx264", "-preset", "ultrafast", "-qp", "0"]
    else:
        seconds = spec.seconds
        video = f"color=c={color}:s={spec.width}x{spec.height}:d={seconds}:r={FRAMES_PER_SECOND}"
        codec = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "30"]
    if text_file is not None:
        size = max(12, min(spec.width, spec.height) // 12)
        video += (
            f",drawtext=textfile={text_file}:expansion=none:fontcolor=white:fontsize={size}"
            ":x=(w-text_w)/2:y=(h-text_h)/2"
        )
    cmd = [
        ffmpeg,
        "-hide_banner",
        "-loglevel",
        "error",
        "-nostdin",
        "-y",
        "-f",
        "lavfi",
        "-i",
        video,
    ]
    if spec.tone_hz is not None:
        cmd += [
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency={spec.tone_hz}:duration={seconds}",
            "-filter:a",
            f"volume={spec.volume:.2f}",
            "-c:a",
            "aac",
            "-b:a",
            "64k",
        ]
    cmd += [*codec, "-pix_fmt", "yuv420p", "-shortest", "-movflags", "+faststart", str(out)]
    return cmd


async def _run(cmd: list[str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *cmd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, stderr = await process.communicate()
    except asyncio.CancelledError:
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    return process.returncode or 0, stderr.decode(errors="replace")[-500:]


async def render_mp4(spec: VideoSpec, out: Path) -> int:
    """Write `spec` as an H.264 MP4 to `out`; return its size in bytes."""
    try:
        ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as exc:
        raise MediaError("the video encoder is not available") from exc
    text_file = out.with_suffix(".txt")
    await in_thread(text_file.write_text, spec.title or " ", "utf-8")
    try:
        code, errors = await _run(_command(ffmpeg, spec, out, text_file))
        if code != 0:
            log.warning("drawtext failed (%s); rendering without text", errors.strip()[-200:])
            code, errors = await _run(_command(ffmpeg, spec, out, None))
        if code != 0:
            raise MediaError(f"encoder exited with status {code}: {errors.strip()[-200:]}")
    finally:
        await in_thread(text_file.unlink, missing_ok=True)
    stat = await in_thread(out.stat)
    return stat.st_size
