"""The checks that need no network: the settings load, and the database opens."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import SettingsError

from bot.core.migrations import SCHEMA_VERSION
from bot.core.store import Store
from bot.core.store_sql import PostgresLocation, parse_location
from bot.doctor.report import Check
from bot.settings import Settings


def load_settings() -> tuple[Settings | None, Check]:
    """Settings from the environment and `.env`, with every invalid one named."""
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = tuple(_describe(error) for error in exc.errors())
        count = len(problems)
        return None, Check(
            "settings",
            "fail",
            f"{count} invalid setting{'s' if count != 1 else ''}",
            "fix them in .env or the environment (each is explained in .env.example)",
            problems,
        )
    except (SettingsError, OSError) as exc:  # e.g. an unreadable .env
        return None, Check(
            "settings",
            "fail",
            f"cannot read the settings: {exc}",
            "check .env in this folder (readable, KEY=value lines) and the environment",
        )
    return settings, settings_check()


def settings_check() -> Check:
    env_file = Path.cwd() / ".env"
    where = (
        f".env read from {env_file.parent}"
        if env_file.is_file()
        else f"from the environment only (no .env in {env_file.parent})"
    )
    return Check("settings", "ok", f"valid; {where}")


def _describe(error: ErrorDetails) -> str:
    name = ".".join(str(part) for part in error["loc"]).upper() or "SETTINGS"
    text = f"{name}: {error['msg']}"
    value = error.get("input")
    if "TOKEN" not in name and isinstance(value, str | int | float):
        text += f" (got {value!r})"
    return text


# ----- database ------------------------------------------------------------------------------


async def check_database(target: Path | str) -> tuple[Check, Store | None]:
    """Open (creating and migrating if needed) the database; the caller closes the store.

    `target` is DATABASE_PATH or DATABASE_URL (either engine)."""
    location = parse_location(target)
    if isinstance(location, PostgresLocation):
        return await _check_postgres(location, target)
    path = location.path
    try:
        store = await Store.open(target)
    except sqlite3.OperationalError as exc:
        return _unwritable(path, str(exc)), None
    except sqlite3.DatabaseError as exc:
        return Check(
            "database",
            "fail",
            f"{path} is not a nemobot database ({exc})",
            "point DATABASE_PATH (or DATABASE_URL) at nemobot's own database, or move this "
            "file aside to start afresh (the old file keeps the sessions and the saved "
            "anonymous token)",
        ), None
    except OSError as exc:
        return _unwritable(path, exc.strerror or str(exc)), None
    except RuntimeError as exc:  # a schema newer than this nemobot
        return Check("database", "fail", str(exc), "upgrade nemobot"), None
    try:
        version = await store.schema_version()
        described = await store.describe()
    except sqlite3.Error as exc:
        await store.close()
        return _unwritable(path, str(exc)), None
    return await _versioned(store, str(path), version, described)


async def _check_postgres(
    location: PostgresLocation, target: Path | str
) -> tuple[Check, Store | None]:
    import asyncpg  # only when DATABASE_URL asks for PostgreSQL

    where = str(location)
    try:
        store = await Store.open(target)
    except RuntimeError as exc:  # a schema newer than this nemobot
        return Check("database", "fail", str(exc), "upgrade nemobot"), None
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        return Check(
            "database",
            "fail",
            f"cannot use {where}: {exc}",
            "DATABASE_URL must name a PostgreSQL database that exists and that its user may "
            "create tables in (postgresql://user:password@host:5432/database)",
        ), None
    try:
        version = await store.schema_version()
        described = await store.describe()
    except (OSError, asyncpg.PostgresError) as exc:
        await store.close()
        return Check("database", "fail", f"cannot use {where}: {exc}"), None
    return await _versioned(store, where, version, described)


async def _versioned(
    store: Store, where: str, version: int, described: str
) -> tuple[Check, Store | None]:
    if version != SCHEMA_VERSION:
        await store.close()
        return Check(
            "database",
            "fail",
            f"{where}: schema version {version}, expected {SCHEMA_VERSION}",
            "upgrade nemobot",
        ), None
    detail = f"{where}: schema version {version} (current), {described}"
    return Check("database", "ok", detail), store


def _unwritable(path: Path, reason: str) -> Check:
    return Check(
        "database",
        "fail",
        f"cannot open {path}: {reason}",
        "DATABASE_PATH (or DATABASE_URL) must name a file in a folder nemobot's user can "
        "write (Docker: under the /data volume; systemd: /var/lib/nemobot)",
    )
