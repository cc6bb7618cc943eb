"""The terminal's only reader is the operator: it keeps the link that claims the account."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.emulator import run_emulator
from tests.cli.test_chat import run_chat
from tests.engine.conftest import fast_config


@pytest.mark.slow
async def test_out_of_credits_in_the_terminal_shows_the_registration_link(
    tmp_path: Path,
) -> None:
    async with run_emulator(fast_config()) as emulator:
        emulator.set_fault("no_credits")
        env = {"NEMO_API_URL": emulator.url, "DATABASE_PATH": str(tmp_path / "db.sqlite3")}

        out = await asyncio.to_thread(run_chat, tmp_path, "make a video of a sunset\n", env=env)

    assert "register?bind=anon_" in out
