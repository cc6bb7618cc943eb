"""One conversation's turns: one at a time, in the order their messages arrived.

A message takes its place in line the moment it arrives (`TurnLine.place`), may then
prepare without holding anyone up (read its attachments from the platform while an
earlier turn runs), and `Place.turn()` waits until every message that arrived before it
has had its turn. So "use this as the intro", typed just after dropping a picture, comes
after the picture's upload however slow its download, and a slow download never holds a
turn that is already running. A place left without taking its turn (every file refused)
simply lets the next one go.

A cancel drops the places still waiting for their turn (`TurnLine.drop_waiting`): the
message in each is told (`TurnDropped` ends its `turn()`) and never reaches NemoVideo.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable


class TurnDropped(Exception):
    """A place was dropped from the line before its turn (see `TurnLine.drop_waiting`)."""


class TurnLine:
    """A ticket line for one conversation; `busy()` while anyone holds or awaits a turn."""

    def __init__(self, conversation: str) -> None:
        self.conversation = conversation
        self._issued = 0  # tickets handed out so far
        self._serving = 0  # the ticket whose turn it is
        self._running = False
        self._done: set[int] = set()  # tickets ahead of `_serving` that gave up their place
        self._reading: set[int] = set()  # tickets whose message is reading its files
        self._waiting: dict[int, Place] = {}  # places that asked for their turn (`ask`)
        self._dropped: set[int] = set()  # tickets whose turn will not come (a cancel)
        self._changed = asyncio.Condition()
        self._places: dict[int, Place] = {}  # places not yet left or finished

    def busy(self) -> bool:
        """A turn is running, or a message is waiting for (or preparing for) one."""
        return self._running or self._serving < self._issued

    def running(self) -> bool:
        """A turn is running now."""
        return self._running

    def reading_before(self, ticket: int) -> bool:
        """A message that took its place before `ticket` is still reading its files."""
        return any(earlier < ticket for earlier in self._reading)

    async def drop_waiting(self, may_drop: Callable[[int | None], bool]) -> list[Place]:
        """Drop the places whose turn has not begun, waiting for it or still reading their
        files, whose author `may_drop`; their `turn()` raises TurnDropped (at once, or when
        they ask for it). A place between arriving and asking for its turn (a message
        needing none, as "credits") is not waiting and stays. Returns the places dropped."""
        ticket_running = self._serving if self._running else None
        waiting = {**self._waiting, **{t: self._places[t] for t in self._reading}}
        dropped = [
            place
            for ticket, place in sorted(waiting.items())
            if ticket != ticket_running and ticket not in self._dropped and may_drop(place.author)
        ]
        if dropped:
            self._dropped.update(place.ticket for place in dropped)  # before any await
            async with self._changed:
                self._changed.notify_all()
        return dropped

    def holds_waiting(self) -> bool:
        """A place is waiting for its turn (or reading its files for one), not dropped."""
        ticket_running = self._serving if self._running else None
        waiting = set(self._waiting) | self._reading
        return any(t != ticket_running and t not in self._dropped for t in waiting)

    @contextlib.asynccontextmanager
    async def place(self, author: int | None = None) -> AsyncIterator[Place]:
        """Take a place in line now (for `author`'s message); leaving the block gives it up
        if unused."""
        ticket = self._issued
        self._issued += 1
        place = Place(self, ticket, self.conversation, author)
        self._places[ticket] = place
        try:
            yield place
        finally:
            await place.leave()

    async def _wait_for(self, ticket: int) -> None:
        async with self._changed:
            await self._changed.wait_for(
                lambda: ticket in self._dropped or (self._serving == ticket and not self._running)
            )
            if ticket in self._dropped:
                raise TurnDropped(self.conversation)
            self._running = True
            self._waiting.pop(ticket, None)

    async def _finish(self, ticket: int) -> None:
        self._reading.discard(ticket)
        self._waiting.pop(ticket, None)
        self._places.pop(ticket, None)
        self._dropped.discard(ticket)
        async with self._changed:
            if ticket == self._serving:
                self._running = False
                self._serving += 1
                while self._serving in self._done:
                    self._done.discard(self._serving)
                    self._serving += 1
            else:
                self._done.add(ticket)
            self._changed.notify_all()


class Place:
    """One message's place in its conversation's line."""

    def __init__(
        self, line: TurnLine, ticket: int, conversation: str, author: int | None = None
    ) -> None:
        self.conversation = conversation
        #: Who sent the message (None: nobody in particular, as in the terminal).
        self.author = author
        self.ticket = ticket
        self._line = line
        self.taken = False
        self._left = False

    def behind_files(self) -> bool:
        """An earlier message in line is still reading its files from the platform."""
        return self._line.reading_before(self.ticket)

    def reading_files(self, reading: bool) -> None:
        """Mark whether this place's message is reading its files (leaving the line clears it)."""
        if reading:
            self._line._reading.add(self.ticket)
        else:
            self._line._reading.discard(self.ticket)

    async def leave(self) -> None:
        """Give up this place without a turn (a message that needs none); idempotent."""
        if not self.taken and not self._left:
            self._left = True
            await asyncio.shield(self._line._finish(self.ticket))

    def ask(self) -> None:
        """From now on this place waits for its turn (a cancel may drop it), also while its
        message is still being told that it waits; `turn()` asks too."""
        if not self.taken and not self._left:
            self._line._waiting[self.ticket] = self

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for every earlier place, then hold the conversation's one turn."""
        if self.taken or self._left:
            raise RuntimeError("a place in line is used for one turn")
        self.ask()
        self.taken = True
        try:
            await self._line._wait_for(self.ticket)
        except BaseException:
            await asyncio.shield(self._line._finish(self.ticket))
            raise
        try:
            yield
        finally:
            await asyncio.shield(self._line._finish(self.ticket))
