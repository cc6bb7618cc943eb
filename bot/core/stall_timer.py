"""When to say "⏳ Still working…": after 2 minutes without text, then every 2 minutes.

Pure: the clock is passed in, so tests run on a fake clock.
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["STILL_WORKING_SECONDS", "StallTimer"]

Clock = Callable[[], float]

#: The brief: "Every 2 min: ⏳ Still working...".
STILL_WORKING_SECONDS = 120.0


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
