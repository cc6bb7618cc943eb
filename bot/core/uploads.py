"""Checks a user's attachments before a single byte is transferred.

Only the declared name and size are looked at, so an oversized or unsupported file is
refused at once with a clear message; accepted files are then streamed to NemoVideo.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePath

from bot.core.port import Attachment
from bot.core.wording import Wording
from bot.nemo.client import UploadSource

#: What NemoVideo accepts (the brief's list, plus .jpeg, which is a .jpg).
SUPPORTED_EXTENSIONS = frozenset(
    {"mp4", "mov", "avi", "webm", "mkv", "jpg", "jpeg", "png", "gif", "webp",
     "mp3", "wav", "m4a", "aac"}
)
#: NemoVideo's upload limit.
MAX_UPLOAD_BYTES = 200 * 1024 * 1024


def extension_of(filename: str) -> str:
    return PurePath(filename).suffix.lower().lstrip(".")


class UploadChecker:
    """Splits attachments into accepted ones and the sentences that refuse the others."""

    def __init__(self, max_bytes: int = MAX_UPLOAD_BYTES) -> None:
        self.max_bytes = max_bytes

    def check(
        self, attachments: Sequence[Attachment], wording: Wording
    ) -> tuple[list[Attachment], list[str]]:
        accepted: list[Attachment] = []
        refusals: list[str] = []
        for item in attachments:
            if extension_of(item.filename) not in SUPPORTED_EXTENSIONS:
                refusals.append(wording.upload_unsupported(item.filename))
            elif item.size_bytes > self.max_bytes:
                refusals.append(
                    wording.upload_too_large(item.filename, item.size_bytes, self.max_bytes)
                )
            else:
                accepted.append(item)
        return accepted, refusals

    @staticmethod
    def source(item: Attachment) -> UploadSource:
        return UploadSource(
            filename=item.filename, chunks=item.open(), content_type=item.content_type
        )
