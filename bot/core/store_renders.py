"""The store's renders: export jobs from submission to delivery.

A restart resumes the renders still in flight (`get_unfinished_renders`), and each is
delivered once: whoever posts it claims it first with `mark_delivered`.
"""

from __future__ import annotations

from typing import Any

from bot.core.records import Render, RenderState, render_from_row
from bot.core.store_tables import StoreTables
from bot.nemo.models import RenderStatus


class RenderTable(StoreTables):
    """The `renders` table."""

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
        """Claim the delivery of a render: True for exactly one caller while the claim holds.

        Two resumers racing (two tasks, or two processes on the same file) both call this
        before posting; only the one that gets True posts. The claim lasts until
        `unmark_delivered` releases it (its delivery failed), and then the next caller
        may claim it again.
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
