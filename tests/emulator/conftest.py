from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.emulator import RunningEmulator, run_emulator
from tests.emulator.helpers import Api, anonymous_api, fast_config, loopback_client


@pytest.fixture
async def emulator() -> AsyncIterator[RunningEmulator]:
    async with run_emulator(fast_config()) as running:
        yield running


@pytest.fixture
async def http(emulator: RunningEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with loopback_client(emulator.url) as client:
        yield client


@pytest.fixture
async def api(http: httpx.AsyncClient) -> Api:
    """An anonymous caller (100 credits) with a fresh session."""
    return await anonymous_api(http)
