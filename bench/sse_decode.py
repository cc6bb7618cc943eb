"""Throughput of reading an ADK-style stream as the client does: httpx-sse, then the parser.

Usage: python bench/sse_decode.py [--quick]   (--quick: a short smoke run for CI)
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections.abc import AsyncIterator

import httpx
from httpx_sse import EventSource

from bot.nemo.events import PartialTextFilter, parse_event

EVENTS = 20_000
CHUNK_BYTES = 1_000


def stream(events: int) -> bytes:
    lines = []
    for index in range(events):
        if index % 10 == 0:
            lines.append(": heartbeat\n\n")
        part = {"text": f"chunk {index} — 日本語 🎬 " * 3}
        lines.append(f"data: {json.dumps({'content': {'parts': [part]}, 'partial': True})}\n\n")
    return "".join(lines).encode()


async def main(events: int) -> None:
    raw = stream(events)
    chunks = [raw[i : i + CHUNK_BYTES] for i in range(0, len(raw), CHUNK_BYTES)]

    async def body() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())
    dedupe = PartialTextFilter()
    per_event: list[float] = []
    events = 0
    started = last = time.perf_counter()
    async for message in EventSource(response).aiter_sse():
        event = parse_event(message.event, message.data)
        if event is not None and dedupe.feed(event) is not None:
            events += 1
        now = time.perf_counter()
        per_event.append(now - last)
        last = now
    elapsed = time.perf_counter() - started
    q = statistics.quantiles(per_event, n=100)
    print(f"{events} events from {len(raw) / 1e6:.1f} MB in {elapsed:.2f} s: "
          f"{events / elapsed:,.0f} events/s, {len(raw) / 1e6 / elapsed:.1f} MB/s")
    print(f"per event: p50 {q[49] * 1e6:.0f} µs, p95 {q[94] * 1e6:.0f} µs, "
          f"p99 {q[98] * 1e6:.0f} µs")


if __name__ == "__main__":
    asyncio.run(main(EVENTS // 20 if "--quick" in sys.argv[1:] else EVENTS))
