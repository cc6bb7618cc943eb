"""The store's renders: export jobs from submission to delivery, in durable states.

A render is saved (`submitting`) before it is submitted and moves through the states of
`bot.core.records.RenderState`; every move is one conditional UPDATE, so it happens once
even with two tasks (or two processes) racing. A restart resumes what is in flight
(`get_unfinished_renders`), including a delivery that a dead process left `delivering`
(`reopen_cut_off_deliveries`): the post carries a nonce derived from the render id, so
delivering it again cannot post it twice.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from bot.core.records import IN_FLIGHT, Render, RenderEnd, RenderState, render_from_row
from bot.core.store_tables import StoreTables
from bot.nemo.models import RenderStatus

_IN_FLIGHT = tuple(sorted(state.value for state in IN_FLIGHT))
_IN_FLIGHT_SQL = ", ".join("?" for _ in _IN_FLIGHT)
#: A render can end (failed, refused, …) from any state in flight but `delivering`, which
#: only its delivery ends.
_ENDABLE = tuple(v for v in _IN_FLIGHT if v != RenderState.DELIVERING.value)
_ENDABLE_SQL = ", ".join("?" for _ in _ENDABLE)


class RenderTable(StoreTables):
    """The `renders` table."""

    async def create_render(
        self,
        render_id: str,
        conversation: str,
        *,
        session_id: str | None = None,
        requester_id: int | None = None,
        message_id: str | None = None,
        status: RenderState | RenderStatus | str = RenderState.SUBMITTING,
        title: str | None = None,
    ) -> Render:
        stamp = self._stamp()
        await self._write(
            "INSERT INTO renders (render_id, conversation_key, session_id, requester_id, "
            "status, message_id, title, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (render_id, conversation, session_id, requester_id, RenderState(status).value,
             message_id, title, stamp, stamp),
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
        progress: int | None = None,
        output_url: str | None = None,
        error: str | None = None,
        message_id: str | None = None,
        attempts: int | None = None,
    ) -> Render | None:
        """Change the given fields (None leaves a field as it is); None if no such render.

        The status is not among them: it changes only through the moves below, each made
        from the states it may come from.
        """
        fields: dict[str, object] = {
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
        """Renders in flight (see `RenderState`), oldest first (optionally for one key)."""
        sql = f"SELECT * FROM renders WHERE status IN ({_IN_FLIGHT_SQL})"
        params: tuple[Any, ...] = _IN_FLIGHT
        if conversation is not None:
            sql += " AND conversation_key = ?"
            params += (conversation,)
        rows = await self._all(sql + " ORDER BY created_at, render_id", params)
        return [render_from_row(row) for row in rows]

    async def get_latest_render(self, conversation: str) -> Render | None:
        """The conversation's most recent render, whatever its state."""
        row = await self._one(
            "SELECT * FROM renders WHERE conversation_key = ? "
            "ORDER BY created_at DESC, render_id DESC LIMIT 1",
            (conversation,),
        )
        return None if row is None else render_from_row(row)

    async def _move(self, render_id: str, to: RenderState, *, where: tuple[str, ...],
                    extra: str = "", params: tuple[Any, ...] = ()) -> bool:
        """One state change, made only from the states in `where`; True if it happened."""
        marks = ", ".join("?" for _ in where)
        changed = await self._write(
            f"UPDATE renders SET status = ?, updated_at = ?{extra} "
            f"WHERE render_id = ? AND status IN ({marks})",
            (to.value, self._stamp(), *params, render_id, *where),
        )
        return changed == 1

    async def advance_render(
        self,
        render_id: str,
        status: RenderState | RenderStatus,
        *,
        progress: int | None = None,
        output_url: str | None = None,
    ) -> Render | None:
        """What NemoVideo says of a render in flight (its status, progress, link), kept
        only while the render is not yet being delivered; None if it was not."""
        fields = {"progress": progress, "output_url": output_url}
        changes = {name: value for name, value in fields.items() if value is not None}
        extra = "".join(f", {name} = ?" for name in changes)  # names are ours, not input
        moved = await self._move(
            render_id, RenderState(status), where=_ENDABLE, extra=extra,
            params=tuple(changes.values()),
        )
        return await self.get_render(render_id) if moved else None

    async def claim_delivery(self, render_id: str) -> bool:
        """`completed` → `delivering`, counting the attempt: True for exactly one caller.

        Two resumers racing (two tasks, or two processes on the same file) both call this
        before downloading; only the one that gets True goes on to post.
        """
        return await self._move(
            render_id, RenderState.DELIVERING, where=(RenderState.COMPLETED.value,),
            extra=", attempts = attempts + 1",
        )

    async def record_delivery(self, render_id: str) -> bool:
        """`delivering` → `delivered`, stamped: the post is in the thread."""
        return await self._move(
            render_id, RenderState.DELIVERED, where=(RenderState.DELIVERING.value,),
            extra=", delivered_at = ?", params=(self._stamp(),),
        )

    async def release_delivery(self, render_id: str) -> bool:
        """`delivering` → `completed`: the delivery was interrupted (shutdown) and is
        taken up again at the next start, or by a Retry."""
        return await self._move(
            render_id, RenderState.COMPLETED, where=(RenderState.DELIVERING.value,)
        )

    async def reopen_cut_off_deliveries(self, live: Collection[str] = ()) -> int:
        """Deliveries left `delivering` by a process that stopped (all but `live`, the ones
        this process is making) go back to `completed`; returns how many."""
        marks = ", ".join("?" for _ in live)
        spare = f" AND render_id NOT IN ({marks})" if live else ""
        return await self._write(
            f"UPDATE renders SET status = ?, updated_at = ? WHERE status = ?{spare}",
            (RenderState.COMPLETED.value, self._stamp(), RenderState.DELIVERING.value,
             *live),
        )

    async def give_up_delivery(self, render_id: str, error: str) -> bool:
        """`delivering` → `undelivered`: every attempt failed; the user is told (once)."""
        return await self._move(
            render_id, RenderState.UNDELIVERED, where=(RenderState.DELIVERING.value,),
            extra=", error = ?", params=(error,),
        )

    async def reopen_undelivered(self, render_id: str) -> bool:
        """`undelivered` → `completed`: the user pressed Retry and the MP4 is still there."""
        return await self._move(
            render_id, RenderState.COMPLETED, where=(RenderState.UNDELIVERED.value,)
        )

    async def end_render(self, render_id: str, outcome: RenderEnd, error: str) -> bool:
        """End a render in flight that will not be delivered (failed, refused, replaced,
        given up): True for exactly one caller, who tells the user."""
        return await self._move(
            render_id, RenderState(outcome), where=_ENDABLE, extra=", error = ?",
            params=(error,),
        )
