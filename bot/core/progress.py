"""A render's progress as one status line: its stage, a bar and when it started.

    🎞️ Rendering… ▰▰▰▰▱▱▱▱▱▱ 40% · started <t:1764756000:R>

The stage comes from the poll (queued, rendering) and then from the delivery itself
(downloading, preparing the preview, uploading). The line is only drawn here; when it is
shown (at most once per poll, and only when it changed) is the render watcher's business.
"""

from __future__ import annotations

import re
from enum import StrEnum

BAR_CELLS = 10
FULL, EMPTY = "▰", "▱"
_BAR = re.compile(rf"[{FULL}{EMPTY}]{{{BAR_CELLS}}} \d{{1,3}}%")


class Stage(StrEnum):
    """Where a render is, as its status message tells it."""

    QUEUED = "queued"
    RENDERING = "rendering"
    DOWNLOADING = "downloading"
    PREPARING = "preparing"
    UPLOADING = "uploading"


def bar(percent: int, cells: int = BAR_CELLS) -> str:
    """`▰▰▰▰▱▱▱▱▱▱ 40%`: filled cells for the share done (rounded down), then the number."""
    value = min(100, max(0, int(percent)))
    filled = value * cells // 100
    return f"{FULL * filled}{EMPTY * (cells - filled)} {value}%"


def status_line(stage_label: str, percent: int, started: str) -> str:
    """The whole line: the stage's words, the bar, and `started` (omitted when empty)."""
    line = f"{stage_label} {bar(percent)}"
    return f"{line} · {started}" if started else line


def is_status_line(text: str) -> bool:
    """Is `text` one status line with a progress bar (as `status_line` draws it)?"""
    return "\n" not in text.strip() and _BAR.search(text) is not None
