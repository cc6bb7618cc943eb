"""Running a real discord.py client against a `FakeDiscord` (for tests of the fake and of
the bot's Discord edge)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeVar

import discord
from discord.ext import commands

from tests.fakediscord.server import FakeDiscord
from tests.fakediscord.wiring import discord_endpoints

GUILD_READY_TIMEOUT_SECONDS = 0.05
ClientT = TypeVar("ClientT", bound=discord.Client)


def make_bot(*, message_content: bool = True) -> commands.Bot:
    """A commands.Bot with the intents nemobot uses and a short guild-ready wait."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.message_content = message_content
    return commands.Bot(command_prefix=commands.when_mentioned, intents=intents,
                        help_command=None, guild_ready_timeout=GUILD_READY_TIMEOUT_SECONDS)


@asynccontextmanager
async def running(fake: FakeDiscord, client: ClientT) -> AsyncIterator[ClientT]:
    """Start `client` against `fake` with `client.start(token)` (the normal start-up path),
    wait until it is ready, and close it afterwards (re-raising anything `start` raised)."""
    with discord_endpoints(fake.api_base, fake.gateway_url):
        task = asyncio.create_task(client.start(fake.token))
        try:
            await fake.wait_for(lambda: client.is_ready() or task.done())
            if task.done():
                task.result()  # a failed login raises here
            yield client
        finally:
            await client.close()
            await asyncio.wait_for(task, timeout=5)
