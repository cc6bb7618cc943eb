"""`DiscordPort`: the engine's chat port on Discord.

A conversation key is `"discord:<channel id>"` (a session thread, or a DM channel). The
port turns the engine's calls into Discord messages and keeps Discord happy:

- rate: every message write waits for the channel's budget (5 writes per 5 s), and every
  request for the bot's global one (50 requests per second, shared fairly: the channel
  whose shown text is oldest goes first), counted as Discord counts them, so that many
  long streamed replies at once do not run into 429s. A write takes its global slot before
  its text is read (so it shows the newest text); with discord.py's HTTP session traced
  (`http_trace`, as `NemoBot` does) every other request takes its slot when it really
  leaves, after any wait of discord.py's own for a route's bucket (opening many threads
  in one channel), so that wait holds no slot; otherwise (another HTTP layer, as in
  simcord) around the call;
- mentions: nothing pings anyone (`AllowedMentions.none()`) except the one message with
  `ping_user`, which may ping that user and nobody else;
- length: text over 2000 characters is split into several messages, buttons under the last;
- cards: the engine's cards are embeds (`cogs.cards`) with their buttons, and their files
  in the same message; they, edits and deletes are message writes like any other, within
  the same budgets;
- time: `clock_since` gives the engine a Discord timestamp (`<t:…:R>`) for its live status
  lines, which counts up by itself without extra edits;
- threads: an archived thread is unarchived before the bot posts or edits in it;
- failures: a deleted message, or one too old to edit, raises `MessageGone` (the engine
  posts a new one); a missing permission is logged once per channel and re-raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, TypeVar

import aiohttp
import discord

from bot.core.card import Card
from bot.core.message_split import MAX_MESSAGE_CHARS, split_message
from bot.core.port import Action, MessageGone, OutgoingFile, Text, text_of
from bot.core.rate_budget import RateBudget
from bot.core.records import Language
from bot.core.shared_budget import Budget
from cogs.buttons import action_view, card_view
from cogs.cards import card_embed
from cogs.keys import channel_id_of
from cogs.replies import NO_MENTIONS, clip, only_user

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Discord keeps these out of the bot's global limit (the interaction token is the auth).
_OUTSIDE_GLOBAL_LIMIT = ("/interactions/", "/webhooks/")
#: True while the current task makes a message write that holds its global slot already.
_WRITING: contextvars.ContextVar[bool] = contextvars.ContextVar("discord_write", default=False)

#: Discord's upload limit where the guild has no boost (and in DMs).
DEFAULT_UPLOAD_BYTES = 10 * 1024 * 1024
#: Discord error codes the port handles.
EDIT_BUDGET_EXHAUSTED = 30046  # a message older than an hour was edited too often
ARCHIVED_THREAD = 50083
REQUEST_TOO_LARGE = 40005


def _pinging(text: str, ping_user: int | None) -> str:
    """`text` that mentions `ping_user` (the one person a message may ping), if any."""
    if ping_user is not None and f"<@{ping_user}>" not in text:
        return f"<@{ping_user}> {text}"
    return text


def _nonce(nonce: str | None) -> str | int:
    """The nonce for `Messageable.send`: ours, or a random one as discord.py would pick."""
    return secrets.randbits(64) if nonce is None else nonce


def _discord_files(files: Sequence[OutgoingFile]) -> list[discord.File]:
    """Fresh `discord.File`s (each can be sent once: a retried post needs new ones)."""
    return [discord.File(f.path, description=f.description or None) for f in files]


@dataclass(frozen=True, slots=True)
class DiscordLimits:
    """Discord's budgets the port keeps within (tests may loosen them)."""

    channel_writes: int = 5
    channel_window_seconds: float = 5.0
    #: Discord allows 50 per second for the whole bot; discord.py also makes requests of its
    #: own beside the port (log-in, command sync, member and channel fetches), so the port
    #: leaves them a tenth.
    requests_per_second: int = 45


class DiscordPort:
    """The engine's port on Discord. Build it first, then `attach(bot)`."""

    max_message_chars = MAX_MESSAGE_CHARS

    def __init__(
        self,
        limits: DiscordLimits | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        global_budget: Budget | None = None,
    ) -> None:
        """`global_budget`: one shared with other processes (`SharedBudget`); by default
        this process's own, `limits.requests_per_second`."""
        self.limits = limits or DiscordLimits()
        self._clock = clock
        self._sleep = sleep
        self._bot: discord.Client | None = None
        self._channel_budgets: dict[int, RateBudget] = {}
        self._channel_locks: dict[int, asyncio.Lock] = {}
        self._global_budget: Budget = global_budget or RateBudget(
            self.limits.requests_per_second, 1.0, clock=clock, sleep=sleep
        )
        self._last_write: dict[int, float] = {}  # when a channel's shown text last changed
        self._last_place: dict[int, float] = {}  # the queue place its last write had
        self._fetched: dict[int, discord.abc.Messageable] = {}
        self._warned: set[tuple[int, str]] = set()
        self._http_counts = False  # True once discord.py's HTTP session is traced

    def http_trace(self) -> aiohttp.TraceConfig:
        """For discord.py's HTTP session: a request to Discord's API that is not a message
        write of the port's (those hold their slot already) takes its global slot as it
        leaves and gives it back with its answer; interaction and webhook requests are
        outside Discord's global limit. From then on the port takes no slots for them.

        A request discord.py holds back for its own route bucket (opening threads in one
        channel, say) then waits without holding a slot other channels could use.
        """
        budget = self._global_budget

        async def leaving(
            _: aiohttp.ClientSession,
            context: SimpleNamespace,
            request: aiohttp.TraceRequestStartParams,
        ) -> None:
            path = request.url.path
            if _WRITING.get() or "/api/" not in path:
                return
            if not any(part in path for part in _OUTSIDE_GLOBAL_LIMIT):
                context.slot = await budget.take()

        async def answered(_: aiohttp.ClientSession, context: SimpleNamespace, __: object) -> None:
            taken = getattr(context, "slot", None)
            if taken is not None:
                budget.give_back(taken)

        trace = aiohttp.TraceConfig()
        trace.on_request_start.append(leaving)
        trace.on_request_end.append(answered)
        trace.on_request_exception.append(answered)
        self._http_counts = True
        return trace

    def attach(self, bot: discord.Client) -> None:
        """Use this bot from now on (a restart in the same process attaches the new one)."""
        self._bot = bot
        self._fetched.clear()

    @property
    def bot(self) -> discord.Client:
        if self._bot is None:
            raise RuntimeError("DiscordPort.attach(bot) was not called")
        return self._bot

    # ----- the ChatPort protocol ---------------------------------------------------------

    async def send(
        self,
        conversation: str,
        text: Text,
        *,
        actions: Sequence[Action] = (),
        language: Language = "en",
        ping_user: int | None = None,
        nonce: str | None = None,
        continued: bool = False,
    ) -> str:
        channel_id = channel_id_of(conversation)
        channel = await self._channel(channel_id)
        pages: list[Text]
        if callable(text):  # one page, read when it leaves
            source = text
            pages = [lambda: clip(_pinging(source(), ping_user) or "…", self.max_message_chars)]
        else:
            pages = [*split_message(_pinging(text, ping_user), self.max_message_chars)] or ["…"]
        view = action_view(actions, channel_id, language)
        message_id = ""
        for index, page in enumerate(pages):
            last = index == len(pages) - 1
            mentions = only_user(ping_user) if ping_user and index == 0 else NO_MENTIONS
            # discord.py sends `enforce_nonce` with every nonce: a repeat returns the first.
            page_nonce = nonce if nonce is None or index == 0 else f"{nonce[:21]}-{index}"
            post = self._poster(channel, page, view if last else None, mentions, page_nonce)
            message = await self._write(
                channel, "send messages", post, continued=continued or index > 0
            )
            message_id = str(message.id)
        return message_id

    async def edit(
        self,
        conversation: str,
        message_id: str,
        text: Text,
        *,
        actions: Sequence[Action] = (),
        language: Language = "en",
        continued: bool = False,
    ) -> None:
        channel_id = channel_id_of(conversation)
        channel = await self._channel(channel_id)
        view = action_view(actions, channel_id, language)
        target = self._partial_message(channel, int(message_id))

        def newest_edit() -> Awaitable[discord.Message]:
            content = clip(text_of(text) or "…", self.max_message_chars)
            return target.edit(content=content, view=view, allowed_mentions=NO_MENTIONS)

        try:
            await self._write(channel, "edit messages", newest_edit, continued=continued)
        except discord.NotFound as exc:
            raise MessageGone(message_id) from exc
        except discord.HTTPException as exc:
            if exc.code == EDIT_BUDGET_EXHAUSTED:
                raise MessageGone(message_id) from exc
            raise

    async def send_files(
        self,
        conversation: str,
        files: Sequence[OutgoingFile],
        text: str,
        *,
        ping_user: int | None = None,
        nonce: str | None = None,
    ) -> str:
        channel = await self._channel(channel_id_of(conversation))
        content = clip(_pinging(text, ping_user), self.max_message_chars)
        mentions = only_user(ping_user) if ping_user is not None else NO_MENTIONS
        try:
            message = await self._write(
                channel,
                "attach files",
                lambda: channel.send(
                    content, files=_discord_files(files), allowed_mentions=mentions,
                    nonce=_nonce(nonce),
                ),
            )
        except discord.HTTPException as exc:
            if exc.status != 413 and exc.code != REQUEST_TOO_LARGE:
                raise
            # Larger than Discord says the channel takes: the caption carries the link.
            log.warning("upload refused as too large in %s; posting the link", conversation)
            message = await self._write(
                channel, "send messages", self._poster(channel, content, None, mentions, nonce)
            )
        return str(message.id)

    async def send_card(
        self,
        conversation: str,
        card: Card,
        *,
        files: Sequence[OutgoingFile] = (),
        language: Language = "en",
        ping_user: int | None = None,
        nonce: str | None = None,
    ) -> str:
        channel_id = channel_id_of(conversation)
        channel = await self._channel(channel_id)
        content = clip(_pinging(card.text, ping_user).rstrip(), self.max_message_chars) or None
        mentions = only_user(ping_user) if ping_user is not None else NO_MENTIONS
        view = card_view(card, channel_id, language)

        def poster(with_files: bool) -> Callable[[], Awaitable[discord.Message]]:
            shown = card if with_files else dataclasses.replace(card, picture=None)
            options: dict[str, Any] = {
                "embed": card_embed(shown), "allowed_mentions": mentions, "nonce": _nonce(nonce),
            }
            if view is not None:
                options["view"] = view
            if with_files and files:
                options["files"] = _discord_files(files)  # fresh ones for each try
            return lambda: channel.send(content, **options)

        what = "attach files" if files else "send messages"
        try:
            message = await self._write(channel, what, poster(True))
        except discord.HTTPException as exc:
            if not files or (exc.status != 413 and exc.code != REQUEST_TOO_LARGE):
                raise
            # Larger than Discord says the channel takes: the card carries the link.
            log.warning("upload refused as too large in %s; posting the card alone", conversation)
            message = await self._write(channel, "send messages", poster(False), continued=True)
        return str(message.id)

    async def edit_card(
        self, conversation: str, message_id: str, card: Card, *, language: Language = "en"
    ) -> None:
        channel_id = channel_id_of(conversation)
        channel = await self._channel(channel_id)
        content = clip(card.text, self.max_message_chars) or None
        embed = card_embed(dataclasses.replace(card, picture=None))  # an edit adds no files
        view = card_view(card, channel_id, language)
        target = self._partial_message(channel, int(message_id))
        try:
            await self._write(
                channel,
                "edit messages",
                lambda: target.edit(
                    content=content, embed=embed, view=view, allowed_mentions=NO_MENTIONS
                ),
            )
        except discord.NotFound as exc:
            raise MessageGone(message_id) from exc
        except discord.HTTPException as exc:
            if exc.code == EDIT_BUDGET_EXHAUSTED:
                raise MessageGone(message_id) from exc
            raise

    async def delete(self, conversation: str, message_id: str) -> None:
        channel = await self._channel(channel_id_of(conversation))
        target = self._partial_message(channel, int(message_id))
        with contextlib.suppress(discord.NotFound):  # gone already
            await self._write(channel, "delete messages", target.delete)

    async def message_link(self, conversation: str, message_id: str) -> str:
        """The message's jump link (Discord shows it as a chip that opens the message)."""
        channel = await self._channel(channel_id_of(conversation))
        return self._partial_message(channel, int(message_id)).jump_url

    def clock_since(self, epoch_seconds: float) -> str:
        """Discord renders `<t:…:R>` as "3 minutes ago" and keeps it current by itself."""
        return f"<t:{int(epoch_seconds)}:R>"

    async def upload_limit_bytes(self, conversation: str) -> int:
        channel = await self._channel(channel_id_of(conversation))
        guild = getattr(channel, "guild", None)
        return guild.filesize_limit if isinstance(guild, discord.Guild) else DEFAULT_UPLOAD_BYTES

    async def request(self, operation: Callable[[], Awaitable[T]]) -> T:
        """Run one other request of the edge (opening a thread) within the global budget.

        Discord counts every request the bot makes towards its 50 per second, not only
        message writes: one made beside the budget draws global 429s when the port is busy.
        """
        return await self._globally(operation)

    async def _globally(self, operation: Callable[[], Awaitable[T]]) -> T:
        """Run one request (not a message write) within the global budget."""
        if self._http_counts:  # the trace takes the slot when the request leaves
            return await operation()
        async with self._global_budget.slot():
            return await operation()

    # ----- permissions -------------------------------------------------------------------

    def note_forbidden(self, where: str, error: discord.Forbidden, channel_id: int) -> None:
        """Log a missing permission once per channel and kind of request."""
        key = (channel_id, f"{where}:{error.code}")
        if key in self._warned:
            return
        self._warned.add(key)
        log.warning(
            "missing permission in channel %s (%s): Discord said %s %s",
            channel_id, where, error.code, error.text,
        )

    # ----- internals ---------------------------------------------------------------------

    async def _channel(self, channel_id: int) -> discord.abc.Messageable:
        """The channel from the cache, else from the API (archived threads leave the cache)."""
        cached = self.bot.get_channel(channel_id)
        if isinstance(cached, discord.abc.Messageable):
            return cached
        known = self._fetched.get(channel_id)
        if known is not None:
            return known
        try:
            fetched = await self._globally(lambda: self.bot.fetch_channel(channel_id))
        except discord.Forbidden as exc:
            self.note_forbidden("view the channel", exc, channel_id)
            raise
        if not isinstance(fetched, discord.abc.Messageable):
            raise TypeError(f"channel {channel_id} cannot hold messages")
        if isinstance(fetched, discord.DMChannel):
            self._fetched[channel_id] = fetched  # DMs never archive; threads are re-read
        return fetched

    @staticmethod
    def _partial_message(
        channel: discord.abc.Messageable, message_id: int
    ) -> discord.PartialMessage:
        getter = getattr(channel, "get_partial_message", None)
        if getter is None:
            raise TypeError("this channel has no messages to edit")
        message: discord.PartialMessage = getter(message_id)
        return message

    @staticmethod
    def _poster(
        channel: discord.abc.Messageable,
        text: Text,
        view: discord.ui.View | None,
        mentions: discord.AllowedMentions,
        nonce: str | None = None,
    ) -> Callable[[], Awaitable[discord.Message]]:
        """The call that posts one message (made again if the thread must be reopened)."""

        async def post() -> discord.Message:
            content = text_of(text)
            if view is None:
                return await channel.send(content, allowed_mentions=mentions, nonce=_nonce(nonce))
            return await channel.send(
                content, view=view, allowed_mentions=mentions, nonce=_nonce(nonce)
            )

        return post

    async def _within_budget(
        self, channel_id: int, operation: Callable[[], Awaitable[T]], *, continued: bool = False
    ) -> T:
        """Run one write when the channel's budget, then the global one, allow it.

        A channel's writes go one at a time. Both budgets hold the write's slot until its
        window has passed after it completed (`RateBudget.slot`): the request reaches
        Discord somewhere in between, so no window Discord sees can hold more than the
        budget. The write's text is read once it has both slots (the newest text of a
        growing reply goes out, not the text it was queued with). The global budget serves
        the channel whose shown text is oldest first: every busy channel gets its turn,
        none waits for all the others twice. A `continued` write (the next page of one
        update) keeps the place of the write before it: a reply spilling onto a new page
        posts it straight after the page before, not after every other channel's turn.
        """
        budget = self._channel_budgets.get(channel_id)
        if budget is None:
            budget = self._channel_budgets[channel_id] = RateBudget(
                self.limits.channel_writes, self.limits.channel_window_seconds,
                clock=self._clock, sleep=self._sleep,
            )
        lock = self._channel_locks.setdefault(channel_id, asyncio.Lock())
        async with lock, budget.slot():
            place = self._last_place.get(channel_id) if continued else None
            if place is None:
                place = self._last_write.get(channel_id, self._clock())
            self._last_place[channel_id] = place
            try:
                async with self._global_budget.slot(priority=place):
                    writing = _WRITING.set(True)
                    try:
                        return await operation()
                    finally:
                        _WRITING.reset(writing)
            finally:
                self._last_write[channel_id] = self._clock()

    async def _write(
        self,
        channel: discord.abc.Messageable,
        what: str,
        operation: Callable[[], Awaitable[T]],
        *,
        continued: bool = False,
    ) -> T:
        """One message write within the budgets; an archived thread is reopened first."""
        channel_id = getattr(channel, "id", 0)
        if isinstance(channel, discord.Thread) and channel.archived:
            await self._unarchive(channel)
        try:
            return await self._within_budget(channel_id, operation, continued=continued)
        except discord.Forbidden as exc:
            self.note_forbidden(what, exc, channel_id)
            raise
        except discord.HTTPException as exc:
            if exc.code != ARCHIVED_THREAD or not isinstance(channel, discord.Thread):
                raise
        # The thread was archived after we last looked: reopen it and try once more.
        await self._unarchive(channel)
        try:
            return await self._within_budget(channel_id, operation, continued=True)
        except discord.Forbidden as exc:
            self.note_forbidden(what, exc, channel_id)
            raise

    async def _unarchive(self, thread: discord.Thread) -> None:
        try:
            await self._globally(lambda: thread.edit(archived=False))
        except discord.Forbidden as exc:
            self.note_forbidden("unarchive the thread", exc, thread.id)
            raise
        log.info("unarchived thread %s to post in it", thread.id)
