"""Pacing a streamed reply on a fake clock: only the newest text, never faster than the interval."""

from __future__ import annotations

import itertools

import pytest

from bot.core.reply_pacer import ReplyPacer
from tests.core.fake_clock import FakeClock


def test_first_content_is_due_at_once_then_waits_for_the_interval() -> None:
    clock = FakeClock()
    pacer = ReplyPacer(1.5, 2000, clock)
    assert not pacer.due()  # nothing to push yet
    pacer.update("Hel")
    assert pacer.due()
    assert pacer.take() == ["Hel"]
    pacer.update("Hello")
    assert not pacer.due()
    assert pacer.seconds_until_due() == pytest.approx(1.5)
    clock.advance(1.0)
    assert not pacer.due()
    assert pacer.seconds_until_due() == pytest.approx(0.5)
    clock.advance(0.5)
    assert pacer.due()
    assert pacer.take() == ["Hello"]


def test_unchanged_content_is_never_due() -> None:
    clock = FakeClock()
    pacer = ReplyPacer(1.0, 2000, clock)
    pacer.update("same")
    pacer.take()
    clock.advance(10)
    pacer.update("same")
    assert not pacer.pending
    assert not pacer.due()


def test_only_the_latest_content_is_taken() -> None:
    clock = FakeClock()
    pacer = ReplyPacer(1.0, 2000, clock)
    pacer.update("v1")
    pacer.take()
    for version in ("v2", "v3", "v4"):
        pacer.update(version)
        clock.advance(0.2)
    clock.advance(1.0)
    assert pacer.take() == ["v4"]


def test_take_splits_the_latest_content_into_pages() -> None:
    pacer = ReplyPacer(1.0, 100, FakeClock())
    pacer.update("word " * 50)
    pages = pacer.take()
    assert len(pages) == 3
    assert all(len(page) <= 100 for page in pages)


def test_a_streamed_reply_never_exceeds_the_edit_budget_and_ends_on_the_full_text() -> None:
    clock = FakeClock()
    interval = 1.2
    pacer = ReplyPacer(interval, 2000, clock)
    pushes: list[tuple[float, str]] = []
    text = ""
    for i in range(300):  # a token every 50 ms for 15 s
        text += f"t{i} "
        pacer.update(text)
        if pacer.due():
            [page] = pacer.take()
            pushes.append((clock(), page))
            assert page == text  # what is pushed is the newest text, never an old one
        clock.advance(0.05)
    clock.advance(pacer.seconds_until_due())
    assert pacer.due()
    [final] = pacer.take()
    pushes.append((clock(), final))

    times = [at for at, _ in pushes]
    assert all(b - a >= interval - 1e-9 for a, b in itertools.pairwise(times))
    assert final == text
    assert len(pushes) <= 15 / interval + 2
    # Discord: at most 5 edits in any 5 s window.
    assert all(times[i + 5] - times[i] >= 5 for i in range(len(times) - 5))


def test_mark_pushed_records_a_message_posted_elsewhere() -> None:
    clock = FakeClock()
    pacer = ReplyPacer(2.0, 2000, clock)
    pacer.update("💭 Thinking…")
    pacer.mark_pushed()
    assert not pacer.pending
    pacer.update("Here is")
    assert not pacer.due()
    clock.advance(2.0)
    assert pacer.due()
