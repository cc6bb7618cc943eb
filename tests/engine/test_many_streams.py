"""Many replies streaming at once each get a connection to NemoVideo straight away.

httpx caps a client at 100 connections unless told otherwise; a streaming reply holds its
connection until it ends, so turn 101 used to wait for turn 1 to finish before it began.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.emulator.config import EmulatorConfig
from bot.emulator.server import RunningEmulator
from bot.nemo.events import TextEvent
from bot.runtime import open_services
from bot.settings import Settings
from tests.emulator.helpers import fast_config
from tests.engine.conftest import registered_token
from tests.engine.memport import MemoryPort

#: More than httpx's default pool of 100 connections.
STREAMS = 101
#: Only a failing run waits this long: streams past the pool never begin.
ALL_BEGUN_SECONDS = 30.0


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return fast_config(partial_text=True, partial_chunks=3)


@pytest.mark.slow
async def test_every_reply_begins_streaming_while_all_the_others_are_still_open(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    settings = Settings(database_path=tmp_path / "nemobot.sqlite3", nemo_token=registered_token())
    async with open_services(settings, MemoryPort(), api_url=emulator.url) as services:
        sessions = await asyncio.gather(
            *(services.client.create_session() for _ in range(STREAMS))
        )
        begun: set[str] = set()
        all_begun = asyncio.Event()

        async def stream(session_id: str) -> int:
            events = 0
            async for event in services.client.stream_chat(session_id, "hello"):
                events += 1
                if isinstance(event, TextEvent) and session_id not in begun:
                    begun.add(session_id)
                    if len(begun) == STREAMS:
                        all_begun.set()
                    # Keep this stream (and its connection) open until every stream began.
                    await asyncio.wait_for(all_begun.wait(), ALL_BEGUN_SECONDS)
            return events

        counts = await asyncio.gather(*(stream(s.session_id) for s in sessions))

    assert len(begun) == STREAMS
    assert all(count > 1 for count in counts)
