"""What to do when NemoVideo fails: one rule per kind of failure, for every caller.

The turn runner, the state reads, a turn resumed after a restart and the render watcher
all ask `recovery_for(error)` (or, to try each recovery at most once per call,
`Attempts.next(error)`) and act on the answer; none of them keeps its own table. How long
WAIT waits is `wait_seconds`.

    error                                  Recovery
    SessionNotFound (1002)                 NEW_SESSION  bind a new session, say so once;
                                                        the lost work is not re-sent
    RateLimited (429)                      WAIT         wait Retry-After (bounded), try once
    ServiceUnavailable, ServiceTimeout     LATER        a read is tried again later (quietly);
                                                        a turn or a command ends, explained
    anything else                          STOP         explain it and stop

A render's submission can be tried again (it carries its own id, so it renders once):
LATER sends it once more. A render's status check is a read: it is made again, after
WAIT's wait for a 429, until it has failed many times in a row.

`chat_actions_after(error)` is the other half of the rule: what may be offered under a chat
turn that ended with `error`. A message is re-sent only when it provably never reached
NemoVideo (`RequestNotSent`); credits get a way to add credits; nothing else gets a button
that cannot help.
"""

from __future__ import annotations

from enum import StrEnum

from bot.core.port import Action
from bot.core.timings import Timings
from bot.nemo.errors import (
    InsufficientCredits,
    NemoError,
    RateLimited,
    RequestNotSent,
    ServiceUnavailable,
    SessionNotFound,
)

__all__ = ["Attempts", "Recovery", "chat_actions_after", "recovery_for", "wait_seconds"]


class Recovery(StrEnum):
    NEW_SESSION = "new_session"
    WAIT = "wait"
    LATER = "later"
    STOP = "stop"


def recovery_for(error: NemoError) -> Recovery:
    """The one rule for `error` (see the module's table)."""
    if isinstance(error, SessionNotFound):
        return Recovery.NEW_SESSION
    if isinstance(error, RateLimited):
        return Recovery.WAIT
    if isinstance(error, ServiceUnavailable):
        return Recovery.LATER
    return Recovery.STOP


def wait_seconds(error: NemoError, timings: Timings) -> float:
    """How long WAIT waits before trying again: Retry-After, bounded; 0 for other errors."""
    if isinstance(error, RateLimited):
        wait = max(error.retry_after, timings.rate_limit_retry_seconds)
        return min(wait, timings.rate_limit_max_wait_seconds)
    return 0.0


class Attempts:
    """The recoveries one call has used: each is tried at most once, and STOP after that."""

    __slots__ = ("_tried",)

    def __init__(self) -> None:
        self._tried: set[Recovery] = set()

    def next(self, error: NemoError) -> Recovery:
        step = recovery_for(error)
        if step in self._tried:
            return Recovery.STOP
        self._tried.add(step)
        return step


def chat_actions_after(error: NemoError | None) -> tuple[Action, ...]:
    """The buttons that can help after a chat turn that failed with `error`."""
    if isinstance(error, RequestNotSent):
        return (Action.RESEND,)  # it never left: sending it now cannot charge twice
    if isinstance(error, InsufficientCredits):
        return (Action.ADD_CREDITS,)
    return ()
