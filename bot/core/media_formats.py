"""What NemoVideo accepts: the file types and the size of one upload.

The brief's list (`SUPPORTED_FORMATS`) is what the words name; `SUPPORTED_EXTENSIONS` is
what the upload check lets through (the list plus .jpeg, which is a .jpg).
"""

from __future__ import annotations

__all__ = ["MAX_UPLOAD_BYTES", "MAX_UPLOAD_MB", "SUPPORTED_EXTENSIONS", "SUPPORTED_FORMATS"]

SUPPORTED_FORMATS = (
    "mp4", "mov", "avi", "webm", "mkv", "jpg", "png", "gif", "webp", "mp3", "wav", "m4a", "aac",
)
SUPPORTED_EXTENSIONS = frozenset({*SUPPORTED_FORMATS, "jpeg"})
MAX_UPLOAD_MB = 200
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
