"""NemoClient against the emulator over real HTTP on 127.0.0.1: every endpoint, every
error the API documents, both envelopes, every stream variant, and a streamed upload."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.emulator import RunningEmulator, run_emulator
from bot.nemo.auth import MemoryCredentialStore, TokenSource
from bot.nemo.client import STREAM_TIMEOUT_SECONDS, Attribution, NemoClient, UploadSource
from bot.nemo.downloads import Downloader, UrlPolicy
from bot.nemo.draft import Draft
from bot.nemo.errors import (
    ExportBlocked,
    FileTooLarge,
    InsufficientCredits,
    MissingClientId,
    NemoError,
    RateLimited,
    RenderFailed,
    ServiceTimeout,
    ServiceUnavailable,
    SessionNotFound,
    StreamDropped,
    TokenInvalid,
    UnsupportedFile,
)
from bot.nemo.events import Event, StreamError, TextEvent, ToolCall, ToolResult
from bot.nemo.models import RenderJob, RenderStatus, Session
from bot.settings import Settings
from tests.nemo.conftest import TEST_ATTRIBUTION, fast_config

GENERATE = "Make a 10-second video of a sunset over a lake"
MIB = 1024 * 1024


# -- helpers -----------------------------------------------------------------------------


async def collect(stream: AsyncIterator[Event]) -> list[Event]:
    return [event async for event in stream]


def texts(events: list[Event]) -> list[str]:
    return [event.text for event in events if isinstance(event, TextEvent)]


async def stats(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await http.get("/_emulator/stats")
    body: dict[str, Any] = response.json()
    return body


async def generated(client: NemoClient) -> tuple[Session, Draft]:
    """A session whose draft has a video and music track, ready to render."""
    session = await client.create_session()
    await collect(client.stream_chat(session.session_id, GENERATE))
    state = await client.fetch_state(session.session_id)
    assert state.draft.is_exportable
    return session, state.draft


async def finished(client: NemoClient, render_id: str) -> RenderJob:
    for _ in range(600):
        job = await client.fetch_render(render_id)
        if job.status in (RenderStatus.COMPLETED, RenderStatus.FAILED):
            return job
        await asyncio.sleep(0.02)
    raise AssertionError(f"render {render_id} never finished")


def write_file(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


async def chunks_of(*pieces: bytes) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


class Reusable:
    """An async byte source that starts over each time it is iterated."""

    def __init__(self, *pieces: bytes) -> None:
        self._pieces = pieces

    def __aiter__(self) -> AsyncIterator[bytes]:
        return chunks_of(*self._pieces)


# -- anonymous token -----------------------------------------------------------------------


async def test_anonymous_token_carries_user_expiry_and_credits(client: NemoClient) -> None:
    token = await client.fetch_anonymous_token("client-1")

    assert token.token.startswith("nmv_usr_")
    assert token.user_id is not None and token.user_id.startswith("anon_")
    assert token.credits == 100
    assert token.expires_at is not None and token.expires_at.tzinfo is not None
    days = (token.expires_at - datetime.now(UTC)).total_seconds() / 86400
    assert 6.99 < days <= 7.0


@pytest.mark.parametrize("client_id", ["", "x" * 65], ids=["empty", "too-long"])
async def test_anonymous_token_without_client_id_is_refused_with_400(
    client: NemoClient, client_id: str
) -> None:
    with pytest.raises(MissingClientId) as caught:
        await client.fetch_anonymous_token(client_id)
    assert caught.value.status == 400


async def test_second_anonymous_token_for_same_client_is_rate_limited(
    client: NemoClient,
) -> None:
    await client.fetch_anonymous_token("client-twice")

    with pytest.raises(RateLimited) as caught:
        await client.fetch_anonymous_token("client-twice")
    assert caught.value.status == 429
    assert 6.99 * 86400 < caught.value.retry_after <= 7 * 86400  # until the first expires


# -- sessions, credits, state ----------------------------------------------------------------


async def test_create_session_returns_ids(client: NemoClient, emulator: RunningEmulator) -> None:
    session = await client.create_session(language="ja", task_name="sunsets")

    assert session.session_id.isdigit()
    assert session.task_id is not None and session.task_id.startswith("task_")
    assert session.user_id is not None and session.user_id.startswith("anon_")
    stored = emulator.state.sessions[session.session_id]
    assert (stored.task_name, stored.language) == ("sunsets", "ja")


async def test_new_anonymous_account_has_100_credits(client: NemoClient) -> None:
    credits = await client.fetch_credits()

    assert (credits.available, credits.frozen, credits.total) == (100, 0, 100)


async def test_generation_turn_spends_credits(client: NemoClient) -> None:
    await generated(client)

    credits = await client.fetch_credits()
    assert credits.available < 100
    assert credits.total == credits.available + credits.frozen


async def test_state_of_new_session_has_empty_draft(client: NemoClient) -> None:
    session = await client.create_session()

    state = await client.fetch_state(session.session_id)

    assert state.session_id == session.session_id
    assert state.task_id == session.task_id
    assert state.user_id == session.user_id
    assert not state.draft.is_exportable
    assert state.video_infos == ()
    assert state.canvas_config["width"] == 1920


async def test_state_after_generation_has_video_and_music_tracks(client: NemoClient) -> None:
    session, draft = await generated(client)

    state = await client.fetch_state(session.session_id)

    assert [track.track_type for track in draft.tracks] == [0, 1]
    assert state.draft.duration_ms == 10_000
    assert len(state.generated_media) == 1
    assert state.raw["state"]["draft"] == draft.raw


# -- chat stream -----------------------------------------------------------------------------


async def test_generation_turn_streams_text_and_tool_events(client: NemoClient) -> None:
    session = await client.create_session()

    events = await collect(client.stream_chat(session.session_id, GENERATE))

    said = texts(events)
    assert said[0].startswith("Great idea!") and said[-1].startswith("Your video is ready!")
    calls = [event.name for event in events if isinstance(event, ToolCall)]
    results = [event.name for event in events if isinstance(event, ToolResult)]
    assert calls == ["generate_video_with_seedance", "generate_music"]
    assert results == calls


async def test_chat_request_follows_adk_and_waits_fifteen_minutes(
    client: NemoClient, sent: list[httpx.Request]
) -> None:
    session = await client.create_session()
    await collect(client.stream_chat(session.session_id, "hello there"))

    request = sent[-1]
    assert (request.method, request.url.path) == ("POST", "/run_sse")
    assert request.headers["Accept"] == "text/event-stream"
    assert json.loads(request.content) == {
        "app_name": "nemo_agent",
        "user_id": "me",
        "session_id": session.session_id,
        "new_message": {"role": "user", "parts": [{"text": "hello there"}]},
    }
    timeout = request.extensions["timeout"]
    assert (timeout["connect"], timeout["read"]) == (10.0, STREAM_TIMEOUT_SECONDS)


@pytest.mark.parametrize("wire", ["adk", "typed", "flat"])
async def test_every_wire_format_yields_the_same_meaning(
    http: httpx.AsyncClient, emulator: RunningEmulator, client: NemoClient, wire: str
) -> None:
    emulator.state.config.wire_format = wire  # type: ignore[assignment]
    session = await client.create_session()

    events = await collect(client.stream_chat(session.session_id, GENERATE))

    assert texts(events)[-1].startswith("Your video is ready!")
    assert [e.name for e in events if isinstance(e, ToolCall)] == [
        "generate_video_with_seedance",
        "generate_music",
    ]


@pytest.mark.parametrize("emulator_config", [fast_config(partial_text=True)])
async def test_partial_text_is_not_repeated_by_the_final_event(client: NemoClient) -> None:
    session = await client.create_session()

    events = await collect(client.stream_chat(session.session_id, GENERATE))

    said = "".join(texts(events))
    assert said.count("Great idea!") == 1
    assert said.count("Your video is ready!") == 1
    assert any(isinstance(e, TextEvent) and e.partial for e in events)


@pytest.mark.parametrize(
    "emulator_config",
    [
        fast_config(turn_scale=0.002, heartbeat_seconds=0.02, heartbeat_style=style)
        for style in ("comment", "empty", "typed")
    ],
    ids=["comment", "empty", "typed"],
)
async def test_heartbeats_of_every_style_are_not_events(client: NemoClient) -> None:
    session = await client.create_session()

    events = await collect(client.stream_chat(session.session_id, GENERATE))

    assert texts(events)[-1].startswith("Your video is ready!")
    assert all(isinstance(e, TextEvent | ToolCall | ToolResult) for e in events)
    assert all(e.text.strip() for e in events if isinstance(e, TextEvent))


UNICODE_GENERATE = "Make a 10-second video of a sunset over a lake — 日本語 🎬 ünïcødé"


@pytest.mark.parametrize("wire", ["adk", "typed", "flat"])
@pytest.mark.parametrize("line_ending", ["lf", "crlf", "cr"])
async def test_any_line_ending_and_any_cut_give_the_same_events(
    wire: str, line_ending: str
) -> None:
    """The bytes arrive in 5-byte pieces, cut inside lines, CRLFs and UTF-8 characters."""

    async def events_from(**config: Any) -> list[Event]:
        async with (
            run_emulator(fast_config(wire_format=wire, heartbeat_seconds=0.001, **config)) as emu,
            httpx.AsyncClient(base_url=emu.url) as http,
        ):
            tokens = TokenSource(static_token=None, store=MemoryCredentialStore(), api_url=emu.url)
            client = NemoClient(http, tokens, TEST_ATTRIBUTION)
            tokens.bind_fetcher(client.fetch_anonymous_token)
            session = await client.create_session()
            return await collect(client.stream_chat(session.session_id, UNICODE_GENERATE))

    plain = await events_from()
    cut = await events_from(line_ending=line_ending, write_bytes=5, turn_scale=0.0005)

    assert cut == plain
    assert [e.name for e in cut if isinstance(e, ToolCall)] == [
        "generate_video_with_seedance",
        "generate_music",
    ]
    assert texts(cut)[-1].startswith("你的视频已经生成好了")  # multi-byte, cut in pieces


async def test_dropped_stream_raises_after_earlier_events(
    client: NemoClient, emulator: RunningEmulator
) -> None:
    session = await client.create_session()
    emulator.set_fault("drop_stream")
    received: list[Event] = []

    with pytest.raises(StreamDropped) as caught:
        async for event in client.stream_chat(session.session_id, GENERATE):
            received.append(event)

    assert texts(received) and texts(received)[0].startswith("Great idea!")
    assert isinstance(caught.value.__cause__, httpx.HTTPError)
    # The backend finished the turn anyway: the state tells what happened.
    assert (await client.fetch_state(session.session_id)).draft.is_exportable


async def test_error_in_stream_yields_stream_error(
    client: NemoClient, emulator: RunningEmulator
) -> None:
    session = await client.create_session()
    emulator.set_fault("stream_error")

    events = await collect(client.stream_chat(session.session_id, GENERATE))

    assert events == [StreamError("Agent execution failed: internal error")]


async def test_a_stream_is_never_sent_again_once_it_has_started(
    client: NemoClient, emulator: RunningEmulator
) -> None:
    session = await client.create_session()
    emulator.set_fault("token_expires_mid_stream")

    events = await collect(client.stream_chat(session.session_id, GENERATE))

    assert texts(events)[0].startswith("Great idea!")
    assert events[-1] == StreamError("Token expired", 1001)
    assert emulator.state.counters.turns == 1
    assert emulator.state.counters.token_requests == 1


async def test_unknown_session_refuses_chat_before_streaming(client: NemoClient) -> None:
    session = await client.create_session()
    with pytest.raises(SessionNotFound):
        await collect(client.stream_chat(session.session_id + "0", "hello"))


# -- uploads ---------------------------------------------------------------------------------


async def test_several_files_upload_in_one_request(
    client: NemoClient, emulator: RunningEmulator, tmp_path: Path
) -> None:
    session = await client.create_session()
    clip = os.urandom(300 * 1024)
    picture = os.urandom(70 * 1024)
    song = b"ID3" + os.urandom(5000)
    sources = [
        UploadSource("clip.mp4", path=write_file(tmp_path / "clip.mp4", clip)),
        UploadSource("cover.png", path=write_file(tmp_path / "c.bin", picture)),
        UploadSource("song.mp3", chunks=chunks_of(song[:100], song[100:])),
    ]

    files = await client.upload_files(session.session_id, sources)

    assert [(f.filename, f.file_type) for f in files] == [
        ("clip.mp4", "video"),
        ("cover.png", "image"),
        ("song.mp3", "audio"),
    ]
    assert files[0].duration_seconds == 10.0 and files[0].width == 1920
    assert all(f.cdn_url and f.cdn_url.startswith("https://") for f in files)
    infos = emulator.state.sessions[session.session_id].video_infos
    assert [(i["size"], i["hash"]) for i in infos] == [
        (len(data), hashlib.sha256(data).hexdigest()[:16]) for data in (clip, picture, song)
    ]
    requests = [r for r in emulator.state.requests if r.path.startswith("/api/upload-video/")]
    assert len(requests) == 1
    state = await client.fetch_state(session.session_id)
    assert [info["filename"] for info in state.video_infos] == ["clip.mp4", "cover.png", "song.mp3"]


async def test_upload_keeps_non_ascii_filename(client: NemoClient, tmp_path: Path) -> None:
    session = await client.create_session()
    path = write_file(tmp_path / "x", b"\0" * 1000)
    source = UploadSource("夕日 clip.mov", path=path)

    files = await client.upload_files(session.session_id, [source])

    assert [f.filename for f in files] == ["夕日 clip.mov"]


async def test_unsupported_extension_is_refused(client: NemoClient, tmp_path: Path) -> None:
    session = await client.create_session()
    path = write_file(tmp_path / "tool.exe", b"MZ" * 100)

    with pytest.raises(UnsupportedFile) as caught:
        await client.upload_files(session.session_id, [UploadSource("tool.exe", path=path)])
    assert caught.value.code == 4001


@pytest.mark.parametrize("emulator_config", [fast_config(max_upload_bytes=1000)])
async def test_file_over_the_limit_is_refused(client: NemoClient, tmp_path: Path) -> None:
    session = await client.create_session()
    path = write_file(tmp_path / "big.mp4", b"\0" * 1001)

    with pytest.raises(FileTooLarge) as caught:
        await client.upload_files(session.session_id, [UploadSource("big.mp4", path=path)])
    assert caught.value.code == 4002


async def test_upload_source_needs_exactly_one_origin(
    client: NemoClient, tmp_path: Path
) -> None:
    both = UploadSource("a.mp4", path=tmp_path / "a.mp4", chunks=chunks_of(b"x"))
    neither = UploadSource("a.mp4")

    for source in (both, neither):
        with pytest.raises(ValueError, match="exactly one"):
            await client.upload_files("1", [source])


async def test_200_mb_upload_streams_without_holding_the_file(
    client: NemoClient, emulator: RunningEmulator, tmp_path: Path
) -> None:
    session = await client.create_session()
    size = 200 * MIB
    path = tmp_path / "big.mp4"
    with path.open("wb") as handle:
        handle.truncate(size)  # sparse: no disk blocks, reads as zeros

    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        files = await client.upload_files(session.session_id, [UploadSource("big.mp4", path=path)])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert files[0].filename == "big.mp4"
    assert emulator.state.sessions[session.session_id].video_infos[0]["size"] == size
    assert peak - baseline < 20 * MIB


# -- errors: the table from nemovideo-api.md §2.1 -------------------------------------------

Operation = Callable[[NemoClient, Session, Draft, Path], Awaitable[object]]


async def _chat(client: NemoClient, session: Session, draft: Draft, tmp: Path) -> object:
    return await collect(client.stream_chat(session.session_id, "make the music calmer"))


async def _upload(client: NemoClient, session: Session, draft: Draft, tmp: Path) -> object:
    path = write_file(tmp / "clip.mp4", b"\0" * 2048)
    return await client.upload_files(session.session_id, [UploadSource("clip.mp4", path=path)])


async def _state(client: NemoClient, session: Session, draft: Draft, tmp: Path) -> object:
    return await client.fetch_state(session.session_id)


async def _credits(client: NemoClient, session: Session, draft: Draft, tmp: Path) -> object:
    return await client.fetch_credits()


async def _new_session(client: NemoClient, session: Session, draft: Draft, tmp: Path) -> object:
    return await client.create_session()


async def _render(client: NemoClient, session: Session, draft: Draft, tmp: Path) -> object:
    return await client.submit_render(f"render_{tmp.name}", session.session_id, draft)


async def _download(client: NemoClient, session: Session, draft: Draft, tmp: Path) -> object:
    job = RenderJob("render_existing", RenderStatus.COMPLETED)  # no URL: the API endpoint
    return await client.download_render(job, tmp / "out.mp4")


async def _cancel(client: NemoClient, session: Session, draft: Draft, tmp: Path) -> object:
    await client.submit_render("render_to_cancel", session.session_id, draft)
    await client.cancel_render("render_to_cancel")
    return None


async def prepared(client: NemoClient, operation: Operation) -> tuple[Session, Draft]:
    """A session for `operation`: with a rendered draft when it needs one, else fresh (so
    the anonymous account still has all its credits)."""
    if operation in (_render, _cancel, _download):
        session, draft = await generated(client)
        if operation is _download:
            await client.submit_render("render_existing", session.session_id, draft)
            await finished(client, "render_existing")
        return session, draft
    return await client.create_session(), Draft()


HTTP4XX = {1001: 401, 1002: 404, 2001: 402, 4001: 415, 4002: 413}

ERROR_ROWS: list[tuple[str, Operation, type[NemoError], int]] = [
    ("session_missing", _state, SessionNotFound, 1002),
    ("session_missing", _chat, SessionNotFound, 1002),
    ("session_missing", _upload, SessionNotFound, 1002),
    ("no_credits", _chat, InsufficientCredits, 2001),
    ("unsupported_file", _upload, UnsupportedFile, 4001),
    ("file_too_large", _upload, FileTooLarge, 4002),
    ("export_blocked", _render, ExportBlocked, 402),
    ("rate_limited", _credits, RateLimited, 429),
    ("rate_limited", _chat, RateLimited, 429),
    ("server_error", _state, ServiceUnavailable, 503),
    ("server_error", _chat, ServiceUnavailable, 503),
]


@pytest.mark.parametrize("business_status", ["http200", "http4xx"])
@pytest.mark.parametrize(
    ("fault", "operation", "error_type", "code"),
    ERROR_ROWS,
    ids=[f"{row[0]}-{row[1].__name__.strip('_')}" for row in ERROR_ROWS],
)
async def test_each_documented_error_has_its_type(
    client: NemoClient,
    emulator: RunningEmulator,
    tmp_path: Path,
    business_status: str,
    fault: str,
    operation: Operation,
    error_type: type[NemoError],
    code: int,
) -> None:
    emulator.state.config.business_status = business_status  # type: ignore[assignment]
    session, draft = await prepared(client, operation)
    emulator.set_fault(fault)

    with pytest.raises(error_type) as caught:
        await operation(client, session, draft, tmp_path)

    assert caught.value.code == code
    if code in HTTP4XX:
        assert caught.value.status == (HTTP4XX[code] if business_status == "http4xx" else 200)
    else:
        assert caught.value.status == code
    if isinstance(caught.value, RateLimited):
        assert caught.value.retry_after == 30


async def test_insufficient_credits_without_fault_when_balance_runs_out(
    client: NemoClient,
) -> None:
    session, _ = await generated(client)  # 100 credits: one generation

    with pytest.raises(InsufficientCredits):
        await collect(client.stream_chat(session.session_id, "Make another video of a forest"))


# -- 1001: renew the token and retry once ----------------------------------------------------

RETRIED: list[Operation] = [
    _new_session, _credits, _state, _chat, _upload, _render, _download, _cancel,
]


@pytest.mark.parametrize("business_status", ["http200", "http4xx"])
@pytest.mark.parametrize("operation", RETRIED, ids=[op.__name__.strip("_") for op in RETRIED])
async def test_rejected_token_is_renewed_and_request_sent_again(
    client: NemoClient,
    tokens: TokenSource,
    http: httpx.AsyncClient,
    emulator: RunningEmulator,
    tmp_path: Path,
    business_status: str,
    operation: Operation,
) -> None:
    emulator.state.config.business_status = business_status  # type: ignore[assignment]
    session, draft = await prepared(client, operation)
    first = await tokens.current()
    emulator.set_fault("expired_token")

    await operation(client, session, draft, tmp_path)

    assert await tokens.current() != first
    assert (await stats(http))["token_requests"] == 2
    assert "expired_token" not in emulator.state.faults.snapshot()


async def test_token_rejected_twice_propagates(
    client: NemoClient, http: httpx.AsyncClient, emulator: RunningEmulator
) -> None:
    await client.fetch_credits()
    emulator.set_fault("expired_token", times=2)

    with pytest.raises(TokenInvalid) as caught:
        await client.fetch_credits()

    assert caught.value.code == 1001
    assert (await stats(http))["token_requests"] == 2  # the first token and one renewal


async def test_stream_rejected_twice_propagates(
    client: NemoClient, http: httpx.AsyncClient, emulator: RunningEmulator
) -> None:
    session = await client.create_session()
    emulator.set_fault("expired_token", times=2)

    with pytest.raises(TokenInvalid):
        await collect(client.stream_chat(session.session_id, "hello"))
    assert emulator.state.counters.turns == 0


@pytest.mark.parametrize("token", ["nmv_usr_unknown", "nmv_usr_registered_bot"])
async def test_rejected_static_token_propagates(
    http: httpx.AsyncClient, emulator: RunningEmulator, token: str
) -> None:
    tokens = TokenSource(
        static_token=SecretStr(token), store=MemoryCredentialStore(), api_url=emulator.url
    )
    client = NemoClient(http, tokens, TEST_ATTRIBUTION)
    tokens.bind_fetcher(client.fetch_anonymous_token)
    emulator.set_fault("expired_token")

    with pytest.raises(TokenInvalid) as caught:
        await client.fetch_credits()

    assert caught.value.code == 1001
    assert (await stats(http))["token_requests"] == 0


async def test_one_shot_upload_source_is_not_sent_twice(
    client: NemoClient, tokens: TokenSource, emulator: RunningEmulator
) -> None:
    session = await client.create_session()
    first = await tokens.current()
    emulator.set_fault("expired_token")

    with pytest.raises(TokenInvalid):
        await client.upload_files(
            session.session_id, [UploadSource("a.mp4", chunks=chunks_of(b"\0" * 500))]
        )

    # The token was renewed all the same, so sending the file again works.
    assert await tokens.current() != first
    files = await client.upload_files(
        session.session_id, [UploadSource("a.mp4", chunks=chunks_of(b"\0" * 500), size=500)]
    )
    assert [f.filename for f in files] == ["a.mp4"]


async def test_reiterable_upload_source_is_sent_again_after_1001(
    client: NemoClient, emulator: RunningEmulator
) -> None:
    session = await client.create_session()
    emulator.set_fault("expired_token")

    files = await client.upload_files(
        session.session_id, [UploadSource("a.wav", chunks=Reusable(b"RIFF", b"\0" * 100))]
    )

    assert emulator.state.sessions[session.session_id].video_infos[0]["size"] == 104
    assert [f.file_type for f in files] == ["audio"]


# -- attribution headers ---------------------------------------------------------------------


async def _every_endpoint(client: NemoClient, tmp_path: Path) -> set[str]:
    """Call every endpoint once; the paths the emulator should have seen."""
    session, draft = await generated(client)
    await client.fetch_credits()
    await _upload(client, session, draft, tmp_path)
    job = await client.submit_render("render_attr", session.session_id, draft)
    job = await finished(client, job.render_id)
    await client.download_render(job, tmp_path / "via-url.mp4")
    await client.download_render(
        RenderJob(job.render_id, RenderStatus.COMPLETED), tmp_path / "via-api.mp4"
    )
    await client.submit_render("render_cancelled", session.session_id, draft)
    await client.cancel_render("render_cancelled")
    sid = session.session_id
    return {
        "/api/auth/anonymous-token",
        "/api/tasks/me/with-session/nemo_agent",
        "/run_sse",
        f"/api/state/nemo_agent/me/{sid}/latest",
        "/api/credits/balance/simple",
        f"/api/upload-video/nemo_agent/me/{sid}",
        "/api/render/proxy/lambda",
        "/api/render/proxy/lambda/render_attr",
        "/files/render_attr.mp4",
        "/api/render/proxy/render_attr/download",
        "/api/render/proxy/lambda/render_cancelled/cancel",
    }


async def test_attribution_headers_on_every_request(
    client: NemoClient, emulator: RunningEmulator, tmp_path: Path
) -> None:
    expected_paths = await _every_endpoint(client, tmp_path)

    assert {record.path for record in emulator.state.requests} == expected_paths
    for record in emulator.state.requests:
        assert record.headers == TEST_ATTRIBUTION.headers(), record.path
        assert record.authorization == (record.path != "/api/auth/anonymous-token"), record.path


async def test_attribution_headers_come_from_settings(
    http: httpx.AsyncClient,
    emulator: RunningEmulator,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("NEMO_SKILL_SOURCE", "nemo-video")
    monkeypatch.setenv("NEMO_SKILL_VERSION", "1.9")
    monkeypatch.setenv("NEMO_SKILL_PLATFORM", "clawhub")
    settings = Settings()
    attribution = Attribution(
        settings.nemo_skill_source, settings.nemo_skill_version, settings.nemo_skill_platform
    )
    tokens = TokenSource(static_token=None, store=MemoryCredentialStore(), api_url=emulator.url)
    client = NemoClient(http, tokens, attribution)
    tokens.bind_fetcher(client.fetch_anonymous_token)

    assert await _every_endpoint(client, tmp_path)
    expected = {
        "X-Skill-Source": "nemo-video",
        "X-Skill-Version": "1.9",
        "X-Skill-Platform": "clawhub",
    }
    assert {tuple(sorted(r.headers.items())) for r in emulator.state.requests} == {
        tuple(sorted(expected.items()))
    }


@pytest.mark.parametrize("attribution", [Attribution("", "", "")])
async def test_missing_attribution_blocks_export(client: NemoClient) -> None:
    session, draft = await generated(client)

    with pytest.raises(ExportBlocked):
        await client.submit_render("render_anon", session.session_id, draft)


# -- render ----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["A", "B", "superset"])
async def test_render_lifecycle_ends_with_an_mp4_on_disk(
    client: NemoClient, emulator: RunningEmulator, tmp_path: Path, shape: str
) -> None:
    emulator.state.config.render_shape = shape  # type: ignore[assignment]
    session, draft = await generated(client)

    submitted = await client.submit_render("render_1773921810978", session.session_id, draft)
    job = await finished(client, submitted.render_id)
    path = await client.download_render(job, tmp_path / "exports" / "video.mp4")

    assert submitted.status is RenderStatus.PENDING
    assert job.status is RenderStatus.COMPLETED and job.progress == 100
    assert job.output_url == f"{emulator.url}/files/render_1773921810978.mp4"
    data = path.read_bytes()
    assert data[4:8] == b"ftyp"
    assert len(data) == job.size_bytes
    assert not (tmp_path / "exports" / "video.mp4.part").exists()
    render = emulator.state.renders["render_1773921810978"]
    assert render.session_id == session.session_id


async def test_render_is_submitted_with_draft_and_default_output(
    client: NemoClient, sent: list[httpx.Request]
) -> None:
    session, draft = await generated(client)

    job = await client.submit_render("render_x", session.session_id, draft)

    assert job.render_id == "render_x"
    assert json.loads(sent[-1].content) == {
        "id": "render_x",
        "sessionId": session.session_id,
        "draft": draft.raw,
        "output": {"format": "mp4", "quality": "high", "resolution": "1080p"},
    }


async def test_render_progress_rises_while_processing(
    client: NemoClient, emulator: RunningEmulator
) -> None:
    emulator.state.config.render_seconds = 1.0
    session, draft = await generated(client)
    await client.submit_render("render_slowish", session.session_id, draft)

    seen = []
    job = await client.fetch_render("render_slowish")
    while job.status in (RenderStatus.PENDING, RenderStatus.PROCESSING):
        seen.append((job.status, job.progress))
        await asyncio.sleep(0.05)
        job = await client.fetch_render("render_slowish")

    assert seen[0] == (RenderStatus.PENDING, 5)
    assert any(status is RenderStatus.PROCESSING for status, _ in seen)
    assert [p for _, p in seen] == sorted(p for _, p in seen)


async def test_failed_render_reports_its_error(
    client: NemoClient, emulator: RunningEmulator
) -> None:
    session, draft = await generated(client)
    emulator.set_fault("render_failure")

    await client.submit_render("render_doomed", session.session_id, draft)
    job = await finished(client, "render_doomed")

    assert job.status is RenderStatus.FAILED
    assert job.error and "timed out" in job.error
    assert job.output_url is None


async def test_cancelled_render_ends_failed(client: NemoClient, emulator: RunningEmulator) -> None:
    emulator.state.config.render_seconds = 5.0
    session, draft = await generated(client)
    await client.submit_render("render_stop", session.session_id, draft)

    await client.cancel_render("render_stop")
    job = await client.fetch_render("render_stop")

    assert job.status is RenderStatus.FAILED and job.error == "Render cancelled"


async def test_duplicate_render_id_is_a_render_failure(
    client: NemoClient, emulator: RunningEmulator
) -> None:
    session, draft = await generated(client)
    await client.submit_render("render_same", session.session_id, draft)

    with pytest.raises(RenderFailed, match="duplicate id") as caught:
        await client.submit_render("render_same", session.session_id, draft)
    assert caught.value.status == 409


async def test_unknown_render_id_is_a_render_failure(client: NemoClient) -> None:
    await client.create_session()

    with pytest.raises(RenderFailed, match="not found"):
        await client.fetch_render("render_nobody_made")


async def test_download_falls_back_to_the_api_when_the_url_fails(
    client: NemoClient, emulator: RunningEmulator, tmp_path: Path
) -> None:
    session, draft = await generated(client)
    await client.submit_render("render_fb", session.session_id, draft)
    job = await finished(client, "render_fb")
    broken = RenderJob(job.render_id, job.status, 100, output_url="http://127.0.0.1:9/nowhere.mp4")

    path = await client.download_render(broken, tmp_path / "fb.mp4")

    assert path.read_bytes()[4:8] == b"ftyp"
    assert emulator.state.requests[-1].path == "/api/render/proxy/render_fb/download"


async def test_output_url_on_another_host_gets_no_token(
    http: httpx.AsyncClient, tokens: TokenSource, emulator: RunningEmulator, tmp_path: Path
) -> None:
    async def cdn_is_the_api_host(host: str, port: int) -> list[str]:
        assert host == "cdn.test"
        return ["127.0.0.1"]

    policy = UrlPolicy(emulator.url, resolve=cdn_is_the_api_host)
    client = NemoClient(http, tokens, TEST_ATTRIBUTION, Downloader(http, policy))
    tokens.bind_fetcher(client.fetch_anonymous_token)
    session, draft = await generated(client)
    await client.submit_render("render_cdn", session.session_id, draft)
    job = await finished(client, "render_cdn")
    port = httpx.URL(emulator.url).port
    foreign = RenderJob(
        job.render_id, job.status, 100, output_url=f"http://cdn.test:{port}/files/render_cdn.mp4"
    )

    await client.download_render(foreign, tmp_path / "cdn.mp4")

    last = emulator.state.requests[-1]
    assert (last.path, last.authorization) == ("/files/render_cdn.mp4", False)
    assert last.headers == dict.fromkeys(TEST_ATTRIBUTION.headers())
    assert (tmp_path / "cdn.mp4").read_bytes()[4:8] == b"ftyp"


async def test_download_of_unfinished_render_fails_without_a_file(
    client: NemoClient, emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.config.render_seconds = 5.0
    session, draft = await generated(client)
    await client.submit_render("render_early", session.session_id, draft)

    with pytest.raises(NemoError):
        await client.download_render(
            RenderJob("render_early", RenderStatus.PROCESSING), tmp_path / "early.mp4"
        )
    assert os.listdir(tmp_path) == []


# -- transport failures ----------------------------------------------------------------------


def _static_client(http: httpx.AsyncClient) -> NemoClient:
    tokens = TokenSource(
        static_token=SecretStr("nmv_usr_registered_x"),
        store=MemoryCredentialStore(),
        api_url=str(http.base_url),
    )
    return NemoClient(http, tokens, TEST_ATTRIBUTION)


async def _closed_port() -> int:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port: int = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    return port


async def test_unreachable_service_is_unavailable() -> None:
    port = await _closed_port()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        client = _static_client(http)

        with pytest.raises(ServiceUnavailable) as caught:
            await client.fetch_credits()
        assert isinstance(caught.value.__cause__, httpx.ConnectError)

        with pytest.raises(ServiceUnavailable):
            await collect(client.stream_chat("1", "hello"))
        with pytest.raises(ServiceUnavailable):
            await client.fetch_anonymous_token("client")


async def test_silent_service_times_out() -> None:
    held: list[asyncio.StreamWriter] = []

    async def accept_and_say_nothing(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept_and_say_nothing, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=0.2) as http:
            with pytest.raises(ServiceTimeout) as caught:
                await _static_client(http).fetch_credits()
        assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()



async def test_short_calls_keep_their_own_connections_while_replies_stream(
    tokens: TokenSource, attribution: Attribution, emulator: RunningEmulator
) -> None:
    """Streamed replies hold their connections; a session's state is read beside them,
    from a small pool of its own, even when every streaming connection is taken."""
    url = emulator.url
    async with (
        httpx.AsyncClient(base_url=url, limits=httpx.Limits(max_connections=1)) as calls,
        httpx.AsyncClient(base_url=url, limits=httpx.Limits(max_connections=1)) as transfers,
    ):
        client = NemoClient(calls, tokens, attribution, transfers=transfers)
        tokens.bind_fetcher(client.fetch_anonymous_token)
        session = await client.create_session()
        stream = client.stream_chat(session.session_id, GENERATE)
        first = await anext(stream)  # the reply streams, holding the only transfer connection

        state = await asyncio.wait_for(client.fetch_state(session.session_id), 5.0)

        assert isinstance(first, Event) and state.session_id == session.session_id
        await stream.aclose()


async def test_a_second_client_for_another_server_is_refused(
    tokens: TokenSource, attribution: Attribution, http: httpx.AsyncClient
) -> None:
    async with httpx.AsyncClient(base_url="http://127.0.0.1:9") as elsewhere:
        with pytest.raises(ValueError, match="only works on the server that issued it"):
            NemoClient(http, tokens, attribution, transfers=elsewhere)
