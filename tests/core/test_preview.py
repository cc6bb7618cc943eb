"""Posters and previews made by the real ffmpeg from MP4s it makes here (lavfi test sources)."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest
from PIL import Image

from bot.core.preview import (
    FfmpegFailed,
    FfmpegMissing,
    FfmpegTimedOut,
    PreviewTooLarge,
    extract_poster,
    find_ffmpeg,
    make_preview,
    parse_media_info,
    prepare_delivery_media,
    preview_height,
    preview_rate_kbps,
    probe,
    run_ffmpeg,
)

SOURCE_SECONDS = 4
SOURCE_SIZE = (640, 360)


async def make_source(
    folder: Path, *, seconds: int = SOURCE_SECONDS, size: tuple[int, int] = SOURCE_SIZE
) -> Path:
    """A noisy test pattern with a tone, at a high rate so it is worth compressing."""
    out = folder / "render.mp4"
    width, height = size
    code, errors = await run_ffmpeg(find_ffmpeg(), [
        "-loglevel", "error",
        "-f", "lavfi", "-i", f"testsrc=size={width}x{height}:rate=25:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
        "-vf", "noise=alls=30:allf=t", "-c:v", "libx264", "-preset", "ultrafast",
        "-b:v", "4M", "-pix_fmt", "yuv444p", "-c:a", "aac", "-shortest", "-y", str(out),
    ], 60)
    assert code == 0, errors
    return out


@pytest.fixture(scope="module")
def source_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("preview-source")
    asyncio.run(make_source(folder))
    return folder


@pytest.fixture
def source(source_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "render.mp4"
    copy.write_bytes((source_dir / "render.mp4").read_bytes())
    return copy


async def decoded_frames(path: Path) -> tuple[int, str]:
    """Decode the whole file (ffmpeg exits 0 only if it decodes); returns code and stderr."""
    return await run_ffmpeg(find_ffmpeg(), ["-v", "error", "-i", str(path), "-f", "null", "-"], 60)


def top_level_boxes(path: Path) -> list[bytes]:
    """The types of an MP4's top-level boxes, in file order (read header by header)."""
    kinds: list[bytes] = []
    with path.open("rb") as file:
        while header := file.read(8):
            size, kind = int.from_bytes(header[:4], "big"), header[4:]
            kinds.append(kind)
            if size == 1:
                size = int.from_bytes(file.read(8), "big") - 8
            file.seek(size - 8, 1)
    return kinds


async def test_probe_reads_duration_and_size(source: Path) -> None:
    info = await probe(source)
    assert info.duration_seconds == pytest.approx(SOURCE_SECONDS, abs=0.1)
    assert (info.width, info.height) == SOURCE_SIZE


@pytest.mark.slow
async def test_preview_fits_a_limit_smaller_than_the_video_and_plays(
    source: Path, tmp_path: Path
) -> None:
    limit = source.stat().st_size // 3
    target = tmp_path / "render.preview.mp4"

    await make_preview(source, target, limit)

    assert target.stat().st_size < limit
    code, errors = await decoded_frames(target)
    assert code == 0, errors
    info = await probe(target)
    assert info.duration_seconds == pytest.approx(SOURCE_SECONDS, abs=0.2)
    _, described = await run_ffmpeg(find_ffmpeg(), ["-i", str(target)], 30)
    assert "Video: h264" in described and "Audio: aac" in described
    boxes = top_level_boxes(target)  # +faststart: the index (moov) comes before the data
    assert boxes.index(b"moov") < boxes.index(b"mdat")
    assert not list(tmp_path.glob(".*part"))


async def test_an_odd_sized_portrait_video_keeps_its_shape_with_even_sides(
    tmp_path: Path,
) -> None:
    source = await make_source(tmp_path, seconds=1, size=(361, 641))
    target = tmp_path / "render.preview.mp4"

    await make_preview(source, target, source.stat().st_size - 1)

    info = await probe(target)
    assert (info.width, info.height) == (360, 640)


async def test_a_limit_nothing_fits_is_a_typed_error_and_leaves_no_file(
    source: Path, tmp_path: Path
) -> None:
    target = tmp_path / "render.preview.mp4"
    with pytest.raises(PreviewTooLarge) as caught:
        await make_preview(source, target, 20_000)
    assert caught.value.limit_bytes == 20_000
    assert not target.exists() and not list(tmp_path.glob(".*part"))


async def test_poster_is_a_jpeg_of_the_video_size(source: Path, tmp_path: Path) -> None:
    poster = await extract_poster(source, tmp_path / "render.poster.jpg")
    with Image.open(poster) as image:
        assert image.format == "JPEG"
        assert image.size == SOURCE_SIZE
        image.load()


async def test_delivery_media_under_the_limit_is_a_poster_alone(source: Path) -> None:
    media = await prepare_delivery_media(source, source.stat().st_size + 1)
    assert media.poster is not None and media.poster.is_file()
    assert media.preview is None and media.problem is None


@pytest.mark.slow
async def test_delivery_media_over_the_limit_has_a_preview_that_fits_with_the_poster(
    source: Path,
) -> None:
    limit = source.stat().st_size // 2
    media = await prepare_delivery_media(source, limit)
    assert media.poster is not None and media.preview is not None
    assert media.preview.stat().st_size + media.poster.stat().st_size < limit


async def test_ffmpeg_missing_is_a_typed_error(source: Path, tmp_path: Path) -> None:
    absent = str(tmp_path / "no-ffmpeg")
    with pytest.raises(FfmpegMissing):
        await make_preview(source, tmp_path / "p.mp4", 1_000_000, ffmpeg=absent)
    with pytest.raises(FfmpegMissing):
        await extract_poster(source, tmp_path / "p.jpg", ffmpeg=absent)


async def test_ffmpeg_missing_leaves_the_delivery_without_extras(
    source: Path, tmp_path: Path
) -> None:
    media = await prepare_delivery_media(source, 1000, ffmpeg=str(tmp_path / "no-ffmpeg"))
    assert media.poster is None and media.preview is None
    assert isinstance(media.problem, FfmpegMissing)


async def test_a_file_that_is_not_a_video_is_ffmpeg_failing(tmp_path: Path) -> None:
    junk = tmp_path / "render.mp4"
    junk.write_bytes(b"not a video" * 100)
    with pytest.raises(FfmpegFailed):
        await extract_poster(junk, tmp_path / "p.jpg")
    media = await prepare_delivery_media(junk, 10)
    assert media.poster is None and media.preview is None
    assert isinstance(media.problem, FfmpegFailed)


async def test_a_hanging_ffmpeg_is_killed_at_its_timeout(tmp_path: Path) -> None:
    hanging = tmp_path / "ffmpeg"
    pid_file = tmp_path / "pid"
    hanging.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 60\n")
    hanging.chmod(hanging.stat().st_mode | stat.S_IEXEC)

    with pytest.raises(FfmpegTimedOut):
        await run_ffmpeg(str(hanging), ["-i", "x"], 0.5)

    pid = int(pid_file.read_text())
    assert not Path(f"/proc/{pid}").exists()  # killed and reaped, not left running


@pytest.mark.parametrize(
    ("stderr", "expected"),
    [
        (
            "  Duration: 00:01:02.50, start: 0.000000, bitrate: 1193 kb/s\n"
            "  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv,"
            " progressive), 1920x1080 [SAR 1:1 DAR 16:9], 25 fps\n",
            (62.5, 1920, 1080),
        ),
        ("  Duration: 01:00:00.00, start: 0.0\n", (3600.0, None, None)),
        ("  Duration: N/A, bitrate: N/A\n", None),
        ("x.mp4: Invalid data found when processing input\n", None),
    ],
)
def test_media_info_from_ffmpeg_output(
    stderr: str, expected: tuple[float, int | None, int | None] | None
) -> None:
    info = parse_media_info(stderr)
    got = None if info is None else (info.duration_seconds, info.width, info.height)
    assert got == expected


@pytest.mark.parametrize(
    ("seconds", "limit", "low", "high"),
    [
        (30, 10 * 1024 * 1024, 2000, 2400),  # an unboosted server, a 30 s clip: ~2.2 Mb/s
        (120, 10 * 1024 * 1024, 450, 560),
        (3600, 10 * 1024 * 1024, 40, 40),  # never below the floor
    ],
)
def test_rate_spends_the_limit_over_the_duration(
    seconds: float, limit: int, low: int, high: int
) -> None:
    assert low <= preview_rate_kbps(seconds, limit) <= high


def test_lower_rates_get_fewer_lines() -> None:
    heights = [preview_height(rate) for rate in (3000, 1500, 800, 300, 50)]
    assert heights == [1080, 720, 480, 360, 240]
