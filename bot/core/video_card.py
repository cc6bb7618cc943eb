"""The card a delivered video is posted in: its title, duration, size and poster frame,
what kind of post it is (the MP4, or its link with a preview), and its controls.

    🎬 Golden Hour                          ← links to the full video
    ✅ Your video is ready! Download link: …
    Duration 0:15 · Size 2.1 MB
    [poster frame]
    Version 3
    [Post again] [Versions] [Timeline] [Delete]

The first post and every Post again of a version use the same card (`video_card`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.card import Card, CardField, Control, Tone
from bot.core.port import Action
from bot.core.records import PostedAs, Version
from bot.core.sizes import human_size
from bot.core.timeline_picture import clock
from bot.core.wording import Wording
from bot.nemo.draft import TRACK_TEXT, TRACK_VIDEO, Draft

#: Discord's limit on an embed title (longer titles are cut there anyway).
MAX_TITLE_CHARS = 200


def video_title(draft: Draft) -> str | None:
    """What the video is called: its first title's words, else the draft's own title, else
    its first clip's name; None when it has none of them."""
    titles = [
        segment.text or segment.name
        for track in draft.tracks
        if track.track_type == TRACK_TEXT
        for segment in track.segments
    ]
    clips = [
        segment.name
        for track in draft.tracks
        if track.track_type == TRACK_VIDEO
        for segment in track.segments
    ]
    candidates: list[object] = [*titles[:1], draft.metadata.get("title"), *clips[:1]]
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            return " ".join(candidate.split())[:MAX_TITLE_CHARS]
    return None


@dataclass(frozen=True, slots=True)
class VideoFacts:
    """What a card says about one delivered video (a version, or one being posted)."""

    render_id: str
    number: int
    title: str | None
    link: str | None
    size_bytes: int | None
    duration_ms: int | None
    posted_as: PostedAs

    @classmethod
    def of(cls, version: Version) -> VideoFacts:
        return cls(
            version.render_id,
            version.number,
            version.title,
            version.output_url,
            version.size_bytes,
            version.duration_ms,
            version.posted_as,
        )


def video_controls(render_id: str) -> tuple[Control, ...]:
    """Under every delivered video: Post again, Versions, Timeline, Delete."""
    return (
        Control(Action.POST_AGAIN, render_id),
        Control(Action.VERSIONS),
        Control(Action.TIMELINE),
        Control(Action.DELETE, render_id),
    )


def video_fields(facts: VideoFacts, wording: Wording) -> tuple[CardField, ...]:
    fields: list[CardField] = []
    if facts.duration_ms is not None:
        fields.append(CardField(wording.field_duration(), clock(facts.duration_ms)))
    if facts.size_bytes is not None:
        fields.append(CardField(wording.field_size(), human_size(facts.size_bytes)))
    return tuple(fields)


def video_card(facts: VideoFacts, wording: Wording, *, poster: str | None) -> Card:
    """The card of a delivered video; `poster` names the poster frame's file, posted with it."""
    link = facts.link
    if facts.posted_as is PostedAs.FILE:
        body = wording.render_done_file(link)
    elif facts.posted_as is PostedAs.PREVIEW and link is not None:
        body = wording.render_done_preview(link)
    else:
        body = f"{wording.render_done_link(link or '')}\n{wording.preview_unavailable()}"
    return Card(
        Tone.DONE,
        f"🎬 {facts.title or wording.video_untitled()}",
        body=body,
        fields=video_fields(facts, wording),
        link=link,
        picture=poster,
        footer=wording.version_footer(facts.number),
        controls=video_controls(facts.render_id),
    )
