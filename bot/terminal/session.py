"""`TerminalSession`: carries out the user's lines in a terminal conversation."""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path

from bot.core import file_chunks
from bot.core.engine import Engine
from bot.core.intents import Intent, route
from bot.core.port import Attachment, IncomingMessage
from bot.terminal.commands import CONFIRM, DECLINE, is_command, upload_paths
from bot.terminal.input import has_control_characters
from bot.terminal.port import TerminalPort
from bot.terminal.words import TerminalWords

__all__ = ["TERMINAL_USER", "TerminalSession", "file_attachment"]

#: The author of every line typed here: the one person at this terminal.
TERMINAL_USER = 0


class TerminalSession:
    """Carries out the user's lines: a /command of the terminal's, or text for the engine."""

    def __init__(
        self, engine: Engine, port: TerminalPort, key: str, words: TerminalWords
    ) -> None:
        self._engine = engine
        self._port = port
        self._key = key
        self._words = words
        self._reset_asked = False

    async def dispatch(self, line: str) -> bool:
        """Carry out one line; False when the user asked to leave."""
        text = line.strip()
        if not text:
            return True
        if has_control_characters(text):
            self._port.say(self._words.control_characters())
            return True
        word, _, rest = text.partition(" ")
        command = word.casefold()
        if self._reset_asked:
            self._reset_asked = False
            answer = text.casefold()
            if command == "/reset" or answer in CONFIRM:
                await self._reset(confirmed=True)
                return True
            self._port.say(self._words.reset_kept())
            if answer in DECLINE:
                return True
        if command == "/status" or (not is_command(command) and route(text) is Intent.STATUS):
            await self._status()
            return True
        if not is_command(command):
            await self._engine.handle(IncomingMessage(self._key, TERMINAL_USER, text))
            return True
        if command in ("/quit", "/exit"):
            return False
        if command == "/reset":
            await self._reset(confirmed=False)
        elif command == "/help":
            self._port.say(self._words.help())
        elif command == "/credits":
            self._port.say(await self._engine.credits_text(self._key))
        elif command == "/export":
            await self._engine.export(self._key, None)
        elif command == "/cancel":
            self._port.say(await self._engine.cancel(self._key, TERMINAL_USER))
        elif command == "/upload":
            await self._upload(rest.strip())
        elif command == "/versions":
            await self._versions(rest.strip())
        else:
            self._port.say(self._words.unknown_command(word))
        return True

    def is_quit(self, line: str) -> bool:
        """`/quit` or `/exit` (outside the question after /reset, which takes any answer)."""
        return not self._reset_asked and line.strip().casefold() in ("/quit", "/exit")

    def is_cancel(self, line: str) -> bool:
        """`/cancel`, or words that mean it ("cancel", "取消"): `cancel` carries them out."""
        text = line.strip()
        if self._reset_asked or has_control_characters(text):
            return False
        command = text.partition(" ")[0].casefold()
        if is_command(command):
            return command == "/cancel"
        return route(text) is Intent.CANCEL

    async def cancel(self, dropped: list[str]) -> None:
        """Stop what runs (`Engine.cancel`); `dropped`, the lines that were waiting their
        turn, are named: none of them reached NemoVideo."""
        wording = await self._engine.wording_for(self._key)
        for line in dropped:
            self._port.say(wording.message_dropped(line))
        answer = await self._engine.cancel(self._key, TERMINAL_USER)
        if dropped:
            counted = wording.cancel_dropped(len(dropped))
            answer = counted if answer == wording.cancel_nothing() else f"{answer} {counted}"
        self._port.say(answer)

    async def tell_waiting(self) -> None:
        """A line typed while another is carried out: it is next."""
        self._port.say((await self._engine.wording_for(self._key)).wait_your_turn())

    async def _status(self) -> None:
        """The timeline in words, and its picture saved beside the exports."""
        reply = await self._engine.status_reply(self._key)
        self._port.say(reply.text)
        if reply.draft is not None:
            await self._port.save_timeline_picture(reply.draft)

    async def _versions(self, rest: str) -> None:
        """The exports of this conversation, or (`/versions N`) version N saved again."""
        if not rest:
            card = await self._engine.versions_card(self._key)
            for line in card.as_lines():
                self._port.say(line)
            return
        render_id = await self._engine.version_id(self._key, int(rest)) if rest.isdigit() else None
        if render_id is None:
            self._port.say(self._words.versions_usage())
            return
        said = await self._engine.post_again(self._key, render_id)
        if said is not None:
            self._port.say(said)

    async def _reset(self, *, confirmed: bool) -> None:
        if not confirmed:
            self._reset_asked = True
            self._port.say(self._words.confirm_reset())
            return
        refused = await self._engine.reset(self._key, owner_id=None)
        if refused is not None:
            self._port.say(refused)

    async def _upload(self, rest: str) -> None:
        paths = await asyncio.to_thread(upload_paths, rest)
        if paths is None:
            self._port.say(self._words.upload_usage())
            return
        missing = await asyncio.to_thread(lambda: [str(p) for p in paths if not p.is_file()])
        if missing:
            self._port.say(self._words.no_such_file(missing))
            return
        attachments = await asyncio.to_thread(lambda: [file_attachment(p) for p in paths])
        await self._engine.handle(IncomingMessage(self._key, TERMINAL_USER, "", attachments))


def file_attachment(path: Path) -> Attachment:
    """An Attachment that streams a local file (opened and read off the event loop)."""
    return Attachment(
        filename=path.name, size_bytes=path.stat().st_size, open=partial(file_chunks, path)
    )
