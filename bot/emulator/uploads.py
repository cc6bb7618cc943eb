"""Receiving uploads without holding them in memory.

Multipart bodies (field `files`, repeatable; chunked or with a length) are read part by
part in small chunks and written to disk, so a 200 MB upload costs the emulator a few
hundred KB of memory. Once a file's size and hash are known the bytes are deleted: only
the metadata matters to the session. A rejected upload is still read to the end, so the
client always gets to see the answer.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO
from urllib.parse import quote, urlparse

from aiohttp import BodyPartReader, MultipartReader, web

from bot.emulator.diskio import in_thread

log = logging.getLogger(__name__)

CHUNK_BYTES = 256 * 1024
WRITE_BATCH_BYTES = 1024 * 1024
FILE_FIELDS = frozenset({"files", "file"})

FILE_TYPES = {
    **dict.fromkeys(("mp4", "mov", "avi", "webm", "mkv"), "video"),
    **dict.fromkeys(("jpg", "jpeg", "png", "gif", "webp"), "image"),
    **dict.fromkeys(("mp3", "wav", "m4a", "aac"), "audio"),
}
SUPPORTED_FORMATS = "mp4, mov, avi, webm, mkv, jpg, jpeg, png, gif, webp, mp3, wav, m4a, aac"


class UploadRejected(Exception):
    """The upload breaks a rule: `code` is 4001 (type) or 4002 (size)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ReceivedFile:
    filename: str
    file_type: str
    size_bytes: int
    sha256: str


def file_type_of(filename: str) -> str | None:
    """video / image / audio for a supported extension, else None."""
    suffix = PurePosixPath(filename).suffix.lower().lstrip(".")
    return FILE_TYPES.get(suffix)


def _open_for_write(path: Path) -> BinaryIO:
    return path.open("wb")


async def _drain(part: BodyPartReader) -> None:
    while await part.read_chunk(CHUNK_BYTES):
        pass


async def _save_part(part: BodyPartReader, dest: Path, max_bytes: int) -> tuple[int, str] | None:
    """Stream one part to `dest`; (size, sha256), or None when it grew past `max_bytes`."""
    digest = hashlib.sha256()
    size = 0
    batch: list[bytes] = []
    batched = 0
    handle = await in_thread(_open_for_write, dest)
    try:
        while chunk := await part.read_chunk(CHUNK_BYTES):
            size += len(chunk)
            if size > max_bytes:
                await _drain(part)
                return None
            digest.update(chunk)
            batch.append(chunk)
            batched += len(chunk)
            if batched >= WRITE_BATCH_BYTES:
                await in_thread(handle.writelines, batch)
                batch, batched = [], 0
        if batch:
            await in_thread(handle.writelines, batch)
    finally:
        await in_thread(handle.close)
    return size, digest.hexdigest()


async def receive_multipart(
    request: web.Request, workdir: Path, max_bytes: int, *, forced_error: int | None = None
) -> list[ReceivedFile]:
    """Read every file part of the request; raise UploadRejected for the first bad one
    (after reading the whole body). `forced_error` rejects the upload with that code."""
    reader = await request.multipart()
    received: list[ReceivedFile] = []
    problem: UploadRejected | None = None
    if forced_error == 4001:
        problem = UploadRejected(4001, f"Unsupported file type. Supported: {SUPPORTED_FORMATS}")
    elif forced_error == 4002:
        problem = UploadRejected(4002, "File too large (max 200MB)")
    while True:
        part = await reader.next()
        if part is None:
            break
        if isinstance(part, MultipartReader):
            problem = problem or UploadRejected(4001, "Nested multipart bodies are not supported")
            continue
        filename = part.filename
        if part.name not in FILE_FIELDS or not filename:
            await _drain(part)
            continue
        file_type = file_type_of(filename)
        if problem is not None or file_type is None:
            problem = problem or UploadRejected(
                4001,
                f"Unsupported file type: {PurePosixPath(filename).suffix or 'none'}. "
                f"Supported: {SUPPORTED_FORMATS}",
            )
            await _drain(part)
            continue
        dest = workdir / f"upload-{uuid.uuid4().hex}"
        try:
            saved = await _save_part(part, dest, max_bytes)
        finally:
            # Only the metadata is kept: the bytes go as soon as they are counted.
            await in_thread(_remove, dest)
        if saved is None:
            problem = UploadRejected(4002, f"File too large (max {max_bytes // (1024 * 1024)}MB)")
            continue
        received.append(ReceivedFile(PurePosixPath(filename).name, file_type, *saved))
    if problem is not None:
        raise problem
    if not received:
        raise UploadRejected(4001, "No files found: send them in the multipart field 'files'")
    return received


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def received_from_urls(urls: list[Any]) -> list[ReceivedFile]:
    """Files named by URL (`{"urls": [...], "source_type": "url"}`); an URL without an
    extension is taken for a video."""
    received: list[ReceivedFile] = []
    for url in urls:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise UploadRejected(4001, f"Not a downloadable URL: {str(url)[:100]}")
        name = PurePosixPath(urlparse(url).path).name or "remote"
        has_suffix = bool(PurePosixPath(name).suffix)
        file_type = file_type_of(name) if has_suffix else "video"
        if file_type is None:
            raise UploadRejected(
                4001,
                f"Unsupported file type: {PurePosixPath(name).suffix}. "
                f"Supported: {SUPPORTED_FORMATS}",
            )
        digest = hashlib.sha256(url.encode()).hexdigest()
        received.append(ReceivedFile(name, file_type, 0, digest))
    if not received:
        raise UploadRejected(4001, "No URLs given")
    return received


def describe(file: ReceivedFile, upload_id: str) -> dict[str, Any]:
    """The §6.3 file entry (also what `video_infos` holds)."""
    entry: dict[str, Any] = {
        "filename": file.filename,
        "file_type": file.file_type,
        "cdn_url": f"https://cdn.nemovideo.example/uploads/{upload_id}/{quote(file.filename)}",
        "size": file.size_bytes,
        "hash": file.sha256[:16],
    }
    if file.file_type == "video":
        entry.update(duration=10.0, width=1920, height=1080, fps=30)
    elif file.file_type == "image":
        entry.update(duration=0.0, width=1920, height=1080)
    else:
        entry.update(duration=30.0)
    return entry
