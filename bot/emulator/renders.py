"""Render endpoints: submit, poll (shape A, B or both), download, cancel, and the CDN.

A submitted render gets a background task that encodes a real MP4 (see `media`); its
status is then a function of time: pending, processing with rising progress, and
completed once `render_seconds` have passed and the file exists. `outputUrl` points at
this server's `/files/<id>.mp4`, built from the request's own host, so it works on any
port (or at `config.output_url`, to test a hostile link). The faults `download_failure`
(503), `unsized_download` (no Content-Length) and `stalled_download` (a few bytes, then
silence until the client hangs up) apply to both ways of fetching the file.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.emulator import drafts, media
from bot.emulator.access import TASKS_KEY, WORKDIR_KEY, authenticate, read_json, state_of
from bot.emulator.config import RenderShape
from bot.emulator.replies import export_blocked, render_error, render_ok
from bot.emulator.state import EmulatorState, Render, User

log = logging.getLogger(__name__)

ATTRIBUTION_HEADERS = ("X-Skill-Source", "X-Skill-Version", "X-Skill-Platform")
SLOW_RENDER_FACTOR = 10
#: A stalled download sends this much, then nothing (until the client hangs up).
STALL_AFTER_BYTES = 1024
#: A stalled download gives up waiting for the client to hang up after this long.
STALL_MAX_SECONDS = 60.0


def _public_url(request: web.Request, render: Render) -> str:
    configured = state_of(request).config.output_url
    if configured is not None:
        return configured
    return f"{request.scheme}://{request.host}/files/{quote(render.render_id, safe='')}.mp4"


def render_body(render: Render, now: float, output_url: str, shape: RenderShape) -> dict[str, Any]:
    """The poll response for `render` at `now` in the configured shape (§9.2)."""
    status, progress, error = render.status_at(now)
    data: dict[str, Any] = {
        "id": render.render_id,
        "status": status,
        "progress": progress,
        "createdAt": int(render.created_at * 1000),
    }
    output: dict[str, Any] | None = None
    if status == "completed":
        output = {"url": output_url, "duration": render.video_seconds, "size": render.size_bytes}
        data.update(
            outputUrl=output_url,
            completedAt=int(render.finished_at() * 1000),
            duration=render.video_seconds,
            size=render.size_bytes,
        )
    elif status == "failed":
        data.update(error=error, completedAt=int(render.finished_at() * 1000))
    flat: dict[str, Any] = {"taskId": render.render_id, "status": status, "progress": progress}
    if output is not None:
        flat["output"] = output
    if error is not None:
        flat["error"] = error
    if shape == "A":
        return {"success": True, "data": data}
    if shape == "B":
        return flat
    return {"success": True, "data": data, **flat}


async def _produce(
    state: EmulatorState, render: Render, draft: dict[str, Any], workdir: Path
) -> None:
    """Encode the render's MP4 and record the outcome on `render`."""
    spec = media.spec_for(
        drafts.title_of(draft),
        drafts.duration_seconds_of(draft),
        drafts.canvas_for(draft),
        drafts.music_of(draft),
        large=state.config.large_render,
    )
    out = workdir / f"render-{uuid.uuid4().hex}.mp4"
    try:
        render.size_bytes = await media.render_mp4(spec, out)
        render.path = out
        render.video_seconds = media.LARGE_VIDEO_SECONDS if spec.large else spec.seconds
    except media.MediaError as exc:
        log.warning("render %s could not be encoded: %s", render.render_id, exc)
        render.media_error = str(exc)
    render.media_done_at = state.clock()


def _check_export_allowed(request: web.Request, state: EmulatorState, user: User) -> None:
    if state.faults.take("export_blocked"):
        raise export_blocked()
    missing = [h for h in ATTRIBUTION_HEADERS if not request.headers.get(h)]
    if state.config.require_attribution and missing:
        raise export_blocked()
    if user.anonymous and not state.config.anonymous_can_render:
        raise export_blocked()


async def submit_render(request: web.Request) -> web.Response:
    """`POST /api/render/proxy/lambda` with a client-chosen id."""
    state = state_of(request)
    user = authenticate(request).user
    body = await read_json(request)
    _check_export_allowed(request, state, user)
    render_id = body.get("id")
    if not isinstance(render_id, str) or not render_id.strip():
        raise render_error(400, "id is required")
    if state.faults.take("duplicate_render_id") or render_id in state.renders:
        raise render_error(409, "duplicate id")
    draft = body.get("draft")
    if not isinstance(draft, dict) or not drafts.is_exportable(draft):
        raise render_error(400, "draft has no segments to render")
    session_id = body.get("sessionId") or body.get("session_id")
    factor = SLOW_RENDER_FACTOR if state.faults.take("slow_render") else 1
    render = Render(
        render_id=render_id,
        user_id=user.user_id,
        session_id=session_id if isinstance(session_id, str) else None,
        created_at=state.clock(),
        duration_seconds=state.config.render_seconds * factor,
        will_fail=state.faults.take("render_failure"),
    )
    state.renders[render_id] = render
    state.counters.renders += 1
    if not render.will_fail:
        request.app[TASKS_KEY].spawn(_produce(state, render, draft, request.app[WORKDIR_KEY]))
    return render_ok({"id": render_id, "status": "pending", "progress": 5})


def _render_of(request: web.Request, user: User) -> Render:
    render = state_of(request).renders.get(request.match_info["render_id"])
    if render is None or render.user_id != user.user_id:
        raise render_error(404, "render not found")
    return render


async def poll_render(request: web.Request) -> web.Response:
    """`GET /api/render/proxy/lambda/{id}`."""
    state = state_of(request)
    render = _render_of(request, authenticate(request).user)
    url = _public_url(request, render)
    return web.json_response(render_body(render, state.clock(), url, state.config.render_shape))


async def cancel_render(request: web.Request) -> web.Response:
    """`POST /api/render/proxy/lambda/{id}/cancel`."""
    state = state_of(request)
    render = _render_of(request, authenticate(request).user)
    now = state.clock()
    status, _, _ = render.status_at(now)
    if status in ("completed", "failed"):
        raise render_error(409, f"render already {status}")
    render.cancelled_at = now
    return render_ok({"id": render.render_id, "status": "failed", "error": "Render cancelled"})


async def _file_response(request: web.Request, render: Render) -> web.StreamResponse:
    state = state_of(request)
    status, _, _ = render.status_at(state.clock())
    if status != "completed" or render.path is None:
        raise render_error(404, f"render is {status}, no file yet")
    headers = {
        "Content-Type": "video/mp4",
        "Content-Disposition": f'attachment; filename="{quote(render.render_id)}.mp4"',
    }
    if state.faults.take("download_failure"):  # a file store outage, on either path
        raise web.HTTPServiceUnavailable(text="the file store is unavailable")
    if state.faults.take("stalled_download"):
        return await _stalled(request, render.path, headers)
    if state.faults.take("unsized_download"):
        return await _unsized(request, render.path, headers)
    return web.FileResponse(render.path, headers=headers)


async def _unsized(request: web.Request, path: Path, headers: dict[str, str]) -> web.StreamResponse:
    """The file sent chunked: no Content-Length says how large it is."""
    response = web.StreamResponse(headers=headers)
    response.enable_chunked_encoding()
    await response.prepare(request)
    data = await asyncio.to_thread(path.read_bytes)
    for start in range(0, len(data), 64 * 1024):
        await response.write(data[start : start + 64 * 1024])
    await response.write_eof()
    return response


async def _stalled(request: web.Request, path: Path, headers: dict[str, str]) -> web.StreamResponse:
    """The start of the file, then silence until the client hangs up."""
    response = web.StreamResponse(headers=headers)
    response.enable_chunked_encoding()
    await response.prepare(request)
    data = await asyncio.to_thread(path.read_bytes)
    await response.write(data[:STALL_AFTER_BYTES])
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STALL_MAX_SECONDS
    while loop.time() < deadline:
        transport = request.transport
        if transport is None or transport.is_closing():
            break
        await asyncio.sleep(0.05)
    return response


async def download_render(request: web.Request) -> web.StreamResponse:
    """`GET /api/render/proxy/{id}/download`: the MP4 itself (authenticated)."""
    render = _render_of(request, authenticate(request).user)
    return await _file_response(request, render)


async def public_file(request: web.Request) -> web.StreamResponse:
    """`GET /files/{id}.mp4`: the CDN copy behind `outputUrl` (no authentication)."""
    state = state_of(request)
    name = request.match_info["name"]
    render = state.renders.get(name.removesuffix(".mp4")) if name.endswith(".mp4") else None
    if render is None:
        raise render_error(404, "file not found")
    return await _file_response(request, render)
