"""B6: the store on SQLite under many concurrent conversations.

    python bench/store_load.py [--conversations 200] [--seconds 10] [--quick]

One `Store` on a real SQLite file (WAL, as the bot opens it), used the way the engine uses
it: every conversation loops through a turn (start, finish) and an export's life (create
the render, pending, processing with progress updates, completed, claim the delivery,
record it), each step an awaited store call, all conversations at once: as fast as the
store answers (its capacity), then paced at one call per conversation per second (a busy
bot's load, with room to spare). Printed: store operations per second, and the time of one
write (p50 / p99 / most), under each load and for one conversation alone in the same run
(the reference: the ratio says what sharing the file with the others costs each write).

Written as JSON next to this script. `--quick` (20 conversations, 1 s) is a smoke run for CI;
nothing about time is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.live_load import percentile  # noqa: E402
from bot.core.records import RenderState, TurnStatus  # noqa: E402
from bot.core.store import Store  # noqa: E402

PROGRESS_UPDATES = 3  # a render's progress changes a few times between polls
#: The paced load: each conversation makes one store call a second, several times what a
#: busy conversation needs (a turn, or a render poll every 3 s at the most).
PACED_PAUSE_SECONDS = 1.0


@dataclass
class Load:
    conversations: int
    seconds: float
    pause_s: float
    operations: int = 0
    operations_per_s: float = 0.0
    write_p50_ms: float = 0.0
    write_p99_ms: float = 0.0
    write_max_ms: float = 0.0


async def conversation(store: Store, key: str, stop: float, writes: list[float],
                       phase: str, pause: float) -> int:
    """One conversation's turns and renders until `stop`, `pause` seconds after each
    operation (0: as fast as the store answers); returns its operation count."""
    done = 0
    cycle = 0
    if pause:
        await asyncio.sleep(random.uniform(0, pause))  # the conversations do not march

    async def timed(call: object) -> object:
        nonlocal done
        started = time.perf_counter()
        result = await call  # type: ignore[misc]
        writes.append(time.perf_counter() - started)
        done += 1
        if pause and time.monotonic() < stop:
            await asyncio.sleep(pause)
        return result

    while time.monotonic() < stop:
        cycle += 1
        turn = await timed(store.start_turn(key, author_id=1, status_message_id="1"))
        await timed(store.finish_turn(turn.id, TurnStatus.DONE))  # type: ignore[attr-defined]
        render_id = f"{key}-{phase}-r{cycle}"
        await timed(store.create_render(render_id, key, session_id="s", requester_id=1))
        await timed(store.advance_render(render_id, RenderState.PENDING, progress=5))
        for step in range(PROGRESS_UPDATES):
            await timed(store.advance_render(render_id, RenderState.PROCESSING,
                                             progress=10 + 30 * step))
        await timed(store.advance_render(render_id, RenderState.COMPLETED, progress=100,
                                         output_url="https://cdn.example/x.mp4"))
        await timed(store.claim_delivery(render_id))
        await timed(store.record_delivery(render_id))
    return done


async def measure(store: Store, keys: list[str], seconds: float, phase: str,
                  pause: float = 0.0) -> Load:
    load = Load(len(keys), seconds, pause)
    writes: list[float] = []
    started = time.monotonic()
    counts = await asyncio.gather(*(
        conversation(store, key, started + seconds, writes, phase, pause) for key in keys))
    elapsed = time.monotonic() - started
    load.operations = sum(counts)
    load.operations_per_s = round(load.operations / elapsed)
    load.write_p50_ms = round(1000 * percentile(writes, 0.5), 2)
    load.write_p99_ms = round(1000 * percentile(writes, 0.99), 2)
    load.write_max_ms = round(1000 * max(writes), 2)
    return load


async def run(count: int, seconds: float) -> tuple[Load, Load, Load]:
    with tempfile.TemporaryDirectory(prefix="b6-") as tmp:
        async with await Store.open(Path(tmp) / "nemobot.sqlite3") as store:
            keys = [f"discord:{1000 + n}" for n in range(count)]
            for key in keys:
                await store.save_conversation(key, session_id=f"session-{key}")
            alone = await measure(store, keys[:1], seconds / 2, "alone")
            shared = await measure(store, keys, seconds, "shared")
            paced = await measure(store, keys, seconds, "paced", pause=PACED_PAUSE_SECONDS)
    return alone, shared, paced


HEADER = ("| conversations at once | pace | store operations / s | write p50 / p99 / most ms "
          "| p99 × one conversation alone |")


def row(load: Load, alone: Load) -> str:
    ratio = load.write_p99_ms / alone.write_p99_ms if alone.write_p99_ms else float("nan")
    pace = f"1 call / {load.pause_s:g} s each" if load.pause_s else "as fast as answered"
    return (f"| {load.conversations} | {pace} | {load.operations_per_s} "
            f"| {load.write_p50_ms} / {load.write_p99_ms} / {load.write_max_ms} "
            f"| {ratio:.1f} |")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true", help="small smoke run for CI")
    parser.add_argument("--json", type=Path, default=Path(__file__).with_suffix(".json"))
    args = parser.parse_args()
    if args.quick:
        args.conversations, args.seconds = 20, 1.0
    alone, shared, paced = await run(args.conversations, args.seconds)
    print(HEADER)
    print("|" + " --- |" * (HEADER.count("|") - 1))
    for load in (alone, shared, paced):
        print(row(load, alone))
    if not args.quick:
        figures = {"alone": asdict(alone), "shared": asdict(shared), "paced": asdict(paced)}
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
