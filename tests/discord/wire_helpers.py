"""Running the real `nemobot run` start-up path against the wire-level fake Discord.

Shared by test_run_bot.py and test_wire.py: the settings that point the bot at the fake
and at the NemoVideo emulator, `nemobot_running` (run_bot in the background, stopped and
checked afterwards), and readers for what the bot sent into a session thread.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.core.timings import Timings
from bot.emulator.server import RunningEmulator
from bot.settings import Settings
from cogs.run_bot import run_bot
from tests.discord.conftest import REGISTERED_TOKEN
from tests.fakediscord import FakeDiscord, RecordedRequest

#: Upper bound for the bot to come up on the fake (it takes a fraction of a second).
READY_SECONDS = 10.0
#: Message writes: they share Discord's per-channel bucket (5 per 5 s).
MESSAGE_ROUTES = ("/channels/{channel_id}/messages", "/channels/{channel_id}/messages/{message_id}")
THREAD_FROM_MESSAGE = "/channels/{channel_id}/messages/{message_id}/threads"


def settings_for(
    fake: FakeDiscord, emulator: RunningEmulator, tmp_path: Path, **overrides: Any
) -> Settings:
    """Settings as `.env` would give them: Discord at the fake, NemoVideo at the emulator."""
    values: dict[str, Any] = {
        "discord_token": SecretStr(fake.token),
        "discord_api_base_url": fake.api_base,
        "discord_gateway_url": fake.gateway_url,
        "nemo_api_url": emulator.url,
        "nemo_token": SecretStr(REGISTERED_TOKEN),
        "database_path": tmp_path / "nemobot.sqlite3",
        **overrides,
    }
    return Settings(**values)


def commands_synced(fake: FakeDiscord) -> bool:
    return bool(fake.find_requests("PUT", "/applications/{application_id}/commands"))


def connected(fake: FakeDiscord) -> bool:
    """The bot has its guild over the gateway (commands are synced before it connects).

    Nobody waits for discord.py's `on_ready` (it comes `guild_ready_timeout` after the last
    GUILD_CREATE): interactions and messages are handled as soon as the guild is known.
    """
    return any(f.direction == "out" and f.t == "GUILD_CREATE" for f in fake.gateway_frames)


@contextlib.asynccontextmanager
async def nemobot_running(
    fake: FakeDiscord,
    emulator: RunningEmulator,
    tmp_path: Path,
    *,
    timings: Timings | None = None,
    **overrides: Any,
) -> AsyncIterator[asyncio.Task[int]]:
    """`run_bot` in the background until the block ends; it must then exit with 0.
    `timings` shrinks the engine's waits (default: the brief's)."""
    stop = asyncio.Event()
    settings = settings_for(fake, emulator, tmp_path, **overrides)
    task = asyncio.create_task(run_bot(settings, stop=stop, timings=timings))
    try:
        await fake.wait_for(lambda: connected(fake) or task.done(), READY_SECONDS)
        if task.done():
            task.result()  # raises what made the start-up fail
            raise AssertionError("nemobot stopped during start-up")
        yield task
    finally:
        stop.set()
        exit_code = await asyncio.wait_for(task, 10)
    assert exit_code == 0


async def open_session_thread(
    fake: FakeDiscord, prompt: str, *, timeout: float = READY_SECONDS
) -> int:
    """Alice runs `/video prompt`; returns the id of the thread the bot opened for it."""
    await fake.invoke_slash("video", {"prompt": prompt})
    opened: list[RecordedRequest] = await fake.wait_for(
        lambda: fake.find_requests("POST", THREAD_FROM_MESSAGE, status=201), timeout
    )
    return int(opened[0].response["id"])


def writes_in(fake: FakeDiscord, channel_id: int) -> list[RecordedRequest]:
    """The bot's message writes (POST and PATCH of messages) in one channel or thread."""
    prefix = f"/channels/{channel_id}/messages"
    return [
        r for r in fake.requests
        if r.method in ("POST", "PATCH") and r.route in MESSAGE_ROUTES
        and (r.path == prefix or r.path.startswith(prefix + "/"))
    ]


def button_custom_id(message: dict[str, Any], label: str) -> str | None:
    """The custom_id of the button labelled `label` under a message, if there is one."""
    for row in message.get("components") or []:
        for component in row.get("components") or []:
            if component.get("type") == 2 and component.get("label") == label:
                return str(component["custom_id"])
    return None


def mentioned_ids(allowed: dict[str, Any], kind: str) -> list[str]:
    return [str(i) for i in allowed.get(kind) or []]


def assert_bodies_match_discords_schema(fake: FakeDiscord) -> None:
    """No request body broke Discord's OpenAPI description, and some were checked."""
    assert fake.schema_skip_reason is None, fake.schema_skip_reason
    assert fake.schema_violations == [], [str(v) for v in fake.schema_violations]
    assert fake.schema_checked > 0
