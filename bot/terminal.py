"""`nemobot chat`: the engine in a terminal, one line in and the streamed reply out.

`TerminalPort` implements the chat port on a text stream: an edit prints the lines that
changed, a delivered render is saved into DOWNLOAD_DIR with its path and link printed, and
"status" saves the timeline picture there too.
Input may be piped; at its end the work in flight (an export, say) is finished before
the command returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import shutil
import sys
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.core.engine import Engine
from bot.core.intents import Intent, route
from bot.core.port import Action, Attachment, IncomingMessage
from bot.core.timeline_picture import write_timeline_png
from bot.core.wording import Wording
from bot.nemo.draft import Draft
from bot.nemo.errors import NemoError
from bot.nemo.multipart import file_chunks
from bot.runtime import open_services
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.emulator.config import EmulatorConfig

log = logging.getLogger(__name__)

PROMPT = "you> "


class TerminalPort:
    """A ChatPort that prints one conversation to a text stream and saves its files.

    Messages for any other conversation are not this terminal's: they are logged and
    dropped, never printed into the conversation on screen.
    """

    max_message_chars = 100_000

    def __init__(self, out: TextIO, download_dir: Path, conversation: str) -> None:
        self._out = out
        self._download_dir = download_dir
        self.conversation = conversation
        #: A "you> " prompt is on screen waiting for input (interactive terminals only).
        self.prompting = False
        self._ids = itertools.count(1)
        self._printed: dict[str, list[str]] = {}

    async def send(
        self,
        conversation: str,
        text: str,
        *,
        actions: Sequence[Action] = (),
        ping_user: int | None = None,
    ) -> str:
        message_id = str(next(self._ids))
        if not self._mine(conversation):
            return message_id
        self._printed[message_id] = []
        self._print_new_lines(message_id, text)
        return message_id

    async def edit(
        self, conversation: str, message_id: str, text: str, *, actions: Sequence[Action] = ()
    ) -> None:
        if self._mine(conversation):
            self._print_new_lines(message_id, text)

    async def send_file(
        self, conversation: str, path: Path, text: str, *, ping_user: int | None = None
    ) -> str:
        if not self._mine(conversation):
            return await self.send(conversation, text)
        self._download_dir.mkdir(parents=True, exist_ok=True)
        target = self._download_dir / path.name
        await asyncio.to_thread(shutil.copyfile, path, target)
        message_id = await self.send(conversation, text)
        self.say(f"📁 Saved to {target.resolve()}")
        return message_id

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
        text = f"nemo> {line.replace('**', '')}\n"  # no Markdown in a terminal
        if self.prompting:  # e.g. a render finished while the user is typing
            text = f"\r\x1b[K{text}{PROMPT}"
        self._out.write(text)
        self._out.flush()

    def prompt(self) -> None:
        """Show the input prompt (interactive terminals)."""
        self._out.write(PROMPT)
        self._out.flush()
        self.prompting = True


def file_attachment(path: Path) -> Attachment:
    """An Attachment that streams a local file (opened and read off the event loop)."""
    return Attachment(
        filename=path.name, size_bytes=path.stat().st_size, open=partial(file_chunks, path)
    )


async def _lines(stream: TextIO, port: TerminalPort, interactive: bool) -> AsyncIterator[str]:
    """Lines from stdin without blocking the event loop (works for pipes and TTYs)."""
    while True:
        if interactive:
            port.prompt()
        line = await asyncio.to_thread(stream.readline)
        port.prompting = False
        if not line:
            return
        yield line.rstrip("\r\n")


def _offline_database(settings: Settings) -> Path:
    """Offline sessions live in their own database, away from real credentials."""
    path = settings.database_path
    return path.with_name(f"{path.stem}-offline{path.suffix or '.sqlite3'}")


async def run_chat(
    settings: Settings,
    *,
    offline: bool,
    conversation: str = "default",
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Run the chat loop until /quit or end of input; returns the exit code."""
    stdin = stdin or sys.stdin
    out = stdout or sys.stdout
    key = f"terminal:{conversation}"
    port = TerminalPort(out, settings.download_dir, key)
    interactive = stdin.isatty()

    async with contextlib.AsyncExitStack() as stack:
        api_url = settings.nemo_api_url
        database = settings.database_path
        if offline:
            from bot.emulator.server import run_emulator

            emulator = await stack.enter_async_context(run_emulator(_offline_config()))
            api_url = emulator.url
            database = _offline_database(settings)
            port.say(f"Offline mode: using the built-in NemoVideo emulator at {api_url}")
        services = await stack.enter_async_context(
            open_services(
                settings, port, api_url=api_url, database_path=database, operator_reads_chat=True
            )
        )
        engine = services.engine
        wording = Wording("en")
        port.say(wording.connecting())
        await engine.resume(key)  # only this conversation's renders and turns
        try:
            record = await engine.ensure_conversation(key, owner_id=None)
        except NemoError as exc:
            port.say(await engine.explain(exc, wording))
            return 1
        wording = Wording(record.language)
        port.say(wording.ready())

        async for line in _lines(stdin, port, interactive):
            text = line.strip()
            if not text:
                continue
            if not interactive:
                out.write(f"{PROMPT}{text}\n")
            if text in ("/quit", "/exit"):
                break
            await _dispatch(engine, port, key, text, wording)
        await engine.drain()
    return 0


async def _dispatch(
    engine: Engine, port: TerminalPort, key: str, text: str, wording: Wording
) -> None:
    """Carry out one input line: a /command, or free text routed like a chat message."""
    command, _, rest = text.partition(" ")
    if command == "/help":
        port.say(wording.help())
    elif command == "/credits":
        port.say(await engine.credits_text(key))
    elif command == "/status" or route(text) is Intent.STATUS:
        reply = await engine.status_reply(key)
        port.say(reply.text)
        if reply.draft is not None:
            await port.save_timeline_picture(reply.draft)
    elif command == "/export":
        await engine.export(key, None)
    elif command == "/upload":
        paths = [Path(os.path.expanduser(p)) for p in rest.split()]  # noqa: ASYNC240 (no I/O)
        found = await asyncio.to_thread(lambda: [p.is_file() for p in paths])
        missing = [str(p) for p, ok in zip(paths, found, strict=True) if not ok]
        if not paths or missing:
            port.say(f"No such file: {', '.join(missing)}" if missing else "Usage: /upload PATH")
            return
        attachments = await asyncio.to_thread(lambda: [file_attachment(p) for p in paths])
        await engine.handle(IncomingMessage(key, 0, "", attachments))
    else:
        await engine.handle(IncomingMessage(key, 0, text))


def _offline_config() -> EmulatorConfig:
    """The emulator's pace for offline use; NEMOBOT_EMULATOR_* variables speed it up in tests."""
    from bot.emulator.config import EmulatorConfig

    scale = float(os.environ.get("NEMOBOT_EMULATOR_TURN_SCALE", "0.02"))
    render = float(os.environ.get("NEMOBOT_EMULATOR_RENDER_SECONDS", "3"))
    # A real anonymous token buys one generation; a trial should allow a few edits too.
    return EmulatorConfig(turn_scale=scale, render_seconds=render, anonymous_credits=1000)
