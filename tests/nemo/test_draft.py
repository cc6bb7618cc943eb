"""The draft model and its one-line timeline summary (nemovideo-api.md §8)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from bot.nemo.draft import TRACK_AUDIO, TRACK_TEXT, TRACK_VIDEO, Draft, timeline_summary

#: The synthetic draft of nemovideo-api.md §8, unknown fields (`id`, `src`) included.
SPEC_DRAFT: dict[str, Any] = {
    "t": [
        {
            "tt": 0,
            "sg": [
                {
                    "id": "seg_v1",
                    "st": 0,
                    "d": 10000,
                    "src": "https://cdn.example/gen/clip1.mp4",
                    "name": "city timelapse",
                }
            ],
        },
        {
            "tt": 1,
            "sg": [
                {
                    "id": "seg_a1",
                    "st": 0,
                    "d": 10000,
                    "src": "https://cdn.example/bgm/lofi.mp3",
                    "name": "Lo-fi",
                    "vol": 0.35,
                }
            ],
        },
        {"tt": 7, "sg": [{"id": "seg_t1", "st": 0, "d": 3000, "text": "Urban Dreams"}]},
    ],
    "d": 10000,
    "m": {"title": "Urban Dreams", "width": 1080, "height": 1920},
}


def track(tt: object, *segments: object, **extra: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {"sg": list(segments), **extra}
    if tt is not None:
        raw["tt"] = tt
    return raw


def test_summary_matches_the_brief_example() -> None:
    assert timeline_summary(Draft.from_wire(SPEC_DRAFT)) == (
        "Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) "
        '3. Title: "Urban Dreams" (0-3s)'
    )


def test_spec_draft_fields_are_read() -> None:
    draft = Draft.from_wire(SPEC_DRAFT)
    assert [t.track_type for t in draft.tracks] == [TRACK_VIDEO, TRACK_AUDIO, TRACK_TEXT]
    assert draft.duration_ms == 10000
    assert draft.metadata == {"title": "Urban Dreams", "width": 1080, "height": 1920}
    bgm = draft.tracks[1].segments[0]
    assert (bgm.start_ms, bgm.duration_ms, bgm.name, bgm.volume) == (0, 10000, "Lo-fi", 0.35)
    assert draft.tracks[2].segments[0].text == "Urban Dreams"


@pytest.mark.parametrize(
    "raw",
    [None, {}, {"t": []}, {"t": None}, "not a draft", [], {"t": "garbage", "d": "long"}],
    ids=["none", "empty-object", "no-tracks", "null-tracks", "string", "list", "bad-types"],
)
def test_missing_or_empty_draft_summarises_as_empty(raw: object) -> None:
    draft = Draft.from_wire(raw)
    assert draft.tracks == ()
    assert not draft.is_exportable
    assert timeline_summary(draft) == "Timeline (0 tracks): empty"


def test_tracks_without_segments_are_counted_but_empty() -> None:
    draft = Draft.from_wire({"t": [track(0), track(1, sg=None)]})
    assert timeline_summary(draft) == "Timeline (2 tracks): empty"
    assert not draft.is_exportable


@pytest.mark.parametrize(
    ("raw", "exportable"),
    [
        pytest.param(SPEC_DRAFT, True, id="spec-draft"),
        pytest.param({"t": [track(7, {"text": "Hi", "d": 1000})]}, True, id="title-only"),
        pytest.param({"t": [track(0), track(1, {"d": 1000})]}, True, id="one-track-with-segment"),
        pytest.param({"t": [track(0), track(1)]}, False, id="no-segments"),
        pytest.param({"t": [track(0, "not a segment")]}, False, id="junk-segments-ignored"),
        pytest.param({"d": 10000, "m": {}}, False, id="no-t"),
    ],
)
def test_is_exportable_needs_a_segment(raw: dict[str, Any], exportable: bool) -> None:
    assert Draft.from_wire(raw).is_exportable is exportable


@pytest.mark.parametrize(
    ("segment", "line"),
    [
        pytest.param(
            {"name": "Lo-fi", "d": 10000, "vol": 0.35}, "BGM: Lo-fi (0-10s, 35%)", id="fraction"
        ),
        pytest.param(
            {"name": "Lo-fi", "d": 10000, "vol": 35}, "BGM: Lo-fi (0-10s, 35%)", id="percent"
        ),
        pytest.param(
            {"name": "Lo-fi", "d": 10000, "volume": 0.8}, "BGM: Lo-fi (0-10s, 80%)", id="long-key"
        ),
        pytest.param(
            {"name": "Lo-fi", "d": 10000, "vol": 1}, "BGM: Lo-fi (0-10s, 100%)", id="one-is-full"
        ),
        pytest.param({"name": "Lo-fi", "d": 10000, "vol": 0}, "BGM: Lo-fi (0-10s, 0%)", id="muted"),
        pytest.param(
            {"name": "Lo-fi", "d": 10000, "vol": 150},
            "BGM: Lo-fi (0-10s, 150%)",
            id="boosted-percent",
        ),
        pytest.param({"name": "Lo-fi", "d": 10000}, "BGM: Lo-fi (0-10s)", id="no-volume"),
        pytest.param(
            {"name": "Lo-fi", "d": 10000, "vol": "loud"},
            "BGM: Lo-fi (0-10s)",
            id="unreadable-volume",
        ),
    ],
)
def test_volume_as_fraction_or_percent(segment: dict[str, Any], line: str) -> None:
    draft = Draft.from_wire({"t": [track(1, segment)]})
    assert timeline_summary(draft) == f"Timeline (1 track): 1. {line}"


@pytest.mark.parametrize(
    ("segment", "span"),
    [
        pytest.param({"st": 0, "d": 2500}, "0-2.5s", id="fractional-duration"),
        pytest.param({"st": 1500, "d": 3000}, "1.5-4.5s", id="fractional-start"),
        pytest.param({"st": 2000, "d": 3000}, "2-5s", id="start-offset"),
        pytest.param({"start": 4000, "duration": 1000}, "4-5s", id="long-keys"),
        pytest.param({"d": 3000}, "0-3s", id="no-start"),
        pytest.param({"st": 0, "d": 10000.0}, "0-10s", id="float-ms"),
        pytest.param({}, "0-0s", id="no-timing"),
        pytest.param({"st": 0, "d": 125}, "0-0.125s", id="sub-second"),
        pytest.param({"st": 60000, "d": 90000}, "60-150s", id="minutes-in-seconds"),
    ],
)
def test_spans_in_seconds(segment: dict[str, Any], span: str) -> None:
    draft = Draft.from_wire({"t": [track(0, {"name": "clip", **segment})]})
    assert timeline_summary(draft) == f"Timeline (1 track): 1. Video: clip ({span})"


@pytest.mark.parametrize(
    ("raw_track", "line"),
    [
        pytest.param(
            track(3, {"name": "sparkles", "d": 2000}),
            "Track type 3: sparkles (0-2s)",
            id="unknown-type",
        ),
        pytest.param(
            track(None, {"name": "thing", "d": 1000}), "Track: thing (0-1s)", id="missing-type"
        ),
        pytest.param(
            track("video", {"name": "thing", "d": 1000}),
            "Track: thing (0-1s)",
            id="non-integer-type",
        ),
        pytest.param(track(0, {"d": 1000}), "Video: untitled (0-1s)", id="unnamed-video"),
        pytest.param(
            track(0, {"title": "Intro", "d": 1000}), "Video: Intro (0-1s)", id="title-key-as-name"
        ),
        pytest.param(
            track(7, {"name": "Caption", "d": 1000}),
            'Title: "Caption" (0-1s)',
            id="title-from-name",
        ),
        pytest.param(
            track(0, {"name": "clip", "d": 1000, "vol": 0.5}),
            "Video: clip (0-1s, 50%)",
            id="video-with-volume",
        ),
    ],
)
def test_track_labels(raw_track: dict[str, Any], line: str) -> None:
    draft = Draft.from_wire({"t": [raw_track]})
    assert timeline_summary(draft) == f"Timeline (1 track): 1. {line}"


def test_several_segments_on_a_track_are_numbered_in_order() -> None:
    draft = Draft.from_wire(
        {
            "t": [
                track(
                    0,
                    {"name": "intro", "st": 0, "d": 4000},
                    {"name": "outro", "st": 4000, "d": 6000},
                ),
                track(7, {"text": "Hello", "st": 1000, "d": 2000}),
            ]
        }
    )
    assert timeline_summary(draft) == (
        "Timeline (2 tracks): 1. Video: intro (0-4s) 2. Video: outro (4-10s) "
        '3. Title: "Hello" (1-3s)'
    )


def test_unknown_fields_survive_a_round_trip() -> None:
    wire = json.dumps(
        {
            **SPEC_DRAFT,
            "v": 3,
            "fx": [{"kind": "fade"}],
            "t": [
                {
                    **SPEC_DRAFT["t"][0],
                    "locked": True,
                    "sg": [{**SPEC_DRAFT["t"][0]["sg"][0], "speed": 1.5, "filters": ["warm"]}],
                },
                *SPEC_DRAFT["t"][1:],
                {"tt": 42, "sg": [{"mystery": {"nested": [1, 2, 3]}}]},
            ],
        }
    )
    original = json.loads(wire)
    untouched = copy.deepcopy(original)
    draft = Draft.from_wire(original)
    timeline_summary(draft)
    assert json.loads(json.dumps(draft.raw)) == untouched
    assert draft.tracks[0].raw["locked"] is True
    assert draft.tracks[0].segments[0].raw["filters"] == ["warm"]
    assert draft.tracks[3].segments[0].raw == {"mystery": {"nested": [1, 2, 3]}}


def test_reading_a_draft_does_not_change_it() -> None:
    original = copy.deepcopy(SPEC_DRAFT)
    Draft.from_wire(SPEC_DRAFT)
    assert original == SPEC_DRAFT
