"""`nemobot chat`: "status" prints the timeline and saves its picture beside the exports."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from bot.core.timeline_picture import WIDTH_PX
from tests.cli.test_chat import run_chat


@pytest.mark.slow
def test_status_saves_the_timeline_picture_next_to_the_exports(tmp_path: Path) -> None:
    script = "make a 10-second sunset video with background music\n/status\nstatus\n"

    out = run_chat(tmp_path, script, "--offline")

    assert out.count("Timeline (") >= 2
    saved = re.findall(r"Timeline picture saved to (\S+\.png)", out)
    assert len(set(saved)) == 2, out  # each status keeps its own picture
    for path in map(Path, saved):
        assert path.parent == (tmp_path / "exports").resolve()
        with Image.open(path) as image:
            assert image.format == "PNG" and image.width == WIDTH_PX
