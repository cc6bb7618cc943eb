"""Attachments in the engine: read to disk before the turn lock, capped, never empty."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from bot.core.port import Attachment
from bot.core.wording import Wording
from tests.engine.conftest import Rig, registered_token
from tests.engine.test_turns import say

EN = Wording("en")


def streamed(name: str, declared: int, *blocks: bytes) -> Attachment:
    async def chunks() -> AsyncIterator[bytes]:
        for block in blocks:
            yield block

    return Attachment(filename=name, size_bytes=declared, open=chunks)


async def test_a_file_that_arrives_empty_is_refused_though_declared_larger(rig: Rig) -> None:
    await say(rig, "", attachments=(streamed("hollow.mp4", 2048),))

    assert rig.port.messages[-1].text == EN.upload_empty("hollow.mp4")
    assert rig.emulator.state.counters.uploads == 0


async def test_a_file_declared_empty_is_refused_without_reading_it(rig: Rig) -> None:
    read: list[str] = []

    async def chunks() -> AsyncIterator[bytes]:
        read.append("blank.png")
        yield b""

    await say(rig, "", attachments=(Attachment("blank.png", 0, chunks),))

    assert rig.port.messages[-1].text == EN.upload_empty("blank.png")
    assert read == []


async def test_a_stream_longer_than_the_cap_is_stopped_there(make_rig: Any) -> None:
    async with make_rig(nemo_token=registered_token(), download_max_bytes=10_000) as rig:
        liar = streamed("liar.png", 100, *(bytes(4096) for _ in range(100)))
        await say(rig, "", attachments=(liar,))

    assert rig.port.messages[-1].text.startswith("📎 “liar.png” is ")
    assert rig.emulator.state.counters.uploads == 0


async def test_words_sent_after_a_slow_attachment_come_after_its_upload(rig: Rig) -> None:
    release = asyncio.Event()
    started = asyncio.Event()

    async def slow() -> AsyncIterator[bytes]:
        started.set()
        await release.wait()
        yield b"\x89PNG" + bytes(100)

    await say(rig, "hello")
    upload = asyncio.create_task(say(rig, "", attachments=(Attachment("slow.png", 104, slow),)))
    await started.wait()
    await say(rig, "status")  # needs no turn: answered while the file is still arriving
    status_answer = rig.port.messages[-1].text
    edit = asyncio.create_task(say(rig, "use this picture as the intro"))
    for _ in range(50):  # let the edit go as far as it can before the file has arrived
        await asyncio.sleep(0.01)
    release.set()
    await asyncio.gather(upload, edit)

    assert status_answer.startswith(EN.status("")[:2])
    paths = [request.path for request in rig.emulator.state.requests]
    upload_sent = max(i for i, path in enumerate(paths) if "upload" in path)
    edit_sent = max(i for i, path in enumerate(paths) if path.endswith("run_sse"))
    assert upload_sent < edit_sent, "the edit ran before the picture it speaks of was uploaded"
    assert rig.emulator.state.counters.turns == 2
