"""What every part of the `Store` shares: the database, the clock, and three query helpers.

`Store` (bot.core.store) is built from `StoreTables` and the table groups kept in their
own modules (`CredentialTable`, `RenderTable`, `UsageTable`, `CountTable`); they all run
on this one database (either engine, `bot.core.store_sql.Database`) and this one clock.
Their SQL is written once, in SQLite's dialect with `?` placeholders, and kept portable.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.core.records import Row, time_to_text
from bot.core.store_sql import Database

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class StoreTables:
    """The database and the helpers the table groups write their SQL with."""

    def __init__(self, db: Database, now: Clock) -> None:
        self._db = db
        self._now = now

    def _stamp(self) -> str:
        return time_to_text(self._now())

    async def _one(self, sql: str, params: tuple[Any, ...] = ()) -> Row | None:
        return await self._db.one(sql, params)

    async def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[Row]:
        return await self._db.all(sql, params)

    async def _write(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """Run one statement; returns how many rows it changed."""
        return await self._db.write(sql, params)
