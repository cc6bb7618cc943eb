"""Reading NemoVideo response payloads into models (pure functions, no I/O).

The API is documented only loosely (nemovideo-api.md), so every reader here is lenient:
fields are looked for in the envelope's `data` first and at the top level second, missing
optional fields become None, and only a missing required field (a token, a session id)
is an `UnexpectedResponse`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.nemo.draft import Draft
from bot.nemo.errors import UnexpectedResponse
from bot.nemo.models import (
    AnonymousToken,
    Credits,
    RenderJob,
    RenderStatus,
    Session,
    SessionState,
    UploadedFile,
)

_STATUS_WORDS: dict[str, RenderStatus] = {
    **dict.fromkeys(
        ("pending", "queued", "queue", "waiting", "submitted", "created", "accepted", "new"),
        RenderStatus.PENDING,
    ),
    **dict.fromkeys(
        ("processing", "running", "rendering", "in_progress", "inprogress", "started",
         "progress", "encoding", "uploading"),
        RenderStatus.PROCESSING,
    ),
    **dict.fromkeys(
        ("completed", "complete", "done", "success", "succeeded", "successful", "finished",
         "ready"),
        RenderStatus.COMPLETED,
    ),
    **dict.fromkeys(
        ("failed", "fail", "failure", "error", "errored", "cancelled", "canceled", "aborted",
         "timeout", "timed_out", "expired", "rejected"),
        RenderStatus.FAILED,
    ),
}


def payload_of(body: object) -> object:
    """The useful part of a successful response: `data` of either envelope, else the body.

    Gateway envelope `{"code": 0, "data": …}` → `data`; render envelope `{"success": true,
    "data": …}` → `data`, or the whole body when it has no `data` (§2.2).
    """
    if isinstance(body, Mapping):
        if "code" in body:
            return body.get("data")
        if "success" in body:
            data = body.get("data")
            return data if data is not None else body
    return body


def _dict(value: object) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _str(value: object) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # a snowflake id sent as a JSON number
    return None


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return round(value)
    if isinstance(value, str):
        try:
            return round(float(value))
        except ValueError:
            return None
    return None


def _float(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _first(*values: object) -> object:
    """The first value that is present (not None); `??` in the API notes."""
    for value in values:
        if value is not None:
            return value
    return None


def _lookup(body: object, key: str) -> object:
    """`data[key]` if the payload has it, else the top-level `body[key]`."""
    data = _dict(payload_of(body))
    return _first(data.get(key), _dict(body).get(key))


def parse_datetime(value: object) -> datetime | None:
    """ISO-8601 (with `Z` or an offset; naive means UTC) or epoch seconds / milliseconds."""
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    number = _float(value)
    if number is None or number <= 0:
        return None
    if number > 1e11:  # epoch milliseconds, as the render endpoints use
        number /= 1000
    return datetime.fromtimestamp(number, UTC)


def parse_anonymous_token(body: object, *, now: datetime | None = None) -> AnonymousToken:
    token = _str(_lookup(body, "token"))
    if token is None:
        raise UnexpectedResponse("anonymous-token response has no token")
    expires_at = parse_datetime(_lookup(body, "expires_at"))
    expires_in = _float(_lookup(body, "expires_in"))
    if expires_at is None and expires_in is not None:
        expires_at = (now or datetime.now(UTC)) + timedelta(seconds=expires_in)
    return AnonymousToken(
        token=token,
        user_id=_str(_lookup(body, "user_id")),
        expires_at=expires_at,
        credits=_int(_lookup(body, "credits")),
    )


def parse_session(body: object) -> Session:
    """Create-session: ids in `data`, also accepted at the top level (third-party clients)."""
    session_id = _str(_lookup(body, "session_id"))
    if session_id is None:
        raise UnexpectedResponse("create-session response has no session_id")
    return Session(
        session_id=session_id,
        task_id=_str(_lookup(body, "task_id")),
        user_id=_str(_lookup(body, "user_id")),
    )


def parse_credits(body: object) -> Credits:
    data = _dict(payload_of(body))
    available = _int(data.get("available"))
    if available is None:
        raise UnexpectedResponse("credits response has no available balance")
    frozen = _int(data.get("frozen")) or 0
    total = _int(data.get("total"))
    return Credits(
        available=available, frozen=frozen, total=total if total is not None else available + frozen
    )


def parse_uploaded_files(body: object) -> list[UploadedFile]:
    data = payload_of(body)
    raw_files = data.get("files") if isinstance(data, Mapping) else data
    if not isinstance(raw_files, list):
        raise UnexpectedResponse("upload response has no files list")
    files: list[UploadedFile] = []
    for raw in raw_files:
        item = _dict(raw)
        files.append(
            UploadedFile(
                filename=_str(_first(item.get("filename"), item.get("name"))) or "",
                file_type=_str(_first(item.get("file_type"), item.get("type"))),
                cdn_url=_str(_first(item.get("cdn_url"), item.get("url"))),
                duration_seconds=_float(item.get("duration")),
                width=_int(item.get("width")),
                height=_int(item.get("height")),
            )
        )
    return files


def _records(value: object) -> tuple[dict[str, Any], ...]:
    if isinstance(value, Mapping):  # some shapes key media by id
        value = list(value.values())
    if not isinstance(value, list):
        return ()
    return tuple(dict(item) for item in value if isinstance(item, Mapping))


def parse_state(body: object) -> SessionState:
    data = _dict(payload_of(body))
    state = _dict(data.get("state"))
    return SessionState(
        session_id=_str(data.get("session_id")),
        task_id=_str(data.get("task_id")),
        user_id=_str(_first(data.get("user_id"), state.get("user_id"))),
        draft=Draft.from_wire(state.get("draft")),
        video_infos=_records(state.get("video_infos")),
        generated_media=_records(state.get("generated_media")),
        canvas_config=_dict(state.get("canvas_config")),
        raw=data,
    )


def render_status_of(raw: object, *, has_output: bool, has_error: bool) -> RenderStatus:
    """A RenderStatus for whatever word the backend used; unknown words keep the job alive."""
    word = raw.strip().lower().replace("-", "_").replace(" ", "_") if isinstance(raw, str) else ""
    known = _STATUS_WORDS.get(word)
    if known is not None:
        return known
    if has_output:
        return RenderStatus.COMPLETED
    if has_error:
        return RenderStatus.FAILED
    return RenderStatus.PROCESSING if word else RenderStatus.PENDING


def parse_render_job(body: object, render_id: str) -> RenderJob:
    """Either poll shape (§9.2): A `{"success","data":{status,outputUrl}}`, B top-level
    `status` + `output.url`, or a superset of both. `data` wins over the top level."""
    top = _dict(body)
    data = _dict(top.get("data")) if "data" in top else {}
    output = _dict(_first(data.get("output"), top.get("output")))
    url = _str(
        _first(data.get("outputUrl"), top.get("outputUrl"), output.get("url"),
               data.get("output_url"), top.get("output_url"))
    )
    error_value = _first(data.get("error"), top.get("error"))
    if isinstance(error_value, Mapping):
        error_value = error_value.get("message")
    error = _str(error_value)
    status = render_status_of(
        _first(data.get("status"), top.get("status")), has_output=url is not None,
        has_error=error is not None,
    )
    progress = _int(_first(data.get("progress"), top.get("progress")))
    if progress is None:
        progress = 100 if status is RenderStatus.COMPLETED else 0
    return RenderJob(
        render_id=render_id,  # the id is ours (client-chosen); echoes of it add nothing
        status=status,
        progress=max(0, min(100, progress)),
        output_url=url,
        error=error,
        size_bytes=_int(_first(output.get("size"), data.get("size"), top.get("size"))),
    )
