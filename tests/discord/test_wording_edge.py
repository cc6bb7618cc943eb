"""The edge's pure helpers: languages, thread names, mentions, the help text."""

from __future__ import annotations

import discord
import pytest

from cogs.studio import thread_name, without_mention
from cogs.texts import EdgeTexts, language_from_locale, language_from_text


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        (discord.Locale.chinese, "zh"),
        (discord.Locale.taiwan_chinese, "zh"),
        (discord.Locale.american_english, "en"),
        (discord.Locale.japanese, "en"),
        ("zh-CN", "zh"),
        (None, "en"),
    ],
)
def test_interaction_locale_picks_the_session_language(
    locale: discord.Locale | str | None, language: str
) -> None:
    assert language_from_locale(locale) == language


@pytest.mark.parametrize(
    ("text", "language"),
    [("做一个日落视频", "zh"), ("make a sunset video", "en"), ("", "en"), ("视频 please", "zh")],
)
def test_a_first_dm_in_chinese_starts_a_chinese_session(text: str, language: str) -> None:
    assert language_from_text(text) == language


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("a sunset over a lake", "a sunset over a lake"),
        ("  a sunset\n\nover   a lake ", "a sunset over a lake"),
        ("x" * 100, "x" * 100),
        ("x" * 101, "x" * 99 + "…"),
        ("   ", "video"),
    ],
)
def test_threads_are_named_after_the_prompt_within_100_characters(
    prompt: str, expected: str
) -> None:
    assert thread_name(prompt) == expected


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("<@42> add a title", "add a title"),
        ("<@!42> export", "export"),
        ("make it <@42> louder", "make it   louder"),
        ("<@43> is not me", "<@43> is not me"),
    ],
)
def test_mentions_of_the_bot_are_not_part_of_the_message(content: str, expected: str) -> None:
    assert without_mention(content, 42) == expected


@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_edge_sentence_exists_in_both_languages(language: str) -> None:
    texts = EdgeTexts(language)  # type: ignore[arg-type]
    english = EdgeTexts("en")
    sentences = [
        name for name in dir(EdgeTexts)
        if not name.startswith("_") and callable(getattr(EdgeTexts, name))
        and name not in ("starter", "bound_here", "missing_permissions")
    ]

    for name in sentences:
        said = getattr(texts, name)()
        assert said and (language == "en" or said != getattr(english, name)())
