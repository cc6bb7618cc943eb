"""B3: large media. Memory and speed of a streamed upload and of a render's download.

Usage: python bench/upload_memory.py [megabytes | --quick]   (default 200; --quick: 5 MB)

Both go through the bot's own NemoVideo client against the emulator on loopback (in this
process): the upload of a file to a session (a multipart stream), and the download of a
completed render of the same size to disk (the emulator serves a file of that size as the
render's MP4). Each is beside a plain streamed copy of the same bytes on the same loopback,
measured in the same run: the download beside an httpx GET streamed to disk, the upload
beside an httpx POST streamed from disk to a sink that reads and drops the body.

Printed per direction: the time and throughput, as a ratio of the plain copy (timed in a
pass of their own: tracemalloc slows every allocation); the peak
Python memory growth (tracemalloc) and the peak RSS growth of the process (client and
emulator together, so an upper bound for the bot's share; target ≤ 20 MB for 200 MB).
Written as JSON next to this script (not in --quick).
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.emulator import EmulatorConfig, run_emulator  # noqa: E402
from bot.emulator.state import Render  # noqa: E402
from bot.nemo.auth import MemoryCredentialStore, TokenSource  # noqa: E402
from bot.nemo.client import Attribution, NemoClient, UploadSource  # noqa: E402
from bot.nemo.models import RenderJob, RenderStatus  # noqa: E402

BLOCK = 64 * 1024
MB = 1024 * 1024


@dataclass
class Transfer:
    direction: str
    megabytes: int
    seconds: float
    plain_seconds: float
    peak_python_mb: float
    peak_rss_mb: float


def reset_peak_rss() -> float:
    """Reset the process's RSS high-water mark (Linux) and return the current RSS in MB."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_mb("VmRSS:")


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    return 0.0


async def measured(work: Callable[[], Awaitable[object]]) -> tuple[float, float, float]:
    """(seconds, peak Python growth MB, peak RSS growth MB) of one transfer."""
    base_rss = reset_peak_rss()
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    started = time.perf_counter()
    await work()
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, (peak - base) / MB, _status_mb("VmHWM:") - base_rss


async def timed(work: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await work()
    return time.perf_counter() - started


async def file_blocks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        while block := await asyncio.to_thread(handle.read, BLOCK):
            yield block


async def sink(request: web.Request) -> web.Response:
    """Reads a request body and drops it (the plain upload's far end)."""
    while await request.content.read(BLOCK):
        pass
    return web.Response(text="ok")


async def main(megabytes: int) -> list[Transfer]:
    results = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.mp4"
        with path.open("wb") as handle:
            handle.truncate(megabytes * MB)
        sink_app = web.Application()
        sink_app.router.add_post("/sink", sink)
        runner = web.AppRunner(sink_app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        sink_port = runner.addresses[0][1]
        try:
            async with (
                run_emulator(EmulatorConfig(turn_scale=0.0)) as emulator,
                httpx.AsyncClient(base_url=emulator.url, timeout=120) as http,
            ):
                tokens = TokenSource(
                    static_token=None, store=MemoryCredentialStore(), api_url=emulator.url
                )
                client = NemoClient(http, tokens, Attribution("bench", "0"))
                tokens.bind_fetcher(client.fetch_anonymous_token)
                session = await client.create_session()
                sources = [UploadSource("big.mp4", path=path)]

                # Upload: the client's multipart stream, then a plain streamed POST.
                _, python_mb, rss_mb = await measured(
                    lambda: client.upload_files(session.session_id, sources))
                seconds = await timed(lambda: client.upload_files(session.session_id, sources))
                plain = await timed(lambda: http.post(
                    f"http://127.0.0.1:{sink_port}/sink", content=file_blocks(path)))
                results.append(Transfer("upload", megabytes, seconds, plain, python_mb, rss_mb))

                # Download: a completed render of the same size, saved to disk by the client.
                state = emulator.state
                owner = state.sessions[session.session_id].user_id
                now = state.clock()
                state.renders["render_bench"] = Render(
                    "render_bench", owner, session.session_id, now - 1, 0.0, path=path,
                    size_bytes=megabytes * MB, video_seconds=1.0, media_done_at=now)
                job = RenderJob("render_bench", RenderStatus.COMPLETED, 100)
                saved = Path(folder) / "saved.mp4"
                _, python_mb, rss_mb = await measured(
                    lambda: client.download_render(job, saved, max_bytes=2 * megabytes * MB))
                seconds = await timed(
                    lambda: client.download_render(job, saved, max_bytes=2 * megabytes * MB))
                assert saved.stat().st_size == megabytes * MB
                token = await tokens.current()

                async def plain_download() -> None:
                    url = "/api/render/proxy/render_bench/download"
                    headers = {"Authorization": f"Bearer {token}"}
                    async with http.stream("GET", url, headers=headers) as response:
                        response.raise_for_status()
                        with (Path(folder) / "plain.mp4").open("wb") as out:
                            async for block in response.aiter_bytes(BLOCK):
                                out.write(block)

                plain = await timed(plain_download)
                results.append(Transfer("download", megabytes, seconds, plain, python_mb, rss_mb))
        finally:
            await runner.cleanup()
    return results


def table(results: list[Transfer]) -> str:
    lines = ["| direction | MB | seconds | MB/s | × plain streamed copy (its MB/s) "
             "| peak Python growth MB | peak RSS growth MB (target ≤ 20 at 200 MB) |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for t in results:
        lines.append(
            f"| {t.direction} | {t.megabytes} | {t.seconds:.2f} | {t.megabytes / t.seconds:.0f} "
            f"| {t.plain_seconds / t.seconds:.2f} ({t.megabytes / t.plain_seconds:.0f}) "
            f"| {t.peak_python_mb:.1f} | {t.peak_rss_mb:.1f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    given = sys.argv[1] if len(sys.argv) > 1 else "200"
    quick = given == "--quick"
    transfers = asyncio.run(main(5 if quick else int(given)))
    print(table(transfers))
    if not quick:
        out = Path(__file__).with_suffix(".json")
        out.write_text(json.dumps([asdict(t) for t in transfers], indent=2) + "\n")
        print(f"written to {out}")
