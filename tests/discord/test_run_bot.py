"""`nemobot run` end to end on the wire: the real start-up path against the fake Discord.

`run_bot` opens the services, points discord.py at DISCORD_API_BASE_URL and
DISCORD_GATEWAY_URL, logs in, syncs the commands, serves a /video and stops on request.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import discord
import pytest
import regex

from bot.emulator.server import RunningEmulator
from bot.runtime import open_services
from cogs.client import NemoBot, bot_intents
from cogs.keys import conversation_key
from cogs.port import DiscordLimits, DiscordPort
from cogs.run_bot import run_bot
from tests.discord.wire_helpers import (
    READY_SECONDS,
    commands_synced,
    connected,
    nemobot_running,
    settings_for,
)
from tests.fakediscord import FakeDiscord, FakeFile, run_fake_discord, running

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with run_fake_discord() as running:
        yield running


async def test_nemobot_run_serves_a_video_on_the_configured_discord_and_stops_cleanly(
    fake: FakeDiscord,
    emulator: RunningEmulator,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # discord.py warns once per process; make this start the first.
    monkeypatch.setattr(discord.VoiceClient, "warn_nacl", True)
    monkeypatch.setattr(discord.VoiceClient, "warn_dave", True)
    caplog.set_level(logging.WARNING, logger="discord")
    stop = asyncio.Event()
    default_base = discord.http.Route.BASE
    bot_task = asyncio.create_task(run_bot(settings_for(fake, emulator, tmp_path), stop=stop))
    await fake.wait_for(lambda: connected(fake) or bot_task.done(), READY_SECONDS)
    assert commands_synced(fake)

    record = await fake.invoke_slash("video", {"prompt": "make a 15-second video of a sunset"})
    thread_posts = await fake.wait_for(
        lambda: [
            r for r in fake.find_requests("PATCH", "/channels/{channel_id}/messages/{message_id}")
            if r.body and r.body.get("components")
        ],
        READY_SECONDS,
    )
    thread_id = int(thread_posts[-1].path.split("/")[2])  # /channels/{thread}/messages/…
    # An attachment in the thread is streamed from the (fake) CDN to NemoVideo.
    await fake.send_message(thread_id, fake.alice, "", [FakeFile("logo.png", PNG)])
    await fake.wait_for(lambda: emulator.state.counters.uploads == 1, READY_SECONDS)
    stop.set()
    exit_code = await asyncio.wait_for(bot_task, 10)

    assert exit_code == 0
    assert record.calls, "the interaction was answered"
    assert "sunset" in thread_posts[-1].body["content"].lower()
    assert default_base == discord.http.Route.BASE  # restored for whoever runs next
    assert fake.schema_violations == []
    # A start says nothing about voice support, which nemobot never uses.
    assert not [r for r in caplog.records if "voice" in r.getMessage().lower()]


#: Discord's rule for a command or option name, and its localisations.
COMMAND_NAME = regex.compile(r"^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$")


async def test_slash_commands_are_synced_with_chinese_names_and_descriptions(
    fake: FakeDiscord, emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with nemobot_running(fake, emulator, tmp_path):
        [sync] = fake.find_requests("PUT", "/applications/{application_id}/commands")
        await fake.invoke_slash("help", locale="zh-TW")  # a Chinese client says /帮助
        [answer] = await fake.wait_for(
            lambda: fake.find_requests("POST", "/interactions/{interaction_id}/{token}/callback"),
            READY_SECONDS,
        )

    commands = {command["name"]: command for command in sync.body}
    assert {"video", "export", "status", "credits", "reset", "help"} <= commands.keys()
    assert commands["help"]["name_localizations"]["zh-CN"] == "帮助"
    assert commands["video"]["options"][0]["name_localizations"]["zh-TW"] == "描述"
    named = [*commands.values(), *(o for c in commands.values() for o in c.get("options", []))]
    for item in named:  # every command and option, in both Chinese locales
        for locale in ("zh-CN", "zh-TW"):
            name = item["name_localizations"][locale]
            description = item["description_localizations"][locale]
            assert COMMAND_NAME.match(name) and name == name.lower(), name
            assert name != item["name"] and description != item["description"]
            assert 1 <= len(description) <= 100 and regex.search(r"\p{Han}", description)
        assert "fr" not in item["name_localizations"]  # no catalogue, no localisation
    assert answer.body["data"]["content"].startswith("用 `/video prompt:…` 开始")
    assert fake.schema_violations == []


async def test_without_the_message_content_intent_the_bot_runs_anyway(
    emulator: RunningEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with run_fake_discord(allowed_privileged_intents=0) as fake:
        stop = asyncio.Event()
        with caplog.at_level(logging.WARNING, logger="cogs.run_bot"):
            bot_task = asyncio.create_task(
                run_bot(settings_for(fake, emulator, tmp_path), stop=stop)
            )
            await fake.wait_for(lambda: connected(fake) or bot_task.done(), READY_SECONDS)
            stop.set()
            exit_code = await asyncio.wait_for(bot_task, 10)

    assert exit_code == 0
    assert any("Message Content intent" in r.getMessage() for r in caplog.records)


async def test_a_burst_of_edits_stays_within_the_channel_bucket_without_a_single_429(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    # A short window keeps the test quick; the bucket is hidden from the headers, so only
    # the port's own budget can keep discord.py from meeting a 429.
    window = 0.5
    async with run_fake_discord(message_rate_limit=(5, window),
                                advertise_rate_limits=False) as fake:
        settings = settings_for(fake, emulator, tmp_path)
        port = DiscordPort(DiscordLimits(channel_writes=5, channel_window_seconds=window))
        async with open_services(settings, port) as services:
            bot = NemoBot(services, port, intents=bot_intents(), guild_ready_timeout=0.05)
            async with running(fake, bot):
                key = conversation_key(fake.text_channel_id)
                message_id = await port.send(key, "💭 Thinking…")
                for step in range(12):
                    await port.edit(key, message_id, f"part {step}")

    assert fake.rate_limited_count == 0
    assert fake.message(message_id)["content"] == "part 11"


async def test_sigint_stops_the_bot_cleanly(
    fake: FakeDiscord, emulator: RunningEmulator, tmp_path: Path
) -> None:
    bot_task = asyncio.create_task(run_bot(settings_for(fake, emulator, tmp_path)))
    await fake.wait_for(lambda: connected(fake) or bot_task.done(), READY_SECONDS)

    os.kill(os.getpid(), signal.SIGINT)  # what Ctrl+C (or `docker stop`'s SIGTERM) does
    exit_code = await asyncio.wait_for(bot_task, 10)

    assert exit_code == 0
    assert await fake.wait_for(lambda: fake.gateway.connected == 0)  # it hung up properly
