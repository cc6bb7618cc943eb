"""The chat-platform port: everything the engine needs from Discord or the terminal.

The engine never imports discord. It speaks to a `ChatPort`, which the edge implements
(`cogs.port.DiscordPort`, `bot.terminal.port.TerminalPort`, and an in-memory one in tests).
Conversations are identified by a string key (`"discord:<thread id>"`, `"terminal:…"`);
messages by the string id the port hands back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from bot.core.records import Language

if TYPE_CHECKING:
    from bot.core.card import Card


class Action(StrEnum):
    """Buttons the engine may put under a message; the edge decides how they look."""

    EXPORT = "export"
    TIMELINE = "timeline"
    #: Under a chat turn whose message never reached NemoVideo: send that message now.
    #: (Its wire value is the old "retry", so buttons posted before still match.)
    RESEND = "retry"
    #: Under "out of credits": how credits can be added (the link only for admins).
    ADD_CREDITS = "add_credits"
    #: Under a failed export: export again; under a render that could not be posted, post
    #: it again (a new render only if NemoVideo no longer has it).
    RETRY_EXPORT = "retry_export"
    #: On a reply still streaming and a running render's status: stop what runs (who
    #: asked for it, or a moderator).
    CANCEL = "cancel"
    #: Under a delivered video (and in /versions): post that version again, no new render.
    POST_AGAIN = "again"
    #: Under a delivered video: list the conversation's versions.
    VERSIONS = "versions"
    #: Under a delivered video: delete that message (its requester or a moderator).
    DELETE = "delete"


#: Discord takes a nonce of at most 25 characters.
MAX_NONCE_CHARS = 25


@dataclass(frozen=True, slots=True)
class OutgoingFile:
    """A file to post: the path on disk and its alt text (shown to screen readers)."""

    path: Path
    description: str = ""


class MessageGone(Exception):
    """The message to edit no longer exists (deleted, or too old to edit)."""


class AttachmentUnavailable(Exception):
    """The platform could not hand over an attachment's bytes (expired link, network)."""

    def __init__(self, filename: str) -> None:
        super().__init__(filename)
        self.filename = filename


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file a user attached. `size_bytes` is what the platform declared, checked first.

    `open` streams the bytes (only called once the checks pass).
    """

    filename: str
    size_bytes: int
    open: Callable[[], AsyncIterator[bytes]]
    content_type: str | None = None


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A user's message in a conversation."""

    conversation: str
    author_id: int
    text: str
    attachments: Sequence[Attachment] = field(default_factory=tuple)


#: A message's text, or a function that gives it when the write leaves (see `ChatPort.edit`).
Text = str | Callable[[], str]


def text_of(text: Text) -> str:
    """The text itself, or what the function gives now."""
    return text() if callable(text) else text


class ChatPort(Protocol):
    """What the engine can do on a chat platform."""

    #: The longest message the platform shows (Discord: 2000 characters).
    max_message_chars: int

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
        """Post a message; returns its id. Only `ping_user` (if any) may be notified.
        `language` is the conversation's, for the labels of the `actions`' buttons.

        `continued`: this write is the next part of one update already begun in the
        conversation (the next page of a reply): a busy platform lets it keep that
        update's place in the queue instead of waiting behind every other conversation
        again (as for `edit`).

        With a `nonce`, posting the same nonce again (within a few minutes on Discord)
        does not post a second message: the first one's id is returned.

        `text` may be a function, as for `edit`: then it is one page, read when the write
        leaves (a reply's first message shows the text that came while it waited).
        """
        ...

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
        """Replace a message's text (`actions`, `language`, `continued` as for `send`);
        raises MessageGone when it cannot be edited.

        `text` may be a function: it is called when the write leaves, after any wait for
        the platform's budget, so a busy platform shows the newest text of a growing
        reply rather than the text it had when the edit was asked for.
        """
        ...

    async def send_files(
        self,
        conversation: str,
        files: Sequence[OutgoingFile],
        text: str,
        *,
        ping_user: int | None = None,
        nonce: str | None = None,
    ) -> str:
        """Post files in one message with a caption; returns its id. `nonce` as for `send`
        (one message for all of them, so a repeat posts none)."""
        ...

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
        """Post a card (`bot.core.card`) with its controls, and `files` in the same
        message; returns its id. `ping_user`, `nonce` and `language` as for `send`."""
        ...

    async def edit_card(
        self, conversation: str, message_id: str, card: Card, *, language: Language = "en"
    ) -> None:
        """Replace a message with `card` (no files); raises MessageGone as `edit` does."""
        ...

    async def delete(self, conversation: str, message_id: str) -> None:
        """Delete one of the bot's messages; one that is gone already is no error."""
        ...

    async def message_link(self, conversation: str, message_id: str) -> str:
        """A link that opens the message (Discord: its jump link), or "" where the
        platform has none."""
        ...

    async def upload_limit_bytes(self, conversation: str) -> int:
        """The largest file this conversation accepts (Discord: the guild's limit)."""
        ...

    def clock_since(self, epoch_seconds: float) -> str:
        """A marker that shows, without further edits, how long ago `epoch_seconds` was
        (Discord: `<t:…:R>`), or "" where the platform has none. Put after status lines."""
        ...
