"""What a turn's words do to the draft: classify the message and build the new timeline.

Pure functions over plain dicts in the backend's compact format (`t` tracks, `tt` type,
`sg` segments, `d` milliseconds, `m` metadata). Every change works on a copy, so a turn
can compute its outcome up front and apply it when its tool call "finishes".
"""

from __future__ import annotations

import copy
import re
import zlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

TRACK_VIDEO = 0
TRACK_AUDIO = 1
TRACK_TEXT = 7

DEFAULT_VIDEO_MS = 10_000
MIN_VIDEO_MS = 1_000
MAX_VIDEO_MS = 60_000
TITLE_MS = 3_000
DEFAULT_BGM_VOLUME = 0.35
CDN_BASE = "https://cdn.nemovideo.example"

MUSIC_LIBRARY = ("Lo-fi Chill", "Cinematic Ambient", "Acoustic Morning", "Dreamy Synth")
CALM_MUSIC = "Calm Piano"
UPBEAT_MUSIC = "Upbeat Pop"


class TurnKind(StrEnum):
    CHAT = "chat"
    EDIT = "edit"
    GENERATION = "generation"


_VIDEO_NOUN = (
    r"(?:videos?|clips?|movies?|animations?|footage|reels?|timelapses?|time-lapses?|"
    r"trailers?|montages?|slideshows?|vlogs?|shorts?|视频|短片|动画)"
)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*-?\s*(?:seconds?|secs?|s\b|秒)", re.IGNORECASE)
_GENERATE = re.compile(r"\bgenerate\b|生成|制作|做一[个段条]", re.IGNORECASE)
_CREATE_NEW = re.compile(
    r"\b(?:make|create|produce|build|want|need)\b\s+(?:me\s+)?(?:a|an|another|new|one|some)\b"
    rf"[^.!?]*?(?:{_VIDEO_NOUN}|\d+\s*-?\s*(?:seconds?|secs?|s)\b)",
    re.IGNORECASE,
)
_SUBTITLES = re.compile(r"\b(?:subtitles?|captions?)\b|字幕", re.IGNORECASE)
_EDIT = re.compile(
    r"\b(?:add|change|replace|remove|delete|swap|put|insert|music|bgm|song|soundtrack|title|"
    r"heading|subtitles?|captions?|text|calmer|calm|louder|quieter|softer|shorter|longer|"
    r"faster|slower|trim|cut|fade|transitions?|volume|seconds?|speed|filter|brighter|darker|"
    r"effects?|mute|upbeat|energetic)\b|添加|加上|修改|改成|换|音乐|标题|字幕|删除|剪|缩短|加长|"
    r"安静|大声|配乐",
    re.IGNORECASE,
)
_VERTICAL = re.compile(r"vertical|portrait|9:16|tiktok|reels?\b|shorts\b|竖屏", re.IGNORECASE)
_CJK = re.compile(r"[\u3400-\u9fff]")


def is_chinese(text: str) -> bool:
    return _CJK.search(text) is not None


def has_video(draft: dict[str, Any]) -> bool:
    return any(track.get("tt") == TRACK_VIDEO and track.get("sg") for track in draft.get("t") or [])


def classify(text: str, draft: dict[str, Any]) -> TurnKind:
    """Generation, edit or plain chat, the way the backend agent would read the message."""
    video_exists = has_video(draft)
    if _SUBTITLES.search(text) and video_exists:
        return TurnKind.EDIT
    if _GENERATE.search(text) or _CREATE_NEW.search(text):
        return TurnKind.GENERATION
    # Describing a video when there is none yet ("a 15-second clip of …") asks for one.
    if not video_exists and (re.search(_VIDEO_NOUN, text, re.IGNORECASE) or _DURATION.search(text)):
        return TurnKind.GENERATION
    if _EDIT.search(text):
        return TurnKind.EDIT
    return TurnKind.CHAT


def duration_ms_in(text: str) -> int | None:
    """`15-second`, `15 seconds`, `15s`, `15秒` → 15000 (clamped to 1-60 s)."""
    match = _DURATION.search(text)
    if match is None:
        return None
    ms = int(float(match.group(1)) * 1000)
    return max(MIN_VIDEO_MS, min(MAX_VIDEO_MS, ms))


def is_vertical(text: str) -> bool:
    return _VERTICAL.search(text) is not None


def subject_of(text: str) -> str:
    """A short name for what the prompt shows: `… clip of a sunset over a lake, …` → `sunset
    over a lake`."""
    cleaned = " ".join(text.split())
    match = re.search(r"\b(?:of|about|showing|featuring)\s+(.+)", cleaned, re.IGNORECASE)
    if match:
        words = match.group(1)
    else:  # "generate a 10-second sunset timelapse …": drop the verb, article and length
        words = re.sub(
            r"^(?:please\s+)?(?:generate|make|create|produce|build)\s+(?:me\s+)?(?:an?\s+)?",
            "", cleaned, flags=re.IGNORECASE,
        )
        words = re.sub(r"^\d+(?:\.\d+)?\s*-?\s*(?:seconds?|secs?|s)\b\s*", "", words,
                       flags=re.IGNORECASE)
    words = re.split(r"[,.;!?，。；！？]|\bwith\b", words, maxsplit=1)[0]
    words = re.sub(r"^(?:an?|the|my|some)\s+", "", words.strip(), flags=re.IGNORECASE)
    short = " ".join(words.split()[:8]).strip(" \"'")
    return short or "your scene"


def _track(draft: dict[str, Any], track_type: int) -> dict[str, Any] | None:
    for track in draft.get("t") or []:
        if track.get("tt") == track_type:
            return track  # type: ignore[no-any-return]
    return None


def _ensure_track(draft: dict[str, Any], track_type: int) -> dict[str, Any]:
    track = _track(draft, track_type)
    if track is None:
        track = {"tt": track_type, "sg": []}
        draft.setdefault("t", []).append(track)
        draft["t"].sort(key=lambda t: t.get("tt", 0))
    return track


def _bump_revision(draft: dict[str, Any]) -> None:
    meta = draft.setdefault("m", {})
    meta["rev"] = int(meta.get("rev", 0)) + 1


def with_generated_video(
    draft: dict[str, Any], *, subject: str, duration_ms: int, vertical: bool, seg_id: str
) -> dict[str, Any]:
    """The draft after Seedance made a clip: one video segment, title metadata, canvas."""
    new = copy.deepcopy(draft)
    video = _ensure_track(new, TRACK_VIDEO)
    video["sg"] = [
        {
            "id": seg_id,
            "st": 0,
            "d": duration_ms,
            "src": f"{CDN_BASE}/gen/{seg_id}.mp4",
            "name": subject,
        }
    ]
    new["d"] = duration_ms
    meta = new.setdefault("m", {})
    meta.setdefault("title", subject[:1].upper() + subject[1:])
    meta["width"], meta["height"] = (1080, 1920) if vertical else (1920, 1080)
    _bump_revision(new)
    return new


def with_music(draft: dict[str, Any], *, name: str, seg_id: str) -> dict[str, Any]:
    """The draft with `name` as background music over the whole video."""
    new = copy.deepcopy(draft)
    bgm = _ensure_track(new, TRACK_AUDIO)
    old = bgm["sg"][0] if bgm["sg"] else {}
    bgm["sg"] = [
        {
            "id": seg_id,
            "st": 0,
            "d": int(new.get("d") or DEFAULT_VIDEO_MS),
            "src": f"{CDN_BASE}/bgm/{seg_id}.mp3",
            "name": name,
            "vol": old.get("vol", DEFAULT_BGM_VOLUME),
        }
    ]
    _bump_revision(new)
    return new


# -- edits ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TitleEdit:
    text: str


@dataclass(frozen=True)
class MusicEdit:
    name: str | None
    volume_factor: float | None


@dataclass(frozen=True)
class DurationEdit:
    ms: int | None
    factor: float | None


@dataclass(frozen=True)
class GenericEdit:
    pass


Edit = TitleEdit | MusicEdit | DurationEdit | GenericEdit

_TITLE_QUOTED = re.compile(
    r"(?:title|heading|标题)[^\"“'‘「]*[\"“'‘「]([^\"”'’」]+)[\"”'’」]", re.IGNORECASE
)
_TITLE_BARE = re.compile(
    r"(?:title|heading)\s*(?:to|as|saying|that says|reading|:)?\s*:?\s*(.+?)(?:\s+and\s+|[.!?]|$)"
    r"|标题[为是：:]?\s*(.+?)(?:[，。！？]|$)",
    re.IGNORECASE,
)


def title_in(text: str) -> str | None:
    """The title text a message asks for, quoted or bare (`add a title Urban Dreams`)."""
    quoted = _TITLE_QUOTED.search(text)
    if quoted:
        return quoted.group(1).strip()
    bare = _TITLE_BARE.search(text)
    if bare:
        value = (bare.group(1) or bare.group(2) or "").strip(" \"'")
        return value or None
    return None


def edits_in(text: str) -> list[Edit]:
    """Every change the message asks for; a generic one when nothing specific is found."""
    lower = text.lower()
    edits: list[Edit] = []
    if re.search(r"\b(?:title|heading)\b|标题", lower):
        edits.append(TitleEdit(title_in(text) or "My Video"))
    if re.search(r"\b(?:music|bgm|song|soundtrack|volume)\b|音乐|配乐", lower) or re.search(
        r"\b(?:calmer|louder|quieter|softer|upbeat|energetic)\b|安静|大声", lower
    ):
        name: str | None = None
        factor: float | None = None
        if re.search(r"calm|relax|soft|gentle|安静|舒缓", lower):
            name, factor = CALM_MUSIC, 0.6
        elif re.search(r"upbeat|energetic|happy|faster|欢快", lower):
            name = UPBEAT_MUSIC
        if re.search(r"quiet|lower|softer|turn down|小声", lower):
            factor = 0.6
        elif re.search(r"louder|turn up|raise|大声", lower):
            factor = 1.5
        edits.append(MusicEdit(name, factor))
    # Quoted words are content (a title), and "for N seconds" is how long a title shows.
    unquoted = re.sub(r"[\"“'‘「][^\"”'’」]*[\"”'’」]", "", text)
    unquoted = re.sub(r"\bfor\s+\d+(?:\.\d+)?\s*-?\s*s", "", unquoted, flags=re.IGNORECASE)
    ms = duration_ms_in(unquoted)
    if ms is not None:
        edits.append(DurationEdit(ms, None))
    elif re.search(r"\bshorter\b|缩短", lower):
        edits.append(DurationEdit(None, 0.7))
    elif re.search(r"\blonger\b|加长", lower):
        edits.append(DurationEdit(None, 1.3))
    return edits or [GenericEdit()]


def with_edits(draft: dict[str, Any], edits: list[Edit], ids: list[str]) -> dict[str, Any]:
    """The draft after `edits`; `ids` provides fresh segment ids as needed."""
    new = copy.deepcopy(draft)
    fresh = iter(ids)
    for edit in edits:
        if isinstance(edit, TitleEdit):
            title = _ensure_track(new, TRACK_TEXT)
            total = int(new.get("d") or DEFAULT_VIDEO_MS)
            title["sg"] = [
                {"id": next(fresh), "st": 0, "d": min(TITLE_MS, total), "text": edit.text}
            ]
            new.setdefault("m", {})["title"] = edit.text
        elif isinstance(edit, MusicEdit):
            bgm = _ensure_track(new, TRACK_AUDIO)
            if not bgm["sg"] or edit.name:
                name = edit.name or MUSIC_LIBRARY[0]
                new = with_music(new, name=name, seg_id=next(fresh))
                bgm = _ensure_track(new, TRACK_AUDIO)
            if edit.volume_factor is not None:
                seg = bgm["sg"][0]
                volume = float(seg.get("vol", DEFAULT_BGM_VOLUME)) * edit.volume_factor
                seg["vol"] = round(max(0.05, min(1.0, volume)), 2)
        elif isinstance(edit, DurationEdit):
            current = int(new.get("d") or DEFAULT_VIDEO_MS)
            target = edit.ms if edit.ms is not None else int(current * (edit.factor or 1.0))
            target = max(MIN_VIDEO_MS, min(MAX_VIDEO_MS, round(target / 500) * 500))
            _set_duration(new, target)
    _bump_revision(new)
    return new


def _set_duration(draft: dict[str, Any], ms: int) -> None:
    draft["d"] = ms
    for track in draft.get("t") or []:
        for seg in track.get("sg") or []:
            if track.get("tt") == TRACK_TEXT:
                seg["d"] = min(int(seg.get("d", TITLE_MS)), ms)
            else:
                seg["st"] = 0
                seg["d"] = ms


def edit_operations(edits: list[Edit]) -> list[dict[str, Any]]:
    """The `edit_multitrack` tool arguments for `edits`."""
    ops: list[dict[str, Any]] = []
    for edit in edits:
        if isinstance(edit, TitleEdit):
            ops.append({"op": "upsert_text", "track_type": TRACK_TEXT, "text": edit.text})
        elif isinstance(edit, MusicEdit):
            ops.append(
                {"op": "update_bgm", "track": edit.name, "volume_factor": edit.volume_factor}
            )
        elif isinstance(edit, DurationEdit):
            ops.append({"op": "set_duration", "duration_ms": edit.ms, "factor": edit.factor})
        else:
            ops.append({"op": "apply_instruction"})
    return ops


def music_name(seed_text: str) -> str:
    """A library track for a prompt, stable for the same prompt."""
    return MUSIC_LIBRARY[zlib.crc32(seed_text.encode()) % len(MUSIC_LIBRARY)]


# -- reading a draft back ------------------------------------------------------------


def title_of(draft: dict[str, Any]) -> str:
    """What a render writes on screen: the title track, else the metadata title."""
    text_track = _track(draft, TRACK_TEXT)
    if text_track and text_track.get("sg"):
        text = text_track["sg"][0].get("text")
        if isinstance(text, str) and text:
            return text
    meta = draft.get("m")
    if isinstance(meta, dict) and isinstance(meta.get("title"), str) and meta["title"]:
        return str(meta["title"])
    video = _track(draft, TRACK_VIDEO)
    if video and video.get("sg"):
        name = video["sg"][0].get("name")
        if isinstance(name, str) and name:
            return name
    return "NemoVideo"


def music_of(draft: dict[str, Any]) -> tuple[str, float] | None:
    """(name, volume 0-1) of the background music, if any."""
    bgm = _track(draft, TRACK_AUDIO)
    if not bgm or not bgm.get("sg"):
        return None
    seg = bgm["sg"][0]
    volume = seg.get("vol", DEFAULT_BGM_VOLUME)
    volume = float(volume) if isinstance(volume, int | float) else DEFAULT_BGM_VOLUME
    return str(seg.get("name") or "music"), volume


def duration_seconds_of(draft: dict[str, Any]) -> float:
    """The draft's length: `d`, else the end of its longest segment."""
    total = draft.get("d")
    if isinstance(total, int | float) and total > 0:
        return float(total) / 1000
    ends = [
        float(seg.get("st", 0)) + float(seg.get("d", 0))
        for track in draft.get("t") or []
        if isinstance(track, dict)
        for seg in track.get("sg") or []
        if isinstance(seg, dict)
    ]
    return max(ends, default=0.0) / 1000


def is_exportable(draft: object) -> bool:
    """At least one track with a segment (the backend's own rule)."""
    if not isinstance(draft, dict):
        return False
    tracks = draft.get("t")
    return isinstance(tracks, list) and any(isinstance(t, dict) and t.get("sg") for t in tracks)


def canvas_for(draft: dict[str, Any]) -> tuple[int, int]:
    meta = draft.get("m")
    if isinstance(meta, dict):
        width, height = meta.get("width"), meta.get("height")
        if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
            return width, height
    return 1920, 1080
