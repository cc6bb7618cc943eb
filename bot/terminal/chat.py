"""`run_chat`: the `nemobot chat` command, from wiring to the last export saved."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TextIO

from bot.core import NemoError
from bot.core.recovery import Recovery, recovery_for
from bot.core.store import Store
from bot.core.wording import Wording
from bot.runtime import open_services
from bot.settings import Settings
from bot.terminal.input import EditorLines, LineSource, PlainLines, prompt_output
from bot.terminal.line_queue import run_lines, run_typed_lines
from bot.terminal.live_line import BottomLine, LiveLine, PromptLine
from bot.terminal.offline import offline_config, offline_database, real_free_credits
from bot.terminal.port import PortEcho, TerminalPort
from bot.terminal.session import TerminalSession
from bot.terminal.words import TerminalWords

__all__ = ["run_chat"]


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
        live: LiveLine | None = None
        if interactive:
            stack.enter_context(prompt_output())
            live = PromptLine()  # a render's progress: the line above the prompt
            lines = EditorLines(live)
        out = stdout or sys.stdout  # under prompt_output: the stream that prints above the prompt
        if not interactive and out.isatty():
            live = BottomLine(out)  # drawn below what is printed
        port = TerminalPort(out, settings.download_dir, key, live=live)
        if not interactive:
            lines = PlainLines(stdin, PortEcho(port))
        words = TerminalWords("en")
        api_url = settings.nemo_api_url
        database: Path | str = settings.database()
        if offline:
            from bot.emulator.server import run_emulator

            config = offline_config()
            emulator = await stack.enter_async_context(run_emulator(config))
            api_url = emulator.url
            database = offline_database(stack)
            port.say(words.offline(api_url, config.anonymous_credits, real_free_credits()))
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
        session = TerminalSession(engine, port, key, words)
        try:
            await (run_typed_lines if interactive else run_lines)(lines, session)
        except KeyboardInterrupt:  # Ctrl+C at the prompt: leave now, renders resume later
            if await _render_in_flight(services.store, key):
                port.say(words.left_in_flight(conversation))
            port.close()
            return 130
        if await _render_in_flight(services.store, key):
            port.say(words.waiting_for_export())
        await engine.drain()
        port.close()
        if engine.renders.undelivered:
            return 1  # an export it promised could not be saved (the chat said why)
    return 0


async def _render_in_flight(store: Store, key: str) -> bool:
    return any(render.conversation == key for render in await store.get_unfinished_renders())
