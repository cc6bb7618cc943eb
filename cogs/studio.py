"""The studio: nemobot's slash commands and the listener that turns thread talk into turns.

`/video` opens a public thread from a short starter message and binds it to a new
NemoVideo session; from then on every message people write in that thread is a turn,
routed by the engine (export / credits / status / upload / chat). In a DM the DM itself
is the conversation. Every interaction is answered (or deferred) before any NemoVideo
call, so none misses Discord's 3-second deadline; the engine's work runs in the
background (`NemoBot.spawn`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Literal

import aiohttp
import discord
from discord import app_commands
from discord.app_commands import locale_str
from discord.ext import commands

from bot.core import CHUNK_BYTES
from bot.core.port import Attachment, AttachmentUnavailable, IncomingMessage
from bot.core.records import Language
from bot.core.wording import Wording
from cogs.access import (
    IN_THREAD_PERMISSIONS,
    THREAD_PERMISSIONS,
    has_allowed_role,
    may_manage_bot,
    may_manage_threads,
    missing,
)
from cogs.buttons import card_view
from cogs.keys import conversation_key
from cogs.replies import NO_MENTIONS, clip
from cogs.status_reply import send_card_privately, send_status
from cogs.texts import EdgeTexts, language_from_locale, language_from_text

if TYPE_CHECKING:
    from cogs.client import NemoBot

log = logging.getLogger(__name__)

#: Discord's limit for a thread name.
MAX_THREAD_NAME_CHARS = 100
#: How much of the prompt the starter message quotes.
STARTER_EXCERPT_CHARS = 200
#: Threads hide after a day without activity (sending in one brings it back).
THREAD_AUTO_ARCHIVE_MINUTES: Literal[1440] = 1440
#: How long Discord's CDN may take to accept the connection for an attachment.
ATTACHMENT_CONNECT_SECONDS = 10.0
#: How long `/reset`'s confirmation button works.
CONFIRM_SECONDS = 300.0
#: Message kinds people write; joins, pins, thread-created notices and the like are not turns.
USER_MESSAGE_TYPES = frozenset({discord.MessageType.default, discord.MessageType.reply})


def one_line(text: str) -> str:
    return " ".join(text.split())


def shorten(text: str, limit: int) -> str:
    """`text` on one line, cut to `limit` characters with an ellipsis."""
    flat = one_line(text)
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def thread_name(prompt: str) -> str:
    """A thread named after the prompt, within Discord's 100 characters."""
    return shorten(prompt, MAX_THREAD_NAME_CHARS) or "video"


def without_mention(content: str, user_id: int) -> str:
    """The message text with mentions of the bot removed."""
    return re.sub(rf"<@!?{user_id}>", " ", content).strip()


def incoming_attachment(
    item: discord.Attachment, session: aiohttp.ClientSession | None, read_timeout_seconds: float
) -> Attachment:
    """A Discord attachment as the engine sees it: declared name and size, bytes on demand.

    With a CDN session the bytes are streamed in blocks (a 200 MB clip never sits in
    memory), and a CDN that does not connect in ATTACHMENT_CONNECT_SECONDS or goes silent
    for `read_timeout_seconds` is given up on; without a session they are read through
    discord.py, within `read_timeout_seconds`.
    """
    timeout = aiohttp.ClientTimeout(
        total=None, sock_connect=ATTACHMENT_CONNECT_SECONDS, sock_read=read_timeout_seconds
    )

    async def chunks() -> AsyncIterator[bytes]:
        try:
            if session is None:
                async with asyncio.timeout(read_timeout_seconds):
                    data = await item.read()
                yield data
                return
            async with session.get(item.url, timeout=timeout) as response:
                response.raise_for_status()
                async for block in response.content.iter_chunked(CHUNK_BYTES):
                    yield block
        except (aiohttp.ClientError, discord.HTTPException, TimeoutError) as exc:
            raise AttachmentUnavailable(item.filename) from exc

    return Attachment(
        filename=item.filename,
        size_bytes=item.size,
        open=chunks,
        content_type=item.content_type,
    )


class ConfirmReset(discord.ui.View):
    """The button under `/reset`'s question; only the member who asked can press it."""

    def __init__(self, bot: NemoBot, key: str, requester_id: int, texts: EdgeTexts) -> None:
        super().__init__(timeout=CONFIRM_SECONDS)
        self._bot, self._key, self._requester, self._texts = bot, key, requester_id, texts
        self.confirm.label = texts.label_reset_confirm()

    @discord.ui.button(emoji="🆕", style=discord.ButtonStyle.danger)
    async def confirm(
        self, interaction: discord.Interaction[NemoBot], _button: discord.ui.Button[ConfirmReset]
    ) -> None:
        if interaction.user.id != self._requester:
            await interaction.response.send_message(self._texts.reset_not_owner(), ephemeral=True)
            return
        self.stop()
        await interaction.response.defer()  # the reset may wait on NemoVideo
        failure = await self._bot.engine.reset(self._key, owner_id=self._requester)
        await interaction.edit_original_response(
            content=clip(failure or self._texts.reset_done()), view=None
        )


class Studio(commands.Cog):
    """Slash commands and session threads."""

    def __init__(self, bot: NemoBot) -> None:
        self.bot = bot
        #: (user, channel) pairs already told they may not use the bot, to say it once.
        self._refused: set[tuple[int, int]] = set()

    # ----- helpers -------------------------------------------------------------------

    def _attachments(self, items: Sequence[discord.Attachment]) -> list[Attachment]:
        read_timeout = self.bot.settings.download_read_timeout_seconds
        return [incoming_attachment(item, self.bot.cdn_session, read_timeout) for item in items]

    async def _begin(
        self,
        key: str,
        author_id: int,
        prompt: str,
        attachments: Sequence[Attachment],
        language: Language,
    ) -> None:
        """A fresh session for `key`, then the first turn in it."""
        first = IncomingMessage(key, author_id, prompt, tuple(attachments))
        await self.bot.engine.begin(first, language=language)

    async def _turn(self, message: IncomingMessage, language: Language) -> None:
        await self.bot.engine.handle(message, language=language)

    @staticmethod
    async def _private(interaction: discord.Interaction[NemoBot], text: str) -> None:
        await interaction.response.send_message(
            clip(text), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    # ----- slash commands ------------------------------------------------------------

    # Names and descriptions are `locale_str`: the catalogue translates them (texts.py's
    # CatalogueTranslator), and `pybabel extract` finds them there.

    @app_commands.command(
        name=locale_str("video"),
        description=locale_str("Start a new video: I open a thread for it and get to work."),
    )
    @app_commands.rename(prompt=locale_str("prompt"), attachment=locale_str("attachment"))
    @app_commands.describe(
        prompt=locale_str(
            "Describe the video, e.g. a 15-second sunset over a mountain lake with music"
        ),
        attachment=locale_str("An image, clip or song to use in it (optional)"),
    )
    async def video(
        self,
        interaction: discord.Interaction[NemoBot],
        prompt: app_commands.Range[str, 1, 1800],
        attachment: discord.Attachment | None = None,
    ) -> None:
        language = language_from_locale(interaction.locale)
        texts = EdgeTexts(language)
        user = interaction.user
        files = self._attachments([attachment] if attachment else [])
        channel = interaction.channel

        if interaction.guild is None or isinstance(channel, discord.Thread):
            key = conversation_key(interaction.channel_id or 0)
            if interaction.guild is not None:
                engine = self.bot.engine  # a session still starting is one, without waiting
                if engine.is_starting(key) or await engine.is_session(key):
                    await self._private(interaction, texts.just_type())
                    return
                lacking = missing(interaction.app_permissions, IN_THREAD_PERMISSIONS)
                if lacking:
                    await self._private(interaction, texts.missing_permissions(lacking))
                    return
            # A DM, or a thread that is not a session yet: the conversation is right here.
            await interaction.response.send_message(
                texts.bound_here(shorten(prompt, STARTER_EXCERPT_CHARS)),
                allowed_mentions=NO_MENTIONS,
            )
            self.bot.engine.expect_session(key)
            self.bot.spawn(
                self._begin(key, user.id, prompt, files, language), name=f"video-{key}"
            )
            return

        if not isinstance(channel, discord.TextChannel):
            await self._private(interaction, texts.wrong_channel())
            return
        lacking = missing(interaction.app_permissions, THREAD_PERMISSIONS)
        if lacking:
            await self._private(interaction, texts.missing_permissions(lacking))
            return
        answer = await interaction.response.send_message(
            texts.starter(user.mention, shorten(prompt, STARTER_EXCERPT_CHARS)),
            allowed_mentions=NO_MENTIONS,
        )
        try:
            # The interaction's answer is outside the bot's global budget; the thread is not.
            starter = answer.resource
            if not isinstance(starter, discord.InteractionMessage):
                starter = await interaction.original_response()
            thread = await self.bot.port.request(
                lambda: starter.create_thread(
                    name=thread_name(prompt), auto_archive_duration=THREAD_AUTO_ARCHIVE_MINUTES
                )
            )
        except discord.HTTPException as exc:
            log.warning("could not open a thread in channel %s: %s", channel.id, exc)
            await interaction.followup.send(texts.thread_failed(), ephemeral=True)
            return
        log.info("video session thread %s opened by %s", thread.id, user.id)
        key = conversation_key(thread.id)
        self.bot.engine.expect_session(key)  # commands in the new thread wait for it
        self.bot.spawn(self._begin(key, user.id, prompt, files, language), name=f"video-{key}")

    @app_commands.command(
        name=locale_str("export"),
        description=locale_str("Render this thread's video as an MP4 and post it here."),
    )
    async def export(self, interaction: discord.Interaction[NemoBot]) -> None:
        texts = EdgeTexts(language_from_locale(interaction.locale))
        key = conversation_key(interaction.channel_id or 0)
        # A session still being created is waited for by the export, not refused.
        starting = self.bot.engine.is_starting(key)
        if not starting and not await self.bot.engine.is_session(key):
            await self._private(interaction, texts.no_session())
            return
        await self._private(
            interaction, texts.export_when_started() if starting else texts.export_requested()
        )
        self.bot.spawn(self.bot.engine.export(key, interaction.user.id), name=f"export-{key}")

    @app_commands.command(
        name=locale_str("cancel"),
        description=locale_str(
            "Stop what is running in this thread: a reply, the messages waiting, a render."
        ),
    )
    async def cancel(self, interaction: discord.Interaction[NemoBot]) -> None:
        """Only who asked for it, or someone who can manage threads, may cancel a reply, a
        waiting message or a render (`Engine.cancel`); the answer is private."""
        key = conversation_key(interaction.channel_id or 0)
        text = await self.bot.engine.cancel(
            key, interaction.user.id, may_manage=may_manage_threads(interaction)
        )
        await self._private(interaction, text)

    @app_commands.command(
        name=locale_str("status"),
        description=locale_str("Show this thread's timeline: its clips, music, titles and length."),
    )
    async def status(self, interaction: discord.Interaction[NemoBot]) -> None:
        texts = EdgeTexts(language_from_locale(interaction.locale))
        key = conversation_key(interaction.channel_id or 0)
        starting = self.bot.engine.is_starting(key)
        if not starting and not await self.bot.engine.is_session(key):
            await self._private(interaction, texts.no_session())
            return
        # Only the one who asked sees it, as with the Timeline button; a starting session
        # is waited for.
        await interaction.response.defer(ephemeral=True, thinking=True)
        language = (await self.bot.engine.wording_for(key)).language
        reply = await self.bot.engine.status_reply(key)
        view = card_view(reply.card, interaction.channel_id or 0, language) if reply.card else None
        await send_status(interaction, reply, view)

    @app_commands.command(
        name=locale_str("versions"),
        description=locale_str(
            "List the videos posted in this thread, newest first, to post one again."
        ),
    )
    async def versions(self, interaction: discord.Interaction[NemoBot]) -> None:
        """Privately: every delivered video of the thread, with Post again buttons."""
        texts = EdgeTexts(language_from_locale(interaction.locale))
        key = conversation_key(interaction.channel_id or 0)
        if not await self.bot.store.get_conversation(key):
            await self._private(interaction, texts.no_session())
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        card = await self.bot.engine.versions_card(key)
        language = (await self.bot.engine.wording_for(key)).language
        await send_card_privately(
            interaction, card, card_view(card, interaction.channel_id or 0, language)
        )

    @app_commands.command(
        name=locale_str("credits"),
        description=locale_str(
            "Show how many NemoVideo credits are left (only you see the answer)."
        ),
    )
    async def credits(self, interaction: discord.Interaction[NemoBot]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        key = conversation_key(interaction.channel_id or 0)
        text = await self.bot.engine.credits_text(key)
        if may_manage_bot(interaction) and await self.bot.engine.bind_link():
            # Only an admin, and only privately: the link claims the bot's shared account.
            text += "\n\n" + await self.bot.engine.add_credits_text(key, admin=True)
        await interaction.followup.send(clip(text), ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(
        name=locale_str("reset"),
        description=locale_str(
            "Start this thread over with a fresh video session (the old timeline is dropped)."
        ),
    )
    async def reset(self, interaction: discord.Interaction[NemoBot]) -> None:
        texts = EdgeTexts(language_from_locale(interaction.locale))
        key = conversation_key(interaction.channel_id or 0)
        if self.bot.engine.is_starting(key):  # nothing to throw away yet
            await self._private(interaction, texts.session_starting())
            return
        record = await self.bot.store.get_conversation(key)
        if record is None:
            await self._private(interaction, texts.no_session())
            return
        is_owner = record.owner_id in (None, interaction.user.id)
        if interaction.guild is not None and not (
            is_owner or interaction.permissions.manage_threads
        ):
            await self._private(interaction, texts.reset_not_owner())
            return
        # Throwing a timeline away is not undone: ask first, privately, with a button.
        await interaction.response.send_message(
            texts.reset_confirm(),
            view=ConfirmReset(self.bot, key, interaction.user.id, texts),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @app_commands.command(
        name=locale_str("help"), description=locale_str("How to make a video with nemobot.")
    )
    async def help(self, interaction: discord.Interaction[NemoBot]) -> None:
        language = language_from_locale(interaction.locale)
        text = f"{EdgeTexts(language).help_intro()}\n\n{Wording(language).help()}"
        await self._private(interaction, text)

    # ----- people talking --------------------------------------------------------------

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Every message people write in a session thread (or a DM) is a turn."""
        me = self.bot.user
        if me is None or message.author.bot or message.webhook_id is not None:
            return
        if message.type not in USER_MESSAGE_TYPES:
            return
        channel = message.channel
        key = conversation_key(channel.id)
        text = without_mention(message.content, me.id)
        if message.guild is not None:
            is_session = isinstance(channel, discord.Thread) and await self.bot.engine.is_session(
                key
            )
            if not is_session:
                if any(user.id == me.id for user in message.mentions):
                    texts = EdgeTexts(language_from_text(text))
                    with contextlib.suppress(discord.Forbidden):  # the port logged it
                        await self.bot.port.send(key, texts.use_video_hint())
                return
        if not text and not message.attachments:
            return  # without the Message Content intent, only mentions arrive with text
        if not has_allowed_role(message.author, self.bot.settings.allowed_role_ids):
            await self._refuse(message, key)
            return
        incoming = IncomingMessage(
            key, message.author.id, text, tuple(self._attachments(message.attachments))
        )
        self.bot.spawn(self._turn(incoming, language_from_text(text)), name=f"turn-{key}")

    async def _refuse(self, message: discord.Message, key: str) -> None:
        """Tell someone once per thread that they may not use the bot."""
        told = (message.author.id, message.channel.id)
        if told in self._refused:
            return
        self._refused.add(told)
        language = (await self.bot.engine.wording_for(key)).language
        refusal = (
            EdgeTexts(language).not_allowed_in_dm()
            if message.guild is None
            else Wording(language).not_allowed()
        )
        with contextlib.suppress(discord.Forbidden):  # the port logged it
            await self.bot.port.send(key, refusal)
