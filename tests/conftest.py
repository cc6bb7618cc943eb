"""Suite-wide test settings: no real network, no stray .env, no real home directory; and
the database every store and engine test runs on, once per engine (`database_url`)."""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.settings import Settings

#: Every setting's environment name, taken from the settings themselves so none is missed.
_SETTING_NAMES = tuple(name.upper() for name in Settings.model_fields)


@pytest.fixture(autouse=True)
def _isolated_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Tests never read the developer's .env or environment: each starts from defaults."""
    for name in _SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    os.environ.setdefault("NO_COLOR", "1")


# ----- the two engines ------------------------------------------------------------------------

#: The PostgreSQL server the suite may use (trust auth); point it at a closed port to see
#: the PostgreSQL variants skip.
POSTGRES_ADMIN_URL = os.environ.get(
    "NEMOBOT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
_schemas = itertools.count(1)


def _in_own_loop(work: Callable[[], Awaitable[Any]]) -> Any:
    """Run admin SQL on a thread with its own event loop (the test's loop stays untouched)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work()).result()  # type: ignore[arg-type]


async def _admin(url: str, *statements: str) -> None:
    connection = await asyncpg.connect(url, timeout=5)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def _new_postgres_database(name: str) -> Iterator[str]:
    """The `DATABASE_URL` of a new database `name`, dropped when the generator ends; skips
    the test (with the reason) when no PostgreSQL answers."""
    try:
        _in_own_loop(lambda: _admin(POSTGRES_ADMIN_URL, f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {exc}")
    base, _, _ = POSTGRES_ADMIN_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        _in_own_loop(
            lambda: _admin(POSTGRES_ADMIN_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        )


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh database for this test run (`nemobot_test_<random>`), dropped at the end;
    skips (once, with the reason) when no PostgreSQL answers."""
    yield from _new_postgres_database(f"nemobot_test_{secrets.token_hex(4)}")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """`DATABASE_URL` of an empty database: a SQLite file in tmp_path, or a fresh schema
    (its own `search_path`) in this run's PostgreSQL database, dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'nemobot.sqlite3'}"
        return
    database: str = request.getfixturevalue("postgres_database")
    schema = f"test_{next(_schemas)}"
    _in_own_loop(lambda: _admin(database, f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{database}?search_path={schema}"
    finally:
        _in_own_loop(lambda: _admin(database, f'DROP SCHEMA "{schema}" CASCADE'))


# ----- Redis ------------------------------------------------------------------------------

#: The Redis server the suite may use; point it at a closed port to see the Redis tests skip.
REDIS_TEST_URL = os.environ.get("NEMOBOT_TEST_REDIS", "redis://127.0.0.1:6379/0")


async def _redis_keys_cleared(url: str, prefix: str) -> None:
    import redis.asyncio

    client = redis.asyncio.Redis.from_url(url, socket_connect_timeout=2)
    try:
        async for key in client.scan_iter(match=f"{prefix}*"):
            await client.delete(key)
    finally:
        await client.aclose()


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own in the test Redis (`REDIS_TEST_URL`), whose keys are
    deleted afterwards; skips with the reason when no Redis answers."""
    import redis

    prefix = f"nemobot-test-{secrets.token_hex(4)}"
    try:
        _in_own_loop(lambda: _redis_keys_cleared(REDIS_TEST_URL, prefix))
    except (OSError, redis.RedisError) as exc:
        pytest.skip(f"Redis not reachable at {REDIS_TEST_URL}: {exc}")
    try:
        yield prefix
    finally:
        _in_own_loop(lambda: _redis_keys_cleared(REDIS_TEST_URL, prefix))


@pytest.fixture
def own_postgres_database() -> Iterator[str]:
    """`DATABASE_URL` of a PostgreSQL database of this test's own (for tests whose
    processes share it), dropped afterwards; skips when no PostgreSQL answers."""
    yield from _new_postgres_database(f"nemobot_own_{secrets.token_hex(4)}")
