"""`nemobot chat` on a real terminal: the process runs in a tmux pane and gets real keys.

tmux gives it a pty, so it sees a TTY as a user's shell would and uses its line editor.
Every wait below is for text to appear on the screen (bounded), never a timed assertion.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.emulator import RunningEmulator, run_emulator
from tests.emulator.helpers import fast_config

PANE = "chat"


class Pane:
    """One tmux server of our own (its own socket) with the chat in its only pane."""

    def __init__(self, socket: Path, config: Path) -> None:
        self._base = ["tmux", "-S", str(socket), "-f", str(config)]
        #: The shell in the pane writes the command's exit status here when it ends.
        self._status = config.with_name("exit-status")

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            [*self._base, *args], capture_output=True, text=True, timeout=30, check=True
        )
        return done.stdout

    def start(self, command: str, env: dict[str, str]) -> None:
        """Start the tmux server with `command` in a 200×50 pane (tmux takes the env)."""
        self._status.unlink(missing_ok=True)
        shell = f"{command}; echo $? > {self._status}"
        subprocess.run(
            [*self._base, "new-session", "-d", "-s", PANE, "-x", "200", "-y", "50", shell],
            env=env, timeout=30, check=True,
        )

    def stop(self) -> None:
        subprocess.run([*self._base, "kill-server"], capture_output=True, timeout=30,
                       check=False)

    def keys(self, *keys: str) -> None:
        """tmux key names: "Left", "Enter", "C-c"."""
        self.tmux("send-keys", "-t", PANE, *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", PANE, "-l", text)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-J", "-S", "-500", "-t", PANE)

    async def wait_for(self, text: str, count: int = 1) -> str:
        """The screen once `text` is on it `count` times (bounded: fails after 60 s).

        It waits on the event loop, which serves the emulator the chat talks to.
        """
        deadline = time.monotonic() + 60
        while (screen := self.screen()).count(text) < count:
            assert time.monotonic() < deadline, f"never saw {text!r} on:\n{screen}"
            await asyncio.sleep(0.05)
        return screen

    def exit_status(self) -> int | None:
        """The command's exit status once it has ended, else None."""
        try:
            return int(self._status.read_text())
        except (FileNotFoundError, ValueError):  # not ended, or being written
            return None


@pytest.fixture
async def emulator() -> AsyncIterator[RunningEmulator]:
    async with run_emulator(fast_config(echo_chat=True)) as running:
        yield running


@pytest.fixture
async def pane(emulator: RunningEmulator, tmp_path: Path) -> AsyncIterator[Pane]:
    assert shutil.which("tmux"), "these tests drive the terminal through tmux: install it"
    config = tmp_path / "tmux.conf"
    config.write_text("set -g remain-on-exit on\nset -g history-limit 5000\n")
    # A short socket path: AF_UNIX paths are limited to about 100 bytes.
    socket = Path("/tmp") / f"nemobot-tmux-{os.getpid()}-{id(tmp_path)}"
    pane = Pane(socket, config)
    env = {
        **os.environ,
        "NEMO_API_URL": emulator.url,
        "DATABASE_PATH": str(tmp_path / "nemobot.sqlite3"),
        "DOWNLOAD_DIR": str(tmp_path / "exports"),
        "TERM": "xterm-256color",
    }
    env.pop("TMUX", None)
    command = f"cd {tmp_path} && {sys.executable} -m bot chat"
    pane.start(command, env)
    try:
        await pane.wait_for("✅ Ready!")
        await pane.wait_for("you>")
        yield pane
    finally:
        pane.stop()
        socket.unlink(missing_ok=True)


async def ask(pane: Pane, line: str, answer: str) -> str:
    pane.type(line)
    pane.keys("Enter")
    return await pane.wait_for(answer)


@pytest.mark.slow
async def test_arrow_keys_edit_the_line_before_it_is_sent(
    pane: Pane, emulator: RunningEmulator
) -> None:
    pane.type("tell me a jke")
    pane.keys("Left", "Left")
    pane.type("o")
    pane.keys("Enter")

    screen = await pane.wait_for("You said: tell me a joke")
    assert "[D" not in screen
    assert emulator.state.counters.turns == 1


@pytest.mark.slow
async def test_up_arrow_brings_back_the_last_line(pane: Pane, emulator: RunningEmulator) -> None:
    await ask(pane, "tell me a story", "You said: tell me a story")
    pane.keys("Up", "Enter")

    await pane.wait_for("You said: tell me a story", count=2)
    assert emulator.state.counters.turns == 2


@pytest.mark.slow
async def test_ctrl_c_at_the_prompt_leaves_at_once_and_sends_nothing(
    pane: Pane, emulator: RunningEmulator
) -> None:
    pane.type("half a thought")
    pane.keys("C-c")

    deadline = time.monotonic() + 60
    while (status := pane.exit_status()) is None:
        assert time.monotonic() < deadline, pane.screen()
        await asyncio.sleep(0.05)
    assert status == 130
    assert emulator.state.counters.turns == 0


@pytest.mark.slow
async def test_upload_takes_a_path_with_spaces_quoted_or_escaped(
    pane: Pane, emulator: RunningEmulator, tmp_path: Path
) -> None:
    folder = tmp_path / "my clips"
    folder.mkdir()
    (folder / "golden hour.mp4").write_bytes(b"\x00" * 4096)

    await ask(pane, f'/upload "{folder}/golden hour.mp4"', "📎 Uploaded golden hour.mp4")
    escaped = str(folder / "golden hour.mp4").replace(" ", "\\ ")
    await ask(pane, f"/upload {escaped}", "📎 Uploaded golden hour.mp4")
    await pane.wait_for("📎 Uploaded golden hour.mp4", count=2)

    assert emulator.state.counters.uploads == 2
    assert emulator.state.counters.turns == 0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("line", "answer"),
    [
        ("/frobnicate", "Unknown command /frobnicate — nothing was sent to NemoVideo"),
        ("/exprot now", "Unknown command /exprot — nothing was sent to NemoVideo"),
        ("/reset", "Type yes (or /reset again) to confirm"),
    ],
)
async def test_an_unknown_or_unconfirmed_command_costs_nothing(
    pane: Pane, emulator: RunningEmulator, line: str, answer: str
) -> None:
    before = emulator.state.counters.sessions

    await ask(pane, line, answer)

    assert emulator.state.counters.turns == 0
    assert emulator.state.counters.sessions == before, "no session was thrown away"


@pytest.mark.slow
async def test_help_speaks_of_the_terminal(pane: Pane) -> None:
    screen = await ask(pane, "/help", "NemoVideo studio in your terminal")

    assert "/upload PATH" in screen
    assert "Attach" not in screen and "attach" not in screen


@pytest.mark.slow
async def test_ctrl_c_leaves_at_once_when_the_output_is_piped(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """stdin a terminal, stdout a pipe (`nemobot chat | tee log`): the plain reader."""
    config = tmp_path / "tmux.conf"
    config.write_text("set -g remain-on-exit on\n")
    socket = Path("/tmp") / f"nemobot-tmux-{os.getpid()}-{id(tmp_path)}-piped"
    pane = Pane(socket, config)
    log = tmp_path / "chat.log"
    env = {**os.environ, "NEMO_API_URL": emulator.url,
           "DATABASE_PATH": str(tmp_path / "nemobot.sqlite3"), "TERM": "xterm-256color"}
    env.pop("TMUX", None)
    pane.start(f"cd {tmp_path} && {sys.executable} -m bot chat | tee {log}", env)
    try:
        await pane.wait_for("✅ Ready!")
        pane.type("half a thought")
        pane.keys("C-c")
        deadline = time.monotonic() + 60
        while pane.exit_status() is None:
            assert time.monotonic() < deadline, pane.screen()
            await asyncio.sleep(0.05)
    finally:
        pane.stop()
        socket.unlink(missing_ok=True)
    assert emulator.state.counters.turns == 0
