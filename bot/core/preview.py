"""Poster frames and previews that fit an upload limit, made by ffmpeg from files on disk.

    media = await prepare_delivery_media(video, limit_bytes=10 * 1024 * 1024)
    media.poster    # a JPEG beside the video, or None
    media.preview   # a smaller MP4 beside it when the video is over the limit, or None
    media.problem   # the PreviewError that left one of them out, or None
    media.info      # the video's duration and size in pixels, when ffmpeg could read it

ffmpeg is the binary imageio-ffmpeg ships, run with `asyncio.create_subprocess_exec` (no
shell), reading and writing files: no video is ever held in memory. Every run has a timeout,
after which the process is killed. The errors, for the log and for one sentence to the user:

    PreviewError
     ├── FfmpegMissing    no ffmpeg binary to run
     ├── FfmpegTimedOut   ffmpeg ran past its timeout (and was killed)
     ├── FfmpegFailed     ffmpeg exited with an error, or its output made no sense
     └── PreviewTooLarge  even the second, lower-rate try did not fit the limit

A preview is H.264/AAC with `+faststart` (plays while it downloads), scaled down and capped
in bit rate so that duration × rate lands under the limit with a margin; if it still comes
out too big, it is made once more at a rate lowered by how far it missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

log = logging.getLogger(__name__)

PROBE_TIMEOUT_SECONDS = 30.0
POSTER_TIMEOUT_SECONDS = 60.0
#: A preview's encode may take this long per second of video, with the floor below.
PREVIEW_SECONDS_PER_VIDEO_SECOND = 4.0
PREVIEW_MIN_TIMEOUT_SECONDS = 120.0
#: The share of the limit a preview aims at (the rest is the margin for rate overshoot).
PREVIEW_TARGET_FRACTION = 0.85
#: MP4 headers and index, kept out of the bit budget.
CONTAINER_OVERHEAD_BYTES = 64 * 1024
AUDIO_KBPS = 64
MIN_VIDEO_KBPS = 40
POSTER_MAX_WIDTH_PX = 1280
#: (lowest video rate in kb/s, frame height in pixels): more rate, more lines.
_HEIGHT_FOR_RATE = ((2500, 1080), (1200, 720), (600, 480), (250, 360), (0, 240))

_DURATION = re.compile(r"Duration:\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)")
_VIDEO_SIZE = re.compile(r"Stream #[^\n]*Video:[^\n]*?, (\d{2,5})x(\d{2,5})[\s,\[]")


class PreviewError(Exception):
    """A poster or preview could not be made."""


class FfmpegMissing(PreviewError):
    """There is no ffmpeg binary to run."""


class FfmpegTimedOut(PreviewError):
    """ffmpeg ran past its timeout and was killed."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"ffmpeg ran longer than {seconds:g} s")
        self.seconds = seconds


class FfmpegFailed(PreviewError):
    """ffmpeg exited with an error (`returncode`; the end of its stderr in `detail`)."""

    def __init__(self, returncode: int | None, detail: str) -> None:
        super().__init__(f"ffmpeg failed ({returncode}): {detail}")
        self.returncode = returncode
        self.detail = detail


class PreviewTooLarge(PreviewError):
    """The preview did not fit even on the second try."""

    def __init__(self, size_bytes: int, limit_bytes: int) -> None:
        super().__init__(f"preview of {size_bytes} bytes does not fit {limit_bytes}")
        self.size_bytes = size_bytes
        self.limit_bytes = limit_bytes


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What `ffmpeg -i` tells about a file."""

    duration_seconds: float
    width: int | None
    height: int | None


@dataclass(frozen=True, slots=True)
class DeliveryMedia:
    """What goes with a delivered video: its poster, and a preview when it is too large."""

    poster: Path | None
    preview: Path | None
    problem: PreviewError | None = None
    #: What ffmpeg said of the video (its duration), when it could read it.
    info: MediaInfo | None = None


def find_ffmpeg() -> str:
    """The path of the ffmpeg binary imageio-ffmpeg provides; FfmpegMissing if there is none."""
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError as exc:
        raise FfmpegMissing(str(exc)) from exc


async def run_ffmpeg(ffmpeg: str, args: list[str], timeout_seconds: float) -> tuple[int, str]:
    """Run ffmpeg with `args`; returns its exit code and the end of its stderr.

    stdin and stdout are closed (files are named in `args`); on timeout or cancellation the
    process is killed and reaped before the error goes on.
    """
    try:
        process = await asyncio.create_subprocess_exec(
            ffmpeg, "-hide_banner", "-nostdin", *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
    except (FileNotFoundError, PermissionError) as exc:
        raise FfmpegMissing(f"cannot run {ffmpeg}: {exc}") from exc
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), timeout_seconds)
    except TimeoutError as exc:
        await _kill(process)
        raise FfmpegTimedOut(timeout_seconds) from exc
    except asyncio.CancelledError:
        await _kill(process)
        raise
    return process.returncode or 0, stderr.decode(errors="replace")[-4000:]


async def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


def parse_media_info(stderr: str) -> MediaInfo | None:
    """Duration and frame size from `ffmpeg -i` output; None when there is no duration."""
    duration = _DURATION.search(stderr)
    if duration is None:
        return None
    hours, minutes, seconds = duration.groups()
    size = _VIDEO_SIZE.search(stderr)
    return MediaInfo(
        duration_seconds=int(hours) * 3600 + int(minutes) * 60 + float(seconds),
        width=int(size[1]) if size else None,
        height=int(size[2]) if size else None,
    )


async def probe(source: Path, *, ffmpeg: str | None = None) -> MediaInfo:
    """Read `source`'s duration and frame size with `ffmpeg -i` (it exits 1: no output)."""
    exe = ffmpeg or find_ffmpeg()
    _, stderr = await run_ffmpeg(exe, ["-i", str(source)], PROBE_TIMEOUT_SECONDS)
    info = parse_media_info(stderr)
    if info is None or info.duration_seconds <= 0:
        raise FfmpegFailed(None, f"no duration in {source.name}: {stderr.strip()[-200:]}")
    return info


def preview_rate_kbps(duration_seconds: float, limit_bytes: int) -> int:
    """The video rate that makes `duration_seconds` of video and audio fit the limit's target."""
    budget_bits = (limit_bytes * PREVIEW_TARGET_FRACTION - CONTAINER_OVERHEAD_BYTES) * 8
    total_kbps = budget_bits / max(duration_seconds, 0.1) / 1000
    return max(MIN_VIDEO_KBPS, int(total_kbps - AUDIO_KBPS))


def preview_height(video_kbps: int) -> int:
    """The frame's short side worth spending `video_kbps` on (never above the source's)."""
    return next(height for floor, height in _HEIGHT_FOR_RATE if video_kbps >= floor)


def _scale_filter(short_side: int) -> str:
    """Scale so the shorter side is at most `short_side` (never up), both sides even (4:2:0
    needs them even; a portrait video is limited by its width, a landscape one by height)."""
    even = f"2*trunc(min({short_side},{{}})/2)"
    width = f"if(gt(iw,ih),-2,{even.format('iw')})"
    height = f"if(gt(iw,ih),{even.format('ih')},-2)"
    return f"scale='{width}':'{height}':flags=bicubic,setsar=1,format=yuv420p"


def _preview_args(source: Path, target: Path, video_kbps: int) -> list[str]:
    height = preview_height(video_kbps)
    return [
        "-loglevel", "error", "-i", str(source),
        "-map", "0:v:0", "-map", "0:a:0?",
        "-vf", _scale_filter(height),
        "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high",
        "-b:v", f"{video_kbps}k", "-maxrate", f"{video_kbps}k", "-bufsize", f"{video_kbps}k",
        "-c:a", "aac", "-b:a", f"{AUDIO_KBPS}k", "-ac", "2",
        "-movflags", "+faststart", "-f", "mp4", "-y", str(target),
    ]


async def make_preview(
    source: Path, target: Path, limit_bytes: int, *, ffmpeg: str | None = None
) -> Path:
    """Write a preview of `source` to `target` that is smaller than `limit_bytes`.

    The file is written under a temporary name and renamed when it fits, so `target` never
    holds a half-made or oversized preview. Raises a PreviewError.
    """
    exe = ffmpeg or find_ffmpeg()
    info = await probe(source, ffmpeg=exe)
    timeout = max(
        PREVIEW_MIN_TIMEOUT_SECONDS, info.duration_seconds * PREVIEW_SECONDS_PER_VIDEO_SECOND
    )
    partial = target.with_name(f".{target.name}.part")
    rate = preview_rate_kbps(info.duration_seconds, limit_bytes)
    size = 0
    try:
        for attempt in (1, 2):
            code, stderr = await run_ffmpeg(exe, _preview_args(source, partial, rate), timeout)
            if code != 0:
                raise FfmpegFailed(code, stderr.strip()[-300:])
            size = (await asyncio.to_thread(partial.stat)).st_size
            log.info("preview try %s: %s kb/s, %s of %s bytes", attempt, rate, size, limit_bytes)
            if size < limit_bytes:
                await asyncio.to_thread(partial.replace, target)
                return target
            # Over the limit: lower the rate by how far it missed, and aim at the target again.
            rate = max(MIN_VIDEO_KBPS, int(rate * limit_bytes * PREVIEW_TARGET_FRACTION / size))
        raise PreviewTooLarge(size, limit_bytes)
    finally:
        await asyncio.to_thread(partial.unlink, missing_ok=True)


async def extract_poster(
    source: Path, target: Path, *, at_seconds: float | None = None, ffmpeg: str | None = None
) -> Path:
    """Write one frame of `source` to `target` as a JPEG (at most POSTER_MAX_WIDTH_PX wide).

    The frame is taken at `at_seconds`, or by default a tenth into the video (at most 3 s),
    past a fade-in's black first frame. Raises a PreviewError.
    """
    exe = ffmpeg or find_ffmpeg()
    if at_seconds is None:
        info = await probe(source, ffmpeg=exe)
        at_seconds = min(3.0, info.duration_seconds / 10)
    args = [
        "-loglevel", "error", "-ss", f"{at_seconds:.3f}", "-i", str(source),
        "-frames:v", "1", "-vf", f"scale='min({POSTER_MAX_WIDTH_PX},iw)':-2",
        "-q:v", "3", "-f", "image2", "-c:v", "mjpeg", "-y", str(target),
    ]
    code, stderr = await run_ffmpeg(exe, args, POSTER_TIMEOUT_SECONDS)
    exists = await asyncio.to_thread(target.is_file)
    if code != 0 or not exists:
        raise FfmpegFailed(code, stderr.strip()[-300:] or "no frame written")
    return target


async def prepare_delivery_media(
    video: Path, limit_bytes: int, *, ffmpeg: str | None = None
) -> DeliveryMedia:
    """The poster (always) and, when `video` is over `limit_bytes`, a preview that fits.

    Written beside the video (`<stem>.poster.jpg`, `<stem>.preview.mp4`). Never raises for
    ffmpeg's troubles: what could not be made is None, and `problem` says why. The preview
    leaves room for the poster, so both fit in one message.
    """
    try:
        exe = ffmpeg or find_ffmpeg()
    except FfmpegMissing as exc:
        log.warning("no poster or preview for %s: %s", video.name, exc)
        return DeliveryMedia(None, None, exc)
    problem: PreviewError | None = None
    poster: Path | None = None
    info: MediaInfo | None = None
    try:
        info = await probe(video, ffmpeg=exe)
        poster_path = video.with_name(f"{video.stem}.poster.jpg")
        at = min(3.0, info.duration_seconds / 10)  # past a fade-in's black first frame
        poster = await extract_poster(video, poster_path, at_seconds=at, ffmpeg=exe)
    except PreviewError as exc:
        log.warning("no poster for %s: %s", video.name, exc)
        problem = exc
    size = (await asyncio.to_thread(video.stat)).st_size
    if size <= limit_bytes:
        return DeliveryMedia(poster, None, problem, info)
    poster_bytes = (await asyncio.to_thread(poster.stat)).st_size if poster else 0
    preview = video.with_name(f"{video.stem}.preview.mp4")
    try:
        await make_preview(video, preview, limit_bytes - poster_bytes, ffmpeg=exe)
    except PreviewError as exc:
        log.warning("no preview for %s: %s", video.name, exc)
        return DeliveryMedia(poster, None, exc, info)
    return DeliveryMedia(poster, preview, problem, info)
