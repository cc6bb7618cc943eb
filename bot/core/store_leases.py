"""The SQL of leases (bot.core.leases), for any table with the three lease columns.

Renders (bot.core.store_renders) and turns (bot.core.store) both carry `lease_owner`,
`lease_expires` and `lease_fence` (migration 5). A claim is one `UPDATE` whose rows are
picked by a sub-`SELECT` of claimable rows (no owner, or a lease run out), locked with
`FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite the one statement is one write
transaction. It bumps the fence, so whatever the previous holder still writes under its
old fence changes nothing (`fenced`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.core.leases import Hold, LeaseTerms, owner_is_gone
from bot.core.records import Row, time_to_text
from bot.core.store_tables import StoreTables

#: The lease columns, for `INSERT`s that start out held.
LEASE_COLUMNS = "lease_owner, lease_expires, lease_fence"


def fenced(hold: Hold | None) -> tuple[str, tuple[Any, ...]]:
    """The `WHERE` words (and their parameters) that make a write conditional on `hold`;
    nothing for an unfenced write (one made regardless of who holds the row: a cancel)."""
    if hold is None:
        return "", ()
    return " AND lease_owner = ? AND lease_fence = ?", (hold.owner, hold.fence)


class LeaseTable(StoreTables):
    """Claim, renew and release leases on rows of the store's tables."""

    def _lease_until(self, terms: LeaseTerms) -> str:
        return time_to_text(self._now() + timedelta(seconds=terms.seconds))

    async def _claim(
        self,
        table: str,
        key: str,
        terms: LeaseTerms,
        *,
        where: str,
        params: tuple[Any, ...],
        order: str,
        limit: int,
        also_set: str = "",
    ) -> list[Row]:
        """Claim up to `limit` rows matching `where` whose lease is free or run out (or
        whose owner is gone from this host); the claimed rows, as they are now. `also_set`
        (SQL of ours, no parameters) changes more on the claimed rows in the same
        statement."""
        await self._lapse_gone_owners(table, where, params)
        claimable = (
            f"({where}) AND (lease_owner IS NULL OR lease_expires IS NULL OR lease_expires < ?)"
        )
        now = self._stamp()
        sql = (
            f"UPDATE {table} SET lease_owner = ?, lease_expires = ?, "
            f"lease_fence = lease_fence + 1{also_set} "
            f"WHERE {key} IN (SELECT {key} FROM {table} WHERE {claimable} "
            f"ORDER BY {order} LIMIT ?{self._db.skip_locked}) AND {claimable} RETURNING *"
        )
        return await self._all(
            sql,
            (terms.owner, self._lease_until(terms), *params, now, limit, *params, now),
        )

    async def _lapse_gone_owners(self, table: str, where: str, params: tuple[Any, ...]) -> None:
        """End, now, the leases of owners that are gone from this host (`owner_is_gone`)."""
        rows = await self._all(
            f"SELECT DISTINCT lease_owner FROM {table} WHERE ({where}) "
            "AND lease_owner IS NOT NULL AND lease_expires IS NOT NULL",
            params,
        )
        for row in rows:
            owner = str(row["lease_owner"])
            if owner_is_gone(owner):
                await self._write(
                    f"UPDATE {table} SET lease_expires = NULL WHERE lease_owner = ?", (owner,)
                )

    async def _renew(self, table: str, key: str, value: Any, hold: Hold, terms: LeaseTerms) -> bool:
        """Extend the lease if it is still `hold`'s; False when it was lost."""
        condition, params = fenced(hold)
        changed = await self._write(
            f"UPDATE {table} SET lease_expires = ? WHERE {key} = ?{condition}",
            (self._lease_until(terms), value, *params),
        )
        return changed == 1

    async def _release(self, table: str, key: str, value: Any, hold: Hold) -> bool:
        """Give the row up at once (a clean shutdown), if it is still `hold`'s: the next
        process to look claims it without waiting for the lease to run out."""
        condition, params = fenced(hold)
        changed = await self._write(
            f"UPDATE {table} SET lease_owner = NULL, lease_expires = NULL "
            f"WHERE {key} = ?{condition}",
            (value, *params),
        )
        return changed == 1
