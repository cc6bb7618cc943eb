"""The store's counts for the metrics: renders by state, and how long recent ones took.

Read-only, database-wide (every process sees the same numbers), portable SQL; the times
are ISO 8601 text in UTC, so they compare as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.records import IN_FLIGHT, RenderState, time_from_text, time_to_text
from bot.core.store_tables import StoreTables

_IN_FLIGHT = tuple(sorted(state.value for state in IN_FLIGHT))
_IN_FLIGHT_SQL = ", ".join("?" for _ in _IN_FLIGHT)


@dataclass(frozen=True, slots=True)
class EndedRender:
    """A render that ended: how (its end state) and how long after it was saved."""

    state: RenderState
    seconds: float


class CountTable(StoreTables):
    """Counts over the `renders` table."""

    async def count_renders_by_state(self) -> dict[RenderState, int]:
        """Every state, with 0 for the states no render is in."""
        rows = await self._all("SELECT status, COUNT(*) AS n FROM renders GROUP BY status")
        counts = dict.fromkeys(RenderState, 0)
        for row in rows:
            counts[RenderState(row["status"])] = int(row["n"])
        return counts

    async def renders_ended_since(self, since: datetime) -> list[EndedRender]:
        """Renders that reached an end state at `since` or later (delivered: when posted)."""
        rows = await self._all(
            "SELECT status, created_at, updated_at, delivered_at FROM renders "
            f"WHERE updated_at >= ? AND status NOT IN ({_IN_FLIGHT_SQL})",
            (time_to_text(since), *_IN_FLIGHT),
        )
        ended: list[EndedRender] = []
        for row in rows:
            started = time_from_text(row["created_at"])
            finished = time_from_text(row["delivered_at"] or row["updated_at"])
            if started is not None and finished is not None:
                seconds = max((finished - started).total_seconds(), 0.0)
                ended.append(EndedRender(RenderState(row["status"]), seconds))
        return ended
