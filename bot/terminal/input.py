"""Where `nemobot chat` reads its lines: a line editor on a terminal, plain lines otherwise.

On a terminal, prompt_toolkit's async prompt gives line editing (arrows, Home/End), history
(Up/Down) and Ctrl+C/Ctrl+D that act at once; while it waits, anything nemobot prints
appears above the prompt (see `prompt_output`). From a pipe or a file, lines are read as
they are and echoed after the prompt, so a transcript reads like a session.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import unicodedata
from collections.abc import Iterator
from typing import Protocol, TextIO

from bot.terminal.live_line import PromptLine

PROMPT = "you> "


class LineSource(Protocol):
    """The user's lines, one at a time."""

    async def read_line(self) -> str | None:
        """The next line (without its newline), or None at the end of input (Ctrl+D).

        Ctrl+C at the prompt raises KeyboardInterrupt.
        """
        ...


class EditorLines:
    """Lines typed into prompt_toolkit's editor, with this session's history.

    With a `live` line (a render's progress), it is shown above the prompt, as part of it,
    and redrawn when it changes.
    """

    def __init__(self, live: PromptLine | None = None) -> None:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import InMemoryHistory

        self._session: PromptSession[str] = PromptSession(history=InMemoryHistory())
        self._live = live
        if live is not None:
            live.redraw = self._redraw

    async def read_line(self) -> str | None:
        try:
            return await self._session.prompt_async(self._message)
        except EOFError:
            return None

    def _message(self) -> str:
        live = self._live.text if self._live is not None else None
        # Once a line is entered the prompt stays in the scrollback: without the live line.
        if live and not self._session.app.is_done:
            return f"{live}\n{PROMPT}"
        return PROMPT

    def _redraw(self) -> None:
        app = self._session.app
        if app.is_running:
            app.invalidate()


class Echo(Protocol):
    """Where typed lines are echoed: a text stream, or one that ends an open line first."""

    def write(self, text: str, /) -> int: ...

    def flush(self) -> None: ...


class PlainLines:
    """Lines from a pipe or file, echoed after the prompt.

    They are read on a daemon thread rather than in the default executor: a blocked read
    (stdin a terminal while stdout is piped) must not keep Ctrl+C waiting for Enter.
    """

    def __init__(self, stream: TextIO, echo: Echo) -> None:
        self._stream = stream
        self._echo = echo
        self._queue: asyncio.Queue[str | None] | None = None

    async def read_line(self) -> str | None:
        if self._queue is None:
            self._queue = asyncio.Queue()
            threading.Thread(
                target=self._read_all,
                args=(asyncio.get_running_loop(), self._queue),
                name="chat-stdin",
                daemon=True,
            ).start()
        line = await self._queue.get()
        if line is None:
            self._queue.put_nowait(None)  # stays at the end
            return None
        line = line.rstrip("\r\n")
        if line.strip():
            self._echo.write(f"{PROMPT}{line.strip()}\n")
            self._echo.flush()
        return line

    def _read_all(
        self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[str | None]
    ) -> None:
        # OSError/ValueError: the stream was closed; RuntimeError: the loop is gone.
        with contextlib.suppress(OSError, ValueError, RuntimeError):
            for line in iter(self._stream.readline, ""):
                loop.call_soon_threadsafe(queue.put_nowait, line)
            loop.call_soon_threadsafe(queue.put_nowait, None)


@contextlib.contextmanager
def prompt_output() -> Iterator[None]:
    """While open, `sys.stdout` prints above the prompt instead of through it."""
    from prompt_toolkit.patch_stdout import patch_stdout

    with patch_stdout(raw=True):
        yield


def has_control_characters(line: str) -> bool:
    """True for terminal control codes (such as `ESC [ D`, a left arrow read raw); tabs pass."""
    return any(unicodedata.category(char) == "Cc" and char != "\t" for char in line)
