"""`nemobot run`: open the services, start the Discord bot, stop cleanly on SIGINT/SIGTERM.

Order matters: the chat port exists before the engine (the engine is built on it), the
bot is built on the services and attached to the port, and everything is closed in
reverse. A render or turn still running at shutdown is left in the database and resumed
at the next start. With SHARD_COUNT the bot runs this process's shards; with REDIS_URL the
port's global budget is shared with the other processes; with METRICS_PORT the metrics
and /healthz are served (all in cogs/scale.py). If the Message Content intent is not
enabled for the application, the bot says so in the log and runs without it (mentions and
slash commands still work).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator

import aiohttp
import discord
from discord.gateway import DiscordWebSocket

from bot.core.timings import Timings
from bot.runtime import Services, open_services
from bot.settings import Settings
from cogs.client import NemoBot, bot_intents, use_discord_endpoints
from cogs.port import DiscordPort
from cogs.scale import bot_for, discord_budget, health_for

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_BAD_TOKEN = 1

PRIVILEGED_INTENT_WARNING = (
    "the Message Content intent is not enabled for this application (Discord developer "
    "portal → Bot → Privileged Gateway Intents); running without it: in session threads "
    "people must mention the bot for it to read their messages, slash commands work as usual"
)


@contextlib.contextmanager
def _discord_endpoints(settings: Settings) -> Iterator[None]:
    """Use the configured REST base and gateway while the bot runs, then restore them."""
    saved = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    use_discord_endpoints(settings.discord_api_base_url, settings.discord_gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError):  # not the main thread, or Windows
            pass
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


async def run_bot(
    settings: Settings, *, stop: asyncio.Event | None = None, timings: Timings | None = None
) -> int:
    """Run the Discord bot until SIGINT/SIGTERM (or `stop` is set); returns the exit code.

    `timings` (tests only) shrinks the engine's waits; the default is the brief's."""
    assert settings.discord_token is not None, "the CLI checks DISCORD_TOKEN first"
    token = settings.discord_token.get_secret_value()
    stop = stop or asyncio.Event()
    current: list[NemoBot] = []  # the bot running now (rebuilt without the intent)
    with _discord_endpoints(settings), _stop_on_signals(stop):
        async with discord_budget(settings) as shared_budget:
            port = DiscordPort(global_budget=shared_budget)
            async with (
                open_services(settings, port, timings=timings) as services,
                aiohttp.ClientSession() as cdn,
                health_for(
                    settings, services.telemetry, services.store,
                    lambda: current[-1] if current else None,
                ),
            ):
                code = await _run_bots(services, port, cdn, token, stop, current)
                if code == EXIT_OK:
                    log.info("closing; unfinished turns and renders resume at the next start")
    if code == EXIT_OK:
        log.info("nemobot stopped")
    return code


async def _run_bots(
    services: Services,
    port: DiscordPort,
    cdn: aiohttp.ClientSession,
    token: str,
    stop: asyncio.Event,
    current: list[NemoBot],
) -> int:
    """The bot (over this process's shards) until it stops; built again without the
    Message Content intent when Discord refuses it."""
    message_content = True
    while True:
        bot = bot_for(
            services.settings, services, port,
            intents=bot_intents(message_content=message_content),
            cdn_session=cdn,
        )
        current.append(bot)
        try:
            await _run_until_stopped(bot, token, stop)
        except discord.PrivilegedIntentsRequired:
            if not message_content:
                raise
            log.warning(PRIVILEGED_INTENT_WARNING)
            message_content = False
            continue
        except discord.LoginFailure:
            log.error("Discord rejected DISCORD_TOKEN; check it in .env")
            return EXIT_BAD_TOKEN
        return EXIT_OK


async def _run_until_stopped(bot: NemoBot, token: str, stop: asyncio.Event) -> None:
    """`bot.start()` until it ends by itself or `stop` is set; the bot is closed either way."""
    async with bot:
        running = asyncio.create_task(bot.start(token), name="discord-bot")
        stopping = asyncio.create_task(stop.wait(), name="stop-signal")
        try:
            await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            if not running.done():
                await bot.engine.renders.finish_deliveries()  # while Discord is still there
                log.info("stopping: closing the Discord connection")
                await bot.close()
            await asyncio.gather(stopping, return_exceptions=True)
        await running  # re-raises a login or intents failure

