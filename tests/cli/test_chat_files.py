"""`nemobot chat` with files that should not go anywhere: an empty upload, a hostile link."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.emulator import run_emulator
from tests.cli.test_chat import run_chat
from tests.engine.conftest import fast_config


@pytest.mark.slow
async def test_uploading_an_empty_file_is_refused_and_nothing_is_sent(tmp_path: Path) -> None:
    empty = tmp_path / "blank.png"
    empty.write_bytes(b"")
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00" * 4096)
    async with run_emulator(fast_config()) as emulator:
        env = {"NEMO_API_URL": emulator.url, "DATABASE_PATH": str(tmp_path / "db.sqlite3")}
        out = await asyncio.to_thread(run_chat, tmp_path, f"/upload {empty} {clip}\n", env=env)
        uploads = emulator.state.counters.uploads

    assert "“blank.png” is empty (0 bytes)" in out
    assert "Uploaded clip.mp4" in out, "the other file of the same command still goes"
    assert uploads == 1


@pytest.mark.slow
async def test_an_export_whose_link_points_inside_is_saved_from_the_api(tmp_path: Path) -> None:
    script = "generate a 10-second sunset timelapse over a mountain lake\nexport\n"
    async with run_emulator(fast_config()) as emulator:
        emulator.state.config.output_url = "http://127.0.0.1:9/admin/secrets"
        env = {"NEMO_API_URL": emulator.url, "DATABASE_PATH": str(tmp_path / "db.sqlite3")}
        out = await asyncio.to_thread(run_chat, tmp_path, script, env=env)

    [video] = list((tmp_path / "exports").glob("*.mp4"))
    assert video.read_bytes()[4:8] == b"ftyp"
    assert "127.0.0.1:9" not in out
