"""What every part of the `Store` shares: the connection, the clock, and three query helpers.

`Store` (bot.core.store) is built from `StoreTables` and the table groups kept in their
own modules (`CredentialTable`, `RenderTable`, `UsageTable`); they all run on this one
connection and this one clock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.core.records import time_to_text

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class StoreTables:
    """The connection and the helpers the table groups write their SQL with."""

    def __init__(self, db: aiosqlite.Connection, path: Path, now: Clock) -> None:
        self._db = db
        self._now = now
        self.path = path

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
