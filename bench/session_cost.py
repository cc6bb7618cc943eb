"""B2: idle and per-session cost of the real bot process, up to 1,000 conversations.

    python bench/session_cost.py [--conversations 100,300,1000] [--live 100] [--quick]

The bot runs as its own process (`nemobot run`) against the wire-level fake Discord and the
NemoVideo emulator, both served by this process (so neither is in the bot's figures). Each
conversation is a real session thread opened with `/video` and its first turn answered (a
timeline draft that offers Export MP4), then left idle. Printed:

- RSS after start-up (targets: ≤ 100 MB idle);
- at each count of idle conversations: RSS, RSS per conversation above the start-up figure
  (target ≤ 50 KB) and the bot's CPU over a quiet window, per conversation;
- live turns: `--live` conversations get a message whose reply streams for a while; the
  RSS above the idle figure at its peak, and CPU, per live turn. The CPU of a live turn is
  also given as a ratio of one turn alone, measured first in the same run.

Written as JSON next to this script. `--quick` (2 and 4 conversations, 2 live turns) is a
smoke run for CI; nothing about time or size is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.live_load import cpu_seconds, quiet  # noqa: E402
from bench.restart import Bot, bot_messages, open_threads, running  # noqa: E402
from bot.emulator.config import EmulatorConfig  # noqa: E402
from bot.emulator.server import run_emulator  # noqa: E402
from tests.fakediscord import FakeDiscord, run_fake_discord  # noqa: E402

IDLE_WINDOW_SECONDS = 5.0
QUIET_SECONDS = 2.0  # no request for this long: the bot is idle
OPEN_CHUNK = 100


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Idle:
    conversations: int
    rss_mb: float
    kb_per_conversation: float
    kb_per_added_conversation: float
    cpu_ms_per_conversation_per_s: float


@dataclass
class Result:
    startup_rss_mb: float = 0.0
    startup_cpu_s: float = 0.0
    idle: list[Idle] = field(default_factory=list)
    live_turns: int = 0
    live_peak_kb_per_turn: float = 0.0
    live_cpu_ms_per_turn: float = 0.0
    one_turn_cpu_ms: float = 0.0


async def idle_figures(fake: FakeDiscord, pid: int, count: int, base_rss: float,
                       last: Idle | None) -> Idle:
    await quiet(fake, QUIET_SECONDS, 60)
    before = cpu_seconds(pid)
    await asyncio.sleep(IDLE_WINDOW_SECONDS)
    cpu = cpu_seconds(pid) - before
    rss = rss_mb(pid)
    per_kb = 1024 * (rss - base_rss) / count if count else 0.0
    per_cpu = 1000 * cpu / IDLE_WINDOW_SECONDS / count if count else 0.0
    last_count, last_rss = (last.conversations, last.rss_mb) if last else (0, base_rss)
    added_kb = 1024 * (rss - last_rss) / (count - last_count) if count > last_count else 0.0
    return Idle(count, round(rss, 1), round(per_kb, 1), round(added_kb, 1), round(per_cpu, 3))


async def live_turns(fake: FakeDiscord, pid: int, threads: list[int], tag: str
                     ) -> tuple[float, float]:
    """(peak RSS above the start in MB, CPU seconds) while each thread gets a streamed reply."""
    start_rss, start_cpu = rss_mb(pid), cpu_seconds(pid)
    counts = {t: len(bot_messages(fake, t)) for t in threads}
    edits_before = len(fake.requests)
    for thread in threads:
        await fake.send_message(thread, fake.alice, f"tell me more about the light {tag}")
    peak = start_rss

    def answered() -> bool:  # the reply's final edit carries the Export button again
        return all(
            any(r.method == "PATCH" and r.path.startswith(f"/channels/{t}/messages/")
                and r.status < 300 and isinstance(r.body, dict) and r.body.get("components")
                for r in fake.requests[edits_before:])
            or len(bot_messages(fake, t)) > counts[t] + 1 for t in threads)

    deadline = time.monotonic() + 300
    while not answered() and time.monotonic() < deadline:
        peak = max(peak, rss_mb(pid))
        await asyncio.sleep(0.1)
    await quiet(fake, QUIET_SECONDS, 60)
    return peak - start_rss, cpu_seconds(pid) - start_cpu


async def run(checkpoints: list[int], live: int, stream_seconds: float) -> Result:
    result = Result()
    config = EmulatorConfig(turn_scale=0.0, silent_edit_rate=0.0, seed=3,
                            registered_credits=10**9)  # 1,000 generations
    with tempfile.TemporaryDirectory(prefix="b2-") as tmp:
        async with run_emulator(config) as emulator, run_fake_discord(
                global_rate_limit=(50, 1.0), validate_openapi=False) as fake:
            bot = Bot(fake, emulator, Path(tmp))
            async with running(bot):
                await bot.start()
                assert bot.process is not None
                pid = bot.process.pid
                await quiet(fake, QUIET_SECONDS, 30)
                await asyncio.sleep(QUIET_SECONDS)
                result.startup_rss_mb = round(rss_mb(pid), 1)
                result.startup_cpu_s = round(cpu_seconds(pid), 2)
                threads: list[int] = []
                for count in checkpoints:
                    while len(threads) < count:
                        threads += await open_threads(
                            fake, min(OPEN_CHUNK, count - len(threads)), wait_seconds=300)
                    last = result.idle[-1] if result.idle else None
                    result.idle.append(
                        await idle_figures(fake, pid, count, result.startup_rss_mb, last))
                    print(f"  {count} idle conversations: {result.idle[-1]}", flush=True)
                config.partial_text = True
                config.partial_chunks = 30
                config.partial_interval_seconds = stream_seconds / 30
                _, one_cpu = await live_turns(fake, pid, threads[:1], "alone")
                result.one_turn_cpu_ms = round(1000 * one_cpu, 1)
                chosen = threads[1:live + 1]
                peak, cpu = await live_turns(fake, pid, chosen, "together")
                result.live_turns = len(chosen)
                result.live_peak_kb_per_turn = round(1024 * peak / len(chosen), 1)
                result.live_cpu_ms_per_turn = round(1000 * cpu / len(chosen), 1)
    return result


def table(result: Result) -> str:
    lines = [
        f"start-up: RSS {result.startup_rss_mb} MB (target ≤ 100), "
        f"CPU {result.startup_cpu_s} s",
        "",
        "| idle conversations | bot RSS MB | KB per conversation above start-up "
        "| KB per conversation added since the row above (target ≤ 50) "
        "| CPU ms per conversation per s |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [f"| {i.conversations} | {i.rss_mb} | {i.kb_per_conversation} "
              f"| {i.kb_per_added_conversation} "
              f"| {i.cpu_ms_per_conversation_per_s} |" for i in result.idle]
    ratio = (result.live_cpu_ms_per_turn / result.one_turn_cpu_ms
             if result.one_turn_cpu_ms else float("nan"))
    lines += [
        "",
        "| live turns at once | peak RSS KB per turn | CPU ms per turn | × one turn alone |",
        "| --- | --- | --- | --- |",
        f"| {result.live_turns} | {result.live_peak_kb_per_turn} "
        f"| {result.live_cpu_ms_per_turn} | {ratio:.2f} ({result.one_turn_cpu_ms} ms) |",
    ]
    return "\n".join(lines)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", default="100,300,1000")
    parser.add_argument("--live", type=int, default=100)
    parser.add_argument("--stream-seconds", type=float, default=15.0)
    parser.add_argument("--quick", action="store_true", help="small smoke run for CI")
    parser.add_argument("--json", type=Path, default=Path(__file__).with_suffix(".json"))
    args = parser.parse_args()
    if args.quick:
        args.conversations, args.live, args.stream_seconds = "2,4", 2, 1.0
        global IDLE_WINDOW_SECONDS, QUIET_SECONDS
        IDLE_WINDOW_SECONDS, QUIET_SECONDS = 0.5, 0.5
    checkpoints = sorted(int(n) for n in args.conversations.split(","))
    result = await run(checkpoints, args.live, args.stream_seconds)
    print(table(result))
    if not args.quick:
        args.json.write_text(json.dumps(asdict(result), indent=2) + "\n")
        print(f"written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
