"""The bot's memory: one SQLite file (aiosqlite), or a PostgreSQL database (asyncpg).

What it keeps, and why:

- credentials: the client id and the anonymous token of each API base URL (implements
  `CredentialStore`), because NemoVideo issues one anonymous token per client id per 7 days
  and a token works only on the server that issued it;
- conversations: which NemoVideo session belongs to which thread or terminal;
- turns: enough about a running chat turn to tell the user, after a restart, whether it went
  through (never the message text: recovery must not re-send it, that would charge twice);
- renders: export jobs from submission to delivery, in durable states, so a restart (even
  after a kill) resumes them and each is delivered once (`claim_delivery`);
- versions: every delivered export of a conversation, for /versions and Post again;
- uploads and per-user daily usage.

`Store` is this module's conversations, turns and uploads, plus the table groups kept in
their own modules: `CredentialTable` (bot.core.store_credentials), `RenderTable`
(bot.core.store_renders), `UsageTable` (bot.core.store_usage) and `VersionTable`
(bot.core.store_versions), all on one database
(`StoreTables`, bot.core.store_tables) of either engine (bot.core.store_sql,
bot.core.store_postgres): the same SQL, the same migrations, the same behaviour.

A SQLite file is created with mode 0600 (it holds a token), in WAL mode, with foreign keys
on. Migrations (`bot.core.migrations`) run at open.

    async with await Store.open(path) as store:      # or a URL
        conversation = await store.get_conversation("discord:123")
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from bot.core.leases import Hold, LeaseTerms
from bot.core.migrations import SCHEMA_VERSION
from bot.core.records import (
    Conversation,
    Language,
    Render,
    RenderState,
    Turn,
    TurnStatus,
    Upload,
    conversation_from_row,
    turn_from_row,
    upload_from_row,
)
from bot.core.store_counts import CountTable
from bot.core.store_credentials import CredentialTable
from bot.core.store_leases import LEASE_COLUMNS, fenced
from bot.core.store_renders import RenderTable
from bot.core.store_sql import (
    Location,
    SqliteDatabase,
    SqliteLocation,
    open_database,
    parse_location,
)
from bot.core.store_tables import Clock, utc_now
from bot.core.store_usage import UsageTable
from bot.core.store_versions import VersionTable

__all__ = [
    "SCHEMA_VERSION",
    "Conversation",
    "Render",
    "RenderState",
    "Store",
    "Turn",
    "TurnStatus",
    "Upload",
]

log = logging.getLogger(__name__)


class Store(CredentialTable, RenderTable, UsageTable, CountTable, VersionTable):
    """Typed access to the database. Build it with `Store.open(path_or_url)`."""

    @classmethod
    async def open(cls, target: Path | str, *, now: Clock = utc_now) -> Store:
        """Open (creating if needed) the database and bring its schema up to date.

        `target` is a file path, or a URL: `sqlite:///relative/file`,
        `sqlite:////absolute/file` or `postgresql://user@host:port/database` (a
        `?search_path=…` picks the schema). `now` is the clock used for every timestamp
        the store writes. A URL of another kind raises ValueError. The store is an async
        context manager that closes it.
        """
        location = parse_location(target)
        db = await open_database(location)
        log.debug("opened store %s at schema version %s", location, SCHEMA_VERSION)
        return cls(db, now)

    @property
    def engine(self) -> str:
        """`sqlite` or `postgresql`."""
        return self._db.engine

    @property
    def location(self) -> Location:
        return self._db.location

    @property
    def path(self) -> Path | None:
        """The SQLite file (None on PostgreSQL)."""
        location = self._db.location
        return location.path if isinstance(location, SqliteLocation) else None

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
        return await self._db.schema_version()

    async def describe(self) -> str:
        """A few words on the engine for `nemobot doctor` (`wal journal`, `PostgreSQL 15.4`)."""
        return await self._db.describe()

    async def journal_mode(self) -> str:
        """SQLite's journal mode (`wal`); empty on PostgreSQL."""
        if isinstance(self._db, SqliteDatabase):
            return await self._db.journal_mode()
        return ""

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

    # -- turns ------------------------------------------------------------------------------

    async def start_turn(
        self,
        conversation: str,
        *,
        author_id: int | None = None,
        state_fingerprint: str | None = None,
        status_message_id: str | None = None,
        lease: LeaseTerms | None = None,
    ) -> Turn:
        """Record a running turn; with `lease`, held by that process (fence 1), so no
        other process takes it for one a restart cut off while it runs."""
        owner, until = (lease.owner, self._lease_until(lease)) if lease else (None, None)
        row = await self._one(
            "INSERT INTO turns (conversation_key, author_id, status, status_message_id, "
            f"state_fingerprint, started_at, {LEASE_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                conversation,
                author_id,
                TurnStatus.RUNNING.value,
                status_message_id,
                state_fingerprint,
                self._stamp(),
                owner,
                until,
                1 if lease else 0,
            ),
        )
        assert row is not None
        turn = await self.get_turn(int(row["id"]))
        assert turn is not None
        return turn

    async def get_turn(self, turn_id: int) -> Turn | None:
        row = await self._one("SELECT * FROM turns WHERE id = ?", (turn_id,))
        return None if row is None else turn_from_row(row)

    async def note_turn_status_message(
        self, turn_id: int, message_id: str, hold: Hold | None = None
    ) -> bool:
        """Record the message showing a turn that was started before it was posted (the
        post waits its turn in the platform's budget, the stream does not). Only the first
        id counts, and (with `hold`) only while this process holds the turn."""
        condition, held = fenced(hold)
        changed = await self._write(
            "UPDATE turns SET status_message_id = ? "
            f"WHERE id = ? AND status_message_id IS NULL{condition}",
            (message_id, turn_id, *held),
        )
        return changed > 0

    async def finish_turn(
        self, turn_id: int, status: TurnStatus | str, hold: Hold | None = None
    ) -> bool:
        """End a running turn as done, failed or interrupted.

        Returns False when the turn was not running (already finished, or unknown), or
        (with `hold`) is no longer held under that lease, so a turn ends once. An unknown
        status raises ValueError.
        """
        final = TurnStatus(status)
        if final is TurnStatus.RUNNING:
            raise ValueError("a turn cannot finish as running")
        condition, held = fenced(hold)
        changed = await self._write(
            f"UPDATE turns SET status = ?, finished_at = ? WHERE id = ? AND status = ?{condition}",
            (final.value, self._stamp(), turn_id, TurnStatus.RUNNING.value, *held),
        )
        return changed > 0

    async def claim_turns(
        self, lease: LeaseTerms, conversation: str | None = None, *, limit: int = 100
    ) -> list[Turn]:
        """Claim the running turns (optionally `conversation`'s) that no process holds or
        whose lease ran out: the ones a stop or a crash cut off, to be resumed by exactly
        one process. Oldest first, each with its new `hold`."""
        where = "status = ?"
        params: tuple[Any, ...] = (TurnStatus.RUNNING.value,)
        if conversation is not None:
            where, params = where + " AND conversation_key = ?", (*params, conversation)
        rows = await self._claim(
            "turns", "id", lease, where=where, params=params, order="id", limit=limit
        )
        return sorted((turn_from_row(row) for row in rows), key=lambda turn: turn.id)

    async def renew_turn_lease(self, turn_id: int, hold: Hold, lease: LeaseTerms) -> bool:
        return await self._renew("turns", "id", turn_id, hold, lease)

    async def release_turn_lease(self, turn_id: int, hold: Hold) -> bool:
        return await self._release("turns", "id", turn_id, hold)

    async def get_unfinished_turns(self) -> list[Turn]:
        """Turns still marked running: after a restart, the ones that were cut off."""
        rows = await self._all(
            "SELECT * FROM turns WHERE status = ? ORDER BY id", (TurnStatus.RUNNING.value,)
        )
        return [turn_from_row(row) for row in rows]

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
        row = await self._one(
            "INSERT INTO uploads (conversation_key, session_id, filename, size_bytes, file_type, "
            "cdn_url, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
            (conversation, session_id, filename, size_bytes, file_type, cdn_url,
             self._stamp()),
        )
        assert row is not None
        return upload_from_row(row)

    async def list_uploads(self, conversation: str) -> list[Upload]:
        """A conversation's uploads, in the order they were added."""
        rows = await self._all(
            "SELECT * FROM uploads WHERE conversation_key = ? ORDER BY id", (conversation,)
        )
        return [upload_from_row(row) for row in rows]
