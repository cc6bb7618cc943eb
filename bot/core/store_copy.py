"""`nemobot db copy`: every table of one database into another, ids and all.

For moving a SQLite file to PostgreSQL (or back). Both are opened as the store opens
them, so both end at this nemobot's schema version; the target must be empty, so nothing
is merged or overwritten. Each table is copied all or none; tables with a foreign key come
after the table they point at.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.core.store import Store

#: Every table, parents first; with the id column whose counter must continue after a copy.
TABLES: tuple[tuple[str, str | None], ...] = (
    ("credentials", None),
    ("conversations", None),
    ("turns", "id"),
    ("uploads", "id"),
    ("renders", None),
    ("usage", None),
    ("versions", "id"),
)


class TargetNotEmpty(Exception):
    """The target database already holds rows (the copy would merge two bots' memories)."""

    def __init__(self, table: str) -> None:
        super().__init__(table)
        self.table = table


@dataclass(frozen=True)
class Copied:
    source: str
    target: str
    schema_version: int
    rows: dict[str, int]


async def copy_database(source: Path | str, target: Path | str) -> Copied:
    """Copy every row of `source` into the empty `target` (paths or DATABASE_URLs)."""
    async with await Store.open(source) as origin, await Store.open(target) as destination:
        for table, _ in TABLES:
            if await destination._one(f"SELECT 1 FROM {table} LIMIT 1") is not None:
                raise TargetNotEmpty(table)
        counts: dict[str, int] = {}
        for table, id_column in TABLES:
            rows = await origin._all(f"SELECT * FROM {table}")
            counts[table] = len(rows)
            if not rows:
                continue
            columns = list(rows[0].keys())
            marks = ", ".join("?" for _ in columns)
            await destination._db.write_many(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                [tuple(row[name] for name in columns) for row in rows],
            )
            if id_column is not None:
                await destination._db.continue_ids(table, id_column)
        return Copied(
            str(origin.location), str(destination.location),
            await destination.schema_version(), counts,
        )
