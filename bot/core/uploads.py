"""A user's attachments: checked before a byte is read, then copied to disk, then uploaded.

The declared name and size are looked at first, so an empty, oversized or unsupported file
is refused at once. Accepted files are then read from the platform into a private temporary
folder (`UploadChecker.staged`), each stopped at the byte cap and refused if it turns out
empty. That copy is made *before* the conversation's turn lock is taken: a slow or stalled
platform never holds up the thread, and the upload to NemoVideo then reads from disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from bot.core.media_formats import MAX_UPLOAD_BYTES, SUPPORTED_EXTENSIONS
from bot.core.port import Attachment, AttachmentUnavailable
from bot.core.wording import Wording
from bot.nemo.client import UploadSource

log = logging.getLogger(__name__)


def extension_of(filename: str) -> str:
    return PurePath(filename).suffix.lower().lstrip(".")


@dataclass(frozen=True, slots=True)
class StagedFile:
    """An accepted attachment, copied to `path` (`size_bytes` counted while copying)."""

    filename: str
    path: Path
    size_bytes: int
    content_type: str | None = None

    def source(self) -> UploadSource:
        return UploadSource(self.filename, path=self.path, content_type=self.content_type)


@dataclass
class Staged:
    """What a message's attachments came to: files ready to upload, sentences refusing the rest."""

    files: list[StagedFile] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)


class _OverCap(Exception):
    def __init__(self, size_bytes: int) -> None:
        super().__init__(size_bytes)
        self.size_bytes = size_bytes


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
            elif item.size_bytes <= 0:
                refusals.append(wording.upload_empty(item.filename))
            elif item.size_bytes > self.max_bytes:
                refusals.append(
                    wording.upload_too_large(item.filename, item.size_bytes, self.max_bytes)
                )
            else:
                accepted.append(item)
        return accepted, refusals

    @contextlib.asynccontextmanager
    async def staged(
        self, attachments: Sequence[Attachment], wording: Wording
    ) -> AsyncIterator[Staged]:
        """Check `attachments`, copy the accepted ones to disk; the copies go at the end."""
        accepted, refusals = self.check(attachments, wording)
        staged = Staged(refusals=refusals)
        if not accepted:
            yield staged
            return
        folder = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="nemobot-upload-"))
        try:
            for index, item in enumerate(accepted):
                path = folder / f"{index}{PurePath(item.filename).suffix.lower()}"
                try:
                    size = await self._copy(item, path)
                except AttachmentUnavailable as exc:
                    log.warning("an attachment could not be read from the platform (%r)",
                                exc.__cause__)
                    staged.refusals.append(wording.attachment_unavailable(item.filename))
                except _OverCap as over:
                    staged.refusals.append(
                        wording.upload_too_large(item.filename, over.size_bytes, self.max_bytes)
                    )
                else:
                    if size == 0:
                        staged.refusals.append(wording.upload_empty(item.filename))
                    else:
                        staged.files.append(
                            StagedFile(item.filename, path, size, item.content_type)
                        )
            yield staged
        finally:
            await asyncio.to_thread(shutil.rmtree, folder, True)

    async def _copy(self, item: Attachment, path: Path) -> int:
        """Stream the attachment into `path`, at most `max_bytes`; its size."""
        written = 0
        handle = await asyncio.to_thread(path.open, "wb")
        chunks = item.open()
        try:
            async for chunk in chunks:
                written += len(chunk)
                if written > self.max_bytes:
                    raise _OverCap(written)
                await asyncio.to_thread(handle.write, chunk)
        finally:
            close = getattr(chunks, "aclose", None)  # a generator: lets go of the download
            if close is not None:
                await close()
            await asyncio.to_thread(handle.close)
        return written
