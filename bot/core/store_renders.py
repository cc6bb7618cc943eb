"""The store's renders: export jobs from submission to delivery, in durable states.

A render is saved (`submitting`) before it is submitted and moves through the states of
`bot.core.records.RenderState`; every move is one conditional UPDATE, so it happens once
even with two tasks (or two processes) racing.

Each render in flight is held by one process with a lease (bot.core.leases): `create_render`
starts it held by its creator, `claim_renders` takes the ones whose lease is free or run out
(a restart, or a process that died), and every write the holder makes names its `Hold`, so
a process that lost the lease writes nothing. A delivery that a dead process left
`delivering` goes back to `completed` in the claim itself, to be made again: the post
carries a nonce derived from the render id, so delivering it again cannot post it twice.
"""

from __future__ import annotations

from typing import Any, cast

from bot.core.leases import Hold, LeaseTerms
from bot.core.records import IN_FLIGHT, Render, RenderEnd, RenderState, render_from_row
from bot.core.store_leases import LEASE_COLUMNS, LeaseTable, fenced
from bot.nemo.models import RenderStatus

_IN_FLIGHT = tuple(sorted(state.value for state in IN_FLIGHT))
_IN_FLIGHT_SQL = ", ".join("?" for _ in _IN_FLIGHT)
#: A render can end (failed, refused, …) from any state in flight but `delivering`, which
#: only its delivery ends.
_ENDABLE = tuple(v for v in _IN_FLIGHT if v != RenderState.DELIVERING.value)
_ENDABLE_SQL = ", ".join("?" for _ in _ENDABLE)


#: Claimed renders left `delivering` by the previous holder are delivered again.
_REOPEN_DELIVERY = (
    f", status = CASE WHEN status = '{RenderState.DELIVERING.value}' "
    f"THEN '{RenderState.COMPLETED.value}' ELSE status END"
)


class RenderTable(LeaseTable):
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
        lease: LeaseTerms | None = None,
    ) -> Render:
        """Save a render; with `lease`, held by that process from the start (its `hold`
        has fence 1), so no other process resumes it while it is being submitted."""
        stamp = self._stamp()
        owner, until = (lease.owner, self._lease_until(lease)) if lease else (None, None)
        await self._write(
            "INSERT INTO renders (render_id, conversation_key, session_id, requester_id, "
            f"status, message_id, title, created_at, updated_at, {LEASE_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (render_id, conversation, session_id, requester_id, RenderState(status).value,
             message_id, title, stamp, stamp, owner, until, 1 if lease else 0),
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
        hold: Hold | None = None,
    ) -> Render | None:
        """Change the given fields (None leaves a field as it is); None if no such render,
        or (with `hold`) if the lease is no longer that one.

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
        condition, held = fenced(hold)
        changed = await self._write(
            sql + f"WHERE render_id = ?{condition}",
            (*changes.values(), self._stamp(), render_id, *held),
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

    # -- leases ---------------------------------------------------------------------------

    async def claim_renders(
        self, lease: LeaseTerms, conversation: str | None = None, *, limit: int = 100
    ) -> list[Render]:
        """Claim the renders in flight (optionally `conversation`'s) that no process holds
        or whose lease has run out, oldest first; the claimed ones, each with its new
        `hold`. Two processes claiming at once never get the same render."""
        where = f"status IN ({_IN_FLIGHT_SQL})"
        params: tuple[Any, ...] = _IN_FLIGHT
        if conversation is not None:
            where += " AND conversation_key = ?"
            params += (conversation,)
        rows = await self._claim(
            "renders", "render_id", lease, where=where, params=params,
            order="created_at, render_id", limit=limit, also_set=_REOPEN_DELIVERY,
        )
        return sorted((render_from_row(row) for row in rows),
                      key=lambda r: (r.created_at, r.render_id))

    async def renew_render_lease(self, render_id: str, hold: Hold, lease: LeaseTerms) -> bool:
        """Extend the lease; False when another process has claimed the render since."""
        return await self._renew("renders", "render_id", render_id, hold, lease)

    async def release_render_lease(self, render_id: str, hold: Hold) -> bool:
        """Let another process (or the next start) take the render at once."""
        return await self._release("renders", "render_id", render_id, hold)

    # -- moves ----------------------------------------------------------------------------

    async def _move(self, render_id: str, to: RenderState, *, where: tuple[str, ...],
                    extra: str = "", params: tuple[Any, ...] = (),
                    hold: Hold | None = None) -> bool:
        """One state change, made only from the states in `where` (and, with `hold`, only
        while the lease is that one); True if it happened."""
        marks = ", ".join("?" for _ in where)
        condition, held = fenced(hold)
        changed = await self._write(
            f"UPDATE renders SET status = ?, updated_at = ?{extra} "
            f"WHERE render_id = ? AND status IN ({marks}){condition}",
            (to.value, self._stamp(), *params, render_id, *where, *held),
        )
        return changed == 1

    async def advance_render(
        self,
        render_id: str,
        status: RenderState | RenderStatus,
        *,
        progress: int | None = None,
        output_url: str | None = None,
        hold: Hold | None = None,
    ) -> Render | None:
        """What NemoVideo says of a render in flight (its status, progress, link), kept
        only while the render is not yet being delivered (and `hold` is its lease); None
        if it was not."""
        fields = {"progress": progress, "output_url": output_url}
        changes = {name: value for name, value in fields.items() if value is not None}
        extra = "".join(f", {name} = ?" for name in changes)  # names are ours, not input
        moved = await self._move(
            render_id, RenderState(status), where=_ENDABLE, extra=extra,
            params=tuple(changes.values()), hold=hold,
        )
        return await self.get_render(render_id) if moved else None

    async def claim_delivery(self, render_id: str, hold: Hold | None = None) -> bool:
        """`completed` → `delivering`, counting the attempt: True for exactly one caller.

        Two resumers racing (two tasks, or two processes) both call this before
        downloading; only the one that gets True goes on to post, and with `hold` only
        while it still holds the render's lease.
        """
        return await self._move(
            render_id, RenderState.DELIVERING, where=(RenderState.COMPLETED.value,),
            extra=", attempts = attempts + 1", hold=hold,
        )

    async def record_delivery(self, render_id: str, hold: Hold | None = None) -> bool:
        """`delivering` → `delivered`, stamped: the post is in the thread."""
        return await self._move(
            render_id, RenderState.DELIVERED, where=(RenderState.DELIVERING.value,),
            extra=", delivered_at = ?", params=(self._stamp(),), hold=hold,
        )

    async def release_delivery(self, render_id: str, hold: Hold | None = None) -> bool:
        """`delivering` → `completed`: the delivery was interrupted (shutdown) and is
        taken up again at the next start, or by a Retry."""
        return await self._move(
            render_id, RenderState.COMPLETED, where=(RenderState.DELIVERING.value,),
            hold=hold,
        )

    async def give_up_delivery(
        self, render_id: str, error: str, hold: Hold | None = None
    ) -> bool:
        """`delivering` → `undelivered`: every attempt failed; the user is told (once)."""
        return await self._move(
            render_id, RenderState.UNDELIVERED, where=(RenderState.DELIVERING.value,),
            extra=", error = ?", params=(error,), hold=hold,
        )

    async def reopen_undelivered(
        self, render_id: str, lease: LeaseTerms | None = None
    ) -> Render | None:
        """`undelivered` → `completed`: the user pressed Retry and the MP4 is still there.

        With `lease`, the render is claimed by that process in the same move (a new
        fence); the render as it is now, or None when it was not undelivered.
        """
        extra, params = "", cast(tuple[Any, ...], ())
        if lease is not None:
            extra = ", lease_owner = ?, lease_expires = ?, lease_fence = lease_fence + 1"
            params = (lease.owner, self._lease_until(lease))
        moved = await self._move(
            render_id, RenderState.COMPLETED, where=(RenderState.UNDELIVERED.value,),
            extra=extra, params=params,
        )
        return await self.get_render(render_id) if moved else None

    async def end_render(
        self, render_id: str, outcome: RenderEnd, error: str, hold: Hold | None = None
    ) -> bool:
        """End a render in flight that will not be delivered (failed, refused, replaced,
        given up, cancelled): True for exactly one caller, who tells the user. A cancel
        comes from whoever the user talks to and names no `hold`: it wins over the
        holder, whose own moves no longer succeed."""
        return await self._move(
            render_id, RenderState(outcome), where=_ENDABLE, extra=", error = ?",
            params=(error,), hold=hold,
        )
