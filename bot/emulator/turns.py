"""The script of one agent turn: what is said, which tools run, how long each step waits.

A turn is planned up front from the message and the session's draft: a list of steps
(`Say`, `Call`, `Respond`, `Pause`) that the SSE layer plays back. `Respond` steps carry
the state the session has once that tool finishes, so a dropped stream can still apply
them. The words imitate the real backend, which believes the user sees its editor GUI.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

from bot.emulator import drafts
from bot.emulator.config import EmulatorConfig
from bot.emulator.drafts import TurnKind
from bot.emulator.state import Session

#: Realistic turn lengths in seconds (nemovideo-api.md §12), scaled by `turn_scale`.
TURN_SECONDS = {
    TurnKind.CHAT: (5.0, 15.0),
    TurnKind.EDIT: (10.0, 30.0),
    TurnKind.GENERATION: (100.0, 300.0),
}

TRAILING_ISSUE = "I encountered a temporary issue while processing your request. Please try again."
TRAILING_ISSUE_ZH = "处理您的请求时遇到临时问题，请稍后重试。"


@dataclass(frozen=True)
class Say:
    text: str


@dataclass(frozen=True)
class Call:
    call_id: str
    name: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Respond:
    """A tool finished; from now on the session holds `draft` (and the extra media)."""

    call_id: str
    name: str
    response: dict[str, Any]
    draft: dict[str, Any] | None = None
    generated: dict[str, Any] | None = None
    canvas: dict[str, Any] | None = None


@dataclass(frozen=True)
class Pause:
    seconds: float


Step = Say | Call | Respond | Pause


@dataclass
class TurnPlan:
    kind: TurnKind
    cost: int
    steps: list[Step] = field(default_factory=list)


def apply_response(session: Session, step: Respond) -> None:
    """Make a finished tool's outcome part of the session state."""
    if step.draft is not None:
        session.draft = step.draft
    if step.generated is not None:
        session.generated_media.append(step.generated)
    if step.canvas is not None:
        session.canvas_config = step.canvas


def cost_of(kind: TurnKind, config: EmulatorConfig) -> int:
    return {
        TurnKind.CHAT: config.chat_cost,
        TurnKind.EDIT: config.edit_cost,
        TurnKind.GENERATION: config.generation_cost,
    }[kind]


class _Ids:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def make(self, prefix: str) -> str:
        return prefix + "".join(self._rng.choice("0123456789abcdef") for _ in range(8))


def plan_turn(
    kind: TurnKind,
    text: str,
    session: Session,
    config: EmulatorConfig,
    rng: random.Random,
    *,
    silent: bool = False,
    trailing_issue: bool = False,
) -> TurnPlan:
    """The steps of a turn of `kind` answering `text` in `session`."""
    low, high = TURN_SECONDS[kind]
    total = rng.uniform(low, high) * config.turn_scale
    zh = drafts.is_chinese(text)
    ids = _Ids(rng)
    if kind is TurnKind.GENERATION:
        steps = _generation(text, session, total, zh, ids)
    elif kind is TurnKind.EDIT:
        steps = _edit(text, session, total, zh, ids, silent=silent)
    else:
        reply = _chat_reply(text, session, zh)
        if config.echo_chat:
            reply = f"{_echo(text, zh)}\n\n{reply}"
        steps = [Pause(total), Say("\n\n".join([reply] * max(1, config.reply_repeat)))]
    if trailing_issue:
        steps.append(Say(TRAILING_ISSUE_ZH if zh else TRAILING_ISSUE))
    return TurnPlan(kind, cost_of(kind, config), steps)


def with_article(noun: str) -> str:
    """`sunset over a lake` → `a sunset over a lake`; `ocean` → `an ocean`; a phrase that
    already starts with a determiner or is a plural stays as it is."""
    words = noun.lower().split()
    first = words[0] if words else ""
    # The head noun is the last word before a preposition: `city lights at night` → lights.
    cut = next((i for i, word in enumerate(words) if word in _PREPOSITIONS), len(words))
    head = words[cut - 1] if cut else first
    if first in _DETERMINERS or (head.endswith("s") and not head.endswith("ss")):
        return noun
    return f"{'an' if first[:1] in 'aeiou' else 'a'} {noun}"


_PREPOSITIONS = frozenset(
    {"over", "at", "in", "on", "under", "with", "by", "from", "of", "near", "across"}
)
_DETERMINERS = frozenset(
    {"a", "an", "the", "my", "your", "our", "their", "his", "her", "its", "this", "that",
     "these", "those", "some", "any"}
)


def _generation(text: str, session: Session, total: float, zh: bool, ids: _Ids) -> list[Step]:
    subject = drafts.subject_of(text)
    duration_ms = drafts.duration_ms_in(text) or drafts.DEFAULT_VIDEO_MS
    canvas_now = session.canvas_config
    vertical = drafts.is_vertical(text) or canvas_now.get("height", 0) > canvas_now.get("width", 0)
    seconds = duration_ms // 1000
    video_seg = ids.make("seg_v_")
    music = drafts.music_name(text)
    with_video = drafts.with_generated_video(
        session.draft, subject=subject, duration_ms=duration_ms, vertical=vertical, seg_id=video_seg
    )
    with_music = drafts.with_music(with_video, name=music, seg_id=ids.make("seg_a_"))
    width, height = (1080, 1920) if vertical else (1920, 1080)
    canvas = {"width": width, "height": height, "ratio": "9:16" if vertical else "16:9"}
    video_call, music_call = ids.make("adk-"), ids.make("adk-")
    generated = {
        "type": "video",
        "url": f"{drafts.CDN_BASE}/gen/{video_seg}.mp4",
        "duration": duration_ms / 1000,
        "prompt_summary": subject,
    }
    if zh:
        intro = f"好的！我正在为你生成一段 {seconds} 秒的视频：{subject}。大约需要几分钟，请稍候。"
        final = (
            f"你的视频已经生成好了！我还添加了背景音乐「{music}」。"
            "可以在时间线中预览，满意后点击「导出」保存。"
        )
    else:
        intro = (
            f"Great idea! I'm generating a {seconds}-second video of {with_article(subject)} "
            "now. "
            "This usually takes a few minutes."
        )
        final = (
            f'Your video is ready! I also added "{music}" as background music. '
            "Preview it in the timeline or click Export to save it."
        )
    return [
        Say(intro),
        Call(
            video_call,
            "generate_video_with_seedance",
            {
                "prompt": subject,
                "duration": seconds,
                "aspect_ratio": canvas["ratio"],
            },
        ),
        Pause(total * 0.75),
        Respond(
            video_call,
            "generate_video_with_seedance",
            {"status": "success", "video_url": generated["url"]},
            draft=with_video,
            generated=generated,
            canvas=canvas,
        ),
        Call(music_call, "generate_music", {"style": music, "duration": seconds}),
        Pause(total * 0.2),
        Respond(
            music_call, "generate_music", {"status": "success", "track": music}, draft=with_music
        ),
        Pause(total * 0.05),
        Say(final),
    ]


def _edit(
    text: str, session: Session, total: float, zh: bool, ids: _Ids, *, silent: bool
) -> list[Step]:
    edits = drafts.edits_in(text)
    new_draft = drafts.with_edits(session.draft, edits, [ids.make("seg_") for _ in edits])
    call_id = ids.make("adk-")
    steps: list[Step] = [
        Pause(total * 0.1),
        Call(call_id, "edit_multitrack", {"operations": drafts.edit_operations(edits)}),
        Pause(total * 0.8),
        Respond(call_id, "edit_multitrack", {"status": "success"}, draft=new_draft),
        Pause(total * 0.1),
    ]
    if not silent:
        steps.append(Say(_edit_reply(edits, new_draft, zh)))
    return steps


def _edit_reply(edits: list[drafts.Edit], draft: dict[str, Any], zh: bool) -> str:
    parts: list[str] = []
    for edit in edits:
        if isinstance(edit, drafts.TitleEdit):
            parts.append(f"添加了标题「{edit.text}」" if zh else f'added the title "{edit.text}"')
        elif isinstance(edit, drafts.MusicEdit):
            music = drafts.music_of(draft)
            name, volume = music if music else ("music", drafts.DEFAULT_BGM_VOLUME)
            parts.append(
                f"把背景音乐调整为「{name}」，音量 {volume:.0%}"
                if zh
                else f'set the background music to "{name}" at {volume:.0%} volume'
            )
        elif isinstance(edit, drafts.DurationEdit):
            seconds = drafts.duration_seconds_of(draft)
            parts.append(
                f"把视频时长调整为 {seconds:g} 秒"
                if zh
                else f"made the video {seconds:g} seconds long"
            )
        else:
            parts.append("应用了你的修改" if zh else "applied your changes")
    if zh:
        return "完成！我" + "，".join(parts) + "。可以在时间线中预览效果，满意后点击「导出」。"
    sentence = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    return (
        f"Done! I {sentence}. Play the preview in the timeline to check it, "
        "and click Export when you're happy."
    )


def _echo(text: str, zh: bool) -> str:
    """The user's message quoted back, as some agents begin their answer."""
    return f"你说：{text.strip()}" if zh else f"You said: {text.strip()}"


def _chat_reply(text: str, session: Session, zh: bool) -> str:
    tracks = len(session.draft.get("t") or [])
    if re.search(r"^\s*(hi|hello|hey|你好|嗨)\b", text, re.IGNORECASE):
        if zh:
            return (
                "你好！我是 NemoVideo 助手。描述你想要的视频，"
                "或在素材面板上传图片和视频，我们就可以开始了。"
            )
        return (
            "Hi! I'm your NemoVideo assistant. Describe the video you want, or upload clips and "
            "images in the media panel to get started."
        )
    if tracks:
        if zh:
            return (
                f"你的项目目前有 {tracks} 条轨道。告诉我想修改什么，"
                "比如添加标题或更换音乐，或者点击「导出」下载。"
            )
        return (
            f"Your project currently has {tracks} tracks in the timeline. Tell me what to change "
            "(for example add a title or swap the music), or click Export to download it."
        )
    if zh:
        return (
            "我可以根据文字或图片生成视频，添加音乐、标题和字幕，"
            "也可以剪辑和调整画面比例。告诉我你想做什么吧！"
        )
    return (
        "I can generate videos from text or images, add music, titles and subtitles, and trim "
        "or resize clips. Tell me what you'd like to create, then click Export when it looks right."
    )
