"""A live emulator on 127.0.0.1 and a NemoClient pointed at it (anonymous token by default).

Override `emulator_config` (e.g. by parametrizing it) to change how the emulator behaves,
and `attribution` to change the X-Skill-* headers the client sends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.emulator import EmulatorConfig, RunningEmulator, run_emulator
from bot.nemo.auth import MemoryCredentialStore, TokenSource
from bot.nemo.client import Attribution, NemoClient
from tests.emulator.helpers import fast_config

TEST_ATTRIBUTION = Attribution(source="nemobot-tests", version="9.9.9", platform="pytest")


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return fast_config()


@pytest.fixture
async def emulator(emulator_config: EmulatorConfig) -> AsyncIterator[RunningEmulator]:
    async with run_emulator(emulator_config) as running:
        yield running


@pytest.fixture
def sent() -> list[httpx.Request]:
    """Every request the `http` client sent, as httpx built it (headers, body, timeouts)."""
    return []


@pytest.fixture
async def http(
    emulator: RunningEmulator, sent: list[httpx.Request]
) -> AsyncIterator[httpx.AsyncClient]:
    async def record(request: httpx.Request) -> None:
        sent.append(request)

    async with httpx.AsyncClient(
        base_url=emulator.url, timeout=10.0, event_hooks={"request": [record]}
    ) as client:
        yield client


@pytest.fixture
def attribution() -> Attribution:
    return TEST_ATTRIBUTION


@pytest.fixture
def store() -> MemoryCredentialStore:
    return MemoryCredentialStore()


@pytest.fixture
def tokens(store: MemoryCredentialStore, emulator: RunningEmulator) -> TokenSource:
    return TokenSource(static_token=None, store=store, api_url=emulator.url)


@pytest.fixture
def client(
    http: httpx.AsyncClient, tokens: TokenSource, attribution: Attribution
) -> NemoClient:
    nemo = NemoClient(http, tokens, attribution)
    tokens.bind_fetcher(nemo.fetch_anonymous_token)
    return nemo
