"""The `fake` fixture: a running FakeDiscord that must end the test without internal errors
and with responses that still match Discord's OpenAPI description."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakediscord import FakeDiscord, run_fake_discord


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with run_fake_discord() as running_fake:
        yield running_fake
        assert running_fake.internal_errors == []
        assert running_fake.fake_violations == [], "the fake's own responses drifted from Discord's"
