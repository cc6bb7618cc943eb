"""How long the engine waits for things. Defaults follow the brief; tests shrink them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.live import EDIT_INTERVAL_SECONDS


@dataclass(frozen=True, slots=True)
class Timings:
    """Every wait the engine makes, in seconds unless the name says otherwise."""

    #: Minimum time between two edits of a streamed reply.
    edit_interval_seconds: float = EDIT_INTERVAL_SECONDS
    #: "⏳ Still working…" after this long without new text, and again every as long.
    still_working_seconds: float = 120.0
    #: After a 429, wait at least this long (longer if the server asks) and try once more.
    rate_limit_retry_seconds: float = 30.0
    #: … but never longer than this.
    rate_limit_max_wait_seconds: float = 300.0
    #: After a dropped stream: first state check, then the interval between checks.
    recovery_first_check_seconds: float = 30.0
    recovery_interval_seconds: float = 60.0
    #: Give up on a dropped turn after this many checks that show no change.
    recovery_max_unchanged_checks: int = 5
    #: Render polling: the first poll, the growth factor, the ceiling, and when to give up.
    render_first_poll_seconds: float = 3.0
    render_poll_backoff: float = 1.6
    render_max_poll_seconds: float = 30.0
    #: … and never longer than this share of the time the render has taken so far (but
    #: not below the first wait): a finished video waits for its poll at most about that
    #: share of its render time (B4: 60 s renders waited 17 s, 31 %, at 1.6× up to 30 s).
    render_poll_share: float = 0.1
    #: … and, once NemoVideo's progress has risen, no later than that progress says the
    #: render will be done (a straight line from the submission), but not sooner than
    #: this after the poll: a short render is not left finished for most of a wait.
    render_poll_min_seconds: float = 0.5
    render_give_up_seconds: float = 20 * 60.0
    #: How long a shutdown lets deliveries under way finish before cutting them off.
    shutdown_delivery_grace_seconds: float = 20.0
    #: Renew leases, and look for work whose lease ran out (another process died), in
    #: background tasks. Off only where a test drives time itself (simcord, whose settling
    #: cannot wait out a loop that never ends); a watcher then renews its own lease before
    #: a poll once this process's clock says it has run out.
    lease_background: bool = True

    def next_render_poll(self, delay: float, elapsed: float) -> float:
        """The wait before the next render poll, after waiting `delay` the last time, the
        render having run `elapsed` seconds so far."""
        return min(
            delay * self.render_poll_backoff,
            self.render_max_poll_seconds,
            max(self.render_first_poll_seconds, self.render_poll_share * elapsed),
        )


class RenderPolls:
    """When to poll one render: `delay` is the wait before the next poll. The waits grow
    as `Timings.next_render_poll` says (`waited`, after each), and are cut short to when
    the render should be done at the pace its progress has risen so far (`rendering`,
    once per rise: a render stuck at 99 % is not polled every half second)."""

    def __init__(self, timings: Timings) -> None:
        self._timings = timings
        self.delay = timings.render_first_poll_seconds
        self._timed_at = 0  # the progress the last wait was cut short for

    def waited(self, elapsed: float) -> None:
        """The wait is over, `elapsed` seconds after the render began: the next is longer."""
        self.delay = self._timings.next_render_poll(self.delay, elapsed)

    def rendering(self, elapsed: float, progress: int) -> None:
        """A poll found the render at `progress` percent (0-100) after `elapsed` seconds."""
        if self._timed_at < progress < 100:
            self._timed_at = progress
            done_in = elapsed * (100 - progress) / progress
            floor = self._timings.render_poll_min_seconds
            self.delay = min(self.delay, max(floor, done_in))

    def wait_at_least(self, seconds: float) -> None:
        """The server asked for a pause (a 429's Retry-After): the next wait is no shorter."""
        self.delay = max(self.delay, seconds)
