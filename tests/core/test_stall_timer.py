"""The "⏳ Still working…" timer on a fake clock."""

from __future__ import annotations

import pytest

from bot.core.stall_timer import STILL_WORKING_SECONDS, StallTimer
from tests.core.fake_clock import FakeClock


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
