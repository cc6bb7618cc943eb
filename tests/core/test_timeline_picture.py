"""The timeline picture: its size, its rows and blocks, its contrast, and CJK labels."""

from __future__ import annotations

import io
import itertools
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.core.timeline_picture import (
    AXIS_PX,
    FONT_PATHS,
    HEADER_PX,
    LABEL_COLUMN_PX,
    LANE_GAP_PX,
    LANE_PX,
    MAX_ROWS,
    PAD_PX,
    PALETTE,
    ROW_GAP_PX,
    WIDTH_PX,
    clock,
    contrast_ratio,
    lanes,
    tick_step_ms,
    timeline_png,
    write_timeline_png,
)
from bot.nemo.draft import Draft, Segment

DISCORD_DARK = (0x31, 0x33, 0x38)
DISCORD_LIGHT = (0xFF, 0xFF, 0xFF)
X0 = PAD_PX + LABEL_COLUMN_PX
X1 = WIDTH_PX - PAD_PX

TYPICAL: dict[str, Any] = {
    "t": [
        {"tt": 0, "sg": [
            {"st": 0, "d": 6000, "name": "sunset over a mountain lake"},
            {"st": 6000, "d": 4000, "name": "drone shot"},
        ]},
        {"tt": 1, "sg": [{"st": 0, "d": 10000, "name": "Lo-fi", "vol": 0.35}]},
        {"tt": 7, "sg": [{"st": 0, "d": 3000, "text": "Golden hour"}]},
    ],
    "d": 10000,
}


def picture(raw: object) -> Image.Image:
    image = Image.open(io.BytesIO(timeline_png(Draft.from_wire(raw))))
    image.load()
    return image.convert("RGB")


def x_at(ms: int, total_ms: int) -> int:
    return round(X0 + (X1 - X0) * ms / total_ms)


def row_middle(row: int, lanes_before: int = 0) -> int:
    """The y of the middle of a one-lane row `row` (0-based) below `lanes_before` extra lanes."""
    top = PAD_PX + HEADER_PX + row * (LANE_PX + ROW_GAP_PX)
    return top + lanes_before * (LANE_PX + LANE_GAP_PX) + 6  # above the label, below the edge


def colours_between(image: Image.Image, y: int, x0: int, x1: int) -> set[tuple[int, int, int]]:
    return {image.getpixel((x, y)) for x in range(x0, x1)}  # type: ignore[misc]


def test_typical_draft_has_one_row_per_track_with_blocks_in_time() -> None:
    image = picture(TYPICAL)

    rows_px = 3 * (LANE_PX + ROW_GAP_PX)
    assert image.size == (WIDTH_PX, HEADER_PX + rows_px + AXIS_PX + 2 * PAD_PX)
    video_row, audio_row, title_row = (row_middle(i) for i in range(3))
    # Video: both clips across the whole length, in the video colour.
    assert PALETTE.video in colours_between(image, video_row, x_at(500, 10_000), x_at(5500, 10_000))
    assert image.getpixel((x_at(8000, 10_000), video_row)) == PALETTE.video
    # BGM: one block, in the audio colour, all along.
    assert image.getpixel((x_at(9000, 10_000), audio_row)) == PALETTE.audio
    # Title: 0-3 s only; after it the empty lane shows.
    assert image.getpixel((x_at(1500, 10_000), title_row)) == PALETTE.title
    assert image.getpixel((x_at(6000, 10_000), title_row)) == PALETTE.lane


def test_a_block_carries_its_label_in_the_label_colour() -> None:
    image = picture(TYPICAL)
    label_y = row_middle(0) + LANE_PX // 2 - 6
    ink = colours_between(image, label_y, x_at(0, 10_000) + 8, x_at(5000, 10_000))
    # Anti-aliased white text on the video block: near-white pixels are there.
    assert any(min(pixel) > 220 for pixel in ink)


def test_audio_shows_its_volume_as_a_bar_of_matching_length() -> None:
    image = picture(TYPICAL)
    bar_y = PAD_PX + HEADER_PX + (LANE_PX + ROW_GAP_PX) + LANE_PX - 4
    lit = [x for x in range(X0, X1) if image.getpixel((x, bar_y)) == PALETTE.text]
    assert lit, "no volume bar"
    fraction = (max(lit) - min(lit)) / (X1 - X0)
    assert fraction == pytest.approx(0.35, abs=0.02)


def test_empty_draft_draws_a_card_that_says_so() -> None:
    image = picture({})

    assert image.width == WIDTH_PX
    assert image.height == HEADER_PX + LANE_PX + AXIS_PX + 2 * PAD_PX
    assert image.getpixel((0, 0)) == PALETTE.border
    colours = {colour for _, colour in image.getcolors(image.width * image.height) or []}
    assert PALETTE.border in colours and PALETTE.video not in colours


def test_long_draft_with_many_segments_and_cjk_labels() -> None:
    raw = {
        "t": [
            {"tt": 0, "sg": [
                {"st": i * 4000, "d": 4000, "name": f"镜头 {i} 城市夜景"} for i in range(40)
            ]},
            {"tt": 1, "sg": [{"st": 0, "d": 160_000, "name": "背景音乐", "vol": 0.8}]},
            {"tt": 7, "sg": [{"st": i * 20_000, "d": 5000, "text": f"字幕 {i}"} for i in range(8)]},
        ],
        "d": 160_000,
    }
    image = picture(raw)

    assert image.width == WIDTH_PX
    video_row = row_middle(0)
    # Forty blocks: the video colour is found in every tenth of the row.
    for tenth in range(10):
        start = x_at(tenth * 16_000, 160_000)
        assert PALETTE.video in colours_between(image, video_row, start, start + 40)
    assert image.getpixel((x_at(2000, 160_000), row_middle(2))) == PALETTE.title
    assert image.getpixel((x_at(10_000, 160_000), row_middle(2))) == PALETTE.lane


def test_more_tracks_than_rows_are_summed_up() -> None:
    raw = {"t": [{"tt": 0, "sg": [{"st": 0, "d": 1000}]} for _ in range(MAX_ROWS + 3)]}
    image = picture(raw)

    rows_px = MAX_ROWS * (LANE_PX + ROW_GAP_PX)
    assert image.height == HEADER_PX + rows_px + LANE_PX + AXIS_PX + 2 * PAD_PX


def test_overlapping_titles_stack_in_lanes() -> None:
    raw = {"t": [{"tt": 7, "sg": [
        {"st": 0, "d": 3000, "text": "one"}, {"st": 1000, "d": 3000, "text": "two"},
    ]}], "d": 4000}
    image = picture(raw)

    assert image.height == HEADER_PX + 2 * LANE_PX + LANE_GAP_PX + ROW_GAP_PX + AXIS_PX + 2 * PAD_PX
    second_lane = row_middle(0, lanes_before=1)
    assert image.getpixel((x_at(500, 4000), second_lane)) == PALETTE.lane
    assert image.getpixel((x_at(3500, 4000), second_lane)) == PALETTE.title


def test_lanes_never_hold_two_overlapping_segments() -> None:
    segs = [Segment(start, 2000, None, None, None) for start in (0, 500, 1000, 2000, 2500)]
    packed = lanes(segs)
    for lane in packed:
        for a, b in itertools.pairwise(lane):
            assert b.start_ms >= a.start_ms + a.duration_ms
    assert sum(len(lane) for lane in packed) == len(segs)


def test_odd_segments_stay_inside_the_card() -> None:
    raw = {"t": [{"tt": 0, "sg": [
        {"st": -2000, "d": 3000, "name": "x" * 20_000},  # starts before 0, a huge name
        {"st": 1000, "d": 0, "name": "zero length"},
    ]}], "d": 1000}
    image = picture(raw)

    assert image.width == WIDTH_PX
    assert image.getpixel((1, row_middle(0))) == PALETTE.border  # nothing drawn over the edge
    assert image.getpixel((x_at(500, 1000), row_middle(0))) == PALETTE.video


def test_missing_fonts_fall_back_to_pillows_own(tmp_path: Path) -> None:
    png = timeline_png(Draft.from_wire(TYPICAL), font_paths=(tmp_path / "none.ttf",))
    assert Image.open(io.BytesIO(png)).size[0] == WIDTH_PX


@pytest.mark.skipif(not any(p.exists() for p in FONT_PATHS[:-1]), reason="no CJK font here")
def test_cjk_labels_are_drawn_with_a_cjk_font() -> None:
    """With a CJK font, "背景音乐" draws more ink than the tofu boxes a Latin font leaves."""
    raw = {"t": [{"tt": 1, "sg": [{"st": 0, "d": 1000, "name": "背景音乐"}]}], "d": 1000}
    draft = Draft.from_wire(raw)
    cjk = Image.open(io.BytesIO(timeline_png(draft))).convert("L")
    latin = Image.open(io.BytesIO(timeline_png(draft, font_paths=FONT_PATHS[-1:]))).convert("L")
    assert cjk.tobytes() != latin.tobytes()


def test_write_creates_the_folder(tmp_path: Path) -> None:
    path = write_timeline_png(Draft.from_wire(TYPICAL), tmp_path / "exports" / "timeline.png")
    with Image.open(path) as image:
        assert image.format == "PNG"


@pytest.mark.parametrize("background", [DISCORD_DARK, DISCORD_LIGHT])
def test_the_card_edge_stands_out_in_both_discord_themes(background: tuple[int, int, int]) -> None:
    assert contrast_ratio(PALETTE.border, background) >= 3.0


@pytest.mark.parametrize("track_type", [0, 1, 7, 3])
def test_block_labels_are_readable_on_their_blocks(track_type: int) -> None:
    assert contrast_ratio(PALETTE.on_block(track_type), PALETTE.block(track_type)) >= 4.5


@pytest.mark.parametrize("surface", [PALETTE.card, PALETTE.lane])
def test_card_text_is_readable(surface: tuple[int, int, int]) -> None:
    assert contrast_ratio(PALETTE.text, surface) >= 4.5
    assert contrast_ratio(PALETTE.muted, surface) >= 4.5


@pytest.mark.parametrize(
    ("ms", "text"), [(0, "0:00"), (5000, "0:05"), (90_000, "1:30"), (2500, "0:02.5")]
)
def test_clock(ms: int, text: str) -> None:
    assert clock(ms) == text


@pytest.mark.parametrize(
    ("total", "step"), [(4000, 500), (10_000, 1000), (15_000, 2000), (160_000, 30_000)]
)
def test_axis_has_at_most_ten_round_intervals(total: int, step: int) -> None:
    assert tick_step_ms(total) == step
