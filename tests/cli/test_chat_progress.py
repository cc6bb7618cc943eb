"""`nemobot chat` shows a render's progress: plain lines in a pipe, one redrawn line on a TTY.

On a TTY with piped input, the line is drawn below what is printed (here); under the line
editor it is the line above the prompt (tests/cli/test_terminal_keys.py drives that in tmux).
Either way the status's last word ("🎞️ Render finished.") is not printed after the video.
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.progress import Stage
from bot.core.wording import Wording
from tests.cli.test_chat import run_chat

EN = Wording("en")
SCRIPT = "generate a 10-second sunset timelapse over a mountain lake\nexport\n"
#: Longer than the first status check (3 s after the submission), so one sees it rendering.
SLOW_RENDER = {"NEMOBOT_EMULATOR_RENDER_SECONDS": "6"}
BAR = re.compile(r"[▰▱]{10} (\d+)%")


@pytest.mark.slow
def test_a_piped_chat_prints_each_progress_change_on_its_own_line(tmp_path: Path) -> None:
    out = run_chat(tmp_path, SCRIPT, "--offline", env=SLOW_RENDER)

    lines = [line for line in out.splitlines() if BAR.search(line)]
    rendering = [ln for ln in lines if ln.startswith(f"nemo> {EN.render_stage(Stage.RENDERING)}")]
    assert rendering and all(0 < int(BAR.findall(ln)[0]) < 100 for ln in rendering), out
    for stage in (Stage.DOWNLOADING, Stage.UPLOADING):
        assert f"nemo> {EN.render_stage(stage)} ▰▰▰▰▰▰▰▰▰▰ 100%" in lines, out
    assert "\r" not in out
    ready = out.index(EN.render_done_file(None))
    assert all(out.index(line) < ready for line in lines)
    assert "Render finished" not in out, "no trailing noise after the saved video"


@pytest.mark.slow
def test_a_chat_on_a_terminal_redraws_the_progress_on_one_line(tmp_path: Path) -> None:
    main, secondary = pty.openpty()
    environment = {
        **os.environ, "NEMOBOT_EMULATOR_TURN_SCALE": "0", **SLOW_RENDER, "TERM": "dumb",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "chat", "--offline"],
        stdin=subprocess.PIPE, stdout=secondary, stderr=subprocess.DEVNULL,
        cwd=tmp_path, env=environment,
    )
    os.close(secondary)
    assert process.stdin is not None
    process.stdin.write(SCRIPT.encode())
    process.stdin.close()
    screen = bytearray()
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the process ended: the terminal is gone
            break
        if not chunk:
            break
        screen += chunk
    os.close(main)
    assert process.wait(timeout=60) == 0
    out = screen.decode()

    erase = "\r\x1b[K"
    drawn = re.findall(r"(nemo> [^\r\n]*[▰▱]{10} \d+%)", out)
    stages = [line.removeprefix("nemo> ") for line in drawn]
    assert f"{EN.render_stage(Stage.UPLOADING)} ▰▰▰▰▰▰▰▰▰▰ 100%" in stages, repr(out)
    assert f"{EN.render_stage(Stage.DOWNLOADING)} ▰▰▰▰▰▰▰▰▰▰ 100%" in stages, repr(out)
    assert any(line.startswith(EN.render_stage(Stage.RENDERING)) for line in stages), repr(out)
    # No progress line ever ends with a newline: each is erased and drawn again in place,
    # and erased for good before the video is announced (what the screen keeps).
    assert not re.search(r"[▰▱]{10} \d+%[^\r]*\r?\n", out), repr(out)
    assert f"100%{erase}nemo> 🎬 " in out, repr(out)  # the delivered video's card
    assert out.endswith(erase), "and once the video is saved, the line is gone"
    assert "Render finished" not in out
