"""The timeline drawn as a PNG: one row per track, segments as labelled blocks in time.

`timeline_png(draft)` returns the picture's bytes (a few tens of KiB); `write_timeline_png`
saves it. Drawing is plain CPU work: async callers run it with `asyncio.to_thread`.

The picture is an opaque dark card with a mid-grey border, so it reads the same in
Discord's dark theme (#313338) and light theme (#FFFFFF): the border stands out from both
(contrast of at least 3:1), and every text colour is chosen against the surface it sits on
(at least 4.5:1). Labels use the first font found in `FONT_PATHS` (CJK fonts first, then
DejaVu), else Pillow's own font: a missing font never stops the picture.

    ┌──────────────────────────────────────────────────────┐
    │ Timeline · 3 tracks                      Total 0:10  │
    │ Video  [city timelapse                          ]    │
    │ BGM    [Lo-fi · vol 35%                         ]    │
    │ Title  [Urban Dr…]                                   │
    │        0:00     0:02     0:04     0:06     0:08  0:10│
    └──────────────────────────────────────────────────────┘
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from bot.nemo.draft import TRACK_AUDIO, TRACK_TEXT, TRACK_VIDEO, Draft, Segment, Track

#: Fonts tried in order; the first that exists is used. CJK-capable ones come first
#: (Debian: fonts-noto-cjk, fonts-wqy-microhei, fonts-wqy-zenhei, fonts-droid-fallback).
FONT_PATHS: tuple[Path, ...] = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
)

WIDTH_PX = 960
PAD_PX = 24
LABEL_COLUMN_PX = 110
HEADER_PX = 56
LANE_PX = 44
LANE_GAP_PX = 6
ROW_GAP_PX = 10
AXIS_PX = 40
BORDER_PX = 3
#: Rows beyond this are summed up in one line ("+3 more tracks").
MAX_ROWS = 10
#: Overlapping segments of one track stack in lanes, up to this many.
MAX_LANES = 3
#: An empty timeline is drawn on this scale.
EMPTY_SCALE_MS = 10_000
#: Blocks narrower than this carry no label (it would be only "…").
MIN_LABEL_BLOCK_PX = 28
#: Longer labels are cut before they are measured (a whole row holds fewer characters).
MAX_LABEL_CHARS = 120

RGB = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class Palette:
    """The card's colours; the contrast of each pair is tested (see the module docstring)."""

    card: RGB = (0x1E, 0x1F, 0x22)
    border: RGB = (0x8E, 0x92, 0x97)
    lane: RGB = (0x2B, 0x2D, 0x31)
    grid: RGB = (0x3F, 0x41, 0x47)
    text: RGB = (0xF2, 0xF3, 0xF5)
    muted: RGB = (0xB5, 0xBA, 0xC1)
    video: RGB = (0x47, 0x52, 0xC4)
    audio: RGB = (0x24, 0x80, 0x46)
    title: RGB = (0xF0, 0xB2, 0x32)
    other: RGB = (0x9B, 0x84, 0xEE)
    on_dark_block: RGB = (0xFF, 0xFF, 0xFF)
    on_light_block: RGB = (0x1E, 0x1F, 0x22)

    def block(self, track_type: int | None) -> RGB:
        """The fill of a segment block on a track of this type."""
        return {TRACK_VIDEO: self.video, TRACK_AUDIO: self.audio, TRACK_TEXT: self.title}.get(
            track_type if track_type is not None else -1, self.other
        )

    def on_block(self, track_type: int | None) -> RGB:
        """The label colour on a block of this type."""
        fill = self.block(track_type)
        return self.on_dark_block if relative_luminance(fill) < 0.18 else self.on_light_block


PALETTE = Palette()

_ROW_LABELS = {TRACK_VIDEO: "Video", TRACK_AUDIO: "BGM", TRACK_TEXT: "Title"}


def relative_luminance(colour: RGB) -> float:
    """WCAG 2 relative luminance of an sRGB colour (0 black … 1 white)."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: RGB, b: RGB) -> float:
    """WCAG 2 contrast ratio between two colours (1 … 21)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@cache
def _font(size: int, paths: tuple[Path, ...]) -> Font:
    for path in paths:
        try:
            return ImageFont.truetype(str(path), size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def clock(ms: int) -> str:
    """`m:ss`, with tenths when they are not zero: 0:05, 1:30, 0:02.5."""
    tenths = round(ms / 100)
    minutes, rest = divmod(tenths, 600)
    seconds, tenth = divmod(rest, 10)
    return f"{minutes}:{seconds:02d}" + (f".{tenth}" if tenth else "")


def tick_step_ms(total_ms: int, max_ticks: int = 10) -> int:
    """The smallest round step that puts at most `max_ticks` intervals on the axis."""
    for step in (500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000):
        if total_ms / step <= max_ticks:
            return step
    return 600_000 * max(1, math.ceil(total_ms / 600_000 / max_ticks))


def total_ms(draft: Draft) -> int:
    """The draft's length: its own `d`, or the end of its last segment if that is later."""
    ends = [s.start_ms + s.duration_ms for t in draft.tracks for s in t.segments]
    return max([draft.duration_ms, *ends])


def row_label(track: Track) -> str:
    if track.track_type is None:
        return "Track"
    return _ROW_LABELS.get(track.track_type, f"Type {track.track_type}")


def segment_label(track: Track, segment: Segment) -> str:
    """What a block says: the title's words, or the clip's name (audio: with its volume)."""
    if track.track_type == TRACK_TEXT:
        words = segment.text or segment.name or ""
    else:
        words = segment.name or segment.text or "untitled"
    if segment.volume is not None:
        percent = segment.volume * 100 if segment.volume <= 1 else segment.volume
        words = f"{words} · vol {percent:.0f}%"
    return words


def lanes(segments: Sequence[Segment]) -> list[list[Segment]]:
    """Segments packed into lanes so none overlaps another in its lane (at most MAX_LANES)."""
    packed: list[list[Segment]] = []
    ends: list[int] = []
    for segment in sorted(segments, key=lambda s: (s.start_ms, s.duration_ms)):
        free = [i for i, end in enumerate(ends) if segment.start_ms >= end]
        if free:
            index = free[0]
        elif len(ends) < MAX_LANES:
            index = len(ends)
            packed.append([])
            ends.append(0)
        else:  # too many overlaps: the last lane takes the rest
            index = len(ends) - 1
        packed[index].append(segment)
        ends[index] = max(ends[index], segment.start_ms + segment.duration_ms)
    return packed or [[]]


def _fit(draw: ImageDraw.ImageDraw, text: str, font: Font, width: float) -> str:
    """`text`, cut with "…" so that it is at most `width` pixels wide ("" if nothing fits)."""
    text = text[:MAX_LABEL_CHARS]  # no block is wider than this many characters
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text.rstrip() + "…" if text else ""


def _text_middle(
    draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, font: Font, fill: RGB
) -> None:
    """Draw `text` with its left edge at x and its ink centred on y (any font kind)."""
    left, top, _, bottom = draw.textbbox((0, 0), text, font=font)
    draw.text((xy[0] - left, xy[1] - (top + bottom) / 2), text, font=font, fill=fill)


@dataclass(frozen=True, slots=True)
class _Frame:
    """Where time falls on the picture."""

    x0: float
    x1: float
    scale_ms: int

    def x(self, ms: int) -> float:
        """The x of a time, kept on the axis (a negative start is drawn at 0)."""
        ms = min(max(ms, 0), self.scale_ms)
        return self.x0 + (self.x1 - self.x0) * ms / self.scale_ms


def timeline_png(
    draft: Draft, *, palette: Palette = PALETTE, font_paths: tuple[Path, ...] = FONT_PATHS
) -> bytes:
    """The timeline of `draft` as PNG bytes (see the module docstring for the layout)."""
    tracks = draft.tracks[:MAX_ROWS]
    hidden = len(draft.tracks) - len(tracks)
    packed = [lanes(track.segments) for track in tracks]
    rows_px = sum(len(p) * LANE_PX + (len(p) - 1) * LANE_GAP_PX + ROW_GAP_PX for p in packed)
    note_px = LANE_PX if hidden or not any(t.segments for t in draft.tracks) else 0
    height = HEADER_PX + rows_px + note_px + AXIS_PX + 2 * PAD_PX

    image = Image.new("RGB", (WIDTH_PX, height), palette.card)
    draw = ImageDraw.Draw(image)
    draw.rectangle(
        (0, 0, WIDTH_PX - 1, height - 1), outline=palette.border, width=BORDER_PX
    )
    big, label, small = (_font(size, font_paths) for size in (26, 22, 18))

    length = total_ms(draft)
    frame = _Frame(PAD_PX + LABEL_COLUMN_PX, WIDTH_PX - PAD_PX, length or EMPTY_SCALE_MS)
    count = len(draft.tracks)
    heading = f"Timeline · {count} track{'' if count == 1 else 's'}"
    _text_middle(draw, (PAD_PX, PAD_PX + HEADER_PX / 3), heading, big, palette.text)
    total = f"Total {clock(length)}"
    total_x = WIDTH_PX - PAD_PX - draw.textlength(total, font=big)
    _text_middle(draw, (total_x, PAD_PX + HEADER_PX / 3), total, big, palette.text)

    top = PAD_PX + HEADER_PX
    rows_bottom = top + rows_px
    step = tick_step_ms(frame.scale_ms)
    ticks = list(range(0, frame.scale_ms + 1, step)) if length else [0]
    for ms in ticks:
        x = frame.x(ms)
        draw.line((x, top - 4, x, rows_bottom + note_px), fill=palette.grid, width=1)

    y = top
    for track, track_lanes in zip(tracks, packed, strict=True):
        row_px = len(track_lanes) * LANE_PX + (len(track_lanes) - 1) * LANE_GAP_PX
        _text_middle(draw, (PAD_PX, y + LANE_PX / 2), row_label(track), label, palette.muted)
        draw.rounded_rectangle((frame.x0, y, frame.x1, y + row_px), 6, fill=palette.lane)
        for lane_index, lane in enumerate(track_lanes):
            lane_y = y + lane_index * (LANE_PX + LANE_GAP_PX)
            for segment in lane:
                _draw_block(draw, frame, track, segment, lane_y, label, palette)
        y += row_px + ROW_GAP_PX

    if note_px:
        note = f"+{hidden} more track{'' if hidden == 1 else 's'}" if hidden else (
            "Empty: nothing on the timeline yet"
        )
        _text_middle(draw, (frame.x0, y + LANE_PX / 2), note, label, palette.muted)
        y += note_px

    axis_y = y + 4
    draw.line((frame.x0, axis_y, frame.x1, axis_y), fill=palette.border, width=2)
    for index, ms in enumerate(ticks):
        text = clock(ms)
        width = draw.textlength(text, font=small)
        x = frame.x(ms) - width / 2
        x = min(max(x, frame.x0 - 8), WIDTH_PX - PAD_PX / 2 - width)
        if index == len(ticks) - 1 or frame.x(ms) + width / 2 < frame.x1 - 40:
            _text_middle(draw, (x, axis_y + AXIS_PX / 2), text, small, palette.muted)

    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _draw_block(
    draw: ImageDraw.ImageDraw,
    frame: _Frame,
    track: Track,
    segment: Segment,
    y: float,
    font: Font,
    palette: Palette,
) -> None:
    """One segment: a rounded block from its start to its end, its label inside."""
    x0 = frame.x(segment.start_ms)
    x1 = max(frame.x(segment.start_ms + segment.duration_ms), x0 + 3)
    fill = palette.block(track.track_type)
    draw.rounded_rectangle((x0 + 1, y, x1 - 1, y + LANE_PX), 6, fill=fill)
    if segment.volume is not None:
        level = min(1.0, segment.volume if segment.volume <= 1 else segment.volume / 100)
        bar = x0 + 4 + (x1 - x0 - 8) * level
        draw.rectangle((x0 + 4, y + LANE_PX - 6, bar, y + LANE_PX - 3), fill=palette.text)
    if x1 - x0 < MIN_LABEL_BLOCK_PX:
        return
    text = _fit(draw, segment_label(track, segment), font, x1 - x0 - 16)
    if text:
        colour = palette.on_block(track.track_type)
        _text_middle(draw, (x0 + 8, y + LANE_PX / 2 - 1), text, font, colour)


def write_timeline_png(draft: Draft, path: Path) -> Path:
    """Draw `draft` into `path` (its folder is created); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(timeline_png(draft))
    return path
