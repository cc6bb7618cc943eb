"""A reply that grows while the backend streams: paced edits, split over several messages.

`LiveReply` owns the messages of one reply. `show(text)` records the latest full text and
returns at once; a background flusher pushes it when the pacer says an edit is due, so the
platform only ever receives the newest content (no backlog of stale edits). Pages past the
platform's length limit become extra messages. A message that vanished, or that is too old
to edit, is replaced by a new one rather than failing the turn.

A push, once begun, always runs to its end in a task of its own, even when whoever asked
for it is cancelled (the flusher when the reply finishes, a turn on shutdown): a message
the platform has created is always recorded, so it is edited later, never posted twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from bot.core.live_pages import LivePages
from bot.core.message_split import MIN_PAGE_CHARS, split_message
from bot.core.port import Action, ChatPort, MessageGone
from bot.core.records import Language
from bot.core.reply_pacer import ReplyPacer

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Sent:
    """The page an edit actually showed (it may be newer than the one it was asked with)."""

    page: str

#: Discord allows 5 message writes per 5 s per channel; an edit every 1.25 s (4 in 5 s)
#: leaves room for one more write, the button change at the end of a reply, say (a spill
#: onto a new page is one write, see `live_pages`). A chunk waits about this long plus
#: the write's own time (B1, one thread alone: p99 lag 1.55 s).
EDIT_INTERVAL_SECONDS = 1.25
#: Messages older than an hour have a tiny edit budget on Discord: start a new one before.
MAX_EDIT_AGE_SECONDS = 55 * 60


def live_status(port: ChatPort, status: str, since_epoch: float) -> str:
    """A status line followed by the platform's self-updating "since" marker, if any."""
    clock = port.clock_since(since_epoch)
    return f"{status} · {clock}" if status and clock else status


class LiveReply:
    """The messages showing one streamed reply in a conversation."""

    def __init__(
        self,
        port: ChatPort,
        conversation: str,
        *,
        message_id: str | None = None,
        language: Language = "en",
        interval_seconds: float = EDIT_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        live_actions: Sequence[Action] = (),
    ) -> None:
        """`live_actions` go under the last page while the reply is streaming (a Cancel);
        `finish` replaces them with its own."""
        self._port = port
        self._live_actions = tuple(live_actions)
        self._conversation = conversation
        self._language = language
        self._clock = clock
        self._pacer = ReplyPacer(interval_seconds, port.max_message_chars, clock)
        self._pages = LivePages(port.max_message_chars)
        self._ids: list[str] = [message_id] if message_id else []
        self._shown: list[str] = []
        self._shown_actions: list[tuple[Action, ...]] = []
        self._created_at = clock()
        self._latest = ""
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._flusher: asyncio.Task[None] | None = None
        self._first: asyncio.Task[None] | None = None  # the first message's post
        self._pushes: set[asyncio.Task[None]] = set()  # kept alive until they end
        self._edit_failed = False

    def begin(self, text: str) -> None:
        """Post the first message in the background and return at once: a turn need not
        wait for the platform's budget before it starts streaming. When the post's turn
        comes it shows the newest text, so under load the first message is the first
        streamed text rather than `text` (a placeholder) followed by an edit."""
        if self._first is not None:
            raise RuntimeError("a live reply begins once")
        self._latest = text
        self._pacer.mark_pushed(text, paced=False)  # the first text need not wait
        self._first = self._begin_push([text], self._live_actions)
        self._flusher = asyncio.create_task(self._flush_loop(), name="live-reply-flusher")

    async def start(self, text: str) -> str:
        """`begin`, then wait until the first message is posted; its id."""
        self.begin(text)
        return await self.first_message()

    async def first_message(self) -> str:
        """The id of the first message, once it is posted (raises if the post failed)."""
        if self._first is None:
            raise RuntimeError("the live reply has not begun")
        await asyncio.shield(self._first)
        return self._ids[0]

    @property
    def first_message_id(self) -> str | None:
        """The first message's id if it is posted already, else None."""
        return self._ids[0] if self._ids else None

    def show(self, text: str) -> None:
        """Record the newest full text; it reaches the platform when an edit is due."""
        if text != self._latest:
            self._latest = text
            self._pacer.update(text)
            self._wake.set()

    async def show_now(self, text: str) -> None:
        """Show `text` at once, outside the pacing (a notice before a long wait)."""
        self._latest = text
        self._pacer.update(text)
        await self._push_whole(self._pages.for_push(text, self._shown), self._live_actions)
        self._pacer.mark_pushed(text)

    async def finish(self, text: str, actions: Sequence[Action] = ()) -> None:
        """Stop streaming and show `text` for good, with buttons under the last page."""
        await self._stop_flusher()
        self._latest = text
        await self._push_whole(self._pages.for_push(text, self._shown, growing=False), actions)

    async def close(self) -> None:
        """Stop pushing edits (idempotent); what is shown stays as it is."""
        await self._stop_flusher()

    async def _stop_flusher(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None

    async def _flush_loop(self) -> None:
        while True:
            await self._wake.wait()
            wait = self._pacer.seconds_until_due()
            if wait > 0:
                await asyncio.sleep(wait)
            if not self._pacer.due():
                self._wake.clear()
                continue
            self._pacer.mark_pushed()
            pages = self._pages.for_push(self._latest, self._shown)
            self._wake.clear()
            try:
                await self._push_whole(pages, self._live_actions)
            except Exception:  # a failed live edit must not end the turn
                # Once is enough in the log: a missing permission fails every edit.
                log.log(
                    logging.DEBUG if self._edit_failed else logging.WARNING,
                    "live edit failed in %s",
                    self._conversation,
                    exc_info=not self._edit_failed,
                )
                self._edit_failed = True

    async def _push_whole(self, pages: Sequence[str], actions: Sequence[Action]) -> None:
        """Push `pages` in a task that is not cancelled with the caller (see the module)."""
        await asyncio.shield(self._begin_push(pages, actions))

    def _begin_push(self, pages: Sequence[str], actions: Sequence[Action]) -> asyncio.Task[None]:
        """The task pushing `pages`, after every push begun before it."""

        async def locked() -> None:
            async with self._lock:
                await self._push(pages, actions)

        push = asyncio.create_task(locked(), name="live-reply-push")
        self._pushes.add(push)
        push.add_done_callback(self._push_ended)
        return push

    def _push_ended(self, push: asyncio.Task[None]) -> None:
        self._pushes.discard(push)
        if not push.cancelled() and push.exception() is not None and not self._edit_failed:
            # Nobody awaits a push whose caller was cancelled: its failure is logged here.
            log.debug("a push in %s failed: %r", self._conversation, push.exception())

    def _fill(self, pages: Sequence[str]) -> list[str]:
        """`pages`, cut further so that every message already shown gets a page: a
        message left over from a longer version would show its text a second time."""
        filled = list(pages)
        while 0 < len(filled) < len(self._ids):
            longest = max(range(len(filled)), key=lambda index: len(filled[index]))
            page = filled[longest]
            if len(page) < 2 * MIN_PAGE_CHARS:
                break
            parts = split_message(page, max(MIN_PAGE_CHARS, len(page) // 2 + 1))
            if len(parts) < 2:
                break
            filled[longest : longest + 1] = parts
        return filled

    def _newest(self, index: int, count: int, sent: _Sent) -> str:
        """Page `index` of the newest text, when the write leaves (a busy platform may have
        kept it waiting while the reply grew: the first message then shows the first text,
        not "💭 Thinking…"). When the newest text has spilled onto more pages, the last
        page of the push shows its part of it (the push then goes on with the pages
        after); when it has another number of pages otherwise, the page it was asked
        with (a cut moved: the next push sorts that out)."""
        pages = self._fill(self._pages.cut(self._latest))
        if len(pages) == count or (len(pages) > count and index == count - 1):
            sent.page = pages[index]
        return sent.page

    def _write_order(self, pages: Sequence[str]) -> list[int]:
        """The pages to write, those with new text first, in their order (new messages
        after the ones before); then those that only change their buttons, the last page
        first (its buttons are the reply's: Export, say; the others only lose a Cancel)."""
        return sorted(
            range(len(pages)),
            key=lambda index: (
                (True, -index) if self._buttons_only(index, pages[index]) else (False, index)
            ),
        )

    def _buttons_only(self, index: int, page: str) -> bool:
        """True when message `index` shows `page` already: a write changes its buttons."""
        return index < len(self._ids) and index < len(self._shown) and self._shown[index] == page

    async def _push(self, pages: Sequence[str], actions: Sequence[Action]) -> None:
        if self._ids and self._clock() - self._created_at > MAX_EDIT_AGE_SECONDS:
            self._ids, self._shown, self._shown_actions = [], [], []
            self._created_at = self._clock()
        await self._write_pages(pages, actions, continued=False)
        if tuple(actions) != self._live_actions:
            return
        newer = self._pages.for_push(self._latest, self._shown)
        if len(newer) > len(self._shown):
            # The reply spilled onto a new page while this push waited for the platform:
            # the new page follows at once rather than a whole round of other channels on.
            self._pacer.mark_pushed(self._latest)
            await self._write_pages(newer, actions, continued=True)

    async def _write_pages(
        self, pages: Sequence[str], actions: Sequence[Action], *, continued: bool
    ) -> None:
        """Write what differs between `pages` and what is shown. `continued`: the first
        write keeps the place of the one before it (every later write does)."""
        pages = self._fill(pages)
        conversation, language = self._conversation, self._language
        streaming = tuple(actions) == self._live_actions
        for index in self._write_order(pages):
            page = pages[index]
            page_actions = tuple(actions) if index == len(pages) - 1 else ()
            if index < len(self._ids):
                buttons_only = self._buttons_only(index, page)  # not urgent: no new text
                if buttons_only and (
                    self._shown_actions[index] == page_actions
                    or (streaming and index < len(pages) - 1)  # its Cancel can wait
                ):
                    continue
                sent = _Sent(page)
                newest = partial(self._newest, index, len(pages), sent)
                try:
                    await self._port.edit(
                        conversation, self._ids[index], newest, actions=page_actions,
                        language=language, continued=continued and not buttons_only,
                    )
                except MessageGone:
                    sent.page = page
                    self._ids[index] = await self._port.send(
                        conversation, page, actions=page_actions, language=language,
                        continued=True,
                    )
                page = sent.page
            else:
                sent = _Sent(page)
                newest = partial(self._newest, index, len(pages), sent)
                self._ids.append(
                    await self._port.send(
                        conversation, newest, actions=page_actions, language=language,
                        continued=continued,
                    )
                )
                page = sent.page
            continued = True
            if index < len(self._shown):
                self._shown[index] = page
                self._shown_actions[index] = page_actions
            else:
                self._shown.append(page)
                self._shown_actions.append(page_actions)
