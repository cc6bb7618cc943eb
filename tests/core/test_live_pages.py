"""A streamed reply's pages: a shown page kept on a spill only where it ends a word, and
every version of the reply, cut into pages, is the reply once in order."""

from __future__ import annotations

import random

import pytest

from bot.core.live_pages import LivePages
from bot.core.message_split import ends_a_word, split_message

LIMIT = 200
WORDS = [
    "sunset", "lake", "mountain", "cinematic", "music", "calmer", "title", "fades", "over", "a",
]


def reply_text(seed: int) -> str:
    rng = random.Random(seed)
    sentences = [
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 14))).capitalize() + "."
        for _ in range(rng.randint(8, 30))
    ]
    text = ""
    for sentence in sentences:
        text += sentence + rng.choice([" ", " ", " ", "\n\n", "\n"])
    return text


@pytest.mark.parametrize("seed", range(40))
def test_every_push_shows_the_reply_once_and_kept_pages_end_a_word(seed: int) -> None:
    rng = random.Random(seed)
    text = reply_text(seed)
    pages = LivePages(LIMIT)
    shown: list[str] = []
    end = 0
    while end < len(text):
        end = min(len(text), end + rng.randint(1, 120))  # a push every few chunks
        version = text[:end]
        pushed = pages.for_push(version, shown)
        assert " ".join(pushed).split() == version.split(), "every word once, in order"
        assert all(0 < len(page) <= LIMIT for page in pushed)
        assert pages.cut(version) == pushed, "the cut is the push's, when the write leaves"
        offset = 0
        for page in pushed[:-1]:  # every cut between two words
            offset = version.index(page, offset) + len(page)
            assert ends_a_word(version, offset)
        shown = pushed
    assert " ".join(pages.for_push(text, shown)).split() == text.split()


def test_a_shown_page_is_kept_when_the_reply_spills_between_two_words() -> None:
    pages = LivePages(LIMIT)
    first = "The sunset fades in over two seconds. " * 4  # 152 characters
    text = first + "The music gets calmer. " * 5

    pushed = pages.for_push(text, [first])

    assert pushed[0] == first and "".join(pushed) == text
    assert split_message(text, LIMIT)[0] != first  # cut afresh, page 1 would change


def test_a_short_shown_page_is_not_kept() -> None:
    pages = LivePages(LIMIT)
    first = "The sunset fades in. "  # under half a page: a spill cuts afresh
    text = first + "The music gets calmer. " * 10

    assert pages.for_push(text, [first]) == split_message(text, LIMIT)


def test_a_text_that_no_longer_begins_with_the_kept_page_is_cut_afresh() -> None:
    pages = LivePages(LIMIT)
    first = "The sunset fades in over two seconds. " * 4
    pages.for_push(first + "The music gets calmer. " * 5, [first])
    final = "Your clip is ready. " * 20

    assert pages.for_push(final, [first]) == split_message(final, LIMIT)
    assert pages.cut(final) == split_message(final, LIMIT)


@pytest.mark.parametrize(
    ("text", "at", "expected"),
    [
        ("sunset lake", 6, True),  # before the space
        ("sunset lake", 7, True),  # after it
        ("sunset lake", 3, False),  # inside a word
        ("日落湖面", 2, True),  # between Chinese characters
        ("sunset", 6, True),  # the end of the text
    ],
)
def test_where_a_page_may_end(text: str, at: int, expected: bool) -> None:
    assert ends_a_word(text, at) is expected
