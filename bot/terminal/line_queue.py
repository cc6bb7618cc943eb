"""Typing while nemobot works: lines wait their turn, and a cancel goes first.

Under the line editor the prompt stays open while a line is carried out (a reply streams,
a file uploads), so the next line can be typed at once. Lines wait in order and are
carried out one at a time, as in a Discord thread (each one told that it waits); a cancel
(`/cancel`, `cancel`, `取消`) is carried out the moment it is typed: it stops the reply
streaming (or the render) and drops the lines still waiting, each one named. `/quit`
and Ctrl+D leave once the lines before them are done; Ctrl+C leaves at once.

Piped input is read one line after the other instead, each carried out before the next
is read, so that a transcript reads like a conversation.
"""

from __future__ import annotations

import asyncio
import contextlib

from bot.terminal.input import LineSource
from bot.terminal.session import TerminalSession

__all__ = ["run_lines", "run_typed_lines"]


async def run_lines(lines: LineSource, session: TerminalSession) -> None:
    """Piped input: each line carried out before the next is read, until /quit or the end."""
    while (line := await lines.read_line()) is not None:
        if not await session.dispatch(line):
            break


async def run_typed_lines(lines: LineSource, session: TerminalSession) -> None:
    """Typed input: read while earlier lines are carried out (see the module), until /quit
    or Ctrl+D; Ctrl+C (KeyboardInterrupt) stops what is being carried out and leaves."""
    waiting: asyncio.Queue[str | None] = asyncio.Queue()
    busy = False

    async def work() -> None:
        nonlocal busy
        while (line := await waiting.get()) is not None:
            busy = True
            try:
                await session.dispatch(line)
            finally:
                busy = False

    worker = asyncio.create_task(work(), name="chat-lines")
    try:
        while True:
            line = await lines.read_line()
            if worker.done():
                worker.result()  # it only ends by failing: say how
            if line is None or session.is_quit(line):
                waiting.put_nowait(None)
                await worker
                return
            if session.is_cancel(line):
                dropped = []
                while not waiting.empty():
                    dropped.append(waiting.get_nowait())
                await session.cancel([text for text in dropped if text])
                continue
            if not line.strip():
                continue
            if busy or not waiting.empty():
                await session.tell_waiting()
            waiting.put_nowait(line)
    finally:
        if not worker.done():
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
