"""The two engines the store runs on, behind one small interface (`Database`).

`Store` (bot.core.store) writes its SQL once, in SQLite's dialect with `?` placeholders;
each engine runs it:

- `SqliteDatabase`: one aiosqlite connection to a file (the embedded default);
- `PostgresDatabase` (bot.core.store_postgres): an asyncpg pool, which translates the
  placeholders and the few dialect differences in one place.

Where the database is comes from `DATABASE_URL` or `DATABASE_PATH` (`parse_location`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

from bot.core.migrations import MIGRATIONS, SCHEMA_VERSION, check_version
from bot.core.records import Row

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MILLISECONDS = 5000
FILE_MODE = 0o600
FOLDER_MODE = 0o700

SQLITE_SCHEME = "sqlite://"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


@dataclass(frozen=True)
class SqliteLocation:
    path: Path

    def __str__(self) -> str:
        return str(self.path)


@dataclass(frozen=True)
class PostgresLocation:
    url: str

    def __str__(self) -> str:
        """The URL without its password (for logs and doctor)."""
        scheme, _, rest = self.url.partition("://")
        credentials, at, host = rest.rpartition("@")
        if at and ":" in credentials:
            credentials = credentials.split(":", 1)[0] + ":***"
        return f"{scheme}://{credentials}{at}{host}"


Location = SqliteLocation | PostgresLocation


def parse_location(target: Path | str) -> Location:
    """A path, `sqlite:///relative/file`, `sqlite:////absolute/file` or `postgresql://…`.

    Raises ValueError for any other URL scheme.
    """
    if isinstance(target, Path):
        return SqliteLocation(target)
    if target.startswith(POSTGRES_SCHEMES):
        return PostgresLocation(target)
    if target.startswith(SQLITE_SCHEME):
        path = target[len(SQLITE_SCHEME):]
        if not path.startswith("/") or len(path) < 2:
            raise ValueError(f"{target!r}: write sqlite:///relative/file or sqlite:////abs/file")
        return SqliteLocation(Path(path[1:]))
    if "://" in target:
        raise ValueError(f"{target!r}: a database URL starts with sqlite:/// or postgresql://")
    return SqliteLocation(Path(target))


class Database(Protocol):
    """What the store needs of an engine. SQL is SQLite's dialect, `?` placeholders."""

    @property
    def engine(self) -> str: ...

    @property
    def location(self) -> Location: ...

    @property
    def skip_locked(self) -> str:
        """What ends a `SELECT` that picks rows to claim: PostgreSQL's
        ` FOR UPDATE SKIP LOCKED` (two claimers take different rows, neither waits);
        nothing on SQLite, where the claiming `UPDATE` is one write transaction already
        and writers take turns."""
        ...

    async def one(self, sql: str, params: tuple[Any, ...] = ()) -> Row | None: ...

    async def all(self, sql: str, params: tuple[Any, ...] = ()) -> list[Row]: ...

    async def write(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """Run one statement; returns how many rows it changed."""
        ...

    async def write_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """Run one statement for each row, all or none."""
        ...

    async def continue_ids(self, table: str, column: str) -> None:
        """After rows were inserted with their ids: new rows get ids after the largest."""
        ...

    async def schema_version(self) -> int: ...

    async def describe(self) -> str:
        """A few words for `nemobot doctor` (the journal mode, the server version)."""
        ...

    async def close(self) -> None: ...


def statements(script: str) -> list[str]:
    """A migration's statements, each ended where SQLite says a statement is complete."""
    found: list[str] = []
    current = ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            found.append(current.strip())
            current = ""
    if current.strip():
        found.append(current.strip())
    return found


async def open_database(location: Location) -> Database:
    """Connect and bring the schema up to date (`bot.core.migrations`)."""
    if isinstance(location, PostgresLocation):
        from bot.core.store_postgres import PostgresDatabase  # asyncpg only when asked for

        return await PostgresDatabase.open(location)
    return await SqliteDatabase.open(location)


# ----- SQLite ------------------------------------------------------------------------------


def _prepare_file(path: Path) -> None:
    """Create the folder and an empty 0600 file before SQLite opens it (SQLite gives the
    -wal and -shm files the same mode as the database)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    os.close(fd)
    _restrict_modes(path)


def _restrict_modes(path: Path) -> None:
    """Make the database and its -wal and -shm files 0600.

    Only `chmod`, never open and close: once SQLite has the file open, closing any other
    descriptor of it drops this process's POSIX locks, and the next process that opens
    and closes the database would take itself for the last one and delete the
    write-ahead log still being written to (every later write lost).
    """
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if candidate.exists():
            os.chmod(candidate, FILE_MODE)


async def _enter_wal(db: aiosqlite.Connection) -> Row | None:
    """`PRAGMA journal_mode = WAL`, tried again while another connection holds the file.

    SQLite does not call the busy handler for every lock a journal-mode change meets, so a
    process opening a new file at the same moment as another is told "database is locked"
    at once instead of waiting: wait here, as long as the busy timeout would.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MILLISECONDS / 1000
    while True:
        try:
            async with db.execute("PRAGMA journal_mode = WAL") as cursor:
                row: Row | None = await cursor.fetchone()
                return row
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            await asyncio.sleep(0.02)


class SqliteDatabase:
    """One aiosqlite connection to a 0600 file, in WAL mode, foreign keys on; the schema
    version is SQLite's `user_version`."""

    engine = "sqlite"
    skip_locked = ""

    def __init__(self, db: aiosqlite.Connection, location: SqliteLocation) -> None:
        self._db = db
        self.location = location

    @classmethod
    async def open(cls, location: SqliteLocation) -> SqliteDatabase:
        path = location.path
        await asyncio.to_thread(_prepare_file, path)
        db = await aiosqlite.connect(path, isolation_level=None)
        try:
            db.row_factory = sqlite3.Row
            await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MILLISECONDS}")
            await db.execute("PRAGMA foreign_keys = ON")
            row = await _enter_wal(db)
            if row is None or str(row[0]).lower() != "wal":
                log.warning("SQLite refused WAL mode for %s", path)
            await db.execute("PRAGMA synchronous = NORMAL")
            opened = cls(db, location)
            await opened._migrate()
        except BaseException:
            await db.close()
            raise
        await asyncio.to_thread(_restrict_modes, path)  # the -wal and -shm files exist now
        return opened

    async def one(self, sql: str, params: tuple[Any, ...] = ()) -> Row | None:
        async with self._db.execute(sql, params) as cursor:
            row: Row | None = await cursor.fetchone()
            return row

    async def all(self, sql: str, params: tuple[Any, ...] = ()) -> list[Row]:
        async with self._db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def write(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        async with self._db.execute(sql, params) as cursor:
            return cursor.rowcount

    async def write_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        await self._db.execute("BEGIN IMMEDIATE")
        try:
            await self._db.executemany(sql, rows)
        except BaseException:
            await self._db.rollback()
            raise
        await self._db.commit()

    async def continue_ids(self, table: str, column: str) -> None:
        """Nothing to do: AUTOINCREMENT follows the largest id inserted."""

    async def schema_version(self) -> int:
        row = await self.one("PRAGMA user_version")
        return int(row[0]) if row is not None else 0

    async def describe(self) -> str:
        row = await self.one("PRAGMA journal_mode")
        return f"{row[0] if row is not None else '?'} journal"

    async def journal_mode(self) -> str:
        row = await self.one("PRAGMA journal_mode")
        return str(row[0]) if row is not None else ""

    async def close(self) -> None:
        await self._db.close()

    async def _migrate(self) -> None:
        """Apply the migrations the file has not seen, all in one transaction with the
        version they reach.

        Safe to run again (nothing to do) and against a second process migrating the same
        file at the same moment: the version is read again once the write lock is held,
        so whoever waited for it finds the version moved on and runs nothing. (Running a
        migration twice is no harmless failure: one that copies a table succeeds again,
        and would set the version back.)
        """
        current = await self.schema_version()
        check_version(current)
        if current >= SCHEMA_VERSION:
            return
        await self._db.execute("BEGIN IMMEDIATE")  # waits for another process's migration
        try:
            current = await self.schema_version()
            check_version(current)
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in statements(MIGRATIONS[version - 1]):
                    await self._db.execute(statement)
                await self._db.execute(f"PRAGMA user_version = {version}")
                log.info("database migrated to schema version %s", version)
        except BaseException:
            await self._db.rollback()
            raise
        await self._db.commit()
