"""Two nemobot processes' worth of bots on two shards of one fake Discord: the guild's
/video is handled (its conversation stored) only by the bot whose shard has the guild."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from bot.emulator.server import RunningEmulator
from bot.runtime import open_services
from bot.settings import Settings
from cogs.client import NemoBot
from cogs.port import DiscordPort
from cogs.scale import ShardedNemoBot, bot_for
from tests.discord.wire_helpers import open_session_thread, settings_for
from tests.fakediscord import discord_endpoints, run_fake_discord


@contextlib.asynccontextmanager
async def bot_on(settings: Settings) -> AsyncIterator[NemoBot]:
    port = DiscordPort()
    async with open_services(settings, port) as services, aiohttp.ClientSession() as cdn:
        bot = bot_for(settings, services, port, cdn_session=cdn, guild_ready_timeout=0.05)
        async with bot:
            await bot.login(settings.discord_token.get_secret_value())  # type: ignore[union-attr]
            task = bot.loop.create_task(bot.connect())
            try:
                yield bot
            finally:
                await bot.close()
                await task


def test_unset_shards_build_the_one_connection_bot(tmp_path: Path) -> None:
    settings = Settings(database_path=tmp_path / "x.sqlite3")
    assert settings.shards() is None
    assert not issubclass(NemoBot, ShardedNemoBot)


async def test_the_guild_is_served_by_the_process_whose_shard_has_it(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with run_fake_discord() as fake:
        owner = (fake.guild_id >> 22) % 2
        folders = [tmp_path / "shard0", tmp_path / "shard1"]
        settings = [
            settings_for(fake, emulator, folder, shard_count=2, shard_ids=(shard,))
            for shard, folder in enumerate(folders)
        ]
        for folder in folders:
            folder.mkdir()
        with discord_endpoints(fake.api_base, fake.gateway_url):
            async with bot_on(settings[0]) as first, bot_on(settings[1]) as second:
                bots = [first, second]
                assert all(isinstance(b, ShardedNemoBot) for b in bots)
                await fake.wait_for(lambda: len(fake.gateway.identify_payloads) == 2, 10)
                assert sorted(p["shard"] for p in fake.gateway.identify_payloads) == [
                    [0, 2],
                    [1, 2],
                ]
                await fake.wait_for(lambda: bots[owner].get_guild(fake.guild_id), 10)
                thread_id = await open_session_thread(fake, "a sunset over a lake")
                key = f"discord:{thread_id}"
                await fake.wait_for(lambda: len(fake.messages_in(thread_id)) >= 1, 10)
                assert await bots[owner].store.get_conversation(key) is not None
                assert await bots[1 - owner].store.get_conversation(key) is None
                assert bots[1 - owner].get_guild(fake.guild_id) is None
        assert fake.internal_errors == []
