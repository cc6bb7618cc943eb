"""What a long streamed reply costs on the chat platform: writes, and the gaps between them.

A 6,000-character reply arrives in 600 small chunks over 60 s (a chunk every 0.1 s). The
live reply must stay under Discord's 5 writes per 5 s per channel and send only the newest
text, so the number of writes should be far below the number of chunks.

Usage: python bench/live_reply.py [--quick]   (--quick: 60 chunks, a smoke run for CI)
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Sequence

from bot.core.live import EDIT_INTERVAL_SECONDS, LiveReply
from bot.core.port import OutgoingFile

CHUNKS = 600
CHUNK_GAP_SECONDS = 0.01  # run 10x faster than real time …
SPEED = 10  # … and scale the figures back


class CountingPort:
    max_message_chars = 2000

    def __init__(self) -> None:
        self.writes: list[float] = []
        self.pages: set[str] = set()

    async def send(self, conversation: str, text: str, **_options: object) -> str:
        self.writes.append(time.monotonic())
        self.pages.add(str(len(self.pages) + 1))
        return str(len(self.pages))

    async def edit(self, conversation: str, message_id: str, text: str, **_options: object) -> None:
        self.writes.append(time.monotonic())

    async def send_files(self, conversation: str, files: Sequence[OutgoingFile], text: str, *,
                         ping_user: int | None = None) -> str:
        raise NotImplementedError

    async def upload_limit_bytes(self, conversation: str) -> int:
        return 10 * 1024 * 1024


async def main(chunks: int) -> None:
    port = CountingPort()
    reply = LiveReply(port, "bench", interval_seconds=EDIT_INTERVAL_SECONDS / SPEED)
    await reply.start("…")
    text = ""
    for index in range(chunks):
        text += f"Sentence {index:03d}. "
        reply.show(text)
        await asyncio.sleep(CHUNK_GAP_SECONDS)
    await reply.finish(text)
    gaps = [(b - a) * SPEED for a, b in zip(port.writes, port.writes[1:], strict=False)]
    q = statistics.quantiles(gaps, n=20)
    windows = [sum(1 for w in port.writes if s <= w < s + 5 / SPEED) for s in port.writes]
    print(f"{chunks} chunks, {len(text)} chars → {len(port.writes)} platform writes "
          f"({len(port.writes) / chunks:.2f} writes per chunk), {len(port.pages)} messages")
    print(f"gap between writes (real-time seconds): p50 {q[9]:.2f}, p95 {q[18]:.2f}, "
          f"min {min(gaps):.2f}")
    print(f"most writes in any 5 s window: {max(windows)} (Discord allows 5 per channel)")


if __name__ == "__main__":
    asyncio.run(main(CHUNKS // 10 if "--quick" in sys.argv[1:] else CHUNKS))
