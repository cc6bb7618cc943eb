"""Running as one of several processes: the shard range, the shared Discord budget.

`nemobot run` builds its bot with `bot_for(settings, …)`: one unsharded connection when
SHARD_COUNT is unset (as always), else discord.py's `AutoShardedBot` over this process's
range of shards (`SHARD_IDS`), so that several processes split the guilds and each
thread's conversation is handled by the process whose shard has its guild (Discord sends
DMs to shard 0). `discord_budget(settings)` is the port's global budget: shared through
Redis when REDIS_URL is set (`bot.core.shared_budget`), else None (the port's own).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from discord.ext import commands

from bot.core.rate_budget import RateBudget
from bot.core.shared_budget import Budget, RedisWindow, SharedBudget
from bot.settings import Settings
from cogs.client import NemoBot
from cogs.port import DiscordLimits

log = logging.getLogger(__name__)


class ShardedNemoBot(NemoBot, commands.AutoShardedBot):
    """`NemoBot` over a range of shards (SHARD_COUNT, SHARD_IDS)."""


def bot_for(settings: Settings, *args: Any, **kwargs: Any) -> NemoBot:
    """The bot for this process's shards (see the module); arguments as for `NemoBot`."""
    shards = settings.shards()
    if shards is None:
        return NemoBot(*args, **kwargs)
    log.info("running %s", shards.describe())
    return ShardedNemoBot(*args, shard_count=shards.count, shard_ids=list(shards.ids), **kwargs)


@contextlib.asynccontextmanager
async def discord_budget(
    settings: Settings, limits: DiscordLimits | None = None
) -> AsyncIterator[Budget | None]:
    """The port's global budget: shared through REDIS_URL, or None for the port's own."""
    if settings.redis_url is None:
        yield None
        return
    limits = limits or DiscordLimits()
    window = RedisWindow(settings.redis_url, settings.redis_key_prefix, limits.requests_per_second)
    try:
        log.info("the Discord budget is shared through Redis (%s)", window.key)
        yield SharedBudget(RateBudget(limits.requests_per_second, 1.0), window)
    finally:
        await window.close()
