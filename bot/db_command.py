"""`nemobot db copy`: the terminal side of `bot.core.store_copy`."""

from __future__ import annotations

import sqlite3
from typing import TextIO

from bot.core.store_copy import TargetNotEmpty, copy_database
from bot.core.store_sql import parse_location


async def copy_main(source: str, target: str, out: TextIO, err: TextIO) -> int:
    """Copy, and say what was copied (or why not, exiting 1)."""
    import asyncpg  # the errors of either engine are told the same way

    try:
        copied = await copy_database(source, target)
    except TargetNotEmpty as exc:
        print(
            f"nemobot: {parse_location(target)} is not empty (its {exc.table} table has "
            "rows); copy into a new, empty database",
            file=err,
        )
        return 1
    except ValueError as exc:
        print(f"nemobot: {exc}", file=err)
        return 1
    except (OSError, RuntimeError, sqlite3.Error, asyncpg.PostgresError) as exc:
        print(f"nemobot: the copy failed: {exc}", file=err)
        return 1
    rows = ", ".join(f"{count} {table}" for table, count in copied.rows.items())
    print(
        f"Copied {copied.source} to {copied.target} (schema version {copied.schema_version}): "
        f"{rows}.",
        file=out,
    )
    return 0
