"""The NemoVideo draft (the timeline) and its one-line summary.

The backend sends drafts with compact keys: `t` tracks, `tt` track type (0 video,
1 audio, 7 text), `sg` segments, `d` duration in milliseconds, `m` metadata. Only those
are documented; every other field is kept untouched so a draft can be sent back to the
render endpoint exactly as it came.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TRACK_VIDEO = 0
TRACK_AUDIO = 1
TRACK_TEXT = 7

_TRACK_LABELS = {TRACK_VIDEO: "Video", TRACK_AUDIO: "BGM", TRACK_TEXT: "Title"}


def _ms(value: object) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


@dataclass(frozen=True, slots=True)
class Segment:
    """One clip, sound or title on a track; `start_ms` is `st` when the backend sends it."""

    start_ms: int
    duration_ms: int
    name: str | None
    text: str | None
    volume: float | None
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_wire(cls, raw: dict[str, Any]) -> Segment:
        volume = raw.get("vol", raw.get("volume"))
        name = raw.get("name") or raw.get("title")
        text = raw.get("text")
        return cls(
            start_ms=_ms(raw.get("st", raw.get("start", 0))),
            duration_ms=_ms(raw.get("d", raw.get("duration", 0))),
            name=str(name) if name else None,
            text=str(text) if text else None,
            volume=float(volume) if isinstance(volume, int | float) else None,
            raw=raw,
        )


@dataclass(frozen=True, slots=True)
class Track:
    track_type: int | None
    segments: tuple[Segment, ...]
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_wire(cls, raw: dict[str, Any]) -> Track:
        tt = raw.get("tt")
        segments = raw.get("sg") or []
        return cls(
            track_type=tt if isinstance(tt, int) else None,
            segments=tuple(Segment.from_wire(s) for s in segments if isinstance(s, dict)),
            raw=raw,
        )


@dataclass(frozen=True, slots=True)
class Draft:
    """A timeline. `raw` is the draft exactly as received (unknown fields included)."""

    tracks: tuple[Track, ...] = ()
    duration_ms: int = 0
    metadata: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_wire(cls, raw: object) -> Draft:
        if not isinstance(raw, dict):
            return cls()
        tracks = raw.get("t") or []
        meta = raw.get("m")
        return cls(
            tracks=tuple(Track.from_wire(t) for t in tracks if isinstance(t, dict)),
            duration_ms=_ms(raw.get("d", 0)),
            metadata=meta if isinstance(meta, dict) else {},
            raw=raw,
        )

    @property
    def is_exportable(self) -> bool:
        """True when at least one track has a segment: the backend can render it."""
        return any(track.segments for track in self.tracks)


def _seconds(ms: int) -> str:
    value = ms / 1000
    return f"{value:g}"


def _describe(track: Track, segment: Segment) -> str:
    label = _TRACK_LABELS.get(track.track_type if track.track_type is not None else -1)
    if label is None:
        label = f"Track type {track.track_type}" if track.track_type is not None else "Track"
    span = f"{_seconds(segment.start_ms)}-{_seconds(segment.start_ms + segment.duration_ms)}s"
    if track.track_type == TRACK_TEXT:
        words = segment.text or segment.name or ""
        return f'{label}: "{words}" ({span})'
    name = segment.name or segment.text or "untitled"
    if segment.volume is not None:
        percent = segment.volume * 100 if segment.volume <= 1 else segment.volume
        return f"{label}: {name} ({span}, {percent:.0f}%)"
    return f"{label}: {name} ({span})"


def timeline_summary(draft: Draft) -> str:
    """One line per the brief, e.g. `Timeline (3 tracks): 1. Video: city timelapse (0-10s) …`.

    Each track contributes its segments in order; an empty timeline says so.
    """
    parts = [
        _describe(track, segment) for track in draft.tracks for segment in track.segments
    ]
    count = len(draft.tracks)
    noun = "track" if count == 1 else "tracks"
    if not parts:
        return f"Timeline ({count} {noun}): empty"
    numbered = " ".join(f"{i}. {text}" for i, text in enumerate(parts, start=1))
    return f"Timeline ({count} {noun}): {numbered}"
