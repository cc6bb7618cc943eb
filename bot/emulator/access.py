"""What every handler needs: the app's shared objects and who is calling.

Authentication follows the API: `Authorization: Bearer <token>` on everything except the
anonymous-token endpoint; unknown or expired tokens answer 1001. Paths name the user
either as `me` or by the caller's own user id.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.emulator.replies import ApiError, business_error
from bot.emulator.state import EmulatorState, Session, Token, User

STATE_KEY = web.AppKey("emulator_state", EmulatorState)
WORKDIR_KEY = web.AppKey("emulator_workdir", Path)


class BackgroundTasks:
    """Tasks the app started (render encoders) and must stop when it shuts down."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


TASKS_KEY = web.AppKey("emulator_tasks", BackgroundTasks)


def state_of(request: web.Request) -> EmulatorState:
    return request.app[STATE_KEY]


def authenticate(request: web.Request) -> Token:
    """The caller's valid token, or ApiError 1001."""
    state = state_of(request)
    mode = state.config.business_status
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        raise business_error(1001, mode, "Missing bearer token")
    token = state.lookup_token(value)
    if token is None:
        raise business_error(1001, mode, "Invalid token")
    if state.faults.take("token_rejected"):
        # A 1001 although the token is still valid: a new one is then refused (429).
        raise business_error(1001, mode, "Invalid token")
    if state.faults.take("expired_token"):
        # One request fails, and renewing is allowed (no 429), as after a real expiry.
        token.renewable = True
        raise business_error(1001, mode, "Token expired")
    if token.expired(state.clock()):
        raise business_error(1001, mode, "Token expired")
    return token


def check_user_segment(request: web.Request, user: User) -> None:
    """`me` or the caller's own id in the path; anything else is someone else's data."""
    segment = request.match_info.get("user", "me")
    if segment not in ("me", user.user_id):
        raise business_error(1002, state_of(request).config.business_status)


def session_for(request: web.Request, user: User, session_id: str) -> Session:
    """The caller's session, or ApiError 1002 (also when `session_missing` is armed)."""
    state = state_of(request)
    session = state.session_of(user, session_id)
    if state.faults.take("session_missing") or session is None:
        raise business_error(1002, state.config.business_status)
    return session


async def read_json(request: web.Request) -> dict[str, Any]:
    """The JSON object in the body; {} when there is none."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise ApiError(422, {"detail": f"Request body is not valid JSON: {exc}"}) from exc
    if not isinstance(body, dict):
        raise ApiError(422, {"detail": "Request body must be a JSON object"})
    return body
