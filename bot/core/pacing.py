"""When to push a streamed reply, how to cut it into messages, and how fast to talk.

Everything here is pure apart from `RateBudget.acquire` and `slot`, which wait; clocks (and the
sleep) are passed in, so tests run on a fake clock without sleeping.

- `ReplyPacer`: a reply grows while NemoVideo streams. Edits are paced (Discord allows about
  5 edits per 5 s per channel) and only the newest text is ever pushed: no backlog of stale
  intermediate versions.
- `split_message`: text longer than a message becomes several pages, cut at a paragraph,
  else a line, else a sentence, else a word (or between Chinese characters), and only a
  single word longer than a page is cut inside. A ``` code block cut in two is closed at the
  end of one page and reopened, with its language, at the start of the next.
- `StallTimer`: "⏳ Still working…" after 2 minutes without text, then every 2 minutes.
- `RateBudget`: at most `capacity` requests in any `per_seconds` window, as the server
  counts them, shared fairly between waiters.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import math
import re
import time
import unicodedata
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable

__all__ = [
    "MAX_MESSAGE_CHARS",
    "STILL_WORKING_SECONDS",
    "RateBudget",
    "ReplyPacer",
    "StallTimer",
    "split_message",
]

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

#: Discord's limit on a message's content.
MAX_MESSAGE_CHARS = 2000
#: The brief: "Every 2 min: ⏳ Still working...".
STILL_WORKING_SECONDS = 120.0
#: Below this a page cannot hold a reopened fence and some text.
MIN_PAGE_CHARS = 16
#: The language tag carried over to a reopened fence is cut to this length.
MAX_FENCE_TAG_CHARS = 20


# ----- splitting --------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!?…](?:[\"'”’)\]]*)\s|[。！？；…][”’」』）)]*\s?")
_CLAUSE_END = re.compile(r"[,;:](?:\s)|[，、；：]")
_CLOSING_PUNCTUATION = frozenset("。，、！？；：”’」』）)]}…")
_GLUE = frozenset("\u200d\ufe0e\ufe0f")  # zero-width joiner, variation selectors


def _is_wide(char: str) -> bool:
    """CJK and other full-width characters, between which a line may break."""
    return unicodedata.east_asian_width(char) in ("W", "F")


def _fence_parts(line: str) -> tuple[str, str] | None:
    """(backticks, info string) when `line` is a code fence line, else None.

    A line like "```code```" is a one-line code span, not a fence.
    """
    stripped = line.strip()
    if not stripped.startswith("```"):
        return None
    ticks = len(stripped) - len(stripped.lstrip("`"))
    info = stripped[ticks:].strip()
    if "`" in info:
        return None
    return stripped[:ticks], info


def _open_fence_after(text: str, open_fence: str | None) -> tuple[str | None, int]:
    """The fence still open at the end of `text`, given the one open at its start, and the
    offset in `text` of the line that opened it (-1 when it was open before `text`)."""
    offset = 0
    opened_at = -1
    for line in text.split("\n"):
        parts = _fence_parts(line)
        if parts is not None:
            ticks, info = parts
            if open_fence is None:
                open_fence, opened_at = line.strip(), offset
            elif not info and len(ticks) >= len(_ticks(open_fence)):
                open_fence, opened_at = None, -1
        offset += len(line) + 1
    return open_fence, opened_at


def _ticks(fence_line: str) -> str:
    return fence_line[: len(fence_line) - len(fence_line.lstrip("`"))]


def _reopening(fence_line: str) -> str:
    """The line that reopens a cut block: its backticks and language tag, nothing more."""
    ticks = _ticks(fence_line)
    info = fence_line[len(ticks):].split()
    tag = info[0][:MAX_FENCE_TAG_CHARS] if info else ""
    return ticks + tag


def _closing(chunk: str, open_fence: str | None) -> str:
    if open_fence is None:
        return ""
    return ("" if chunk.endswith("\n") else "\n") + _ticks(open_fence)


def _last_match_end(pattern: re.Pattern[str], window: str, floor: int) -> int | None:
    ends = [m.end() for m in pattern.finditer(window) if m.end() >= floor]
    return ends[-1] if ends else None


def _cut_paragraph(window: str, floor: int) -> int | None:
    index = window.rfind("\n\n")
    return index + 2 if index >= 0 and index + 2 >= floor else None


def _cut_line(window: str, floor: int) -> int | None:
    index = window.rfind("\n")
    return index + 1 if index >= 0 and index + 1 >= floor else None


def _cut_sentence(window: str, floor: int) -> int | None:
    return _last_match_end(_SENTENCE_END, window, floor)


def _cut_clause(window: str, floor: int) -> int | None:
    return _last_match_end(_CLAUSE_END, window, floor)


def _cut_space(window: str, floor: int) -> int | None:
    for index in range(len(window) - 1, floor - 2, -1):
        if index >= 0 and window[index].isspace():
            return index + 1
    return None


def _joined(text: str, cut: int) -> bool:
    """True when cutting `text` at `cut` would tear a character sequence apart: an emoji
    joined with a zero-width joiner, a variation selector, a skin tone, a combining mark."""
    following = text[cut : cut + 1]
    return bool(following) and (
        unicodedata.combining(following) > 0
        or following in _GLUE
        or text[cut - 1] in _GLUE
        or "\U0001f3fb" <= following <= "\U0001f3ff"
    )


def _cut_wide(window: str, floor: int, after: str) -> int | None:
    """Between two characters where either is wide (Chinese has no spaces between words),
    but never before closing punctuation, nor inside an emoji sequence."""
    text = window + after
    for cut in range(len(window), max(floor, 1) - 1, -1):
        before, following = text[cut - 1], text[cut : cut + 1]
        if not (_is_wide(before) or (following and _is_wide(following))):
            continue
        if following in _CLOSING_PUNCTUATION or _joined(text, cut):
            continue
        return cut
    return None


def _hard_cut(text: str, budget: int) -> int:
    """Inside a word longer than a page (but not inside a character sequence)."""
    cut = budget
    while cut > 1 and _joined(text, cut):
        cut -= 1
    return cut


def _find_cut(text: str, budget: int, open_fence: str | None) -> int:
    """Where to end a page of at most `budget` characters of `text` (longer than that).

    Inside a code block only a line end will do, unless one line is longer than a page:
    cutting a code line in two would change the code.
    """
    window = text[:budget]
    after = text[budget : budget + 1]
    line_ends = (_cut_paragraph, _cut_line)
    finders: tuple[Callable[[str, int], int | None], ...] = (
        *line_ends,
        _cut_sentence,
        _cut_clause,
        _cut_space,
        lambda w, floor: _cut_wide(w, floor, after),
    )
    # A good boundary in the second half of the page first; any boundary at all after that.
    for floor in (budget // 2, 1):
        for finder in finders:
            cut = finder(window, floor)
            if cut is None or not 0 < cut <= budget or not window[:cut].strip():
                continue
            if finder not in line_ends and _open_fence_after(window[:cut], open_fence)[0]:
                line_end = _cut_line(window, 1)
                if line_end is not None and window[:line_end].strip():
                    return line_end
            return cut
    return _hard_cut(text, budget)


def _longest_ticks(text: str) -> int:
    runs = [len(p[0]) for line in text.split("\n") if (p := _fence_parts(line)) is not None]
    return max(runs, default=3)


def split_message(text: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """`text` as pages of at most `limit` characters (no pages for an empty text).

    Cut points are kept at the end of a page, so joining the pages gives back `text`
    except for the fence lines added to close and reopen a cut code block, and blank
    space that would make a page of its own (chat platforms refuse empty messages). An
    unclosed block at the very end (a reply still streaming) is closed too, so every page
    renders.
    """
    if limit < MIN_PAGE_CHARS:
        raise ValueError(f"a page must allow at least {MIN_PAGE_CHARS} characters")
    pages: list[str] = []
    # Room for "\n```" when a page ends inside a code block (only if there are blocks).
    has_fences = any(_fence_parts(line) for line in text.split("\n"))
    reserve = 1 + _longest_ticks(text) if has_fences else 0
    rest = text
    open_fence: str | None = None
    while rest:
        reopen = _reopening(open_fence) if open_fence else ""
        prefix = f"{reopen}\n" if reopen else ""
        last_fence, _ = _open_fence_after(rest, open_fence)
        closing = _closing(rest, last_fence)
        if len(prefix) + len(rest) + len(closing) <= limit:
            if rest.strip() or closing:  # trailing blank lines alone are not a message
                pages.append(prefix + rest + closing)
            break
        if len(prefix) + reserve > limit // 2:
            prefix = f"{_ticks(reopen)}\n" if reopen else ""  # drop a long language tag
        budget = limit - len(prefix) - reserve
        if budget < 1:
            raise ValueError("the page limit is too small for this text's code fences")
        cut = _find_cut(rest, budget, open_fence)
        after, opened_at = _open_fence_after(rest[:cut], open_fence)
        if after is not None and opened_at > 0:
            # Never end a page on a block's opening line: start the block on the next page.
            opening_and_code = rest[opened_at:cut].split("\n", 1)
            if len(opening_and_code) == 1 or not opening_and_code[1].strip():
                cut = opened_at
                after, _ = _open_fence_after(rest[:cut], open_fence)
        chunk, rest = rest[:cut], rest[cut:]
        page = prefix + chunk + _closing(chunk, after)
        if page.strip():
            pages.append(page)
        open_fence = after
    return pages


# ----- pacing a streamed reply ------------------------------------------------------------


class ReplyPacer:
    """Decides when a growing reply should be pushed, and what to push.

    Feed it every new version with `update`; push when `due()` (the content changed and
    `min_interval_seconds` have passed since the last push), using `take()`, which returns
    the newest content split into pages and records the push.
    """

    def __init__(
        self,
        min_interval_seconds: float,
        max_chars: int = MAX_MESSAGE_CHARS,
        clock: Clock = time.monotonic,
    ) -> None:
        self._interval = min_interval_seconds
        self._max_chars = max_chars
        self._clock = clock
        self._latest = ""
        self._pushed = ""
        self._last_push: float | None = None

    @property
    def pending(self) -> bool:
        """True when the newest content has not been pushed yet."""
        return self._latest != self._pushed

    def update(self, full_text: str) -> None:
        """Record the newest full text (not a delta)."""
        self._latest = full_text

    def seconds_until_due(self) -> float:
        """How long until the interval since the last push has passed (0 if it has).

        Whether there is anything to push is `pending`; `due()` needs both.
        """
        if self._last_push is None:
            return 0.0
        return max(0.0, self._last_push + self._interval - self._clock())

    def due(self) -> bool:
        return self.pending and self.seconds_until_due() <= 0

    def take(self) -> list[str]:
        """The newest content as pages; records it as pushed now."""
        self.mark_pushed(self._latest)
        return split_message(self._latest, self._max_chars)

    def mark_pushed(self, text: str | None = None, *, paced: bool = True) -> None:
        """Record a push made without `take` (e.g. the first message, posted at once).

        `paced=False` for a placeholder shown before any content ("💭 Thinking…"): the
        first content then goes out as soon as it comes, not an interval later (the
        platform's own budget still applies).
        """
        self._pushed = self._latest if text is None else text
        if paced:
            self._last_push = self._clock()


class StallTimer:
    """When to say "⏳ Still working…": `interval_seconds` after the last text, then again
    every `interval_seconds` while no text arrives. Starts counting when created."""

    def __init__(self, clock: Clock, interval_seconds: float = STILL_WORKING_SECONDS) -> None:
        self._clock = clock
        self._interval = interval_seconds
        self._last_text = clock()
        self._notices = 0

    def text_arrived(self) -> None:
        self._last_text = self._clock()
        self._notices = 0

    @property
    def silent_seconds(self) -> float:
        """How long since the last text (or the start)."""
        return self._clock() - self._last_text

    def seconds_until_due(self) -> float:
        due_at = self._last_text + self._interval * (self._notices + 1)
        return max(0.0, due_at - self._clock())

    def due(self) -> bool:
        return self.seconds_until_due() <= 0

    def notice_shown(self) -> None:
        """Record that the notice was shown; the next one is due a whole interval later.

        Notices missed while nobody asked are not owed: the count catches up with the clock.
        """
        self._notices = max(self._notices + 1, math.floor(self.silent_seconds / self._interval))

    def check(self) -> bool:
        """True (once per interval) when the notice should be shown now."""
        if not self.due():
            return False
        self.notice_shown()
        return True


# ----- rate budget ------------------------------------------------------------------------


class RateBudget:
    """At most `capacity` requests in any window of `per_seconds` (a sliding window), as the
    server counts them.

    Stricter than a token bucket, which would allow a full burst right after a full burst:
    Discord's buckets (5 edits / 5 s per channel, 50 requests / s per bot) must never see
    more than their limit. A request reaches the server at some moment between being given
    its slot and its answer coming back (a client library may still hold it back for its own
    bucket, or retry it), so a slot is held from the moment it is given (`slot()`) until
    `per_seconds` after the request has completed: then every window the server can see
    holds at most `capacity` requests, however late each one really left.

    Waiters are served by priority, lowest first (by default the time they started
    waiting, i.e. in arrival order); the Discord port passes the time a channel's shown text
    was last updated, so the channel that has waited longest since its last update goes
    next. When a request needs two budgets, take the narrow one (the channel's) before the
    global one, so a long wait does not hold a global slot.
    """

    def __init__(
        self,
        capacity: int,
        per_seconds: float,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if capacity < 1 or per_seconds <= 0:
            raise ValueError("a budget needs a capacity of at least 1 and a positive window")
        self.capacity = capacity
        self.per_seconds = per_seconds
        self._clock = clock
        self._sleep = sleep
        self._recent: deque[float] = deque()  # completion times, oldest first
        self._in_flight = 0
        self._queue: list[tuple[float, int]] = []  # (priority, arrival) heap
        self._turns: dict[tuple[float, int], asyncio.Event] = {}
        self._arrivals = itertools.count()
        self._head_wake = asyncio.Event()

    @property
    def waiting(self) -> int:
        """How many requests are waiting for a slot."""
        return len(self._queue)

    def _forget_old(self, now: float) -> None:
        while self._recent and self._recent[0] + self.per_seconds - now <= 0:
            self._recent.popleft()

    def seconds_until_available(self) -> float:
        """0 when a slot is free now; `math.inf` while every slot is held by a request
        still in flight (one frees `per_seconds` after that request completes)."""
        now = self._clock()
        self._forget_old(now)
        if len(self._recent) + self._in_flight < self.capacity:
            return 0.0
        if not self._recent:
            return math.inf
        return self._recent[0] + self.per_seconds - now

    def try_acquire(self) -> bool:
        """Count a request made now if a slot is free and nobody waits (never waits)."""
        if self._queue or self.seconds_until_available() > 0:
            return False
        self._recent.append(self._clock())
        return True

    async def acquire(self, priority: float | None = None) -> None:
        """Wait for a slot for a request made at once (it counts as completed now)."""
        async with self.slot(priority):
            pass

    @contextlib.asynccontextmanager
    async def slot(self, priority: float | None = None) -> AsyncIterator[None]:
        """Hold a slot while the request inside the block is made (see the class)."""
        await self._wait_turn(self._clock() if priority is None else priority)
        self._in_flight += 1
        try:
            yield
        finally:
            self._in_flight -= 1
            self._recent.append(self._clock())
            self._head_wake.set()

    async def _wait_turn(self, priority: float) -> None:
        key = (priority, next(self._arrivals))
        turn = self._turns[key] = asyncio.Event()
        heapq.heappush(self._queue, key)
        self._wake_head()
        try:
            while True:
                if self._queue[0] != key:
                    turn.clear()
                    await turn.wait()
                    continue
                wait = self.seconds_until_available()
                if wait <= 0:
                    heapq.heappop(self._queue)
                    return
                self._head_wake.clear()
                await self._nap(wait, self._head_wake)
        finally:
            if key in self._turns:
                del self._turns[key]
                if self._queue and key in self._queue:  # cancelled while waiting
                    self._queue.remove(key)
                    heapq.heapify(self._queue)
                self._wake_head()

    def _wake_head(self) -> None:
        """Tell whoever is first in the queue to look again (it may have changed)."""
        self._head_wake.set()
        if self._queue:
            self._turns[self._queue[0]].set()

    async def _nap(self, seconds: float, wake: asyncio.Event) -> None:
        """Until `seconds` have passed on the budget's clock, or `wake` is set."""
        woken = asyncio.ensure_future(wake.wait())
        if math.isinf(seconds):
            await woken
            return
        timer = asyncio.ensure_future(self._sleep(seconds))
        try:
            await asyncio.wait({woken, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
            timer.cancel()
