"""Gateway endpoints: anonymous token, sessions, chat (`/run_sse`), uploads, credits, state.

Each handler checks what the real backend would check, in the same order, and lets
`ApiError` carry any refusal to the middleware.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bot.emulator import turns, uploads
from bot.emulator.access import (
    WORKDIR_KEY,
    authenticate,
    check_user_segment,
    read_json,
    session_for,
    state_of,
)
from bot.emulator.drafts import TurnKind, classify
from bot.emulator.replies import (
    ApiError,
    business_error,
    export_blocked,
    gateway_ok,
    missing_client_id,
    rate_limited,
)
from bot.emulator.sse import TurnStream, WireEncoder, frame

log = logging.getLogger(__name__)

MAX_CLIENT_ID_CHARS = 64


async def anonymous_token(request: web.Request) -> web.Response:
    """`POST /api/auth/anonymous-token`: one 7-day token per client id at a time."""
    state = state_of(request)
    state.counters.token_requests += 1
    client_id = request.headers.get("X-Client-Id", "").strip()
    if not client_id or len(client_id) > MAX_CLIENT_ID_CHARS:
        raise missing_client_id()
    valid = state.valid_token_for_client(client_id)
    if valid is not None:  # one token per client id until it expires: say how long that is
        raise rate_limited(max(1, math.ceil((valid.expires_at or 0) - state.clock())))
    token = state.issue_anonymous_token(client_id)
    expires = datetime.fromtimestamp(token.expires_at or 0, UTC)
    return gateway_ok(
        {
            "token": token.value,
            "user_id": token.user.user_id,
            "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "credits": token.user.available,
        }
    )


async def create_session(request: web.Request) -> web.Response:
    """`POST /api/tasks/me/with-session/nemo_agent`."""
    token = authenticate(request)
    check_user_segment(request, token.user)
    body = await read_json(request)
    task_name = str(body.get("task_name") or "project")
    language = str(body.get("language") or "en")
    state = state_of(request)
    if state.session_gate is not None:
        await state.session_gate.wait()
    session = state.create_session(token.user, task_name, language)
    return gateway_ok(
        {"task_id": session.task_id, "session_id": session.session_id, "user_id": session.user_id}
    )


async def credits(request: web.Request) -> web.Response:
    """`GET /api/credits/balance/simple`."""
    user = authenticate(request).user
    return gateway_ok({"available": user.available, "frozen": user.frozen, "total": user.total})


async def session_state(request: web.Request) -> web.Response:
    """`GET /api/state/nemo_agent/{me|user_id}/{session_id}/latest`."""
    user = authenticate(request).user
    check_user_segment(request, user)
    session = session_for(request, user, request.match_info["session_id"])
    return gateway_ok(
        {
            "session_id": session.session_id,
            "task_id": session.task_id,
            "task_name": session.task_name,
            "user_id": session.user_id,
            "state": session.state_payload(),
        }
    )


async def upload(request: web.Request) -> web.Response:
    """`POST /api/upload-video/nemo_agent/{me|user_id}/{session_id}`: multipart or URLs."""
    state = state_of(request)
    user = authenticate(request).user
    check_user_segment(request, user)
    session = session_for(request, user, request.match_info["session_id"])
    forced = 4001 if state.faults.take("unsupported_file") else None
    if forced is None and state.faults.take("file_too_large"):
        forced = 4002
    try:
        if request.content_type.startswith("multipart/"):
            received = await uploads.receive_multipart(
                request,
                request.app[WORKDIR_KEY],
                state.config.max_upload_bytes,
                forced_error=forced,
            )
        elif request.content_type == "application/json":
            body = await read_json(request)
            if forced is not None:
                raise uploads.UploadRejected(forced, _forced_message(forced))
            urls = body.get("urls")
            received = uploads.received_from_urls(urls if isinstance(urls, list) else [])
        else:
            raise uploads.UploadRejected(
                4001, "Send multipart/form-data (field 'files') or JSON {\"urls\": [...]}"
            )
    except uploads.UploadRejected as exc:
        raise business_error(exc.code, state.config.business_status, exc.message) from exc
    files = []
    for file in received:
        entry = uploads.describe(file, state.new_hex(12))
        session.video_infos.append(entry)
        files.append(entry)
    state.counters.uploads += len(files)
    log.debug("session %s: %d file(s) uploaded", session.session_id, len(files))
    return gateway_ok({"files": files, "session_state_applied": True})


def _forced_message(code: int) -> str:
    return "Unsupported file type" if code == 4001 else "File too large (max 200MB)"


def _message_text(body: dict[str, Any]) -> str:
    message = body.get("new_message") or body.get("newMessage") or {}
    parts = message.get("parts") if isinstance(message, dict) else None
    texts = [
        part["text"]
        for part in parts or []
        if isinstance(part, dict) and isinstance(part.get("text"), str)
    ]
    return "\n".join(texts).strip()


async def run_sse(request: web.Request) -> web.StreamResponse:
    """`POST /run_sse`: one agent turn as a server-sent event stream."""
    state = state_of(request)
    config = state.config
    user = authenticate(request).user
    body = await read_json(request)
    session_id = body.get("session_id") or body.get("sessionId")
    if not isinstance(session_id, str) or not session_id:
        raise ApiError(422, {"detail": "session_id is required"})
    session = session_for(request, user, session_id)
    text = _message_text(body)
    kind = classify(text, session.draft)
    cost = turns.cost_of(kind, config)
    if state.faults.take("no_credits") or user.available < cost:
        raise business_error(2001, config.business_status)
    # Refusals a turn can meet when the agent reaches for a project file or a paid feature.
    for fault, code in (("turn_unsupported_file", 4001), ("turn_file_too_large", 4002)):
        if state.faults.take(fault):
            raise business_error(code, config.business_status)
    if state.faults.take("turn_plan_refused"):
        raise export_blocked()
    silent = kind is TurnKind.EDIT and (
        state.faults.take("silent_edit") or state.rng.random() < config.silent_edit_rate
    )
    plan = turns.plan_turn(
        kind,
        text,
        session,
        config,
        state.rng,
        silent=silent,
        trailing_issue=state.faults.take("trailing_issue"),
    )
    drop = state.faults.take("drop_stream")
    broken = state.faults.take("stream_error")
    expiring = state.faults.take("token_expires_mid_stream")
    state.counters.turns += 1
    log.debug("session %s: %s turn", session.session_id, kind.value)

    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    state.freeze(user, cost)
    stream = TurnStream(
        response,
        plan,
        session,
        WireEncoder(config.wire_format, state.rng, state.clock),
        config,
        partial_text=config.partial_text or body.get("streaming") is True,
    )
    settled = False
    try:
        await response.prepare(request)
        if broken or expiring:
            state.refund(user, cost)
            settled = True
            error: object = "Agent execution failed: internal error"
            if expiring:  # one event first: the stream had started
                await stream.play(stop_after_events=1)
                error = {"code": 1001, "message": "Token expired"}
            await stream.write(frame({"error": error}))
            return response
        await stream.play(stop_after_events=1 if drop else None)
        if drop:
            stream.finish()
            state.deduct(user, cost)
            settled = True
            if request.transport is not None:
                request.transport.close()
    except ConnectionResetError:
        log.debug("session %s: client left during the turn", session.session_id)
    finally:
        if not settled:
            stream.finish()
            state.deduct(user, cost)
    return response
