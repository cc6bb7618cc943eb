"""Stopping a chat turn while NemoVideo streams its reply (a cancel).

A running turn holds a `TurnStop`. Whoever may cancel it calls `request()`; the turn runner
streams inside `scope()`, which a request ends at once: the task streaming is cancelled, so
the stream is closed (NemoVideo sees the client leave), and the block raises TurnStopped
rather than CancelledError, the way `asyncio.timeout` ends its block. A request made before
the stream starts ends the block before anything is sent (`TurnStopped.sent` is False, as
for a scope around a wait before sending again); one made after it ended changes nothing.
A shutdown's cancellation stays a CancelledError.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class TurnStopped(Exception):
    """The turn was stopped on request (a cancel): its stream closed, or (`sent` False)
    before its message was sent."""

    def __init__(self, *, sent: bool) -> None:
        super().__init__("sent" if sent else "not sent")
        self.sent = sent


class TurnStop:
    """The stop handle of one running turn, and who started it."""

    def __init__(self, requester: int | None) -> None:
        #: The author of the turn's message (None: nobody in particular, as in the terminal).
        self.requester = requester
        self.requested = False
        self._over = False  # past streaming: a request would change nothing
        self._streaming: asyncio.Task[object] | None = None
        self._cancelled = False  # request() cancelled the streaming task

    def request(self) -> bool:
        """Ask the turn to stop; its stream, if one is open, is closed now. False when
        that changes nothing: asked before, or the turn no longer streams (`over`)."""
        if self.requested or self._over:
            return False
        self.requested = True
        if self._streaming is not None:
            self._cancelled = True
            self._streaming.cancel()
        return True

    def over(self) -> None:
        """The turn is past streaming (it reads the state, or says how it ended)."""
        self._over = True

    @contextlib.asynccontextmanager
    async def scope(self, *, sending: bool = True) -> AsyncIterator[None]:
        """The block that streams (`sending`), or waits before it does: a request ends it
        with TurnStopped."""
        if self.requested:
            raise TurnStopped(sent=False)
        task = asyncio.current_task()
        assert task is not None
        self._streaming = task
        try:
            yield
        except asyncio.CancelledError:
            # Our own cancel is taken back; any other (a shutdown) goes on as it was.
            if self._cancelled and task.uncancel() == 0:
                raise TurnStopped(sent=sending) from None
            raise
        else:
            if self._cancelled:  # delivered and swallowed by the block (it was ending)
                task.uncancel()
        finally:
            self._streaming = None
