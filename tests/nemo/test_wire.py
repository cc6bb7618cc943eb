"""Reading response bodies: every documented shape and a few undocumented neighbours."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.nemo.errors import UnexpectedResponse
from bot.nemo.models import RenderStatus
from bot.nemo.wire import (
    parse_anonymous_token,
    parse_credits,
    parse_datetime,
    parse_render_job,
    parse_session,
    parse_state,
    parse_uploaded_files,
    payload_of,
)

URL = "https://static1.nemovideo.ai/render-result/render_1.mp4"


@pytest.mark.parametrize(
    ("body", "payload"),
    [
        ({"code": 0, "message": "success", "data": {"a": 1}}, {"a": 1}),
        ({"code": 0, "data": None}, None),
        ({"success": True, "data": {"a": 1}}, {"a": 1}),
        ({"success": True, "status": "completed"}, {"success": True, "status": "completed"}),
        ({"a": 1}, {"a": 1}),
    ],
    ids=["gateway", "gateway-empty", "render", "render-without-data", "bare"],
)
def test_payload_of_either_envelope(body: object, payload: object) -> None:
    assert payload_of(body) == payload


@pytest.mark.parametrize(
    ("body", "status", "url", "error"),
    [
        (
            {"success": True, "data": {"id": "r", "status": "completed", "progress": 100,
                                       "outputUrl": URL, "createdAt": 1773423613616}},
            RenderStatus.COMPLETED, URL, None,
        ),
        (
            {"taskId": "r", "status": "completed", "progress": 100,
             "output": {"url": URL, "duration": 30.5, "size": 15728640}},
            RenderStatus.COMPLETED, URL, None,
        ),
        (
            {"success": True, "data": {"status": "processing", "progress": 40},
             "status": "processing", "taskId": "r"},
            RenderStatus.PROCESSING, None, None,
        ),
        (
            {"success": True, "data": {"status": "failed", "error": "invalid draft"}},
            RenderStatus.FAILED, None, "invalid draft",
        ),
        ({"status": "failed", "error": {"message": "worker died"}}, RenderStatus.FAILED, None,
         "worker died"),
        ({"success": True, "data": {"output": {"url": URL}}}, RenderStatus.COMPLETED, URL, None),
    ],
    ids=["shape-A", "shape-B", "superset", "failed-A", "failed-B-object", "data-output-url"],
)
def test_render_poll_shapes(
    body: object, status: RenderStatus, url: str | None, error: str | None
) -> None:
    job = parse_render_job(body, "r")

    assert (job.render_id, job.status, job.output_url, job.error) == ("r", status, url, error)


def test_render_shape_b_carries_size() -> None:
    job = parse_render_job({"status": "completed", "output": {"url": URL, "size": 15728640}}, "r")

    assert (job.size_bytes, job.progress) == (15728640, 100)


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("queued", RenderStatus.PENDING),
        ("RUNNING", RenderStatus.PROCESSING),
        ("in-progress", RenderStatus.PROCESSING),
        ("succeeded", RenderStatus.COMPLETED),
        ("done", RenderStatus.COMPLETED),
        ("cancelled", RenderStatus.FAILED),
        ("error", RenderStatus.FAILED),
        ("warming_up", RenderStatus.PROCESSING),
        (None, RenderStatus.PENDING),
    ],
)
def test_render_status_words(word: str | None, status: RenderStatus) -> None:
    assert parse_render_job({"success": True, "data": {"status": word}}, "r").status is status


@pytest.mark.parametrize(
    ("extra", "status"),
    [({"outputUrl": URL}, RenderStatus.COMPLETED), ({"error": "boom"}, RenderStatus.FAILED)],
)
def test_unknown_status_follows_the_evidence(extra: dict[str, str], status: RenderStatus) -> None:
    body = {"success": True, "data": {"status": "mystery", **extra}}

    assert parse_render_job(body, "r").status is status


@pytest.mark.parametrize(("raw", "progress"), [(250, 100), (-3, 0), ("42", 42), (55.6, 56)])
def test_render_progress_is_clamped_to_percent(raw: object, progress: int) -> None:
    body = {"success": True, "data": {"status": "processing", "progress": raw}}

    assert parse_render_job(body, "r").progress == progress


def test_anonymous_token_with_iso_z_expiry() -> None:
    body = {"code": 0, "data": {"token": "nmv_usr_a", "user_id": "anon_abc123",
                                "expires_at": "2026-03-18T00:00:00Z", "credits": 100}}

    token = parse_anonymous_token(body)

    assert token.expires_at == datetime(2026, 3, 18, tzinfo=UTC)
    assert (token.token, token.user_id, token.credits) == ("nmv_usr_a", "anon_abc123", 100)


def test_anonymous_token_abbreviated_and_with_expires_in() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)

    token = parse_anonymous_token({"code": 0, "data": {"token": "t", "expires_in": 60}}, now=now)

    assert token.user_id is None
    assert token.expires_at == datetime(2026, 1, 1, 0, 1, tzinfo=UTC)


def test_anonymous_token_without_token_is_unexpected() -> None:
    with pytest.raises(UnexpectedResponse):
        parse_anonymous_token({"code": 0, "data": {"credits": 100}})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-18T00:00:00Z", datetime(2026, 3, 18, tzinfo=UTC)),
        ("2026-03-18T08:00:00+08:00", datetime(2026, 3, 18, tzinfo=UTC)),
        ("2026-03-18T00:00:00", datetime(2026, 3, 18, tzinfo=UTC)),
        (1773792000, datetime(2026, 3, 18, tzinfo=UTC)),
        (1773792000000, datetime(2026, 3, 18, tzinfo=UTC)),
        ("soon", None),
        (None, None),
    ],
)
def test_datetimes(value: object, expected: datetime | None) -> None:
    assert parse_datetime(value) == expected


@pytest.mark.parametrize(
    "body",
    [
        {"code": 0, "data": {"task_id": "task_1", "session_id": "5529798706024415232",
                             "user_id": "anon_1"}},
        {"task_id": "task_1", "session_id": "5529798706024415232", "user_id": "anon_1"},
        {"code": 0, "data": {"task_id": "task_1", "session_id": 5529798706024415232,
                             "user_id": "anon_1"}},
    ],
    ids=["in-data", "top-level", "numeric-id"],
)
def test_session_ids_from_data_or_top_level(body: object) -> None:
    session = parse_session(body)

    assert (session.session_id, session.task_id, session.user_id) == (
        "5529798706024415232", "task_1", "anon_1"
    )


def test_credits_total_defaults_to_available_plus_frozen() -> None:
    credits = parse_credits({"code": 0, "data": {"available": 60, "frozen": 40}})

    assert (credits.available, credits.frozen, credits.total) == (60, 40, 100)


def test_upload_response_files() -> None:
    body = {"code": 0, "data": {"files": [
        {"filename": "video.mp4", "file_type": "video", "cdn_url": "https://cdn/v.mp4",
         "duration": 30.5, "width": 1920, "height": 1080, "fps": 30, "hash": "abc123"},
    ], "session_state_applied": True}}

    [file] = parse_uploaded_files(body)

    assert (file.filename, file.file_type, file.duration_seconds, file.width) == (
        "video.mp4", "video", 30.5, 1920
    )


def test_state_user_id_from_state_when_data_lacks_it() -> None:
    body = {"code": 0, "data": {"session_id": "s", "task_id": "t", "state": {
        "user_id": "anon_9", "draft": {"t": [{"tt": 0, "sg": [{"d": 10000}]}], "d": 10000},
        "video_infos": [{"filename": "a.mp4"}], "canvas_config": {"width": 1080},
    }}}

    state = parse_state(body)

    assert state.user_id == "anon_9"
    assert state.draft.is_exportable and state.draft.duration_ms == 10000
    assert state.video_infos == ({"filename": "a.mp4"},)
    assert state.canvas_config == {"width": 1080}
