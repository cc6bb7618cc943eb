"""The Discord client: a `commands.Bot` handed its services by the start-up code.

`NemoBot` owns nothing it did not receive: the settings, store, NemoVideo client and
engine come from `bot.runtime.open_services` (`cogs.run_bot` closes them), and the chat
port is attached to it here. `setup_hook` loads the cog, registers the restart-proof
buttons and syncs the slash commands (translated from the message catalogue); the first
`on_connect` (READY) resumes what a previous run left in flight. `NemoTree` answers
slash-command failures in the user's language.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot.core.wording import Wording
from bot.runtime import Services
from cogs.access import has_allowed_role
from cogs.buttons import ActionButton
from cogs.http_trace import count_answers
from cogs.port import DiscordPort
from cogs.studio import Studio
from cogs.texts import CatalogueTranslator, EdgeTexts, language_from_locale

log = logging.getLogger(__name__)


def bot_intents(*, message_content: bool = True) -> discord.Intents:
    """Guilds, guild and DM messages, and (privileged) message content."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = message_content
    return intents


def use_discord_endpoints(api_base_url: str, gateway_url: str) -> None:
    """Point discord.py at `DISCORD_API_BASE_URL` and `DISCORD_GATEWAY_URL`.

    discord.py keeps both as class attributes (`Route.BASE`, the websocket's default
    gateway), so this is process-wide: one `nemobot run` process runs one bot.
    """
    discord.http.Route.BASE = api_base_url.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


class NemoTree(app_commands.CommandTree["NemoBot"]):
    """Slash commands: the role check for every command, and errors put into words."""

    async def interaction_check(self, interaction: discord.Interaction[NemoBot], /) -> bool:
        allowed = interaction.client.settings.allowed_role_ids
        if has_allowed_role(interaction.user, allowed):
            return True
        language = language_from_locale(interaction.locale)
        refusal = (
            EdgeTexts(language).not_allowed_in_dm()
            if interaction.guild is None
            else Wording(language).not_allowed()
        )
        await interaction.response.send_message(refusal, ephemeral=True)
        return False

    async def on_error(
        self, interaction: discord.Interaction[NemoBot], error: app_commands.AppCommandError, /
    ) -> None:
        if isinstance(error, app_commands.CheckFailure):
            return  # the check already told the user why
        command = interaction.command.qualified_name if interaction.command else "?"
        log.error("slash command /%s failed", command, exc_info=error)
        text = EdgeTexts(language_from_locale(interaction.locale)).something_went_wrong()
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)
        except discord.HTTPException:
            log.warning("could not tell the user that /%s failed", command)


class NemoBot(commands.Bot):
    """nemobot on Discord. Build it inside `open_services(...)`; close it before them."""

    def __init__(
        self,
        services: Services,
        port: DiscordPort,
        *,
        intents: discord.Intents | None = None,
        cdn_session: aiohttp.ClientSession | None = None,
        sync_commands: bool = True,
        guild_ready_timeout: float = 2.0,
        **options: Any,
    ) -> None:
        """`options` go to discord.py (`shard_count`, `shard_ids`)."""
        # nemobot never joins a voice channel: without this, every start logs two warnings
        # about voice libraries (PyNaCl, davey) that it has no use for.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents or bot_intents(),
            tree_cls=NemoTree,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=guild_ready_timeout,
            http_trace=count_answers(port.http_trace(), services.telemetry),
            **options,
        )
        self.services = services
        self.settings = services.settings
        self.store = services.store
        self.nemo = services.client
        self.engine = services.engine
        self.port = port
        #: Streams attachments from Discord's CDN; None reads them through discord.py.
        self.cdn_session = cdn_session
        self._sync_commands = sync_commands
        self._tasks: set[asyncio.Task[None]] = set()
        self._resumed = False
        port.attach(self)

    async def setup_hook(self) -> None:
        await self.tree.set_translator(CatalogueTranslator())
        await self.add_cog(Studio(self))
        self.add_dynamic_items(ActionButton)
        if self._sync_commands:
            synced = await self.tree.sync()
            log.info("synced %s slash commands", len(synced))

    async def on_connect(self) -> None:
        """READY: resume what the last run left, before this run's first turn starts.

        Not in `on_ready`: that comes `guild_ready_timeout` after the guilds arrive, and
        interactions and messages are handled in between, so a turn this run had just
        started would be taken for one that a restart cut off. A client refused at
        IDENTIFY (missing intents) never gets here.
        """
        if not self._resumed:
            self._resumed = True
            await self.engine.resume()

    async def on_ready(self) -> None:
        log.info("connected to Discord as %s in %s servers", self.user, len(self.guilds))
        if not self.intents.message_content:
            log.warning(
                "the Message Content intent is off: in session threads people must mention "
                "the bot (or use slash commands) for it to read their messages"
            )

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: `Studio` listens to messages itself."""

    def spawn(self, work: Coroutine[Any, Any, None], *, name: str) -> asyncio.Task[None]:
        """Run engine work in the background, so interactions are answered at once.

        A failure is reported through `on_error` (logged, and visible to tests); a
        missing permission is logged once per channel by the port.
        """
        task = asyncio.create_task(self._guarded(work, name), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _guarded(self, work: Coroutine[Any, Any, None], name: str) -> None:
        try:
            await work
        except discord.Forbidden:
            pass  # the port logged it, once per channel and kind of request
        except Exception:
            await self.on_error(name)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await super().close()
