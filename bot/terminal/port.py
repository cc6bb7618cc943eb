"""`TerminalPort`: the chat port on a text stream, and the files it saves."""

from __future__ import annotations

import asyncio
import itertools
import logging
import shutil
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot.core import Draft
from bot.core.card import Card, Tone
from bot.core.port import Action, OutgoingFile, Text, text_of
from bot.core.records import Language
from bot.core.timeline_picture import write_timeline_png

__all__ = ["LineEndingEcho", "TerminalPort"]

log = logging.getLogger(__name__)


def _card_text(card: Card) -> str:
    """A card as the terminal prints it: a working one as its status line alone, so that
    a render's progress is redrawn on one line."""
    if card.tone is Tone.WORKING and card.body:
        return card.body
    return "\n".join(card.as_lines())


class TerminalPort:
    """A ChatPort that prints one conversation to a text stream and saves its files.

    Messages for any other conversation are not this terminal's: they are logged and
    dropped, never printed into the conversation on screen.
    """

    max_message_chars = 100_000

    def __init__(
        self, out: TextIO, download_dir: Path, conversation: str, *, redraw: bool = False
    ) -> None:
        self._out = out
        self._download_dir = download_dir
        self.conversation = conversation
        self._ids = itertools.count(1)
        self._printed: dict[str, list[str]] = {}
        #: On a terminal (not a pipe), a one-line message edited while nothing else was
        #: printed is redrawn in place with `\r` (a render's progress bar).
        self._redraw = redraw
        #: The message printed last, and the one whose line is open (no newline yet).
        self._last: str | None = None
        self._open: str | None = None

    async def send(
        self,
        conversation: str,
        text: Text,
        *,
        actions: Sequence[Action] = (),
        language: Language = "en",
        ping_user: int | None = None,
        nonce: str | None = None,
    ) -> str:
        message_id = str(next(self._ids))
        if not self._mine(conversation):
            return message_id
        text = text_of(text)
        self._printed[message_id] = []
        self._print_new_lines(message_id, text)
        self._last = message_id
        return message_id

    async def edit(
        self,
        conversation: str,
        message_id: str,
        text: Text,
        *,
        actions: Sequence[Action] = (),
        language: Language = "en",
    ) -> None:
        if not self._mine(conversation):
            return
        text = text_of(text)
        lines = [line for line in text.splitlines() if line.strip()]
        if self._redraw and len(lines) == 1 and self._last == message_id:
            self._draw_open_line(message_id, lines[0])
            return
        self._print_new_lines(message_id, text)
        self._last = message_id

    async def send_files(
        self,
        conversation: str,
        files: Sequence[OutgoingFile],
        text: str,
        *,
        ping_user: int | None = None,
        nonce: str | None = None,  # one process prints once: nothing to deduplicate
    ) -> str:
        """Save each file into DOWNLOAD_DIR and print where (the poster beside the export)."""
        if not self._mine(conversation):
            return await self.send(conversation, text)
        self._download_dir.mkdir(parents=True, exist_ok=True)
        message_id = await self.send(conversation, text)
        for outgoing in files:
            target = self._download_dir / outgoing.path.name
            await asyncio.to_thread(shutil.copyfile, outgoing.path, target)
            self.say(saved_line(outgoing, target.resolve()))
        return message_id

    async def send_card(
        self,
        conversation: str,
        card: Card,
        *,
        files: Sequence[OutgoingFile] = (),
        language: Language = "en",
        ping_user: int | None = None,
        nonce: str | None = None,  # one process prints once: nothing to deduplicate
    ) -> str:
        """The card as lines (`Card.as_lines`), its files saved as `send_files` saves them."""
        text = _card_text(card)
        if files:
            return await self.send_files(conversation, files, text)
        return await self.send(conversation, text)

    async def edit_card(
        self, conversation: str, message_id: str, card: Card, *, language: Language = "en"
    ) -> None:
        await self.edit(conversation, message_id, _card_text(card))

    async def delete(self, conversation: str, message_id: str) -> None:
        """What is printed stays printed: a terminal is a log."""
        self._printed.pop(message_id, None)

    async def message_link(self, conversation: str, message_id: str) -> str:
        return ""

    async def upload_limit_bytes(self, conversation: str) -> int:
        return sys.maxsize

    async def save_timeline_picture(self, draft: Draft) -> Path:
        """Draw the timeline into DOWNLOAD_DIR (beside the exports) and print its path."""
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = self._download_dir / f"timeline-{stamp}.png"
        for n in itertools.count(2):  # two in one second keep both
            if not await asyncio.to_thread(path.exists):
                break
            path = self._download_dir / f"timeline-{stamp}-{n}.png"
        await asyncio.to_thread(write_timeline_png, draft, path)
        self.say(f"🖼️ Timeline picture saved to {path.resolve()}")
        return path

    def clock_since(self, epoch_seconds: float) -> str:
        return ""  # a terminal prints a log, not a message that updates itself

    def _mine(self, conversation: str) -> bool:
        if conversation == self.conversation:
            return True
        log.warning("not shown in %s: a message for %s", self.conversation, conversation)
        return False

    def _print_new_lines(self, message_id: str, text: str) -> None:
        """Print the lines of `text` that differ from what this message showed before."""
        old = self._printed.get(message_id, [])
        new = [line for line in text.splitlines() if line.strip()]
        same = 0
        for before, after in zip(old, new, strict=False):
            if before != after:
                break
            same += 1
        for line in new[same:]:
            self.say(line)
        self._printed[message_id] = new

    def say(self, line: str) -> None:
        """Print one line of nemobot's side of the conversation."""
        self.end_line()
        self._last = None
        plain = line.replace("**", "")  # no Markdown in a terminal
        self._out.write("".join(f"nemo> {part}\n" for part in plain.splitlines() or [""]))
        self._out.flush()

    def end_line(self) -> None:
        """End a line left open for redrawing, so that what comes next starts a new one."""
        if self._open is not None:
            self._open = None
            self._out.write("\n")
            self._out.flush()

    def _draw_open_line(self, message_id: str, line: str) -> None:
        """Draw `line` (again) on the open line: `\r` and clear it when it is this message's."""
        again = "\r\x1b[K" if self._open == message_id else ""
        self._out.write(f"{again}nemo> {line.replace('**', '')}")
        self._out.flush()
        self._open = message_id
        self._printed[message_id] = [line]


def saved_line(outgoing: OutgoingFile, target: Path) -> str:
    """The line saying where a posted file was saved: a video, or a picture (its alt text)."""
    if outgoing.path.suffix == ".mp4":
        return f"📁 Saved to {target}"
    return f"🖼️ {outgoing.description or 'Picture'} saved to {target}"


class LineEndingEcho:
    """The stream typed lines are echoed to: it first ends a progress line left open."""

    def __init__(self, port: TerminalPort, out: TextIO) -> None:
        self._port = port
        self._out = out

    def write(self, text: str) -> int:
        self._port.end_line()
        return self._out.write(text)

    def flush(self) -> None:
        self._out.flush()
