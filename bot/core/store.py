"""The bot's memory: one SQLite file, opened with aiosqlite.

What it keeps, and why:

- credentials: the client id and the anonymous token (implements `CredentialStore`), because
  NemoVideo issues one anonymous token per client id per 7 days;
- conversations: which NemoVideo session belongs to which thread or terminal;
- turns: enough about a running chat turn to tell the user, after a restart, whether it went
  through (never the message text: recovery must not re-send it, that would charge twice);
- renders: export jobs from submission to delivery, so a restart resumes them and each is
  delivered exactly once (`mark_delivered`);
- uploads and per-user daily usage.

The file is created with mode 0600 (it holds a token), in WAL mode, with foreign keys on.
Migrations (`bot.core.migrations`) run at open; the version is SQLite's `user_version`.

    async with Store.open(path) as store:      # or: store = await Store.open(path)
        conversation = await store.get_conversation("discord:123")
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import sqlite3
from collections.abc import Callable, Generator
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiosqlite

from bot.core.migrations import SCHEMA_VERSION, migrate, user_version
from bot.core.records import (
    Conversation,
    Language,
    Render,
    RenderState,
    Turn,
    TurnStatus,
    Upload,
    conversation_from_row,
    render_from_row,
    time_from_text,
    time_to_text,
    turn_from_row,
    upload_from_row,
)
from bot.nemo.models import AnonymousToken, RenderStatus, SessionState

__all__ = [
    "SCHEMA_VERSION",
    "Conversation",
    "Render",
    "RenderState",
    "Store",
    "Turn",
    "TurnStatus",
    "Upload",
    "fingerprint_state",
]

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MILLISECONDS = 5000
FILE_MODE = 0o600
FOLDER_MODE = 0o700

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _utc_day(day: date) -> str:
    if isinstance(day, datetime):
        return time_to_text(day)[:10]
    return day.isoformat()


def fingerprint_state(state: SessionState) -> str:
    """A stable hash of what a turn can change: the draft and the session's media.

    Store it with `start_turn`; after a restart, a different fingerprint means the
    interrupted turn did change the session.
    """
    material = {
        "draft": state.draft.raw,
        "video_infos": list(state.video_infos),
        "generated_media": list(state.generated_media),
    }
    encoded = json.dumps(material, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def _prepare_file(path: Path) -> None:
    """Create the folder and an empty 0600 file before SQLite opens it (SQLite gives the
    -wal and -shm files the same mode as the database)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    os.close(fd)
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if candidate.exists():
            os.chmod(candidate, FILE_MODE)


class _Opening:
    """What `Store.open` returns: await it, or use it with `async with`."""

    def __init__(self, path: Path, now: Clock) -> None:
        self._path = path
        self._now = now
        self._store: Store | None = None

    def __await__(self) -> Generator[Any, None, Store]:
        return Store._connect(self._path, self._now).__await__()

    async def __aenter__(self) -> Store:
        self._store = await Store._connect(self._path, self._now)
        return self._store

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._store is not None:
            await self._store.close()


class Store:
    """Typed access to the database. Build it with `Store.open(path)`."""

    def __init__(self, db: aiosqlite.Connection, path: Path, now: Clock) -> None:
        self._db = db
        self._now = now
        self.path = path

    @staticmethod
    def open(path: Path, *, now: Clock = _utc_now) -> _Opening:
        """Open (creating if needed) the database at `path` and bring its schema up to date.

        `now` is the clock used for every timestamp the store writes.
        """
        return _Opening(Path(path), now)

    @classmethod
    async def _connect(cls, path: Path, now: Clock) -> Store:
        await asyncio.to_thread(_prepare_file, path)
        db = await aiosqlite.connect(path, isolation_level=None)
        try:
            db.row_factory = sqlite3.Row
            await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MILLISECONDS}")
            await db.execute("PRAGMA foreign_keys = ON")
            async with db.execute("PRAGMA journal_mode = WAL") as cursor:
                row = await cursor.fetchone()
            if row is None or str(row[0]).lower() != "wal":
                log.warning("SQLite refused WAL mode for %s", path)
            await db.execute("PRAGMA synchronous = NORMAL")
            await migrate(db)
        except BaseException:
            await db.close()
            raise
        await asyncio.to_thread(_prepare_file, path)  # the -wal and -shm files exist now
        log.debug("opened store %s at schema version %s", path, SCHEMA_VERSION)
        return cls(db, path, now)

    async def close(self) -> None:
        await self._db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def schema_version(self) -> int:
        return await user_version(self._db)

    async def journal_mode(self) -> str:
        row = await self._one("PRAGMA journal_mode")
        return str(row[0]) if row is not None else ""

    # -- helpers ----------------------------------------------------------------------------

    def _stamp(self) -> str:
        return time_to_text(self._now())

    async def _one(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        async with self._db.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        async with self._db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def _write(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """Run one statement; returns how many rows it changed."""
        async with self._db.execute(sql, params) as cursor:
            return cursor.rowcount

    # -- credentials (CredentialStore) ------------------------------------------------------

    async def get_client_id(self) -> str | None:
        row = await self._one("SELECT client_id FROM credentials WHERE id = 1")
        return None if row is None else row["client_id"]

    async def save_client_id(self, client_id: str) -> None:
        await self._write(
            "INSERT INTO credentials (id, client_id, updated_at) VALUES (1, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET client_id = excluded.client_id, "
            "updated_at = excluded.updated_at",
            (client_id, self._stamp()),
        )

    async def get_anonymous_token(self) -> AnonymousToken | None:
        row = await self._one(
            "SELECT token, user_id, expires_at, credits FROM credentials WHERE id = 1"
        )
        if row is None or row["token"] is None:
            return None
        return AnonymousToken(
            token=row["token"],
            user_id=row["user_id"],
            expires_at=time_from_text(row["expires_at"]),
            credits=row["credits"],
        )

    async def save_anonymous_token(self, token: AnonymousToken) -> None:
        expires = time_to_text(token.expires_at) if token.expires_at is not None else None
        await self._write(
            "INSERT INTO credentials (id, token, user_id, expires_at, credits, updated_at) "
            "VALUES (1, ?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET token = excluded.token, "
            "user_id = excluded.user_id, expires_at = excluded.expires_at, "
            "credits = excluded.credits, updated_at = excluded.updated_at",
            (token.token, token.user_id, expires, token.credits, self._stamp()),
        )

    # -- conversations ----------------------------------------------------------------------

    async def get_conversation(self, key: str) -> Conversation | None:
        row = await self._one("SELECT * FROM conversations WHERE key = ?", (key,))
        return None if row is None else conversation_from_row(row)

    async def save_conversation(
        self,
        key: str,
        *,
        session_id: str,
        task_id: str | None = None,
        user_id: str | None = None,
        owner_id: int | None = None,
        language: Language = "en",
        channel_id: int | None = None,
    ) -> Conversation:
        """Create the conversation, or replace everything but its `created_at`."""
        stamp = self._stamp()
        await self._write(
            "INSERT INTO conversations (key, session_id, task_id, user_id, owner_id, language, "
            "channel_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET session_id = excluded.session_id, "
            "task_id = excluded.task_id, user_id = excluded.user_id, "
            "owner_id = excluded.owner_id, language = excluded.language, "
            "channel_id = excluded.channel_id, updated_at = excluded.updated_at",
            (key, session_id, task_id, user_id, owner_id, language, channel_id, stamp, stamp),
        )
        saved = await self.get_conversation(key)
        assert saved is not None
        return saved

    async def rebind_session(
        self, key: str, session_id: str, task_id: str | None = None, *, user_id: str | None = None
    ) -> Conversation | None:
        """Point the conversation at a new session (after 1002, or /reset).

        Keeps owner, language and channel; `user_id` changes only when one is given.
        Returns None when there is no such conversation.
        """
        changed = await self._write(
            "UPDATE conversations SET session_id = ?, task_id = ?, "
            "user_id = COALESCE(?, user_id), updated_at = ? WHERE key = ?",
            (session_id, task_id, user_id, self._stamp(), key),
        )
        return await self.get_conversation(key) if changed else None

    async def delete_conversation(self, key: str) -> bool:
        """Forget a conversation with its turns and uploads (its renders stay, see migrations)."""
        return await self._write("DELETE FROM conversations WHERE key = ?", (key,)) > 0

    # -- turns ------------------------------------------------------------------------------

    async def start_turn(
        self,
        conversation: str,
        *,
        author_id: int | None = None,
        state_fingerprint: str | None = None,
        status_message_id: str | None = None,
    ) -> Turn:
        async with self._db.execute(
            "INSERT INTO turns (conversation_key, author_id, status, status_message_id, "
            "state_fingerprint, started_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                conversation,
                author_id,
                TurnStatus.RUNNING.value,
                status_message_id,
                state_fingerprint,
                self._stamp(),
            ),
        ) as cursor:
            turn_id = cursor.lastrowid
        assert turn_id is not None
        turn = await self.get_turn(turn_id)
        assert turn is not None
        return turn

    async def get_turn(self, turn_id: int) -> Turn | None:
        row = await self._one("SELECT * FROM turns WHERE id = ?", (turn_id,))
        return None if row is None else turn_from_row(row)

    async def finish_turn(self, turn_id: int, status: TurnStatus | str) -> bool:
        """End a running turn as done, failed or interrupted.

        Returns False when the turn was not running (already finished, or unknown), so a
        turn ends once. An unknown status raises ValueError.
        """
        final = TurnStatus(status)
        if final is TurnStatus.RUNNING:
            raise ValueError("a turn cannot finish as running")
        changed = await self._write(
            "UPDATE turns SET status = ?, finished_at = ? WHERE id = ? AND status = ?",
            (final.value, self._stamp(), turn_id, TurnStatus.RUNNING.value),
        )
        return changed > 0

    async def set_turn_message(self, turn_id: int, message_id: str) -> None:
        """Remember which message shows the turn's progress (to edit it after a restart)."""
        await self._write(
            "UPDATE turns SET status_message_id = ? WHERE id = ?", (message_id, turn_id)
        )

    async def set_turn_fingerprint(self, turn_id: int, state_fingerprint: str) -> None:
        await self._write(
            "UPDATE turns SET state_fingerprint = ? WHERE id = ?", (state_fingerprint, turn_id)
        )

    async def get_unfinished_turns(self) -> list[Turn]:
        """Turns still marked running: after a restart, the ones that were cut off."""
        rows = await self._all(
            "SELECT * FROM turns WHERE status = ? ORDER BY id", (TurnStatus.RUNNING.value,)
        )
        return [turn_from_row(row) for row in rows]

    # -- renders ----------------------------------------------------------------------------

    async def create_render(
        self,
        render_id: str,
        conversation: str,
        *,
        requester_id: int | None = None,
        message_id: str | None = None,
        status: RenderState | RenderStatus | str = RenderState.PENDING,
    ) -> Render:
        stamp = self._stamp()
        await self._write(
            "INSERT INTO renders (render_id, conversation_key, requester_id, status, message_id, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (render_id, conversation, requester_id, RenderState(status).value, message_id,
             stamp, stamp),
        )
        render = await self.get_render(render_id)
        assert render is not None
        return render

    async def get_render(self, render_id: str) -> Render | None:
        row = await self._one("SELECT * FROM renders WHERE render_id = ?", (render_id,))
        return None if row is None else render_from_row(row)

    async def update_render(
        self,
        render_id: str,
        *,
        status: RenderState | RenderStatus | str | None = None,
        progress: int | None = None,
        output_url: str | None = None,
        error: str | None = None,
        message_id: str | None = None,
        attempts: int | None = None,
    ) -> Render | None:
        """Change the given fields (None leaves a field as it is); None if no such render.

        `status` may be the backend's `RenderStatus`, ours, or its string value.
        """
        fields: dict[str, object] = {
            "status": RenderState(status).value if status is not None else None,
            "progress": progress,
            "output_url": output_url,
            "error": error,
            "message_id": message_id,
            "attempts": attempts,
        }
        changes = {name: value for name, value in fields.items() if value is not None}
        assignments = ", ".join(f"{name} = ?" for name in changes)  # names are ours, not input
        sql = f"UPDATE renders SET {assignments + ', ' if assignments else ''}updated_at = ? "
        changed = await self._write(
            sql + "WHERE render_id = ?", (*changes.values(), self._stamp(), render_id)
        )
        return await self.get_render(render_id) if changed else None

    async def get_unfinished_renders(self, conversation: str | None = None) -> list[Render]:
        """Renders not yet delivered and not given up, oldest first (optionally for one key)."""
        sql = "SELECT * FROM renders WHERE delivered_at IS NULL AND status != ?"
        params: tuple[Any, ...] = (RenderState.GAVE_UP.value,)
        if conversation is not None:
            sql += " AND conversation_key = ?"
            params += (conversation,)
        rows = await self._all(sql + " ORDER BY created_at, render_id", params)
        return [render_from_row(row) for row in rows]

    async def mark_delivered(self, render_id: str) -> bool:
        """Claim the delivery of a render: True for exactly one caller, ever.

        Two resumers racing (two tasks, or two processes on the same file) both call this
        before posting; only the one that gets True posts.
        """
        changed = await self._write(
            "UPDATE renders SET delivered_at = ?, updated_at = ? "
            "WHERE render_id = ? AND delivered_at IS NULL",
            (self._stamp(), self._stamp(), render_id),
        )
        return changed == 1

    async def unmark_delivered(self, render_id: str) -> None:
        """Release a claim from `mark_delivered` after the delivery itself failed, so that
        the next resume tries again."""
        await self._write(
            "UPDATE renders SET delivered_at = NULL, updated_at = ? WHERE render_id = ?",
            (self._stamp(), render_id),
        )

    # -- uploads ----------------------------------------------------------------------------

    async def add_upload(
        self,
        conversation: str,
        *,
        filename: str,
        size_bytes: int | None = None,
        file_type: str | None = None,
        cdn_url: str | None = None,
        session_id: str | None = None,
    ) -> Upload:
        async with self._db.execute(
            "INSERT INTO uploads (conversation_key, session_id, filename, size_bytes, file_type, "
            "cdn_url, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (conversation, session_id, filename, size_bytes, file_type, cdn_url,
             self._stamp()),
        ) as cursor:
            upload_id = cursor.lastrowid
        row = await self._one("SELECT * FROM uploads WHERE id = ?", (upload_id,))
        assert row is not None
        return upload_from_row(row)

    async def list_uploads(
        self, conversation: str, *, session_id: str | None = None
    ) -> list[Upload]:
        """A conversation's uploads in order; only one session's when `session_id` is given."""
        sql = "SELECT * FROM uploads WHERE conversation_key = ?"
        params: tuple[Any, ...] = (conversation,)
        if session_id is not None:
            sql += " AND session_id = ?"
            params += (session_id,)
        return [upload_from_row(row) for row in await self._all(sql + " ORDER BY id", params)]

    # -- usage ------------------------------------------------------------------------------

    async def record_turn_usage(self, user_id: int, day: date | None = None) -> int:
        """Count one turn for `user_id` on the UTC `day` (default: today by the store's
        clock; a datetime is converted to UTC); returns that day's count, this one included."""
        key = _utc_day(day if day is not None else self._now())
        await self._write(
            "INSERT INTO usage (user_id, day, turns) VALUES (?, ?, 1) "
            "ON CONFLICT (user_id, day) DO UPDATE SET turns = turns + 1",
            (user_id, key),
        )
        return await self._count(user_id, key)

    async def count_turns_today(self, user_id: int, now: datetime | None = None) -> int:
        """Turns `user_id` took on the UTC day of `now` (default: the store's clock)."""
        return await self._count(user_id, _utc_day(now or self._now()))

    async def _count(self, user_id: int, day: str) -> int:
        row = await self._one(
            "SELECT turns FROM usage WHERE user_id = ? AND day = ?", (user_id, day)
        )
        return 0 if row is None else int(row["turns"])
