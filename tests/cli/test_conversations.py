"""`nemobot chat --conversation NAME`: each terminal session shows only its own conversation.

Real processes on one database and one emulator: an export is cut off by SIGKILL in
conversation `ro`; a later `--conversation ro2` must neither show nor save that render,
and the next `--conversation ro` finishes and saves it.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.emulator import RunningEmulator, run_emulator
from tests.emulator.helpers import fast_config

READY = "✅ Your video is ready!"


def chat_env(emulator: RunningEmulator, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "NEMO_API_URL": emulator.url,
        "DATABASE_PATH": str(tmp_path / "nemobot.sqlite3"),
        "DOWNLOAD_DIR": str(tmp_path / "exports"),
    }


async def chat(env: dict[str, str], cwd: Path, name: str, stdin: str) -> str:
    """One `nemobot chat --conversation name` run to the end of its input; its stdout."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "chat", "--conversation", name,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, cwd=cwd, env=env,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), 90)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def start_an_export_and_kill_it(env: dict[str, str], cwd: Path,
                                      emulator: RunningEmulator) -> str:
    """`export` in conversation `ro`, SIGKILL once NemoVideo has the render; the output so far."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "chat", "--conversation", "ro",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL, cwd=cwd, env=env,
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(b"generate a sunset over a mountain lake\nexport\n")
    await process.stdin.drain()
    seen = ""
    while "Rendering your video" not in seen:
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        assert line, f"chat ended before rendering: {seen}"
        seen += line.decode()
    for _ in range(600):  # the render row is stored before the submit reaches NemoVideo
        if emulator.state.renders:
            break
        await asyncio.sleep(0.05)
    assert emulator.state.renders, "the export never reached NemoVideo"
    process.kill()
    await process.wait()
    return seen


@pytest.mark.slow
async def test_a_render_cut_off_in_one_conversation_stays_out_of_another(
    tmp_path: Path,
) -> None:
    async with run_emulator(fast_config(render_seconds=2.0)) as emulator:
        env = chat_env(emulator, tmp_path)
        await start_an_export_and_kill_it(env, tmp_path, emulator)

        other = await chat(env, tmp_path, "ro2", "hello\n")
        assert READY not in other and "Saved to" not in other, other
        assert not list((tmp_path / "exports").glob("*.mp4")), "ro2 saved ro's render"

        again = await chat(env, tmp_path, "ro", "")
        assert READY in again, again
        [video] = list((tmp_path / "exports").glob("*.mp4"))
        assert str(video) in again
