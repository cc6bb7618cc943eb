"""What a user gets when NemoVideo names a hostile link, an endless file or a stalled one.

The engine on the emulator; the emulator's `output_url` knob names the link a finished
render points at, and its `unsized_download` / `stalled_download` faults shape the file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from tests.engine.conftest import registered_token
from tests.engine.test_exports import generated
from tests.engine.test_turns import say


@pytest.fixture
async def internal_service() -> AsyncIterator[tuple[str, list[str]]]:
    """Something on another loopback port that must never be fetched: (url, paths hit)."""
    hits: list[str] = []

    async def answer(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(body=b"root:x:0:0 internal admin", content_type="video/mp4")

    app = web.Application()
    app.router.add_get("/{tail:.*}", answer)
    runner = web.AppRunner(app, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}", hits
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(
    "hostile",
    [
        "file:///etc/passwd",
        "javascript:alert(document.cookie)",
        "ftp://files.example.net/video.mp4",
        "internal",
    ],
)
async def test_a_hostile_output_link_is_neither_fetched_nor_shown(
    make_rig: Any, internal_service: tuple[str, list[str]], hostile: str
) -> None:
    internal_url, internal_hits = internal_service
    hostile = f"{internal_url}/admin/secrets" if hostile == "internal" else hostile
    async with make_rig(nemo_token=registered_token()) as rig:
        rig.emulator.state.config.output_url = hostile
        await generated(rig)
        await say(rig, "export")
        await rig.engine.drain()

    [delivered] = rig.port.files()
    assert delivered.file_bytes is not None and delivered.file_bytes[4:8] == b"ftyp"
    assert all(hostile not in m.text for m in rig.port.messages)
    assert internal_hits == []
    downloads = [r.path for r in rig.emulator.state.requests if r.path.endswith("/download")]
    assert downloads, "the video came from the API's download endpoint"


async def test_a_render_without_a_size_stops_at_the_cap_and_is_posted_as_a_link(
    make_rig: Any,
) -> None:
    async with make_rig(nemo_token=registered_token(), download_max_bytes=4096) as rig:
        rig.emulator.set_fault("unsized_download", times=-1)
        await generated(rig)
        await say(rig, "export")
        await rig.engine.drain()

    assert rig.port.files() == []
    [done] = [m for m in rig.port.messages if "/files/" in m.text]
    assert rig.emulator.url in done.text
    [render] = [r for r in rig.emulator.state.renders.values()]
    assert render.size_bytes is not None and render.size_bytes > 4096


async def test_a_stalled_render_download_is_abandoned_and_the_video_still_arrives(
    make_rig: Any,
) -> None:
    async with make_rig(nemo_token=registered_token(), download_read_timeout_seconds=0.3) as rig:
        rig.emulator.set_fault("stalled_download", times=1)
        await generated(rig)
        await say(rig, "export")
        await rig.engine.drain()

    [delivered] = rig.port.files()
    assert delivered.file_bytes is not None and delivered.file_bytes[4:8] == b"ftyp"
    requests = rig.emulator.state.requests
    fetched = [r.path for r in requests if r.path.endswith((".mp4", "/download"))]
    assert fetched[0].startswith("/files/") and fetched[-1].endswith("/download")
