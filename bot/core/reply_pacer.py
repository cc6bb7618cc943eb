"""When to push a streamed reply: edits are paced (Discord allows about 5 edits per 5 s per
channel) and only the newest text is ever pushed, never a backlog of stale versions.

Pure: the clock is passed in, so tests run on a fake clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.core.message_split import MAX_MESSAGE_CHARS, split_message

__all__ = ["ReplyPacer"]

Clock = Callable[[], float]


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
