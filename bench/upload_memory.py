"""Peak memory of a streamed upload: the file must never be held in memory.

Usage: python bench/upload_memory.py [megabytes | --quick]   (--quick: 5 MB, for CI)
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import httpx

from bot.emulator import EmulatorConfig, run_emulator
from bot.nemo.auth import MemoryCredentialStore, TokenSource
from bot.nemo.client import Attribution, NemoClient, UploadSource


async def main(megabytes: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.mp4"
        with path.open("wb") as handle:
            handle.truncate(megabytes * 1024 * 1024)
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
            tracemalloc.start()
            base, _ = tracemalloc.get_traced_memory()
            started = time.perf_counter()
            await client.upload_files(session.session_id, [UploadSource("big.mp4", path=path)])
            elapsed = time.perf_counter() - started
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    grown = (peak - base) / 1024 / 1024
    print(f"file: {megabytes} MB, upload time: {elapsed:.2f} s "
          f"({megabytes / elapsed:.0f} MB/s over loopback, emulator in-process)")
    print(f"peak Python memory growth: {grown:.1f} MB "
          f"= {grown / megabytes:.3f} of the file size (client and emulator together)")


if __name__ == "__main__":
    given = sys.argv[1] if len(sys.argv) > 1 else "200"
    asyncio.run(main(5 if given == "--quick" else int(given)))
