"""One process of bench/shared_budget.py: nemobot's Discord port writing as fast as its
budgets allow, into the given threads, for a while.

    python bench/budget_load.py --api-base URL --seconds S [--redis-url URL --prefix P]
                                THREAD_ID …

The bot token comes from DISCORD_TOKEN. The process logs in with discord.py (REST only:
the load comes from here, not from the gateway) and runs the real `DiscordPort` (per-channel
budget, global budget), with the global budget shared through Redis when --redis-url is
given, exactly as `nemobot run` builds it (`cogs.scale.discord_budget`). Each thread gets a
message, then edits of it until the time is up. Prints one JSON line: writes made and
failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import discord  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from bot.settings import Settings  # noqa: E402
from cogs.client import use_discord_endpoints  # noqa: E402
from cogs.port import DiscordPort  # noqa: E402
from cogs.scale import discord_budget  # noqa: E402


async def write_for(
    port: DiscordPort, thread_id: int, until: float, counts: dict[str, int]
) -> None:
    conversation = f"discord:{thread_id}"
    try:
        message_id = await port.send(conversation, "load 0")
        counts["writes"] += 1
        n = 0
        while time.monotonic() < until:
            n += 1
            await port.edit(conversation, message_id, f"load {n}")
            counts["writes"] += 1
    except discord.HTTPException:
        counts["failed"] += 1


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--api-base", required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--redis-url")
    parser.add_argument("--prefix", default="nemobot-bench")
    parser.add_argument("threads", nargs="+", type=int)
    args = parser.parse_args()
    token = os.environ["DISCORD_TOKEN"]
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        discord_token=SecretStr(token),
        redis_url=args.redis_url,
        redis_key_prefix=args.prefix,
    )
    use_discord_endpoints(args.api_base, "ws://127.0.0.1:1/unused")
    client = discord.Client(intents=discord.Intents.none())
    counts = {"writes": 0, "failed": 0}
    async with discord_budget(settings) as budget:
        port = DiscordPort(global_budget=budget)
        await client.login(token)
        port.attach(client)
        try:
            print(json.dumps({"ready": True}), flush=True)
            await sys_stdin_line()  # the bench says go to both processes at once
            until = time.monotonic() + args.seconds
            await asyncio.gather(*(write_for(port, t, until, counts) for t in args.threads))
        finally:
            await client.close()
    print(json.dumps(counts), flush=True)
    return 0


async def sys_stdin_line() -> None:
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
