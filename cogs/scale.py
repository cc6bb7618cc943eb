"""Running as one of several processes: the shard range, the shared Discord budget, and
what orchestrators read (metrics and health).

`nemobot run` builds its bot with `bot_for(settings, …)`: one unsharded connection when
SHARD_COUNT is unset (as always), else discord.py's `AutoShardedBot` over this process's
range of shards (`SHARD_IDS`), so that several processes split the guilds and each
thread's conversation is handled by the process whose shard has its guild (Discord sends
DMs to shard 0). `discord_budget(settings)` is the port's global budget: shared through
Redis when REDIS_URL is set (`bot.core.shared_budget`), else None (the port's own).
`health_for(...)` serves METRICS_PORT with Discord's connection and the database as its
health checks.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import discord
from discord.ext import commands

from bot.core.rate_budget import RateBudget
from bot.core.shared_budget import Budget, RedisWindow, SharedBudget
from bot.core.store import Store
from bot.core.telemetry import Telemetry
from bot.health_server import HealthCheck, serving_health
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
    budget = SharedBudget(RateBudget(limits.requests_per_second, 1.0), window)
    try:
        log.info("the Discord budget is shared through Redis (%s)", window.key)
        yield budget
    finally:
        await budget.settle()
        await window.close()


def discord_check(current: Callable[[], discord.Client | None]) -> HealthCheck:
    """Healthy while the bot (`current()`: it is rebuilt on a retry) has every shard ready."""

    async def check() -> tuple[bool, str]:
        bot = current()
        if bot is None or bot.is_closed():
            return False, "not connected"
        if not bot.is_ready():
            return False, "connecting"
        return True, "connected"

    return check


def database_check(store: Store) -> HealthCheck:
    async def check() -> tuple[bool, str]:
        return True, f"schema version {await store.schema_version()}"

    return check


@contextlib.asynccontextmanager
async def health_for(
    settings: Settings,
    telemetry: Telemetry,
    store: Store,
    current: Callable[[], discord.Client | None],
) -> AsyncIterator[str | None]:
    """METRICS_PORT served while the block runs (nothing when it is unset); yields its URL."""
    checks = {"discord": discord_check(current), "database": database_check(store)}
    async with serving_health(
        settings.metrics_host, settings.metrics_port, telemetry, store, checks
    ) as url:
        yield url
