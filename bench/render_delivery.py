"""B4: render to thread. How long after NemoVideo finishes a render its MP4 is in the thread.

    python bench/render_delivery.py [--durations 5,15,30,60,120] [--quick]

The bot runs as its own process (`nemobot run`, default timings: the real poll schedule)
against the wire-level fake Discord and the NemoVideo emulator, both served by this process.
One session thread per render duration; all are told "export" at once. Per render:

- render time: from the export to the emulator marking the render completed (its MP4 made);
- transfer: a plain streamed copy of the same MP4 in this process, emulator → fake Discord
  (a GET, then a multipart POST of the message), measured in the same run: the least any
  delivery can take;
- overhead: from completion to the MP4's message reaching the fake, minus the transfer, as
  a fraction of render time plus transfer (target ≤ 10 %); most of it is the wait for the
  next poll;
- polls: how many times the bot asked NemoVideo for the render's status.

Written as JSON next to this script. `--quick` (renders of 1 and 2 s) is a smoke run for CI:
it fails only when a video is not delivered; no time is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.live_load import percentile  # noqa: E402
from bench.restart import (  # noqa: E402
    EMULATOR_LOG,
    RENDER_POLL,
    Bot,
    instrument_emulator,
    open_threads,
    running,
    videos_in,
    wait_until,
)
from bot.emulator.config import EmulatorConfig  # noqa: E402
from bot.emulator.server import RunningEmulator, run_emulator  # noqa: E402
from tests.fakediscord import FakeDiscord, run_fake_discord  # noqa: E402


@dataclass
class Delivery:
    render_seconds_asked: float
    render_s: float = 0.0
    transfer_s: float = 0.0
    completed_to_thread_s: float = 0.0
    overhead_share: float = 0.0
    polls: int = 0
    size_bytes: int = 0


async def plain_copy(fake: FakeDiscord, emulator: RunningEmulator, render: Any,
                     thread_id: int) -> float:
    """Seconds for a streamed copy of the render's MP4, emulator → a message in the fake."""
    url = f"{emulator.url}/files/{render.render_id}.mp4"  # the render's outputUrl
    started = time.monotonic()
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as response:
            response.raise_for_status()
            data = await response.read()
        form = aiohttp.FormData()
        form.add_field("payload_json", json.dumps({"content": "copy"}),
                       content_type="application/json")
        form.add_field("files[0]", data, filename="copy.mp4", content_type="video/mp4")
        async with http.post(f"{fake.api_base}/channels/{thread_id}/messages", data=form,
                             headers={"Authorization": f"Bot {fake.token}"}) as response:
            response.raise_for_status()
    return time.monotonic() - started


def upload_time(fake: FakeDiscord, thread_id: int) -> float | None:
    prefix = f"/channels/{thread_id}/messages"
    return next((r.time for r in fake.requests if r.path == prefix and r.files
                 and r.status < 300 and any(f.filename.endswith(".mp4") for f in r.files)),
                None)


async def run(durations: list[float]) -> list[Delivery]:
    config = EmulatorConfig(turn_scale=0.0, silent_edit_rate=0.0, seed=5)
    epoch_offset = time.time() - time.monotonic()
    with tempfile.TemporaryDirectory(prefix="b4-") as tmp:
        async with run_emulator(config) as emulator, run_fake_discord(
                validate_openapi=False) as fake:
            bot = Bot(fake, emulator, Path(tmp))
            async with running(bot):
                await bot.start()
                threads = await open_threads(fake, len(durations))
                state = emulator.state
                asked: dict[int, float] = {}
                renders: dict[int, Any] = {}
                for thread, seconds in zip(threads, durations, strict=True):
                    config.render_seconds = seconds  # a render keeps the duration it began with
                    before = set(state.renders)
                    asked[thread] = time.monotonic()
                    await fake.send_message(thread, fake.alice, "export")
                    await wait_until(lambda before=before: set(state.renders) - before, 60,
                                     "the render submitted")
                    (render_id,) = set(state.renders) - before
                    renders[thread] = state.renders[render_id]
                await wait_until(lambda: all(videos_in(fake, t) >= 1 for t in threads),
                                 max(durations) * 2 + 120, "every video delivered")
                results = []
                for thread, seconds in zip(threads, durations, strict=True):
                    render = renders[thread]
                    completed = render.finished_at() - epoch_offset
                    posted = upload_time(fake, thread)
                    assert posted is not None
                    spare = int((await fake.add_thread(name="plain copy"))["id"])
                    transfer = await plain_copy(fake, emulator, render, spare)
                    delivery = Delivery(seconds)
                    delivery.render_s = round(completed - asked[thread], 2)
                    delivery.transfer_s = round(transfer, 3)
                    delivery.completed_to_thread_s = round(posted - completed, 2)
                    delivery.overhead_share = round(
                        (posted - completed - transfer) / (completed - asked[thread] + transfer),
                        3)
                    delivery.polls = sum(1 for _, method, path in EMULATOR_LOG if method == "GET"
                                         and path == RENDER_POLL + render.render_id)
                    delivery.size_bytes = render.size_bytes or 0
                    results.append(delivery)
    return results


HEADER = ("| render asked s | render s | transfer s (plain copy) | completed → in thread s "
          "| overhead / (render + transfer) | polls |")


def row(d: Delivery) -> str:
    return (f"| {d.render_seconds_asked:g} | {d.render_s} | {d.transfer_s} "
            f"| {d.completed_to_thread_s} | {100 * d.overhead_share:.1f} % | {d.polls} |")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--durations", default="5,15,30,60,120")
    parser.add_argument("--quick", action="store_true", help="small smoke run for CI")
    parser.add_argument("--json", type=Path, default=Path(__file__).with_suffix(".json"))
    args = parser.parse_args()
    if args.quick:
        args.durations = "1,2"
    instrument_emulator()
    results = await run([float(d) for d in args.durations.split(",")])
    print(HEADER)
    print("|" + " --- |" * (HEADER.count("|") - 1))
    for delivery in results:
        print(row(delivery))
    shares = [d.overhead_share for d in results]
    print(f"overhead p50 {100 * percentile(shares, 0.5):.1f} %, "
          f"most {100 * max(shares):.1f} %; polls per render "
          f"{sum(d.polls for d in results) / len(results):.1f}")
    if not args.quick:
        args.json.write_text(json.dumps([asdict(d) for d in results], indent=2) + "\n")
        print(f"written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
