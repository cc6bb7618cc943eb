"""`TerminalPort`: the chat port on a text stream, and the files it saves.

A message is printed line by line, an edit prints the lines that changed. A render's
status line (its stage and progress bar) is the exception: on a terminal it is the live
line (`bot.terminal.live_line`), redrawn in place, and in a pipe each change is a line.
The status's last word once the work is over (a render's status deleted once the video is
saved, or "⏹️ Render cancelled…") is not printed: what the work came to is printed by
itself (the saved video, the answer to /cancel), and after it the last word would only be
noise.
"""

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
from bot.core.progress import is_status_line
from bot.core.records import Language
from bot.core.timeline_picture import write_timeline_png
from bot.terminal.live_line import LiveLine

__all__ = ["PortEcho", "TerminalPort"]

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
        self, out: TextIO, download_dir: Path, conversation: str, *, live: LiveLine | None = None
    ) -> None:
        """`live`: where status lines are drawn on a terminal (None: a pipe, printed)."""
        self._out = out
        self._download_dir = download_dir
        self.conversation = conversation
        self._ids = itertools.count(1)
        self._printed: dict[str, list[str]] = {}
        self._live = live
        #: Messages that have shown a status line, and the one on the live line now.
        self._statuses: set[str] = set()
        self._on_live: str | None = None

    async def send(
        self,
        conversation: str,
        text: Text,
        *,
        actions: Sequence[Action] = (),
        language: Language = "en",
        ping_user: int | None = None,
        nonce: str | None = None,
        continued: bool = False,
    ) -> str:
        message_id = str(next(self._ids))
        if not self._mine(conversation):
            return message_id
        text = text_of(text)
        self._printed[message_id] = []
        self._show(message_id, text)
        return message_id

    async def edit(
        self,
        conversation: str,
        message_id: str,
        text: Text,
        *,
        actions: Sequence[Action] = (),
        language: Language = "en",
        continued: bool = False,
    ) -> None:
        if not self._mine(conversation):
            return
        self._show(message_id, text_of(text))

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
        """What is printed stays printed: a terminal is a log; a live line goes."""
        self._printed.pop(message_id, None)
        if self._live is not None and self._on_live == message_id:
            self._on_live = None
            self._live.show(None)

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

    def _show(self, message_id: str, text: str) -> None:
        """Show what `message_id` says now (see the module for status lines)."""
        if is_status_line(text):
            self._statuses.add(message_id)
            if self._live is None:
                self._print_new_lines(message_id, text)
                return
            self._on_live = message_id
            self._printed[message_id] = [text.strip()]
            self._live.show(_plain(f"nemo> {text.strip()}"))
            return
        if message_id in self._statuses:  # its last word: the work is over
            if self._live is not None and self._on_live == message_id:
                self._on_live = None
                self._live.show(None)
            return
        self._print_new_lines(message_id, text)

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
        self.write("".join(f"nemo> {part}\n" for part in _plain(line).splitlines() or [""]))

    def write(self, text: str) -> None:
        """Print `text` (whole lines), above the live line if there is one."""
        if self._live is not None:
            self._live.before_output()
        self._out.write(text)
        if self._live is not None:
            self._live.after_output()
        self._out.flush()

    def close(self) -> None:
        """The chat ends: a live line still shown stays, on a line of its own."""
        if self._live is not None:
            self._live.close()


def saved_line(outgoing: OutgoingFile, target: Path) -> str:
    """The line saying where a posted file was saved: a video, or a picture (its alt text)."""
    if outgoing.path.suffix == ".mp4":
        return f"📁 Saved to {target}"
    return f"🖼️ {outgoing.description or 'Picture'} saved to {target}"


def _plain(text: str) -> str:
    return text.replace("**", "")  # no Markdown in a terminal


class PortEcho:
    """The stream typed lines are echoed to: the port's, above its live line."""

    def __init__(self, port: TerminalPort) -> None:
        self._port = port

    def write(self, text: str) -> int:
        self._port.write(text)
        return len(text)

    def flush(self) -> None:
        return None  # `TerminalPort.write` flushed
