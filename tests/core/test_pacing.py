"""Pacing a streamed reply, splitting it into messages, and rate budgets, on a fake clock."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
import re
from collections.abc import Awaitable

import pytest

from bot.core.pacing import (
    STILL_WORKING_SECONDS,
    RateBudget,
    ReplyPacer,
    StallTimer,
    split_message,
)


class FakeClock:
    """Time that moves only when a test (or the fake sleep) says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


FENCE_LINE = re.compile(r"^\s*```")


def without_fence_lines(text: str) -> str:
    return "".join(
        line for line in text.splitlines(keepends=True) if not FENCE_LINE.match(line)
    )


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
    text = "Working on it:\n```json\n{\"tracks\": 3"
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
            words = [rng.choice(["video", "sunset", "lake", "music", "a", "cinematic"])
                     for _ in range(rng.randint(1, 40))]
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


# ----- ReplyPacer -------------------------------------------------------------------------


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


# ----- StallTimer -------------------------------------------------------------------------


def test_still_working_after_two_minutes_without_text_then_every_two_minutes() -> None:
    clock = FakeClock()
    timer = StallTimer(clock)
    clock.advance(STILL_WORKING_SECONDS - 1)
    assert not timer.check()
    assert timer.seconds_until_due() == pytest.approx(1)
    clock.advance(1)
    assert timer.check()
    assert not timer.check()  # once per interval
    clock.advance(STILL_WORKING_SECONDS)
    assert timer.check()
    assert timer.silent_seconds == pytest.approx(2 * STILL_WORKING_SECONDS)


def test_new_text_restarts_the_stall_timer() -> None:
    clock = FakeClock()
    timer = StallTimer(clock, interval_seconds=10)
    clock.advance(9)
    timer.text_arrived()
    clock.advance(9)
    assert not timer.due()
    clock.advance(1)
    assert timer.due()


def test_missed_stall_notices_are_not_owed() -> None:
    clock = FakeClock()
    timer = StallTimer(clock, interval_seconds=10)
    clock.advance(55)  # nobody looked for five intervals
    assert timer.check()
    assert not timer.check()
    clock.advance(5)
    assert timer.check()


# ----- RateBudget -------------------------------------------------------------------------


async def test_rate_budget_never_allows_more_than_capacity_in_a_window() -> None:
    clock = FakeClock()
    budget = RateBudget(5, 5.0, clock=clock, sleep=clock.sleep)
    granted: list[float] = []

    async def edit() -> None:
        await budget.acquire()
        granted.append(clock())

    start = clock()
    await asyncio.gather(*(edit() for _ in range(23)))
    assert len(granted) == 23
    assert granted[:5] == [start] * 5  # a full burst at once
    assert all(granted[i + 5] - granted[i] >= 5.0 for i in range(len(granted) - 5))
    assert granted[-1] - start == pytest.approx(20.0)  # and no slower than needed


async def test_global_budget_of_50_per_second() -> None:
    clock = FakeClock()
    budget = RateBudget(50, 1.0, clock=clock, sleep=clock.sleep)
    granted: list[float] = []
    for _ in range(120):
        await budget.acquire()
        granted.append(clock())
    assert all(granted[i + 50] - granted[i] >= 1.0 for i in range(len(granted) - 50))
    assert granted[-1] - granted[0] == pytest.approx(2.0)


def test_try_acquire_never_waits() -> None:
    clock = FakeClock()
    budget = RateBudget(2, 5.0, clock=clock)
    assert budget.try_acquire()
    assert budget.try_acquire()
    assert not budget.try_acquire()
    assert budget.seconds_until_available() == pytest.approx(5.0)
    clock.advance(5.0)
    assert budget.try_acquire()


@pytest.mark.parametrize(("capacity", "per"), [(0, 1.0), (1, 0.0)])
def test_a_budget_needs_room(capacity: int, per: float) -> None:
    with pytest.raises(ValueError):
        RateBudget(capacity, per)


class VirtualTime:
    """A timeline shared by many tasks: `sleep` waits until `run` moves time to its end."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(0.0, seconds), next(self._order), future))
        await future

    async def run(self, main: Awaitable[object]) -> None:
        """Run `main`, moving time on to the next sleeper whenever every task is idle."""
        task = asyncio.ensure_future(main)
        while not task.done():
            for _ in range(50):  # let every ready task run up to its next wait
                await asyncio.sleep(0)
            while self._sleepers and self._sleepers[0][2].done():
                heapq.heappop(self._sleepers)
            if task.done() or not self._sleepers:
                continue
            at, _, future = heapq.heappop(self._sleepers)
            self.now = max(self.now, at)
            future.set_result(None)
        task.result()


async def test_a_request_held_back_after_its_slot_still_counts_in_every_window() -> None:
    time_line = VirtualTime()
    budget = RateBudget(5, 1.0, clock=time_line, sleep=time_line.sleep)
    rng = random.Random(4)
    arrivals: list[float] = []

    async def request() -> None:
        async with budget.slot():
            await time_line.sleep(rng.uniform(0.0, 1.5))  # held back by the client library
            arrivals.append(time_line())  # the server sees it now
            await time_line.sleep(rng.uniform(0.0, 0.2))  # the answer comes back

    await time_line.run(asyncio.gather(*(request() for _ in range(60))))
    assert len(arrivals) == 60
    assert all(arrivals[i + 5] - arrivals[i] >= 1.0 for i in range(len(arrivals) - 5))


async def test_the_waiter_with_the_oldest_shown_text_goes_first() -> None:
    time_line = VirtualTime()
    budget = RateBudget(1, 1.0, clock=time_line, sleep=time_line.sleep)
    served: list[str] = []

    async def write(name: str, shown_at: float) -> None:
        async with budget.slot(priority=shown_at):
            served.append(name)

    async def scene() -> None:
        await budget.acquire()  # the budget is full for a second
        waiters = [asyncio.ensure_future(write(n, at)) for n, at in
                   [("fresh", 9.0), ("stale", 1.0), ("middle", 5.0)]]
        await asyncio.gather(*waiters)

    await time_line.run(scene())
    assert served == ["stale", "middle", "fresh"]


async def test_a_cancelled_waiter_gives_its_turn_to_the_next() -> None:
    time_line = VirtualTime()
    budget = RateBudget(1, 1.0, clock=time_line, sleep=time_line.sleep)
    served: list[str] = []

    async def write(name: str, shown_at: float) -> None:
        async with budget.slot(priority=shown_at):
            served.append(name)

    async def scene() -> None:
        await budget.acquire()
        first = asyncio.ensure_future(write("first", 1.0))
        second = asyncio.ensure_future(write("second", 2.0))
        await asyncio.sleep(0)
        first.cancel()
        await asyncio.gather(second)

    await time_line.run(scene())
    assert served == ["second"]
    assert budget.waiting == 0
