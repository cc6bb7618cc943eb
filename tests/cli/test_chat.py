"""`nemobot chat` as a user runs it: a real process, piped input, files on disk."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bot.emulator import run_emulator
from tests.engine.conftest import fast_config

SCRIPT = """\
generate a 10-second sunset timelapse over a mountain lake with background music
/upload {clip}
add a title Golden Hour
status
credits
积分
export
"""


def run_chat(cwd: Path, stdin: str, *args: str, env: dict[str, str] | None = None) -> str:
    environment = {
        **os.environ,
        "NEMOBOT_EMULATOR_TURN_SCALE": "0",
        "NEMOBOT_EMULATOR_RENDER_SECONDS": "0.3",
        **(env or {}),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow
def test_offline_chat_script_ends_with_an_mp4_on_disk(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00" * 4096)

    out = run_chat(tmp_path, SCRIPT.format(clip=clip), "--offline")

    assert "Offline mode" in out
    assert "Golden Hour" in out, "the title edit shows in the status"
    assert "Timeline (" in out
    assert "📎 Uploaded clip.mp4." in out, "the upload went through"
    assert out.count(" credits left.") == 2, "credits and 积分 both show the balance"
    [video] = list((tmp_path / "exports").glob("*.mp4"))
    assert video.read_bytes()[4:8] == b"ftyp"
    assert str(video) in out
    assert "http://127.0.0.1:" in out, "the link is printed with the path"
    [poster] = list((tmp_path / "exports").glob("*.poster.jpg"))
    assert poster.read_bytes()[:3] == b"\xff\xd8\xff", "the poster frame is a JPEG"
    assert f"🖼️ Poster frame of your video saved to {poster}" in out


@pytest.mark.slow
async def test_a_second_run_reuses_the_stored_anonymous_token(tmp_path: Path) -> None:
    async with run_emulator(fast_config()) as emulator:
        env = {"NEMO_API_URL": emulator.url, "DATABASE_PATH": str(tmp_path / "db.sqlite3")}
        import asyncio

        first = await asyncio.to_thread(run_chat, tmp_path, "hello\n", env=env)
        second = await asyncio.to_thread(run_chat, tmp_path, "credits\n", env=env)

        assert first and "💳" in second
        assert emulator.state.counters.token_requests == 1
        async with httpx.AsyncClient(base_url=emulator.url) as http:
            stats = (await http.get("/_emulator/stats")).json()
        assert stats["token_requests"] == 1


async def test_chat_keeps_its_memory_in_the_database_database_url_names(
    tmp_path: Path, database_url: str
) -> None:
    unused = tmp_path / "from-database-path.sqlite3"
    async with run_emulator(fast_config()) as emulator:
        env = {"NEMO_API_URL": emulator.url, "DATABASE_URL": database_url,
               "DATABASE_PATH": str(unused)}
        import asyncio

        await asyncio.to_thread(run_chat, tmp_path, "credits\n", env=env)
        second = await asyncio.to_thread(run_chat, tmp_path, "credits\n", env=env)

        assert "💳" in second
        assert emulator.state.counters.token_requests == 1, "the token was kept there"
    assert not unused.exists(), "DATABASE_URL wins over DATABASE_PATH"


def test_run_without_a_discord_token_points_at_the_offline_chat(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"},
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "DISCORD_TOKEN" in done.stderr and "nemobot chat --offline" in done.stderr


@pytest.mark.parametrize(
    "command",
    [[], ["chat"], ["run"], ["emulator"], ["doctor"], ["invite"], ["db"], ["db", "copy"]],
)
def test_every_command_has_help(command: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", *command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert f"usage: nemobot {' '.join(command)}".rstrip() in done.stdout


@pytest.mark.slow
async def test_piped_unknown_commands_and_control_codes_cost_nothing(tmp_path: Path) -> None:
    async with run_emulator(fast_config()) as emulator:
        env = {"NEMO_API_URL": emulator.url, "DATABASE_PATH": str(tmp_path / "db.sqlite3")}
        import asyncio

        out = await asyncio.to_thread(
            run_chat, tmp_path, "/frobnicate\n/reset\nno\nhel\x1b[Dlo\n/help\n", env=env
        )

        assert "Unknown command /frobnicate — nothing was sent to NemoVideo" in out
        assert "The session is kept." in out
        assert "terminal control codes" in out
        assert "/upload PATH" in out and "attach" not in out.casefold()
        assert emulator.state.counters.turns == 0
        assert emulator.state.counters.sessions == 1, "/reset was not confirmed"


def test_offline_mode_says_its_credits_are_practice_ones(tmp_path: Path) -> None:
    out = run_chat(tmp_path, "/credits\n", "--offline")

    assert "practice account starts with 1000 credits" in out
    assert "(a real free NemoVideo account has 100)" in out
    assert "💳 1000 credits left." in out


def test_chat_without_network_points_at_offline_and_doctor(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input="hello\n", capture_output=True, text=True, cwd=tmp_path, timeout=90,
        env={**os.environ, "NEMO_API_URL": url, "DATABASE_PATH": str(tmp_path / "db.sqlite3")},
        check=False,
    )

    assert done.returncode == 1
    assert f"could not reach NemoVideo at {url}" in done.stdout
    assert "nemobot doctor" in done.stdout and "nemobot chat --offline" in done.stdout


@pytest.mark.slow
def test_a_second_offline_run_starts_clean(tmp_path: Path) -> None:
    run_chat(tmp_path, "hello\n", "--offline")
    again = run_chat(tmp_path, "hello\n", "--offline")

    assert "session expired" not in again, "the emulator of the first run is gone, not expired"
    assert "nothing is kept after you leave" in again
    assert not list(tmp_path.rglob("*.sqlite3")), "an offline run leaves no database behind"
