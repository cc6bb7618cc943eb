"""Real bot processes for the multi-process tests: `run_bot` in a subprocess (tests/discord/
killable_bot.py) against the wire-level fake Discord and the NemoVideo emulator, both served
by the test's own process so they outlive a kill; plus what those tests read back.

Each process's log goes to a file in the test's folder (`log_tail` for failure messages).
`kill` is a SIGKILL (no clean-up at all), `pause`/`unpause` SIGSTOP and SIGCONT.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.emulator import RunningEmulator
from tests.discord.conftest import REGISTERED_TOKEN
from tests.discord.wire_helpers import THREAD_FROM_MESSAGE, button_custom_id
from tests.fakediscord import FakeDiscord

REPO = Path(__file__).resolve().parents[2]


class BotProcess:
    """One `run_bot` process; `env` adds to (or overrides) its settings."""

    def __init__(
        self,
        fake: FakeDiscord,
        emulator: RunningEmulator,
        folder: Path,
        *,
        name: str = "bot",
        env: dict[str, str] | None = None,
    ) -> None:
        self._fake = fake
        self._folder = folder
        self.name = name
        self._env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "DISCORD_TOKEN": fake.token,
            "DISCORD_API_BASE_URL": fake.api_base,
            "DISCORD_GATEWAY_URL": fake.gateway_url,
            "NEMO_API_URL": emulator.url,
            "NEMO_TOKEN": REGISTERED_TOKEN,
            "DATABASE_PATH": str(folder / "nemobot.sqlite3"),
            **(env or {}),
        }
        self.starts = 0
        self._process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def _connections(self) -> int:
        return sum(
            1 for f in self._fake.gateway_frames if f.direction == "out" and f.t == "GUILD_CREATE"
        )

    async def start(self) -> None:
        """Start it; returns once its guild has arrived over the gateway."""
        self.starts += 1
        before = self._connections()
        log = open(self._log_path(), "wb")  # noqa: SIM115
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.discord.killable_bot",
            cwd=self._folder,
            env=self._env,
            stdout=log,
            stderr=log,
        )
        log.close()
        await self._fake.wait_for(lambda: self._connections() > before or self._process_ended(), 60)
        assert not self._process_ended(), self.log_tail()

    def _log_path(self) -> Path:
        return self._folder / f"{self.name}-{self.starts}.log"

    def _process_ended(self) -> bool:
        return self._process is not None and self._process.returncode is not None

    async def kill(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        await self._process.wait()

    def pause(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def unpause(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)

    async def stop(self) -> int:
        """SIGTERM (a clean stop); its exit code. A process already gone gives its own."""
        assert self._process is not None
        if self._process.returncode is None:
            self._process.send_signal(signal.SIGCONT)  # a paused process could not stop
            self._process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self._process.wait(), 30)

    def log_text(self) -> str:
        return self._log_path().read_text(errors="replace")

    def log_tail(self) -> str:
        return f"--- {self.name} log ---\n{self.log_text()[-3000:]}"


def bot_messages(fake: FakeDiscord, thread_id: int) -> list[dict[str, Any]]:
    bot_id = str(fake.bot_user.id)
    return [m for m in fake.messages_in(thread_id) if m["author"]["id"] == bot_id]


def videos_in(fake: FakeDiscord, thread_id: int) -> int:
    return sum(
        1
        for m in bot_messages(fake, thread_id)
        if any(a["filename"].endswith(".mp4") for a in m.get("attachments") or [])
    )


def delivered(fake: FakeDiscord, threads: list[int]) -> Callable[[], bool]:
    return lambda: all(videos_in(fake, t) >= 1 for t in threads)


async def open_thread(fake: FakeDiscord, prompt: str) -> int:
    """Alice runs /video; returns the new thread once its reply offers Export MP4."""
    opened = len(fake.find_requests("POST", THREAD_FROM_MESSAGE, status=201))
    await fake.invoke_slash("video", {"prompt": prompt})
    created = await fake.wait_for(
        lambda: fake.find_requests("POST", THREAD_FROM_MESSAGE, status=201)[opened:], 30
    )
    thread_id = int(created[0].response["id"])
    await fake.wait_for(
        lambda: any(button_custom_id(m, "Export MP4") for m in bot_messages(fake, thread_id)),
        30,
    )
    return thread_id


async def open_threads(fake: FakeDiscord, count: int) -> list[int]:
    """`count` session threads, each ready to export."""
    return [await open_thread(fake, f"a 10-second sunset clip number {n}") for n in range(count)]
