"""Throughput of the SSE decoder and event parser on an ADK-style stream."""

from __future__ import annotations

import json
import statistics
import time

from bot.nemo.events import PartialTextFilter, SSEDecoder, parse_event

EVENTS = 20_000
CHUNK_BYTES = 1_000


def stream() -> bytes:
    lines = []
    for index in range(EVENTS):
        if index % 10 == 0:
            lines.append(": heartbeat\n\n")
        part = {"text": f"chunk {index} — 日本語 🎬 " * 3}
        lines.append(f"data: {json.dumps({'content': {'parts': [part]}, 'partial': True})}\n\n")
    return "".join(lines).encode()


def main() -> None:
    raw = stream()
    chunks = [raw[i : i + CHUNK_BYTES] for i in range(0, len(raw), CHUNK_BYTES)]
    decoder, dedupe = SSEDecoder(), PartialTextFilter()
    per_chunk: list[float] = []
    events = 0
    started = time.perf_counter()
    for chunk in chunks:
        t0 = time.perf_counter()
        for name, data in decoder.feed(chunk):
            event = parse_event(name, data)
            if event is not None and dedupe.feed(event) is not None:
                events += 1
        per_chunk.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    q = statistics.quantiles(per_chunk, n=100)
    print(f"{events} events from {len(raw) / 1e6:.1f} MB in {elapsed:.2f} s: "
          f"{events / elapsed:,.0f} events/s, {len(raw) / 1e6 / elapsed:.1f} MB/s")
    print(f"per {CHUNK_BYTES}-byte chunk: p50 {q[49] * 1e6:.0f} µs, p95 {q[94] * 1e6:.0f} µs, "
          f"p99 {q[98] * 1e6:.0f} µs")


if __name__ == "__main__":
    main()
