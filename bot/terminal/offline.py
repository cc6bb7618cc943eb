"""What `nemobot chat --offline` runs on: the built-in emulator and a throwaway database."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.emulator.config import EmulatorConfig

__all__ = ["offline_config", "offline_database", "real_free_credits"]


def offline_database(stack: contextlib.ExitStack | contextlib.AsyncExitStack) -> Path:
    """A throwaway database for an offline run, away from the real one and its credentials.

    The emulator forgets everything when the run ends, so a kept database would only hold
    sessions and renders that no longer exist ("your previous session expired").
    """
    folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="nemobot-offline-"))
    return Path(folder) / "nemobot-offline.sqlite3"


def real_free_credits() -> int:
    """What a new anonymous NemoVideo account gets (the emulator's default mirrors it)."""
    from bot.emulator.config import EmulatorConfig

    return EmulatorConfig().anonymous_credits


def offline_config() -> EmulatorConfig:
    """The emulator's pace for offline use; NEMOBOT_EMULATOR_* variables speed it up in tests."""
    from bot.emulator.config import EmulatorConfig

    scale = float(os.environ.get("NEMOBOT_EMULATOR_TURN_SCALE", "0.02"))
    render = float(os.environ.get("NEMOBOT_EMULATOR_RENDER_SECONDS", "3"))
    # A real anonymous token buys one generation; a trial should allow a few edits too.
    return EmulatorConfig(turn_scale=scale, render_seconds=render, anonymous_credits=1000)
