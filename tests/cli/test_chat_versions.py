"""`nemobot chat`'s /versions: the exports of the conversation, kept across runs, and
saved again without a new render while NemoVideo still has them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.core.wording import Wording
from bot.emulator import run_emulator
from tests.cli.test_chat import run_chat
from tests.engine.conftest import fast_config

EN = Wording("en")


@pytest.mark.slow
async def test_versions_lists_an_export_saves_it_again_and_says_when_its_link_expired(
    tmp_path: Path,
) -> None:
    async with run_emulator(fast_config()) as emulator:
        env = {
            "NEMO_API_URL": emulator.url,
            "NEMO_TOKEN": "nmv_usr_registered_test",
            "DATABASE_PATH": str(tmp_path / "db.sqlite3"),
        }
        script = "generate a 10-second sunset over a mountain lake\nexport\n"
        await asyncio.to_thread(run_chat, tmp_path, script, env=env)
        again = await asyncio.to_thread(run_chat, tmp_path, "/versions\n/versions 1\n", env=env)
        emulator.state.renders.clear()  # NemoVideo forgot it: its link has expired
        expired = await asyncio.to_thread(run_chat, tmp_path, "/versions 1\n/versions x\n", env=env)
        renders = emulator.state.counters.renders

    assert EN.versions_title() in again
    [listed] = [line for line in again.splitlines() if line.startswith("nemo> 1. ")]
    assert "sunset" in listed.lower()
    assert "0:10 · " in again and "/files/render_" in again  # duration, size, link
    assert again.count(EN.version_footer(1)) == 1, "saved again, as version 1"
    assert "📁 Saved to" in again
    assert renders == 1, "no new render"
    assert EN.version_expired(1) in expired and "Usage: /versions" in expired
