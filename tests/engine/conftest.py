"""The real engine on a real database (each test once per engine: a SQLite file, a fresh
PostgreSQL schema; see `database_url`), talking to the emulator over 127.0.0.1.

Only the chat platform is in memory (`MemoryPort`). Timings are shrunk so the brief's
waits (30 s, 60 s, 2 min) take milliseconds; the behaviour is otherwise unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import SecretStr

from bot.core.engine import Engine, EngineLimits
from bot.core.store import Store
from bot.core.timings import Timings
from bot.emulator import EmulatorConfig, RunningEmulator, run_emulator
from bot.nemo.auth import TokenSource
from bot.runtime import open_services
from bot.settings import Settings
from tests.emulator.helpers import fast_config
from tests.engine.memport import MemoryPort

FAST = Timings(
    edit_interval_seconds=0.01,
    still_working_seconds=0.3,
    rate_limit_retry_seconds=0.05,
    rate_limit_max_wait_seconds=0.05,
    recovery_first_check_seconds=0.05,
    recovery_interval_seconds=0.05,
    recovery_max_unchanged_checks=3,
    render_first_poll_seconds=0.05,
    render_poll_backoff=1.5,
    render_max_poll_seconds=0.2,
    render_give_up_seconds=20.0,
    shutdown_delivery_grace_seconds=0.2,
)

KEY = "test:thread-1"


@dataclass
class Rig:
    """One running nemobot engine and what it talks to."""

    engine: Engine
    port: MemoryPort
    store: Store
    tokens: TokenSource
    emulator: RunningEmulator
    database: str


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return fast_config()


@pytest.fixture
async def emulator(emulator_config: EmulatorConfig) -> AsyncIterator[RunningEmulator]:
    async with run_emulator(emulator_config) as running:
        yield running



@pytest.fixture
def make_rig(emulator: RunningEmulator, database_url: str) -> Callable[..., Any]:
    """`async with make_rig(**settings) as rig`: a nemobot on the test's database (the same
    one each time the factory is called)."""

    @asynccontextmanager
    async def factory(
        *,
        port: MemoryPort | None = None,
        timings: Timings = FAST,
        operator_reads_chat: bool = False,
        **settings: Any,
    ) -> AsyncIterator[Rig]:
        chat_port = port or MemoryPort()
        config = Settings(database_url=database_url, **settings)
        async with open_services(
            config,
            chat_port,
            api_url=emulator.url,
            timings=timings,
            operator_reads_chat=operator_reads_chat,
        ) as services:
            yield Rig(
                services.engine,
                chat_port,
                services.store,
                services.tokens,
                emulator,
                database_url,
            )

    return factory


@pytest.fixture
async def rig(make_rig: Callable[..., Any]) -> AsyncIterator[Rig]:
    """A registered user (plenty of credits): a generation costs an anonymous user's 100."""
    async with make_rig(nemo_token=registered_token()) as running:
        yield running


@pytest.fixture
async def anonymous_rig(make_rig: Callable[..., Any]) -> AsyncIterator[Rig]:
    """No NEMO_TOKEN: a free anonymous token is fetched and kept in the database."""
    async with make_rig() as running:
        yield running


def registered_token() -> SecretStr:
    return SecretStr("nmv_usr_registered_test")


__all__ = ["FAST", "KEY", "EngineLimits", "Rig", "fast_config", "registered_token"]
