"""The store's per-user daily usage: how many turns each person took on each UTC day."""

from __future__ import annotations

from datetime import date, datetime

from bot.core.records import time_to_text
from bot.core.store_tables import StoreTables


def utc_day(day: date) -> str:
    """`2026-03-01`: a date as it is, a datetime converted to UTC first."""
    if isinstance(day, datetime):
        return time_to_text(day)[:10]
    return day.isoformat()


class UsageTable(StoreTables):
    """The `usage` table."""

    async def record_turn_usage(self, user_id: int, day: date | None = None) -> int:
        """Count one turn for `user_id` on the UTC `day` (default: today by the store's
        clock; a datetime is converted to UTC); returns that day's count, this one included."""
        key = utc_day(day if day is not None else self._now())
        await self._write(
            "INSERT INTO usage (user_id, day, turns) VALUES (?, ?, 1) "
            "ON CONFLICT (user_id, day) DO UPDATE SET turns = usage.turns + 1",
            (user_id, key),
        )
        return await self._count(user_id, key)

    async def count_turns_today(self, user_id: int, now: datetime | None = None) -> int:
        """Turns `user_id` took on the UTC day of `now` (default: the store's clock)."""
        return await self._count(user_id, utc_day(now or self._now()))

    async def _count(self, user_id: int, day: str) -> int:
        row = await self._one(
            "SELECT turns FROM usage WHERE user_id = ? AND day = ?", (user_id, day)
        )
        return 0 if row is None else int(row["turns"])
