"""Suite-wide test settings: no real network, no stray .env, no real home directory."""

from __future__ import annotations

import os

import pytest

_SETTING_NAMES = (
    "DISCORD_TOKEN",
    "DISCORD_APPLICATION_ID",
    "DISCORD_API_BASE_URL",
    "DISCORD_GATEWAY_URL",
    "ALLOWED_ROLE_IDS",
    "MAX_TURNS_PER_USER_PER_DAY",
    "NEMO_TOKEN",
    "NEMO_API_URL",
    "NEMO_WEB_URL",
    "NEMO_SKILL_SOURCE",
    "NEMO_SKILL_VERSION",
    "NEMO_SKILL_PLATFORM",
    "DATABASE_PATH",
    "DOWNLOAD_DIR",
    "LOG_LEVEL",
    "LOG_FORMAT",
)


@pytest.fixture(autouse=True)
def _isolated_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Tests never read the developer's .env or environment: each starts from defaults."""
    for name in _SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    os.environ.setdefault("NO_COLOR", "1")
