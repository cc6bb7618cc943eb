"""`nemobot chat` fails loudly when it could not save an export it promised."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_an_export_that_cannot_be_saved_is_said_and_exits_non_zero(tmp_path: Path) -> None:
    blocked = tmp_path / "exports"
    blocked.write_text("a file where the export folder should be")
    environment = {
        **os.environ,
        "NEMOBOT_EMULATOR_TURN_SCALE": "0",
        "NEMOBOT_EMULATOR_RENDER_SECONDS": "0.3",
        "DOWNLOAD_DIR": str(blocked),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--offline"],
        input="generate a 10-second sunset timelapse over a mountain lake\nexport\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=120,
        check=False,
    )

    assert done.returncode == 1, done.stdout + done.stderr
    assert "couldn't post it here" in done.stdout
    assert "Saved to" not in done.stdout
