"""Splitting a long text into messages: every cut point, fences closed and reopened."""

from __future__ import annotations

import random
import re

import pytest

from bot.core.message_split import split_message

FENCE_LINE = re.compile(r"^\s*```")


def without_fence_lines(text: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True) if not FENCE_LINE.match(line))


def fences_balanced(page: str) -> bool:
    """True when every code block opened on the page is closed on it (CommonMark: a
    closing fence is bare backticks, at least as many as the opening ones)."""
    open_ticks = 0
    for line in page.split("\n"):
        match = re.match(r"\s*(`{3,})(.*)$", line)
        if match is None or "`" in match.group(2):
            continue
        ticks, info = len(match.group(1)), match.group(2).strip()
        if not open_ticks:
            open_ticks = ticks
        elif not info and ticks >= open_ticks:
            open_ticks = 0
    return open_ticks == 0


def check_pages(text: str, pages: list[str], limit: int, *, exact: bool = True) -> None:
    """The invariants every split must keep.

    Joined without fence lines, the pages give back the text exactly. `exact=False` is for
    code lines longer than a page: a block cut mid-line is closed on a new line, which adds
    a line break, so only the non-blank characters are compared.
    """
    assert all(len(page) <= limit for page in pages), [len(p) for p in pages]
    assert all(page.strip() for page in pages)
    assert all(fences_balanced(page) for page in pages)
    rejoined = "".join(without_fence_lines(page) for page in pages)
    if exact:  # blank space that would be a page of its own is dropped: only at the end here
        assert rejoined.rstrip() == without_fence_lines(text).rstrip()
    else:
        assert re.sub(r"\s", "", rejoined) == re.sub(r"\s", "", without_fence_lines(text))


# ----- split_message ----------------------------------------------------------------------


def test_short_text_is_one_page() -> None:
    assert split_message("hello", 2000) == ["hello"]


def test_empty_text_has_no_pages() -> None:
    assert split_message("", 2000) == []


def test_a_page_limit_too_small_is_refused() -> None:
    with pytest.raises(ValueError):
        split_message("hello world", 5)


def test_split_prefers_paragraphs() -> None:
    text = "a" * 50 + "\n\n" + "b" * 30 + "\n" + "c" * 30
    assert split_message(text, 80) == ["a" * 50 + "\n\n", "b" * 30 + "\n" + "c" * 30]


def test_split_uses_lines_when_a_paragraph_is_too_long() -> None:
    lines = [f"line {i:02d} " + "x" * 20 for i in range(10)]
    text = "\n".join(lines)
    pages = split_message(text, 100)
    check_pages(text, pages, 100)
    assert all(page.endswith("\n") for page in pages[:-1])


def test_split_uses_words_within_a_long_line() -> None:
    text = " ".join(f"word{i}" for i in range(100))
    pages = split_message(text, 60)
    check_pages(text, pages, 60)
    assert all(page.endswith(" ") for page in pages[:-1])
    assert all(re.fullmatch(r"(word\d+ ?)+", page) for page in pages)


def test_split_prefers_the_end_of_a_sentence() -> None:
    text = "This is the first sentence. This is the second sentence and it goes on a bit"
    pages = split_message(text, 50)
    assert pages[0] == "This is the first sentence. "


def test_only_words_longer_than_a_page_are_cut_inside() -> None:
    text = "short " + "x" * 130 + " tail"
    pages = split_message(text, 50)
    check_pages(text, pages, 50)
    assert pages[0] == "short "


def test_chinese_without_spaces_splits_at_sentence_ends() -> None:
    text = "这是一个关于山间湖泊日落的视频。" * 40
    pages = split_message(text, 100)
    check_pages(text, pages, 100)
    assert len(pages) > 1
    assert all(page.endswith("。") for page in pages)


def test_chinese_without_any_punctuation_splits_between_characters() -> None:
    text = "山间湖泊日落电影感背景音乐" * 50
    pages = split_message(text, 64)
    check_pages(text, pages, 64)
    assert all(len(page) == 64 for page in pages[:-1])


def test_chinese_closing_punctuation_never_starts_a_page() -> None:
    text = "视频" * 31 + "。" + "音乐" * 40
    pages = split_message(text, 63)
    check_pages(text, pages, 63)
    assert not any(page.startswith("。") for page in pages)


def test_emoji_sequences_are_not_torn_apart() -> None:
    family = "👩\u200d👩\u200d👧"
    text = family * 40
    pages = split_message(text, 50)
    check_pages(text, pages, 50)
    assert all(not page.startswith("\u200d") and not page.endswith("\u200d") for page in pages)


def test_a_code_block_cut_in_two_is_closed_and_reopened_with_its_language() -> None:
    code = "\n".join(f"print('line {i}')" for i in range(30))
    text = f"Here is the script:\n\n```python\n{code}\n```\nThat's all."
    pages = split_message(text, 200)
    check_pages(text, pages, 200)
    assert len(pages) >= 3
    for page in pages[1:-1]:
        assert page.startswith("```python\n")
        assert page.endswith("```")


def test_a_page_never_ends_on_a_block_s_opening_line() -> None:
    text = "intro " * 12 + "\n```js\n" + "let x = 1;\n" * 5 + "```\n"
    pages = split_message(text, 90)
    check_pages(text, pages, 90)
    assert not any(page.rstrip().endswith("```js") for page in pages)


def test_an_unclosed_block_while_streaming_is_closed_on_its_page() -> None:
    text = 'Working on it:\n```json\n{"tracks": 3'
    [page] = split_message(text, 2000)
    assert page == text + "\n```"


def test_a_one_line_code_span_is_not_a_fence() -> None:
    text = "Use ```inline``` here. " * 10
    pages = split_message(text, 60)
    assert "".join(pages) == text


def _random_text(rng: random.Random) -> str:
    parts: list[str] = []
    for _ in range(rng.randint(1, 12)):
        kind = rng.random()
        if kind < 0.4:
            words = [
                rng.choice(["video", "sunset", "lake", "music", "a", "cinematic"])
                for _ in range(rng.randint(1, 40))
            ]
            parts.append(" ".join(words) + rng.choice([".", "!", "", "?"]))
        elif kind < 0.6:
            parts.append("山间湖泊日落视频，配上背景音乐。" * rng.randint(1, 8))
        elif kind < 0.8:
            lang = rng.choice(["", "python", "json"])
            body = "\n".join("x = " + "1" * rng.randint(1, 30) for _ in range(rng.randint(1, 15)))
            parts.append(f"\n```{lang}\n{body}\n```\n")  # a block has lines of its own
        else:
            parts.append("y" * rng.randint(1, 150))
    return "".join(part + rng.choice(["\n", "\n\n", " "]) for part in parts)


@pytest.mark.parametrize("seed", range(60))
def test_random_texts_keep_every_invariant(seed: int) -> None:
    rng = random.Random(seed)
    text = _random_text(rng)
    for limit in (40, 97, 200, 2000):
        check_pages(text, split_message(text, limit), limit, exact="```" not in text)


@pytest.mark.parametrize("seed", range(20))
def test_code_with_short_lines_rejoins_exactly(seed: int) -> None:
    rng = random.Random(seed)
    body = "\n".join("x = " + "1" * rng.randint(1, 20) for _ in range(rng.randint(5, 40)))
    text = f"Intro line.\n```python\n{body}\n```\nOutro. " + "word " * rng.randint(0, 30)
    for limit in (60, 150):
        check_pages(text, split_message(text, limit), limit)
