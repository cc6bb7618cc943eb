"""The usual ways of streaming an LLM reply into Discord, as a small bot for bench/live_load.py.

    python bench/reference_relay.py every-event|global-timer

Configured by the same environment as `nemobot run` (DISCORD_TOKEN, DISCORD_API_BASE_URL,
DISCORD_GATEWAY_URL, NEMO_API_URL, NEMO_TOKEN). It opens a NemoVideo session for every
thread created in the guild and streams the reply to each message posted in it:

- `every-event`: edit the message on every streamed chunk (waiting for each edit);
- `global-timer`: one 1 s timer for the whole bot edits every message whose text changed
  (llmcord's approach).

A reply past 2,000 characters continues in a new message, split as nemobot splits it. No
GUI translation, no pacing, no budgets of its own: discord.py's rate-limit handling only.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import discord
import httpx
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.message_split import split_message
from bot.nemo.auth import MemoryCredentialStore, TokenSource
from bot.nemo.client import Attribution, NemoClient
from bot.nemo.events import TextEvent
from cogs.client import use_discord_endpoints

TIMER_SECONDS = 1.0


class Reply:
    """The messages of one reply and the text they should show."""

    def __init__(self, channel: discord.Thread, first: discord.Message) -> None:
        self.channel = channel
        self.messages = [first]
        self.shown: list[str] = ["…"]
        self.text = ""

    async def push(self) -> None:
        pages = split_message(self.text) or ["…"]
        for index, page in enumerate(pages):
            if index < len(self.messages):
                if self.shown[index] != page:
                    await self.messages[index].edit(content=page)
                    self.shown[index] = page
            else:
                self.messages.append(await self.channel.send(page))
                self.shown.append(page)


class Relay(discord.Client):
    def __init__(self, strategy: str, nemo: NemoClient) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_messages = True
        intents.message_content = True
        super().__init__(intents=intents)
        self.strategy = strategy
        self.nemo = nemo
        self.sessions: dict[int, str] = {}
        self.live: dict[int, Reply] = {}
        self.dirty: set[int] = set()
        self.ticker: asyncio.Task[None] | None = None

    async def setup_hook(self) -> None:
        if self.strategy == "global-timer":
            self.ticker = asyncio.create_task(self.tick())

    async def on_thread_create(self, thread: discord.Thread) -> None:
        self.sessions[thread.id] = (await self.nemo.create_session()).session_id

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or not isinstance(message.channel, discord.Thread):
            return
        session_id = self.sessions.get(message.channel.id)
        if session_id is None:
            session_id = self.sessions[message.channel.id] = (
                await self.nemo.create_session()
            ).session_id
        first = await message.channel.send("…")
        reply = Reply(message.channel, first)
        self.live[message.channel.id] = reply
        said = ""
        async for event in self.nemo.stream_chat(session_id, message.content):
            if not isinstance(event, TextEvent):
                continue
            said += event.text  # the client passes only what the final event adds
            reply.text = said
            if self.strategy == "every-event":
                await reply.push()
            else:
                self.dirty.add(message.channel.id)
        self.dirty.discard(message.channel.id)
        await reply.push()

    async def tick(self) -> None:
        while True:
            await asyncio.sleep(TIMER_SECONDS)
            due, self.dirty = self.dirty, set()
            await asyncio.gather(
                *(self.live[c].push() for c in due), return_exceptions=True
            )


async def main(strategy: str) -> None:
    use_discord_endpoints(os.environ["DISCORD_API_BASE_URL"], os.environ["DISCORD_GATEWAY_URL"])
    token = SecretStr(os.environ["NEMO_TOKEN"])
    limits = httpx.Limits(max_connections=int(os.environ.get("NEMO_MAX_CONNECTIONS", "1000")))
    async with httpx.AsyncClient(
        base_url=os.environ["NEMO_API_URL"], timeout=httpx.Timeout(900.0), limits=limits
    ) as http:
        tokens = TokenSource(static_token=token, store=MemoryCredentialStore(),
                             api_url=os.environ["NEMO_API_URL"])
        nemo = NemoClient(http, tokens, Attribution("bench", "0", "bench"))
        relay = Relay(strategy, nemo)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        async with relay:
            running = asyncio.create_task(relay.start(os.environ["DISCORD_TOKEN"]))
            await asyncio.wait(
                {running, asyncio.create_task(stop.wait())}, return_when=asyncio.FIRST_COMPLETED
            )
            await relay.close()


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in ("every-event", "global-timer"):
        sys.exit(__doc__)
    asyncio.run(main(sys.argv[1]))
