"""How a typed line is read: what is a /command, the paths after /upload, yes and no."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

__all__ = ["CONFIRM", "DECLINE", "is_command", "upload_paths"]

#: Answers to "start over?" (after /reset); any other line keeps the session and goes on.
CONFIRM = frozenset({"yes", "y", "是", "确认"})
DECLINE = frozenset({"no", "n", "否", "不"})


def is_command(word: str) -> bool:
    """`/word` is a command; `/home/me/clip.mp4 …` (a path, with a second slash) is text."""
    return word.startswith("/") and len(word) > 1 and "/" not in word[1:]


def upload_paths(rest: str) -> list[Path] | None:
    """The paths after /upload, shell-style ('my clip.mp4', my\\ clip.mp4); None if unusable.

    An unquoted path with spaces is taken whole when it names a file.
    """
    try:
        words = shlex.split(rest)
    except ValueError:  # an unclosed quote
        return None
    if not words:
        return None
    paths = [Path(os.path.expanduser(word)) for word in words]
    whole = Path(os.path.expanduser(rest))
    if len(paths) > 1 and not all(path.is_file() for path in paths) and whole.is_file():
        return [whole]
    return paths
