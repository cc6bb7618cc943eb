"""The fake's shards against real discord.py `AutoShardedClient`s: each guild's events reach
only the shard Discord would send them to, and events of no guild (DMs) only shard 0."""

from __future__ import annotations

import asyncio
import contextlib

import discord
import pytest

from tests.fakediscord import FakeDiscord, discord_endpoints, run_fake_discord
from tests.fakediscord.harness import GUILD_READY_TIMEOUT_SECONDS, running


def sharded_client(shard_ids: list[int] | None, shard_count: int | None) -> discord.Client:
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = True
    return discord.AutoShardedClient(
        intents=intents,
        shard_ids=shard_ids,
        shard_count=shard_count,
        guild_ready_timeout=GUILD_READY_TIMEOUT_SECONDS,
    )


def shard_payloads(fake: FakeDiscord) -> list[list[int]]:
    return sorted(p["shard"] for p in fake.gateway.identify_payloads)


async def test_two_processes_on_two_shards_split_the_guild_and_dms_go_to_shard_zero() -> None:
    async with run_fake_discord() as fake:
        owner = (fake.guild_id >> 22) % 2
        first, second = sharded_client([0], 2), sharded_client([1], 2)
        async with running(fake, first), running(fake, second):
            assert shard_payloads(fake) == [[0, 2], [1, 2]]
            clients = {0: first, 1: second}
            assert clients[owner].get_guild(fake.guild_id) is not None
            assert clients[1 - owner].get_guild(fake.guild_id) is None

            got: dict[int, list[str]] = {0: [], 1: []}
            for shard, client in clients.items():
                client.event(_recorder(got[shard]))
            await fake.send_message(fake.text_channel_id, fake.alice, "in the guild")
            dm = {
                "id": str(fake.state.ids.next()),
                "channel_id": "1",
                "author": fake.alice.payload(),
                "content": "in a DM",
                "timestamp": "2026-01-01T00:00:00Z",
                "edited_timestamp": None,
                "tts": False,
                "mention_everyone": False,
                "mentions": [],
                "mention_roles": [],
                "attachments": [],
                "embeds": [],
                "pinned": False,
                "type": 0,
            }
            assert await fake.dispatch("MESSAGE_CREATE", dm) == 1
            await fake.wait_for(lambda: "in the guild" in got[owner] and "in a DM" in got[0])
            assert "in the guild" not in got[1 - owner]
            assert "in a DM" not in got[1]
        assert fake.internal_errors == []


def _recorder(into: list[str]):  # type: ignore[no-untyped-def]
    async def on_message(message: discord.Message) -> None:
        into.append(message.content)

    return on_message


@pytest.mark.slow
async def test_a_client_without_a_shard_count_asks_the_gateway_and_runs_every_shard() -> None:
    async with run_fake_discord(recommended_shards=2) as fake:
        client = sharded_client(None, None)
        with discord_endpoints(fake.api_base, fake.gateway_url):
            task = asyncio.create_task(client.start(fake.token))
            try:
                # discord.py waits 5 s before each IDENTIFY after the first
                await fake.wait_for(lambda: client.is_ready() or task.done(), 20)
                assert shard_payloads(fake) == [[0, 2], [1, 2]]
                assert client.get_guild(fake.guild_id) is not None
            finally:
                await client.close()
                await asyncio.wait_for(task, 5)
        assert fake.find_requests("GET", "/gateway/bot")


async def test_a_shard_id_beyond_the_count_is_refused_with_invalid_shard() -> None:
    async with run_fake_discord() as fake:
        client = sharded_client([2], 2)
        with contextlib.suppress(Exception):
            async with running(fake, client):
                pass
        assert 4010 in fake.gateway.server_close_codes
