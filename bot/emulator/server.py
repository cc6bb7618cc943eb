"""The emulator as an aiohttp application, plus ways to run it.

`create_app()` builds the app; `run_emulator()` serves it on a loopback port for the
length of an `async with` (tests, `nemobot chat --offline`); `serve_forever()` is
`nemobot emulator`. Control endpoints under `/_emulator/` arm faults and report counters
for tests that only have HTTP access; they are neither recorded nor subject to faults.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.emulator import gateway, renders
from bot.emulator.access import (
    STATE_KEY,
    TASKS_KEY,
    WORKDIR_KEY,
    BackgroundTasks,
    read_json,
    state_of,
)
from bot.emulator.config import EmulatorConfig
from bot.emulator.replies import ApiError, rate_limited, server_error
from bot.emulator.state import EmulatorState, RequestRecord

log = logging.getLogger(__name__)

CONTROL_PREFIX = "/_emulator/"
CDN_PREFIX = "/files/"
RECORDED_HEADERS = ("X-Skill-Source", "X-Skill-Version", "X-Skill-Platform")
#: Largest JSON body read into memory (drafts are far smaller); uploads stream instead.
MAX_JSON_BYTES = 16 * 1024 * 1024

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _emulate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Record the request, fire request-wide faults, and turn ApiError into a response."""
    state = state_of(request)
    control = request.path.startswith(CONTROL_PREFIX)
    if not control:
        state.record(
            RequestRecord(
                method=request.method,
                path=request.path,
                headers={name: request.headers.get(name) for name in RECORDED_HEADERS},
                authorization="Authorization" in request.headers,
                at=time.time(),
            )
        )
    try:
        if not control and not request.path.startswith(CDN_PREFIX):
            if state.faults.take("server_error"):
                raise server_error()
            if state.faults.take("rate_limited"):
                raise rate_limited()
        return await handler(request)
    except ApiError as exc:
        # Read what the client is still sending, so it gets to see this answer.
        await request.release()
        return exc.response()


async def _set_faults(request: web.Request) -> web.Response:
    """`POST /_emulator/faults` `{"name": times}` (times -1: until cleared)."""
    state = state_of(request)
    body = await read_json(request)
    try:
        for name, times in body.items():
            if not isinstance(times, int) or isinstance(times, bool):
                raise ValueError(f"times for {name!r} must be an integer")
            state.faults.set(name, times)
    except ValueError as exc:
        return web.json_response({"error": str(exc)}, status=400)
    return web.json_response({"faults": state.faults.snapshot()})


async def _clear_faults(request: web.Request) -> web.Response:
    state = state_of(request)
    state.faults.clear()
    return web.json_response({"faults": {}})


async def _get_faults(request: web.Request) -> web.Response:
    return web.json_response({"faults": state_of(request).faults.snapshot()})


async def _stats(request: web.Request) -> web.Response:
    return web.json_response(state_of(request).stats())


async def _cleanup(app: web.Application) -> None:
    await app[TASKS_KEY].stop()
    shutil.rmtree(app[WORKDIR_KEY], ignore_errors=True)


def create_app(config: EmulatorConfig | None = None) -> web.Application:
    """A fresh emulator with its own state and a temporary folder removed on cleanup."""
    app = web.Application(middlewares=[_emulate], client_max_size=MAX_JSON_BYTES)
    app[STATE_KEY] = EmulatorState(config or EmulatorConfig())
    app[WORKDIR_KEY] = Path(tempfile.mkdtemp(prefix="nemobot-emulator-"))
    app[TASKS_KEY] = BackgroundTasks()
    app.on_cleanup.append(_cleanup)
    app.add_routes(
        [
            web.post("/api/auth/anonymous-token", gateway.anonymous_token),
            web.post("/api/tasks/{user}/with-session/nemo_agent", gateway.create_session),
            web.post("/run_sse", gateway.run_sse),
            web.post("/api/upload-video/nemo_agent/{user}/{session_id}", gateway.upload),
            web.get("/api/credits/balance/simple", gateway.credits),
            web.get("/api/state/nemo_agent/{user}/{session_id}/latest", gateway.session_state),
            web.post("/api/render/proxy/lambda", renders.submit_render),
            web.get("/api/render/proxy/lambda/{render_id}", renders.poll_render),
            web.post("/api/render/proxy/lambda/{render_id}/cancel", renders.cancel_render),
            web.get("/api/render/proxy/{render_id}/download", renders.download_render),
            web.get("/files/{name}", renders.public_file),
            web.post("/_emulator/faults", _set_faults),
            web.delete("/_emulator/faults", _clear_faults),
            web.get("/_emulator/faults", _get_faults),
            web.get("/_emulator/stats", _stats),
        ]
    )
    return app


@dataclass
class RunningEmulator:
    """A served emulator: its base URL and its state, for in-process tests."""

    url: str
    state: EmulatorState
    workdir: Path
    """The temporary folder holding renders (removed when the emulator stops)."""

    def set_fault(self, name: str, times: int = 1) -> None:
        """Arm fault `name` for the next `times` matching requests (-1: until cleared)."""
        self.state.faults.set(name, times)

    def clear_faults(self) -> None:
        self.state.faults.clear()


@asynccontextmanager
async def run_emulator(
    config: EmulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[RunningEmulator]:
    """Serve a new emulator on `host:port` (0: a free port) until the block exits."""
    app = create_app(config)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        url_host = f"[{bound_host}]" if ":" in bound_host else bound_host
        yield RunningEmulator(
            url=f"http://{url_host}:{bound_port}", state=app[STATE_KEY], workdir=app[WORKDIR_KEY]
        )
    finally:
        await runner.cleanup()


async def serve_forever(host: str, port: int, config: EmulatorConfig) -> None:
    """`nemobot emulator`: serve until cancelled (Ctrl+C)."""
    async with run_emulator(config, host, port) as emulator:
        log.info(
            "NemoVideo emulator listening on %s — use it with NEMO_API_URL=%s; Ctrl+C stops it",
            emulator.url,
            emulator.url,
        )
        try:
            await asyncio.Event().wait()
        finally:
            log.info("NemoVideo emulator stopped")
