"""The rows the store hands out: frozen values, Discord ids as `int`, times as aware UTC.

A conversation key is a string naming where the conversation lives, e.g. `discord:<thread_id>`
or `terminal:<name>`. Times are stored as ISO 8601 text in UTC; the `*_from_row` functions
turn a database row back into its record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal, Protocol

from bot.core.leases import Hold

#: A language of the message catalogue: 'en' (the source) or one with a file in
#: bot/locale (see `bot.core.catalogue`).
Language = str


class Row(Protocol):
    """A database row, read by column name (SQLite's `sqlite3.Row`, asyncpg's `Record`)."""

    def __getitem__(self, key: Any, /) -> Any: ...

    def keys(self) -> Any: ...


def time_to_text(moment: datetime) -> str:
    """ISO 8601 in UTC; a naive time is taken to be UTC already."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def time_from_text(text: str | None) -> datetime | None:
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _required_time(text: str) -> datetime:
    moment = time_from_text(text)
    assert moment is not None
    return moment


class TurnStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    #: The bot stopped while the turn was running; recovery decides what the user is told.
    INTERRUPTED = "interrupted"


class RenderState(StrEnum):
    """Where an export is, from saving it to the end of its delivery.

    In flight (resumed after a restart): `submitting` (saved, its submission may not have
    reached NemoVideo), `pending` and `processing` (NemoVideo has it), `completed` (the MP4
    is ready, not yet posted) and `delivering` (a process is downloading and posting it; one
    left by a process that died is delivered again at the next start, the post being
    idempotent). Ended: `delivered`; `undelivered` (every delivery attempt failed: the user
    was told and may press Retry); `failed` (NemoVideo failed it, or forgot it); `refused`
    (NemoVideo would not take it: credits, plan, …); `replaced` (refused once and
    submitted again under a new id); `gave_up` (too slow, or unreachable for too long);
    `cancelled` (someone cancelled it: nothing is ever posted for it).
    """

    SUBMITTING = "submitting"
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    REFUSED = "refused"
    REPLACED = "replaced"
    GAVE_UP = "gave_up"
    CANCELLED = "cancelled"

    @property
    def in_flight(self) -> bool:
        """Still owed to the thread: resumed after a restart, watched while it runs."""
        return self in IN_FLIGHT


#: The states a restart resumes (see `RenderState`).
IN_FLIGHT = frozenset(
    {
        RenderState.SUBMITTING,
        RenderState.PENDING,
        RenderState.PROCESSING,
        RenderState.COMPLETED,
        RenderState.DELIVERING,
    }
)
#: How a render can end before its delivery starts (see `RenderTable.end_render`).
RenderEnd = Literal[
    RenderState.FAILED,
    RenderState.REFUSED,
    RenderState.REPLACED,
    RenderState.GAVE_UP,
    RenderState.CANCELLED,
]


@dataclass(frozen=True, slots=True)
class Conversation:
    """One NemoVideo session bound to one place (a Discord thread, a terminal)."""

    key: str
    session_id: str
    task_id: str | None
    user_id: str | None  # NemoVideo's user id (anonymous: `anon_…`, for the `?bind=` link)
    owner_id: int | None  # who started it (a Discord user id)
    language: Language
    channel_id: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Turn:
    """What recovery needs to know about one chat turn. The message text is never stored:
    recovery must never re-send it (that would charge twice)."""

    id: int
    conversation: str  # the conversation key
    author_id: int | None
    status: TurnStatus
    status_message_id: str | None
    #: A hash of the session state before the turn, to tell later whether it changed anything.
    state_fingerprint: str | None
    started_at: datetime
    finished_at: datetime | None
    #: The process working on it, until when, and the fence of its claim (bot.core.leases).
    lease_owner: str | None = None
    lease_expires: datetime | None = None
    lease_fence: int = 0

    @property
    def hold(self) -> Hold | None:
        """The lease as its owner claimed it (None while nobody holds it)."""
        return None if self.lease_owner is None else Hold(self.lease_owner, self.lease_fence)


@dataclass(frozen=True, slots=True)
class Render:
    """An export job, from submission to delivery in the thread."""

    render_id: str
    conversation: str  # the conversation key
    #: The NemoVideo session it renders (None for renders saved before schema 2).
    session_id: str | None
    requester_id: int | None
    status: RenderState
    progress: int
    output_url: str | None
    error: str | None
    message_id: str | None
    attempts: int
    created_at: datetime
    updated_at: datetime
    #: When it was posted (only for `delivered`).
    delivered_at: datetime | None
    #: What the video is called, from the draft it renders (None before schema 5).
    title: str | None = None

    #: The process working on it, until when, and the fence of its claim (bot.core.leases).
    lease_owner: str | None = None
    lease_expires: datetime | None = None
    lease_fence: int = 0

    @property
    def hold(self) -> Hold | None:
        """The lease as its owner claimed it (None while nobody holds it)."""
        return None if self.lease_owner is None else Hold(self.lease_owner, self.lease_fence)


class PostedAs(StrEnum):
    """How a delivered video went into the chat."""

    FILE = "file"  # the MP4 itself
    PREVIEW = "preview"  # its link, with a smaller preview that plays
    LINK = "link"  # its link alone


@dataclass(frozen=True, slots=True)
class Version:
    """One delivered export of a conversation, as `/versions` lists it.

    `number` counts a conversation's versions from 1; `message_id` is the message it was
    last posted in (None once that message was deleted); `posts` how often it was posted.
    """

    id: int
    conversation: str  # the conversation key
    number: int
    render_id: str
    requester_id: int | None
    title: str | None
    output_url: str | None
    size_bytes: int | None
    duration_ms: int | None
    posted_as: PostedAs
    message_id: str | None
    posts: int
    delivered_at: datetime
    posted_at: datetime


@dataclass(frozen=True, slots=True)
class Upload:
    """A file the backend accepted into a conversation's session."""

    id: int
    conversation: str  # the conversation key
    session_id: str | None
    filename: str
    size_bytes: int | None
    file_type: str | None
    cdn_url: str | None
    created_at: datetime


def conversation_from_row(row: Row) -> Conversation:
    return Conversation(
        key=row["key"],
        session_id=row["session_id"],
        task_id=row["task_id"],
        user_id=row["user_id"],
        owner_id=row["owner_id"],
        language=row["language"] or "en",
        channel_id=row["channel_id"],
        created_at=_required_time(row["created_at"]),
        updated_at=_required_time(row["updated_at"]),
    )


def turn_from_row(row: Row) -> Turn:
    return Turn(
        id=row["id"],
        conversation=row["conversation_key"],
        author_id=row["author_id"],
        status=TurnStatus(row["status"]),
        status_message_id=row["status_message_id"],
        state_fingerprint=row["state_fingerprint"],
        started_at=_required_time(row["started_at"]),
        finished_at=time_from_text(row["finished_at"]),
        lease_owner=row["lease_owner"],
        lease_expires=time_from_text(row["lease_expires"]),
        lease_fence=int(row["lease_fence"]),
    )


def render_from_row(row: Row) -> Render:
    return Render(
        render_id=row["render_id"],
        conversation=row["conversation_key"],
        session_id=row["session_id"],
        requester_id=row["requester_id"],
        status=RenderState(row["status"]),
        progress=int(row["progress"]),
        output_url=row["output_url"],
        error=row["error"],
        message_id=row["message_id"],
        attempts=int(row["attempts"]),
        created_at=_required_time(row["created_at"]),
        updated_at=_required_time(row["updated_at"]),
        delivered_at=time_from_text(row["delivered_at"]),
        title=row["title"],
        lease_owner=row["lease_owner"],
        lease_expires=time_from_text(row["lease_expires"]),
        lease_fence=int(row["lease_fence"]),
    )


def upload_from_row(row: Row) -> Upload:
    return Upload(
        id=row["id"],
        conversation=row["conversation_key"],
        session_id=row["session_id"],
        filename=row["filename"],
        size_bytes=row["size_bytes"],
        file_type=row["file_type"],
        cdn_url=row["cdn_url"],
        created_at=_required_time(row["created_at"]),
    )


def version_from_row(row: Row) -> Version:
    return Version(
        id=int(row["id"]),
        conversation=row["conversation_key"],
        number=int(row["number"]),
        render_id=row["render_id"],
        requester_id=row["requester_id"],
        title=row["title"],
        output_url=row["output_url"],
        size_bytes=row["size_bytes"],
        duration_ms=row["duration_ms"],
        posted_as=PostedAs(row["posted_as"]),
        message_id=row["message_id"],
        posts=int(row["posts"]),
        delivered_at=_required_time(row["delivered_at"]),
        posted_at=_required_time(row["posted_at"]),
    )
