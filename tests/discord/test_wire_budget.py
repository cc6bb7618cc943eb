"""The bot's global request budget, measured where Discord measures it: on the wire.

Real discord.py writes through `DiscordPort` to the fake Discord, which records when each
request arrived. discord.py may hold a request back after the port let it go (a 429 it
retries, its own bucket), so the port must count a request until its window has passed
after the answer came back: then no 1 s window on the wire holds more than the budget.
"""

from __future__ import annotations

import asyncio

import pytest

from cogs.keys import conversation_key
from cogs.port import DiscordLimits, DiscordPort
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
