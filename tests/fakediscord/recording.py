"""What the fake remembers about each request, and how it reads request bodies.

Bodies are read once, up front, so every request is recorded the same way whatever the
handler does with it: JSON bodies as parsed JSON; multipart bodies as their `payload_json`
(or their plain form fields) plus, for each file part, its field name, filename and size.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web


@dataclass(frozen=True)
class RecordedFile:
    """One file part of a multipart request."""

    field: str
    filename: str | None
    size: int
    content_type: str | None


@dataclass
class RecordedRequest:
    """One HTTP request the fake received, with the status it answered."""

    method: str
    path: str
    """Path relative to the API base (`/channels/1/messages`), or the full path outside it."""
    query: dict[str, str]
    route: str | None
    """The matched route template relative to the API base, or None for unknown routes."""
    body: Any
    """Parsed JSON body, or the parsed `payload_json` of a multipart body, or None."""
    files: list[RecordedFile] = field(default_factory=list)
    content_type: str | None = None
    status: int = 0
    response: Any = None
    """The JSON the fake answered with (None for 204 and non-JSON answers)."""
    response_headers: dict[str, str] = field(default_factory=dict)
    time: float = 0.0

    @property
    def is_multipart(self) -> bool:
        return bool(self.content_type and self.content_type.startswith("multipart/"))

    def __repr__(self) -> str:
        files = f" files={[(f.filename, f.size) for f in self.files]}" if self.files else ""
        return f"<{self.method} {self.path} -> {self.status}{files}>"


@dataclass(frozen=True)
class UploadedFile:
    """A file part with its bytes, for the handler that stores it."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class ParsedBody:
    body: Any
    files: list[UploadedFile]
    error: str | None = None


async def read_body(request: web.Request) -> ParsedBody:
    """Parse a request body the way Discord does: JSON, or multipart with payload_json."""
    if not request.can_read_body:
        return ParsedBody(None, [])
    if request.content_type == "multipart/form-data":
        return await _read_multipart(request)
    raw = await request.read()
    if not raw:
        return ParsedBody(None, [])
    try:
        return ParsedBody(json.loads(raw), [])
    except ValueError as exc:
        return ParsedBody(None, [], f"body is not JSON: {exc}")


async def _read_multipart(request: web.Request) -> ParsedBody:
    reader = await request.multipart()
    body: Any = None
    fields: dict[str, str] = {}
    files: list[UploadedFile] = []
    error = None
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        data = await part.read(decode=False)
        name = part.name or ""
        if part.filename is not None:
            content_type = part.headers.get("Content-Type")
            files.append(UploadedFile(name, part.filename, content_type, bytes(data)))
        elif name == "payload_json":
            try:
                body = json.loads(data)
            except ValueError as exc:
                error = f"payload_json is not JSON: {exc}"
        else:
            fields[name] = bytes(data).decode("utf-8", "replace")
    if body is None and fields:
        body = fields
    return ParsedBody(body, files, error)
