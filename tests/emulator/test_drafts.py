"""How the emulator reads a message: turn kind, duration, subject, requested edits."""

from __future__ import annotations

import pytest

from bot.emulator import drafts
from bot.emulator.drafts import TurnKind

VIDEO_DRAFT = {"t": [{"tt": 0, "sg": [{"id": "v", "st": 0, "d": 10000}]}], "d": 10000}


@pytest.mark.parametrize(
    ("message", "draft", "kind"),
    [
        (
            "generate a 15-second video clip from my text prompt with background music",
            {},
            TurnKind.GENERATION,
        ),
        ("Make a 10-second sunset timelapse", {}, TurnKind.GENERATION),
        ("create a video about cats with calm music", VIDEO_DRAFT, TurnKind.GENERATION),
        ("a 15-second clip of a sunset over a mountain lake, cinematic", {}, TurnKind.GENERATION),
        ("生成一个日落视频", {}, TurnKind.GENERATION),
        ("generate my text prompts or images", {}, TurnKind.GENERATION),
        ("make the music calmer", VIDEO_DRAFT, TurnKind.EDIT),
        ("make the video shorter", VIDEO_DRAFT, TurnKind.EDIT),
        ("make it 8 seconds", VIDEO_DRAFT, TurnKind.EDIT),
        ('add a title "Urban Dreams"', VIDEO_DRAFT, TurnKind.EDIT),
        ("add subtitles", VIDEO_DRAFT, TurnKind.EDIT),
        ("把音乐换成安静一点的", VIDEO_DRAFT, TurnKind.EDIT),
        ("hello!", {}, TurnKind.CHAT),
        ("what can you do?", VIDEO_DRAFT, TurnKind.CHAT),
        ("thanks, looks great", VIDEO_DRAFT, TurnKind.CHAT),
    ],
)
def test_message_kind(message: str, draft: dict[str, object], kind: TurnKind) -> None:
    assert drafts.classify(message, draft) is kind


@pytest.mark.parametrize(
    ("message", "ms"),
    [
        ("a 15-second clip", 15000),
        ("make it 8 seconds", 8000),
        ("6s please", 6000),
        ("十秒 10秒", 10000),
        ("a 500 second epic", 60000),
        ("no number", None),
    ],
)
def test_duration_in_message(message: str, ms: int | None) -> None:
    assert drafts.duration_ms_in(message) == ms


@pytest.mark.parametrize(
    ("message", "subject"),
    [
        (
            "generate a 15-second video clip of a sunset over a mountain lake, cinematic",
            "sunset over a mountain lake",
        ),
        ("make a video about my dog playing in the snow with music", "dog playing in the snow"),
    ],
)
def test_subject_of_prompt(message: str, subject: str) -> None:
    assert drafts.subject_of(message) == subject


def test_several_edits_in_one_message_all_apply() -> None:
    edits = drafts.edits_in('add a title "Hi" and make the music calmer, make it 6 seconds')
    draft = drafts.with_music(VIDEO_DRAFT, name="Lo-fi", seg_id="a")

    result = drafts.with_edits(draft, edits, ["s1", "s2", "s3"])

    assert [type(e).__name__ for e in edits] == ["TitleEdit", "MusicEdit", "DurationEdit"]
    assert drafts.title_of(result) == "Hi"
    assert drafts.music_of(result) == ("Calm Piano", 0.21)
    assert drafts.duration_seconds_of(result) == 6
    assert draft["t"][1]["sg"][0]["name"] == "Lo-fi"  # the input is left untouched


@pytest.mark.parametrize(
    ("prompt", "said"),
    [
        ("make a 15-second video of a sunset", "video of a sunset now"),
        ("generate a 10-second sunset timelapse over a lake", "video of a sunset timelapse"),
        ("make a video of an ocean at dawn", "video of an ocean at dawn"),
        ("make a video of city lights", "video of city lights"),
    ],
)
def test_the_generation_reply_puts_an_article_before_the_subject(prompt: str, said: str) -> None:
    from bot.emulator.turns import with_article

    text = f"video of {with_article(drafts.subject_of(prompt))} now"
    assert said in text
