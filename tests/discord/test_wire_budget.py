"""The bot's global request budget, measured where Discord measures it: on the wire.

Real discord.py writes through `DiscordPort` to the fake Discord, which records when each
request arrived. discord.py may hold a request back after the port let it go (a 429 it
retries, its own bucket), so the port must count a request until its window has passed
after the answer came back: then no 1 s window on the wire holds more than the budget.
The bot's other requests (opening a session thread) take their slots from the same budget.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.emulator.server import RunningEmulator
from cogs.keys import conversation_key
from cogs.port import DiscordLimits, DiscordPort
from tests.discord.wire_helpers import nemobot_running
from tests.fakediscord import FakeDiscord, make_bot, run_fake_discord, running

#: Small numbers keep the test short; the rule is the same at Discord's 50 per second.
PER_SECOND = 6
THREADS = 8
EDITS = 3
MESSAGE_EDIT = "/channels/{channel_id}/messages/{message_id}"


def most_in_any_window(times: list[float], window: float) -> int:
    """The most of `times` inside any half-open window of `window` seconds."""
    times = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= window:
            first += 1
        most = max(most, last - first + 1)
    return most


def channel_request_times(fake: FakeDiscord) -> list[float]:
    return [r.time for r in fake.requests if r.path.startswith("/channels/")]


@pytest.mark.slow
async def test_requests_held_back_by_discord_py_still_keep_the_global_budget_on_the_wire(
) -> None:
    # Plenty of room per channel: only the global budget is under test.
    async with run_fake_discord(message_rate_limit=(1000, 5.0)) as fake, running(
        fake, make_bot()
    ) as bot:
        port = DiscordPort(DiscordLimits(channel_writes=1000, requests_per_second=PER_SECOND))
        port.attach(bot)
        threads = [int((await fake.add_thread(name=f"s{n}"))["id"]) for n in range(THREADS)]
        await fake.wait_for(lambda: all(bot.get_channel(t) for t in threads))
        # Discord answers some edits 429: discord.py waits, then sends them again by itself.
        fake.force_rate_limit(PER_SECOND, method="PATCH", route=MESSAGE_EDIT, retry_after=1.2)

        async def stream(thread_id: int) -> None:
            key = conversation_key(thread_id)
            message_id = await port.send(key, "💭 Thinking…")
            for step in range(EDITS):
                await port.edit(key, message_id, f"part {step} of {thread_id}")

        await asyncio.gather(*(stream(t) for t in threads))

    assert most_in_any_window(channel_request_times(fake), 1.0) <= PER_SECOND
    for thread_id in threads:
        (message,) = fake.messages_in(thread_id)
        assert message["content"] == f"part {EDITS - 1} of {thread_id}"


#: Discord's global budget, as the fake enforces it for the real bot below.
DISCORD_PER_SECOND = 50
#: More `/video` at once than the budget has room for in a second: each opens a thread.
VIDEOS = 60
THREAD_FROM_MESSAGE = "/channels/{channel_id}/messages/{message_id}/threads"
_INTERACTION_PATHS = ("/interactions/", "/webhooks/")  # answered with the interaction token


def bot_token_request_times(fake: FakeDiscord) -> list[float]:
    """When each request that counts towards the bot's global budget arrived."""
    return [r.time for r in fake.requests
            if r.route is not None and not r.path.startswith(_INTERACTION_PATHS)]


@pytest.mark.slow
@pytest.mark.emulator(
    turn_scale=0.0, partial_text=True, partial_chunks=12, partial_interval_seconds=0.25
)
async def test_many_videos_at_once_open_every_thread_within_discords_global_budget(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    # Opening a thread counts towards Discord's 50 per second like a message write; made
    # beside the port's budget it drew global 429s while the first replies streamed (110
    # here, 134 requests in one second; discord.py gives up after five and the turn fails).
    async with run_fake_discord(global_rate_limit=(DISCORD_PER_SECOND, 1.0)) as fake, \
            nemobot_running(fake, emulator, tmp_path):
        await asyncio.gather(*(
            fake.invoke_slash("video", {"prompt": f"hello, this is thread {n}"})
            for n in range(VIDEOS)))

        def opened() -> list[int]:
            found = fake.find_requests("POST", THREAD_FROM_MESSAGE, status=201)
            return [int(r.response["id"]) for r in found]

        await fake.wait_for(lambda: len(opened()) >= VIDEOS, 120)
        threads = opened()
        bot_id = str(fake.bot_user.id)
        await fake.wait_for(lambda: all(
            any(str(m["author"]["id"]) == bot_id for m in fake.messages_in(t))
            for t in threads), 120)

    assert fake.rate_limited_count == 0
    assert most_in_any_window(bot_token_request_times(fake), 1.0) <= DISCORD_PER_SECOND
    assert len(set(threads)) == VIDEOS
