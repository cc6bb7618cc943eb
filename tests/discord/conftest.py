"""A simulated Discord (simcord) around the real bot, engine, store and NemoVideo emulator.

`studio` builds the world: the emulator on loopback, a real SQLite store in tmp_path,
small timings, and `NemoBot` running on simcord's in-memory Discord with a guild, a text
channel and a member. `world.restart()` starts a new bot process on the same database.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
import pytest
import simcord
from aiohttp import web
from pydantic import SecretStr

from bot.core.timings import Timings
from bot.emulator.config import EmulatorConfig
from bot.emulator.server import RunningEmulator, run_emulator
from bot.runtime import Services, open_services
from bot.settings import Settings
from cogs.client import NemoBot, bot_intents
from cogs.port import DiscordLimits, DiscordPort

#: Every wait the engine makes, shrunk so a whole flow takes a fraction of a second.
FAST = Timings(
    edit_interval_seconds=0.02,
    still_working_seconds=120.0,
    rate_limit_retry_seconds=0.02,
    rate_limit_max_wait_seconds=0.02,
    recovery_first_check_seconds=0.02,
    recovery_interval_seconds=0.02,
    recovery_max_unchanged_checks=2,
    render_first_poll_seconds=0.05,
    render_poll_backoff=1.0,
    render_max_poll_seconds=0.05,
    render_give_up_seconds=30.0,
    shutdown_delivery_grace_seconds=1.0,
    lease_background=False,  # a loop that never ends never lets simcord settle; the
    # restarts here hand over at close, and tests/discord/test_failover.py covers both
)
#: Flow tests do not wait out Discord's 5-writes-per-5-s channel budget for real; the
#: budget itself is tested with Discord's numbers on a fake clock (test_port.py).
LOOSE_LIMITS = DiscordLimits(channel_writes=1000, channel_window_seconds=5.0)
#: A registered NemoVideo token (the emulator gives it 10,000 credits).
REGISTERED_TOKEN = "nmv_usr_registered_discord_tests"
#: simcord waits this long for the bot to finish reacting to one action.
SETTLE_SECONDS = 20.0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "emulator(**options): EmulatorConfig fields for this test's NemoVideo emulator"
    )


@pytest.fixture
async def emulator(request: pytest.FixtureRequest) -> AsyncIterator[RunningEmulator]:
    """The NemoVideo emulator with instant turns and quick renders (see the marker)."""
    marker = request.node.get_closest_marker("emulator")
    options: dict[str, Any] = {
        "turn_scale": 0.0, "render_seconds": 0.2, "silent_edit_rate": 0.0, "seed": 7,
        **(marker.kwargs if marker else {}),
    }
    async with run_emulator(EmulatorConfig(**options)) as running:
        yield running


@dataclass
class World:
    """One simulated Discord with nemobot in it."""

    env: simcord.Env
    bot: NemoBot
    emulator: RunningEmulator
    guild: simcord.GuildHandle
    channel: simcord.ChannelHandle
    alice: simcord.MemberActor
    alice_user: simcord.UserHandle
    restart: Callable[..., Awaitable[NemoBot]]
    services: list[Services] = field(default_factory=list)

    def thread(self) -> simcord.ChannelHandle:
        """The (only) thread opened in the studio channel."""
        threads = self.channel.threads
        assert len(threads) == 1, f"expected one thread, found {len(threads)}"
        return threads[0]

    def bot_messages(self, channel: simcord.ChannelHandle) -> list[discord.Message]:
        me = self.bot.user
        assert me is not None
        return [m for m in channel.history() if m.author.id == me.id]

    def requests(self, method: str, path_part: str) -> list[simcord.HttpLogEntry]:
        return [r for r in self.env.http_requests if r.method == method and path_part in r.path]

    def moderator(self) -> simcord.MemberActor:
        """A member who may delete other people's messages."""
        mods = self.guild.create_role(
            "Mods", permissions=discord.Permissions(manage_messages=True)
        )
        return self.guild.add_member(self.env.create_user("mod"), roles=[mods])

    def channel_edits(self, channel_id: int) -> list[object]:
        """The bodies of the bot's PATCHes of the channel itself (e.g. unarchiving)."""
        return [
            r.json for r in self.env.http_requests
            if r.method == "PATCH" and r.path == f"/channels/{channel_id}"
        ]

    async def idle(self) -> None:
        """Let background work (turns, renders) finish, as a user waiting would."""
        await self.env.settle()


def button_labels(message: discord.Message) -> list[str | None]:
    """The labels of the buttons under a message, in order."""
    return [
        child.label
        for row in message.components
        if isinstance(row, discord.ActionRow)
        for child in row.children
        if isinstance(child, discord.Button)
    ]


def said(message: discord.Message | Any) -> str:
    """What a message says in words: its content, then its cards' titles, descriptions,
    fields and footers (embeds), one per line."""
    parts = [message.content]
    for embed in message.embeds:
        parts += [embed.title or "", embed.description or ""]
        parts += [f"{field.name}: {field.value}" for field in embed.fields]
        parts.append(embed.footer.text or "")
    return "\n".join(part for part in parts if part)


def has_mp4(message: discord.Message) -> bool:
    return bool(message.attachments) and message.attachments[0].filename.endswith(".mp4")


async def renders_finished(emulator: RunningEmulator, timeout: float = 15.0) -> None:
    """Wait until the emulator has finished every render (it renders real MP4s, in real
    time), so the bot's next poll, moved forward with `advance_time`, sees them done."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    state = emulator.state
    while any(
        render.status_at(state.clock())[0] not in ("completed", "failed")
        for render in state.renders.values()
    ):
        assert loop.time() < deadline, "the emulator did not finish its renders"
        await asyncio.sleep(0.05)


async def start_video(world: World, prompt: str) -> simcord.ChannelHandle:
    """Alice runs /video in the studio channel; returns the session thread."""
    await world.alice.slash(world.channel, "video", prompt=prompt)
    await world.idle()
    return world.thread()


@contextlib.asynccontextmanager
async def hanging_nemovideo() -> AsyncIterator[str]:
    """A NemoVideo address that accepts every request and never answers (until the end)."""
    release = asyncio.Event()

    async def never(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(status=503)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", never)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        release.set()
        await runner.cleanup()


class SwitchableProxy:
    """A TCP forwarder to `target` on a fixed loopback port that can stop listening:
    while refused, a connection to it fails before any byte is sent (ECONNREFUSED)."""

    def __init__(self, target: str) -> None:
        host, _, port = target.removeprefix("http://").partition(":")
        self._target = (host, int(port.rstrip("/")))
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def accept(self) -> None:
        self._server = await asyncio.start_server(self._link, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def refuse(self) -> None:
        """Stop listening and cut every open connection (pooled ones included)."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._links):
            writer.close()
        self._links.clear()

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self._target)
        self._links.update((writer, up_writer))

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while block := await source.read(65536):
                    sink.write(block)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@contextlib.asynccontextmanager
async def switchable_proxy(target: str) -> AsyncIterator[SwitchableProxy]:
    proxy = SwitchableProxy(target)
    await proxy.accept()
    try:
        yield proxy
    finally:
        await proxy.refuse()


WorldFactory = Callable[..., Awaitable[World]]


@pytest.fixture
async def studio(tmp_path: Path, emulator: RunningEmulator) -> AsyncIterator[WorldFactory]:
    """`await studio(**settings)` builds a world; everything is torn down afterwards."""
    async with contextlib.AsyncExitStack() as stack:

        async def build(
            *,
            message_content: bool = True,
            timings: Timings = FAST,
            limits: DiscordLimits = LOOSE_LIMITS,
            **overrides: Any,
        ) -> World:
            overrides.setdefault("nemo_token", REGISTERED_TOKEN)
            settings = Settings(
                discord_token=SecretStr("simcord"),
                nemo_api_url=emulator.url,
                database_path=tmp_path / "nemobot.sqlite3",
                **overrides,
            )
            services_seen: list[Services] = []
            running: list[contextlib.AsyncExitStack] = []  # the current bot's services
            stack.push_async_callback(lambda: running[-1].aclose())

            async def new_bot(api_url: str | None = None, **changes: Any) -> NemoBot:
                port = DiscordPort(limits)
                own = contextlib.AsyncExitStack()
                running.append(own)
                services = await own.enter_async_context(
                    open_services(
                        settings.model_copy(update=changes), port, api_url=api_url,
                        timings=timings,
                    )
                )
                services_seen.append(services)
                return NemoBot(
                    services, port, intents=bot_intents(message_content=message_content)
                )

            bot = await new_bot()
            approved = None if message_content else bot_intents(message_content=False)
            env = simcord.Env(bot, settle_timeout=SETTLE_SECONDS, approved_intents=approved)
            await env.start()

            async def shut_down() -> None:
                await env.shutdown()
                if env.check_errors:
                    env.raise_errors()  # as simcord's fixture (no test acknowledges any)

            stack.push_async_callback(shut_down)
            guild = env.create_guild("Studio Guild")
            channel = guild.create_text_channel("studio")
            alice_user = env.create_user("alice")
            alice = guild.add_member(alice_user)
            await env.settle()

            async def restart(api_url: str | None = None, **changes: Any) -> NemoBot:
                """A new bot process on the same database (optionally another NemoVideo, or
                changed settings), after the old one stopped as `nemobot run` stops: its
                work in flight is left in the database for the new one."""
                await running[-1].aclose()
                fresh = await new_bot(api_url, **changes)
                await env.restart_bot(fresh)
                world.bot = fresh
                return fresh

            world = World(
                env, bot, emulator, guild, channel, alice, alice_user, restart, services_seen
            )
            return world

        yield build
