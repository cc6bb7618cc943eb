"""The timeline as a card: one field per track, each clip on a line with its span and
length, the total at the foot, and the timeline picture (`bot.core.timeline_picture`)
shown in it.

    📋 Timeline
    Video    sunset over a mountain lake · 0:00–0:15 (0:15)
    BGM      Calm Piano · vol 21% · 0:00–0:15 (0:15)
    Title    Golden Hour · 0:00–0:03 (0:03)
    [picture]
    Total 0:15
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.card import Card, CardField, Control, Tone
from bot.core.port import Action
from bot.core.timeline_picture import clock, row_label, segment_label, total_ms
from bot.core.wording import Wording
from bot.nemo.draft import Draft, Segment, Track

#: The name the timeline picture is posted under (the card shows it).
TIMELINE_FILENAME = "timeline.png"
#: Tracks shown as fields; the rest are counted in the last one.
MAX_TRACK_FIELDS = 20
#: Clips listed per track (a field holds 1024 characters on Discord).
MAX_CLIPS_PER_TRACK = 12


def clip_line(track: Track, segment: Segment) -> str:
    start, end = segment.start_ms, segment.start_ms + segment.duration_ms
    return f"{segment_label(track, segment)} · {clock(start)}–{clock(end)} ({clock(end - start)})"


def track_field(track: Track) -> CardField:
    lines = [clip_line(track, s) for s in track.segments[:MAX_CLIPS_PER_TRACK]]
    hidden = len(track.segments) - MAX_CLIPS_PER_TRACK
    if hidden > 0:
        lines.append(f"+{hidden}")
    return CardField(row_label(track), "\n".join(lines) or "—", inline=False)


def timeline_card(
    draft: Draft,
    wording: Wording,
    *,
    files: Sequence[str] = (),
    picture: str | None = TIMELINE_FILENAME,
) -> Card:
    """The card of `draft`; `files` are the names uploaded into the session, `picture` the
    name of the timeline picture posted with it (None: none)."""
    tracks = [track for track in draft.tracks if track.segments]
    fields = [track_field(track) for track in tracks[:MAX_TRACK_FIELDS]]
    if len(tracks) > MAX_TRACK_FIELDS:
        fields.append(CardField("…", f"+{len(tracks) - MAX_TRACK_FIELDS}", inline=False))
    body = [] if tracks else [wording.timeline_empty()]
    if files:
        body.append(wording.status_files(files))
    return Card(
        Tone.INFO,
        wording.timeline_title(),
        body="\n".join(body),
        fields=tuple(fields),
        picture=picture,
        footer=wording.timeline_total(clock(total_ms(draft))),
        controls=(Control(Action.EXPORT),),
    )
