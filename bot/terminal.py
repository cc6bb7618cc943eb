"""`nemobot chat`: the engine in a terminal, one line in and the streamed reply out.

`TerminalPort` implements the chat port on a text stream: an edit prints the lines that
changed, a delivered render is saved into DOWNLOAD_DIR with its path and link printed, and
"status" saves the timeline picture there too.
On a terminal, lines are typed into a line editor (`bot.terminal_input`); input may also
be piped, and at its end the work in flight (an export, say) is finished before the
command returns. /commands are the terminal's own: an unknown one is refused and never
becomes a (paid) turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import shlex
import shutil
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.core import Draft, NemoError, file_chunks
from bot.core.engine import Engine
from bot.core.intents import Intent, route
from bot.core.port import Action, Attachment, IncomingMessage, OutgoingFile
from bot.core.records import Language
from bot.core.recovery import Recovery, recovery_for
from bot.core.store import Store
from bot.core.timeline_picture import write_timeline_png
from bot.core.wording import Wording
from bot.runtime import open_services
from bot.settings import Settings
from bot.terminal_input import (
    EditorLines,
    LineSource,
    PlainLines,
    has_control_characters,
    prompt_output,
)
from bot.terminal_words import TerminalWords

if TYPE_CHECKING:
    from bot.emulator.config import EmulatorConfig

log = logging.getLogger(__name__)

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
        text: str,
        *,
        actions: Sequence[Action] = (),
        language: Language = "en",
        ping_user: int | None = None,
        nonce: str | None = None,
    ) -> str:
        message_id = str(next(self._ids))
        if not self._mine(conversation):
            return message_id
        self._printed[message_id] = []
        self._print_new_lines(message_id, text)
        self._last = message_id
        return message_id

    async def edit(
        self,
        conversation: str,
        message_id: str,
        text: str,
        *,
        actions: Sequence[Action] = (),
        language: Language = "en",
    ) -> None:
        if not self._mine(conversation):
            return
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
            self.say(_saved_line(outgoing, target.resolve()))
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


def file_attachment(path: Path) -> Attachment:
    """An Attachment that streams a local file (opened and read off the event loop)."""
    return Attachment(
        filename=path.name, size_bytes=path.stat().st_size, open=partial(file_chunks, path)
    )


def _offline_database(stack: contextlib.ExitStack | contextlib.AsyncExitStack) -> Path:
    """A throwaway database for an offline run, away from the real one and its credentials.

    The emulator forgets everything when the run ends, so a kept database would only hold
    sessions and renders that no longer exist ("your previous session expired").
    """
    folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="nemobot-offline-"))
    return Path(folder) / "nemobot-offline.sqlite3"


async def run_chat(
    settings: Settings,
    *,
    offline: bool,
    conversation: str = "default",
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Run the chat loop until /quit, Ctrl+C or end of input; returns the exit code."""
    stdin = stdin or sys.stdin
    interactive = stdin.isatty() and (stdout or sys.stdout).isatty()
    key = f"terminal:{conversation}"

    async with contextlib.AsyncExitStack() as stack:
        lines: LineSource
        if interactive:
            stack.enter_context(prompt_output())
            lines = EditorLines()
        out = stdout or sys.stdout  # under prompt_output: the stream that prints above the prompt
        # Above prompt_toolkit's prompt a line cannot be redrawn: plain lines there and in pipes.
        port = TerminalPort(
            out, settings.download_dir, key, redraw=not interactive and out.isatty()
        )
        if not interactive:
            lines = PlainLines(stdin, _LineEndingEcho(port, out))
        words = TerminalWords("en")
        api_url = settings.nemo_api_url
        database: Path | str = settings.database()
        if offline:
            from bot.emulator.server import run_emulator

            config = _offline_config()
            emulator = await stack.enter_async_context(run_emulator(config))
            api_url = emulator.url
            database = _offline_database(stack)
            port.say(words.offline(api_url, config.anonymous_credits, _real_free_credits()))
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
            if recovery_for(exc) is Recovery.LATER and not offline:  # unreachable
                port.say(words.cannot_reach(api_url))
            return 1
        words = TerminalWords(record.language)
        port.say(words.ready())
        session = _Session(engine, port, key, words)
        try:
            while (line := await lines.read_line()) is not None:
                if not await session.dispatch(line):
                    break
        except KeyboardInterrupt:  # Ctrl+C at the prompt: leave now, renders resume later
            if await _render_in_flight(services.store, key):
                port.say(words.left_in_flight(conversation))
            return 130
        if await _render_in_flight(services.store, key):
            port.say(words.waiting_for_export())
        await engine.drain()
        port.end_line()
        if engine.renders.undelivered:
            return 1  # an export it promised could not be saved (the chat said why)
    return 0


async def _render_in_flight(store: Store, key: str) -> bool:
    return any(render.conversation == key for render in await store.get_unfinished_renders())


#: Answers to "start over?" (after /reset); any other line keeps the session and goes on.
CONFIRM = frozenset({"yes", "y", "是", "确认"})
DECLINE = frozenset({"no", "n", "否", "不"})


class _Session:
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
        if command == "/status" or (not _is_command(command) and route(text) is Intent.STATUS):
            await self._status()
            return True
        if not _is_command(command):
            await self._engine.handle(IncomingMessage(self._key, 0, text))
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
            self._port.say(await self._engine.cancel(self._key, None))
        elif command == "/upload":
            await self._upload(rest.strip())
        else:
            self._port.say(self._words.unknown_command(word))
        return True

    async def _status(self) -> None:
        """The timeline in words, and its picture saved beside the exports."""
        reply = await self._engine.status_reply(self._key)
        self._port.say(reply.text)
        if reply.draft is not None:
            await self._port.save_timeline_picture(reply.draft)

    async def _reset(self, *, confirmed: bool) -> None:
        if not confirmed:
            self._reset_asked = True
            self._port.say(self._words.confirm_reset())
            return
        refused = await self._engine.reset(self._key, owner_id=None)
        if refused is not None:
            self._port.say(refused)

    async def _upload(self, rest: str) -> None:
        paths = await asyncio.to_thread(_upload_paths, rest)
        if paths is None:
            self._port.say(self._words.upload_usage())
            return
        missing = await asyncio.to_thread(lambda: [str(p) for p in paths if not p.is_file()])
        if missing:
            self._port.say(self._words.no_such_file(missing))
            return
        attachments = await asyncio.to_thread(lambda: [file_attachment(p) for p in paths])
        await self._engine.handle(IncomingMessage(self._key, 0, "", attachments))


def _is_command(word: str) -> bool:
    """`/word` is a command; `/home/me/clip.mp4 …` (a path, with a second slash) is text."""
    return word.startswith("/") and len(word) > 1 and "/" not in word[1:]


def _upload_paths(rest: str) -> list[Path] | None:
    """The paths after /upload, shell-style ('my clip.mp4', my\\ clip.mp4); None if unusable.

    An unquoted path with spaces is taken whole when it names a file.
    """
    try:
        words = shlex.split(rest)
    except ValueError:  # an unclosed quote
        return None
    if not words:
        return None
    paths = [Path(os.path.expanduser(word)) for word in words]
    whole = Path(os.path.expanduser(rest))
    if len(paths) > 1 and not all(path.is_file() for path in paths) and whole.is_file():
        return [whole]
    return paths


def _real_free_credits() -> int:
    """What a new anonymous NemoVideo account gets (the emulator's default mirrors it)."""
    from bot.emulator.config import EmulatorConfig

    return EmulatorConfig().anonymous_credits


def _offline_config() -> EmulatorConfig:
    """The emulator's pace for offline use; NEMOBOT_EMULATOR_* variables speed it up in tests."""
    from bot.emulator.config import EmulatorConfig

    scale = float(os.environ.get("NEMOBOT_EMULATOR_TURN_SCALE", "0.02"))
    render = float(os.environ.get("NEMOBOT_EMULATOR_RENDER_SECONDS", "3"))
    # A real anonymous token buys one generation; a trial should allow a few edits too.
    return EmulatorConfig(turn_scale=scale, render_seconds=render, anonymous_credits=1000)


def _saved_line(outgoing: OutgoingFile, target: Path) -> str:
    """The line saying where a posted file was saved: a video, or a picture (its alt text)."""
    if outgoing.path.suffix == ".mp4":
        return f"📁 Saved to {target}"
    return f"🖼️ {outgoing.description or 'Picture'} saved to {target}"


class _LineEndingEcho:
    """The stream typed lines are echoed to: it first ends a progress line left open."""

    def __init__(self, port: TerminalPort, out: TextIO) -> None:
        self._port = port
        self._out = out

    def write(self, text: str) -> int:
        self._port.end_line()
        return self._out.write(text)

    def flush(self) -> None:
        self._out.flush()
