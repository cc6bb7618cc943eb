"""Where `nemobot chat` reads its lines: a line editor on a terminal, plain lines otherwise.

On a terminal, prompt_toolkit's async prompt gives line editing (arrows, Home/End), history
(Up/Down) and Ctrl+C/Ctrl+D that act at once; while it waits, anything nemobot prints
appears above the prompt (see `prompt_output`). From a pipe or a file, lines are read as
they are and echoed after the prompt, so a transcript reads like a session.
"""

from __future__ import annotations

import asyncio
import contextlib
import unicodedata
from collections.abc import Iterator
from typing import Protocol, TextIO

PROMPT = "you> "


class LineSource(Protocol):
    """The user's lines, one at a time."""

    async def read_line(self) -> str | None:
        """The next line (without its newline), or None at the end of input (Ctrl+D).

        Ctrl+C at the prompt raises KeyboardInterrupt.
        """
        ...


class EditorLines:
    """Lines typed into prompt_toolkit's editor, with this session's history."""

    def __init__(self) -> None:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import InMemoryHistory

        self._session: PromptSession[str] = PromptSession(history=InMemoryHistory())

    async def read_line(self) -> str | None:
        try:
            return await self._session.prompt_async(PROMPT)
        except EOFError:
            return None


class PlainLines:
    """Lines from a pipe or file, read off the event loop and echoed after the prompt."""

    def __init__(self, stream: TextIO, echo: TextIO) -> None:
        self._stream = stream
        self._echo = echo

    async def read_line(self) -> str | None:
        line = await asyncio.to_thread(self._stream.readline)
        if not line:
            return None
        line = line.rstrip("\r\n")
        if line.strip():
            self._echo.write(f"{PROMPT}{line.strip()}\n")
            self._echo.flush()
        return line


@contextlib.contextmanager
def prompt_output() -> Iterator[None]:
    """While open, `sys.stdout` prints above the prompt instead of through it."""
    from prompt_toolkit.patch_stdout import patch_stdout

    with patch_stdout(raw=True):
        yield


def has_control_characters(line: str) -> bool:
    """True for terminal control codes (such as `ESC [ D`, a left arrow read raw); tabs pass."""
    return any(unicodedata.category(char) == "Cc" and char != "\t" for char in line)
