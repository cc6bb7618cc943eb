"""B7: two processes on one bot token, with and without the Discord budget shared in Redis.

    python bench/shared_budget.py [--threads 60] [--seconds 8] [--quick]

Discord allows a bot token 50 requests per second, counted over all its processes. Two
processes (bench/budget_load.py: discord.py's REST client and nemobot's real Discord port)
write into `--threads` threads each, as fast as their budgets allow, for `--seconds`,
against the wire-level fake Discord (Discord's global 50/s and 5 writes per 5 s per
channel, answered with real 429s). Run twice: each process on its own budget (45/s each,
what they have without REDIS_URL), then both on one budget in Redis (45/s together, with
REDIS_URL). Printed side by side: the most requests the fake saw in any 1 s window, the
429s it answered, and the writes made. Needs Redis at NEMOBOT_BENCH_REDIS
(redis://127.0.0.1:6379/0); its keys use a prefix of their own, deleted afterwards.

`--quick` (25 threads each, 3 s) is CI's smoke run; no time is asserted (without Redis it
says so in one line and exits 0).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis.asyncio  # noqa: E402

from tests.fakediscord import FakeDiscord, run_fake_discord  # noqa: E402

REDIS_URL = os.environ.get("NEMOBOT_BENCH_REDIS", "redis://127.0.0.1:6379/0")


@dataclass
class Result:
    budget: str
    threads_per_process: int
    seconds: float
    peak_requests_1s: int = 0
    rate_limited: int = 0
    global_rate_limited: int = 0
    writes: int = 0
    failed_writes: int = 0


def most_in_window(times: list[float], window: float) -> int:
    ordered = sorted(times)
    most, start = 0, 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


async def start_process(
    fake: FakeDiscord, threads: list[int], seconds: float, redis_url: str | None, prefix: str
) -> asyncio.subprocess.Process:
    command = [
        sys.executable,
        str(ROOT / "bench" / "budget_load.py"),
        "--api-base",
        fake.api_base,
        "--seconds",
        str(seconds),
        "--prefix",
        prefix,
    ]
    if redis_url:
        command += ["--redis-url", redis_url]
    process = await asyncio.create_subprocess_exec(
        *command,
        *(str(t) for t in threads),
        env={**os.environ, "DISCORD_TOKEN": fake.token, "PYTHONPATH": str(ROOT)},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    ready = json.loads(await asyncio.wait_for(process.stdout.readline(), 60))
    assert ready == {"ready": True}, ready
    return process


async def run_one(shared: bool, threads_per_process: int, seconds: float) -> Result:
    result = Result("one in Redis" if shared else "one per process", threads_per_process, seconds)
    prefix = f"nemobot-bench-{secrets.token_hex(4)}"
    async with run_fake_discord(global_rate_limit=(50, 1.0), validate_openapi=False) as fake:
        threads = [
            int((await fake.add_thread(name=f"t{n}"))["id"]) for n in range(2 * threads_per_process)
        ]
        halves = [threads[:threads_per_process], threads[threads_per_process:]]
        processes = [
            await start_process(fake, half, seconds, REDIS_URL if shared else None, prefix)
            for half in halves
        ]
        first, limited_before = len(fake.requests), fake.rate_limited_count
        for process in processes:
            assert process.stdin is not None
            process.stdin.write(b"go\n")
            await process.stdin.drain()
        for process in processes:
            out, _ = await asyncio.wait_for(process.communicate(), seconds * 10 + 60)
            counts = json.loads(out.decode().strip().splitlines()[-1])
            result.writes += counts["writes"]
            result.failed_writes += counts["failed"]
            assert process.returncode == 0
        measured = [r for r in fake.requests[first:] if r.route is not None]
        result.peak_requests_1s = most_in_window([r.time for r in measured], 1.0)
        result.rate_limited = fake.rate_limited_count - limited_before
        result.global_rate_limited = sum(
            1
            for r in measured
            if r.status == 429 and r.response_headers.get("X-RateLimit-Global") == "true"
        )
    client = redis.asyncio.Redis.from_url(REDIS_URL)
    try:
        async for key in client.scan_iter(match=f"{prefix}*"):
            await client.delete(key)
    finally:
        await client.aclose()
    return result


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=60, help="threads per process")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--quick", action="store_true", help="25 threads each, 3 s (CI)")
    args = parser.parse_args()
    if args.quick:
        args.threads, args.seconds = 25, 3.0
    try:
        client = redis.asyncio.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        await client.ping()
        await client.aclose()
    except (OSError, redis.RedisError) as exc:
        print(f"B7 skipped: it needs Redis at {REDIS_URL} ({exc})", file=sys.stderr)
        return 0 if args.quick else 1
    results = [await run_one(shared, args.threads, args.seconds) for shared in (False, True)]
    print(
        f"B7: 2 processes × {args.threads} threads, {args.seconds:g} s, "
        "Discord allows 50 requests / s per token"
    )
    print("| Discord budget | most requests / 1 s | 429s (global) | writes made | failed |")
    print("| --- | --- | --- | --- | --- |")
    for r in results:
        print(
            f"| {r.budget} | {r.peak_requests_1s} | {r.rate_limited} "
            f"({r.global_rate_limited}) | {r.writes} | {r.failed_writes} |"
        )
    if not args.quick:
        (ROOT / "bench" / "shared_budget.json").write_text(
            json.dumps([asdict(r) for r in results], indent=2) + "\n", encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
