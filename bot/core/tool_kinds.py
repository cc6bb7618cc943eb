"""What the backend is doing, told from the name of the tool it called.

NemoVideo's tool names are not a fixed list (`generate_video_seedance`, `suno_music`,
`multitrack_edit`, …), so the kind is guessed from words in the name; an unknown tool is
`OTHER`, never an error.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ToolKind", "tool_kind"]


class ToolKind(StrEnum):
    LOOK = "look"
    VIDEO = "video"
    MUSIC = "music"
    EDIT = "edit"
    OTHER = "other"


def tool_kind(tool_name: str) -> ToolKind:
    name = tool_name.lower()
    if any(word in name for word in ("understand", "analy", "inspect", "describe")):
        return ToolKind.LOOK
    if name.startswith("generate_video") or "seedance" in name or "video_gen" in name:
        return ToolKind.VIDEO
    if any(word in name for word in ("music", "suno", "bgm", "audio", "sound")):
        return ToolKind.MUSIC
    if any(word in name for word in ("edit", "draft", "multitrack", "timeline", "track")):
        return ToolKind.EDIT
    return ToolKind.OTHER
