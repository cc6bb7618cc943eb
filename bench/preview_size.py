"""A preview for an unboosted server: its size against the limit and its transcode time.

Makes a 1080p clip of SECONDS seconds (default 30) with a lot of detail (a moving test
pattern with noise, and a tone), at a rate that puts it over LIMIT_MB (default 10), then
the preview nemobot would post. Prints the preview's size as a fraction of the limit and
the transcode time as a ratio of the clip's duration (below 1: faster than real time).

Usage: python bench/preview_size.py [seconds] [limit_mb] | --quick
(--quick: a 1-second clip over a 0.5 MiB limit, a smoke run for CI; nothing is asserted)
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from bot.core.preview import extract_poster, find_ffmpeg, make_preview, probe, run_ffmpeg


async def make_clip(out: Path, seconds: int, megabytes: float) -> None:
    kbps = int(megabytes * 1.3 * 8 * 1024 * 1024 / seconds / 1000)
    code, errors = await run_ffmpeg(find_ffmpeg(), [
        "-loglevel", "error",
        "-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=30:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
        "-vf", "noise=alls=20:allf=t", "-c:v", "libx264", "-preset", "ultrafast",
        "-b:v", f"{kbps}k", "-maxrate", f"{kbps}k", "-bufsize", f"{kbps}k",
        "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", "-y", str(out),
    ], 900)
    if code:
        raise SystemExit(errors)


async def main(seconds: int, limit_mb: float) -> None:
    limit = int(limit_mb * 1024 * 1024)
    with tempfile.TemporaryDirectory() as folder:
        clip = Path(folder) / "clip.mp4"
        await make_clip(clip, seconds, limit_mb)
        size = clip.stat().st_size
        started = time.perf_counter()
        preview = await make_preview(clip, Path(folder) / "clip.preview.mp4", limit)
        transcode = time.perf_counter() - started
        started = time.perf_counter()
        await extract_poster(clip, Path(folder) / "clip.poster.jpg")
        poster = time.perf_counter() - started
        info = await probe(preview)
        preview_size = preview.stat().st_size
    print(f"clip: 1920x1080, {seconds} s, {size / 1024 / 1024:.1f} MiB; limit {limit_mb:g} MiB")
    print(f"preview: {info.width}x{info.height}, {info.duration_seconds:.2f} s, "
          f"{preview_size / 1024 / 1024:.2f} MiB = {preview_size / limit:.3f} of the limit")
    print(f"transcode: {transcode:.1f} s = {transcode / seconds:.2f} × the clip's duration; "
          f"poster frame: {poster:.2f} s")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args == ["--quick"]:
        args = ["1", "0.5"]
    asyncio.run(main(int(args[0]) if args else 30, float(args[1]) if len(args) > 1 else 10))
