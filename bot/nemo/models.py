"""Plain, frozen values that NemoClient returns. Wire parsing lives in the client."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.nemo.draft import Draft


@dataclass(frozen=True, slots=True)
class AnonymousToken:
    """A starter token from `/api/auth/anonymous-token` (100 credits, 7 days)."""

    token: str
    user_id: str | None
    expires_at: datetime | None
    credits: int | None = None


@dataclass(frozen=True, slots=True)
class Session:
    """A NemoVideo task with its chat session."""

    session_id: str
    task_id: str | None = None
    user_id: str | None = None


@dataclass(frozen=True, slots=True)
class Credits:
    """`available` can be spent; `frozen` is held by operations in progress."""

    available: int
    frozen: int
    total: int


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """One file the backend accepted into the session."""

    filename: str
    file_type: str | None = None
    cdn_url: str | None = None
    duration_seconds: float | None = None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True, slots=True)
class SessionState:
    """`GET /api/state/…/latest`: the draft and the media the session knows about."""

    session_id: str | None
    task_id: str | None
    user_id: str | None
    draft: Draft
    video_infos: tuple[dict[str, Any], ...] = ()
    generated_media: tuple[dict[str, Any], ...] = ()
    canvas_config: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


class RenderStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class RenderJob:
    """A render as the poll endpoint describes it (either documented response shape)."""

    render_id: str
    status: RenderStatus
    progress: int = 0
    output_url: str | None = None
    error: str | None = None
    size_bytes: int | None = None
