"""Databases changed behind the store's back, on either engine: as an older nemobot left
them (the migration tests), or as a kill left them."""

from __future__ import annotations

import sqlite3

import asyncpg

from bot.core.store_postgres import VERSION_TABLE, translate_schema
from bot.core.store_sql import SqliteLocation, parse_location


async def make_old_database(url: str, version: int, script: str = "") -> None:
    """Run `script` (SQLite's words; translated for PostgreSQL as the store translates its
    migrations) and record schema `version`, as nemobot at that version would have."""
    location = parse_location(url)
    if isinstance(location, SqliteLocation):
        with sqlite3.connect(location.path) as raw:
            raw.executescript(f"{script}\nPRAGMA user_version = {version};")
        raw.close()
        return
    connection = await asyncpg.connect(location.url)
    try:
        async with connection.transaction():
            if script:
                await connection.execute(translate_schema(script))
            await connection.execute(VERSION_TABLE)
            await connection.execute("INSERT INTO schema_version (version) VALUES ($1)", version)
    finally:
        await connection.close()


async def execute_raw(url: str, sql: str) -> None:
    """Run one statement without the store (no placeholders)."""
    location = parse_location(url)
    if isinstance(location, SqliteLocation):
        with sqlite3.connect(location.path) as raw:
            raw.execute(sql)
        raw.close()
        return
    connection = await asyncpg.connect(location.url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()
