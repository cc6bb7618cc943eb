"""A streamed `multipart/form-data` body, so a 200 MB upload never sits in memory.

httpx builds multipart bodies from file objects it reads synchronously; this module
builds the body as an async generator instead: part headers, then the file in
`CHUNK_BYTES` pieces (read from disk in a worker thread), then the closing boundary.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Files are streamed (to NemoVideo, from Discord's CDN, off disk) in blocks of this size.
CHUNK_BYTES = 64 * 1024
_CRLF = b"\r\n"


async def file_chunks(path: Path, chunk_bytes: int = CHUNK_BYTES) -> AsyncGenerator[bytes, None]:
    """The file's bytes, `chunk_bytes` at a time, read off the event loop."""
    handle = await asyncio.to_thread(path.open, "rb")
    try:
        while chunk := await asyncio.to_thread(handle.read, chunk_bytes):
            yield chunk
    finally:
        await asyncio.to_thread(handle.close)


@dataclass(frozen=True, slots=True)
class FilePart:
    """One file field. `open_chunks()` starts reading the content from its beginning."""

    field: str
    filename: str
    content_type: str
    open_chunks: Callable[[], AsyncIterator[bytes]]
    size: int | None = None


def _quote(value: str) -> str:
    # The HTML form encoding for quoted header parameters: escape quote and line breaks.
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class MultipartBody:
    """`content_type` and (when every size is known) `content_length` go in the headers;
    iterating the body yields it from its start, each time (so httpx can send it again)."""

    def __init__(self, parts: Sequence[FilePart], boundary: str | None = None) -> None:
        self.boundary = boundary or f"nemobot-{secrets.token_hex(16)}"
        self._parts = tuple(parts)
        self._heads = tuple(self._head(part) for part in self._parts)
        self._tail = f"--{self.boundary}--\r\n".encode()
        self._reads: list[AsyncGenerator[bytes, None]] = []

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def content_length(self) -> int | None:
        total = len(self._tail)
        for head, part in zip(self._heads, self._parts, strict=True):
            if part.size is None:
                return None
            total += len(head) + part.size + len(_CRLF)
        return total

    def _head(self, part: FilePart) -> bytes:
        return (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{_quote(part.field)}"; '
            f'filename="{_quote(part.filename)}"\r\n'
            f"Content-Type: {part.content_type}\r\n\r\n"
        ).encode()

    def __aiter__(self) -> AsyncIterator[bytes]:
        read = self._stream()
        self._reads.append(read)
        return read

    async def aclose(self) -> None:
        """Close the files still open (the server may answer before the body is sent)."""
        while self._reads:
            await self._reads.pop().aclose()

    async def _stream(self) -> AsyncGenerator[bytes, None]:
        for head, part in zip(self._heads, self._parts, strict=True):
            yield head
            chunks = part.open_chunks()
            try:
                async for chunk in chunks:
                    if chunk:
                        yield chunk
            finally:
                aclose = getattr(chunks, "aclose", None)
                if aclose is not None:
                    await aclose()
            yield _CRLF
        yield self._tail
