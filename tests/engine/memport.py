"""An in-memory chat platform for engine tests: it records what a user would see."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.core.card import Card
from bot.core.port import Action, MessageGone, OutgoingFile, Text, text_of
from bot.core.records import Language


@dataclass(frozen=True)
class Attached:
    """A file posted with a message, as it was uploaded."""

    name: str
    data: bytes
    description: str


@dataclass
class Shown:
    """One message as the user sees it now, with every version it went through."""

    id: str
    conversation: str
    text: str
    actions: tuple[Action, ...] = ()
    ping_user: int | None = None
    file_name: str | None = None
    file_bytes: bytes | None = None
    #: Every file of the message (the first is also `file_name` / `file_bytes`).
    attached: list[Attached] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)
    #: The card the message is (its `text` is then the card's text and body).
    card: Card | None = None


def _said(card: Card) -> str:
    """What a card says in words (its text and body): a card message's `Shown.text`."""
    return "\n".join(part for part in (card.text, card.body) if part) or card.title


class MemoryPort:
    """A ChatPort that keeps messages in a list; `gone` ids raise MessageGone on edit."""

    def __init__(self, *, max_message_chars: int = 2000, upload_limit: int = 10 * 1024 * 1024):
        self.max_message_chars = max_message_chars
        self.upload_limit = upload_limit
        self.messages: list[Shown] = []
        self.edits = 0
        self.gone: set[str] = set()
        #: When set, file posts wait for this event (to stop the bot in the middle of one).
        self.hold_files: asyncio.Event | None = None
        self.file_started = asyncio.Event()
        #: When true, every edit fails as a platform outage would.
        self.broken_edits = False
        #: When true, every file post fails (the platform refuses uploads).
        self.broken_files = False
        #: Message ids by the nonce they were posted with (a repeat returns the first).
        self.nonces: dict[str, str] = {}
        #: Messages deleted, by id (they leave `messages`).
        self.deleted: list[Shown] = []
        self._ids = itertools.count(1)
        self._changed = asyncio.Event()

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
        text = text_of(text)  # now: this port's writes leave at once
        assert len(text) <= self.max_message_chars, "message over the platform limit"
        if nonce is not None and nonce in self.nonces:  # as Discord with `enforce_nonce`
            return self.nonces[nonce]
        shown = Shown(str(next(self._ids)), conversation, text, tuple(actions), ping_user)
        if nonce is not None:
            self.nonces[nonce] = shown.id
        shown.versions.append(text)
        self.messages.append(shown)
        self._changed.set()
        return shown.id

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
        text = text_of(text)  # now: this port's writes leave at once
        assert len(text) <= self.max_message_chars, "edit over the platform limit"
        if self.broken_edits:
            raise RuntimeError("the platform is down")
        if message_id in self.gone:
            raise MessageGone(message_id)
        shown = self.by_id(message_id)
        shown.text = text
        shown.actions = tuple(actions)
        shown.versions.append(text)
        self.edits += 1
        self._changed.set()

    async def send_files(
        self,
        conversation: str,
        files: Sequence[OutgoingFile],
        text: str,
        *,
        ping_user: int | None = None,
        nonce: str | None = None,
    ) -> str:
        self.file_started.set()
        if self.hold_files is not None:
            await self.hold_files.wait()
        if self.broken_files:
            raise RuntimeError("the platform refused the upload")
        if nonce is not None and nonce in self.nonces:
            return self.nonces[nonce]
        total = sum(f.path.stat().st_size for f in files)
        assert total <= self.upload_limit, "files over the upload limit"
        message_id = await self.send(conversation, text, ping_user=ping_user, nonce=nonce)
        shown = self.by_id(message_id)
        shown.attached = [
            Attached(f.path.name, f.path.read_bytes(), f.description) for f in files
        ]
        shown.file_name = files[0].path.name
        shown.file_bytes = shown.attached[0].data
        return message_id

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
        if card.picture is not None:
            assert card.picture in [f.path.name for f in files], "the picture is not attached"
        text = _said(card)
        if files:
            message_id = await self.send_files(
                conversation, files, text, ping_user=ping_user, nonce=nonce
            )
        else:
            message_id = await self.send(conversation, text, ping_user=ping_user, nonce=nonce)
        shown = self.by_id(message_id)
        shown.card = card
        shown.actions = tuple(control.action for control in card.controls)
        return message_id

    async def edit_card(
        self, conversation: str, message_id: str, card: Card, *, language: Language = "en"
    ) -> None:
        actions = tuple(control.action for control in card.controls)
        await self.edit(conversation, message_id, _said(card), actions=actions)
        self.by_id(message_id).card = card

    async def delete(self, conversation: str, message_id: str) -> None:
        shown = next((m for m in self.messages if m.id == message_id), None)
        if shown is not None:
            self.messages.remove(shown)
            self.deleted.append(shown)
            self._changed.set()

    async def message_link(self, conversation: str, message_id: str) -> str:
        return f"memory://{conversation}/{message_id}"

    async def upload_limit_bytes(self, conversation: str) -> int:
        return self.upload_limit

    def clock_since(self, epoch_seconds: float) -> str:
        return f"[since {int(epoch_seconds)}]"

    def by_id(self, message_id: str) -> Shown:
        return next(m for m in self.messages if m.id == message_id)

    def texts(self) -> list[str]:
        return [m.text for m in self.messages]

    def files(self) -> list[Shown]:
        return [m for m in self.messages if m.file_name]

    def find(self, needle: str) -> Shown | None:
        return next((m for m in self.messages if needle in m.text), None)

    async def wait_for(self, predicate: Callable[[], object], timeout: float = 10.0) -> None:
        """Wait until `predicate()` is truthy; fails the test after `timeout` seconds."""

        async def loop() -> None:
            while not predicate():
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), 0.05)

        await asyncio.wait_for(loop(), timeout)
