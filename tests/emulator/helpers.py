"""Helpers for driving the emulator over plain HTTP (httpx), the way any client would."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.emulator import EmulatorConfig, RunningEmulator, run_emulator

ATTRIBUTION = {
    "X-Skill-Source": "best-free-video-generation-ai",
    "X-Skill-Version": "0.1.0",
    "X-Skill-Platform": "unknown",
}

GENERATE = "generate a 15-second video clip of a sunset over a mountain lake, with background music"


def loopback_client(base_url: str = "") -> httpx.AsyncClient:
    """An httpx client for plain HTTP on loopback (no CA bundle to load: ~50 ms saved)."""
    return httpx.AsyncClient(base_url=base_url, timeout=30, verify=False)


def fast_config(**overrides: Any) -> EmulatorConfig:
    """Instant turns, short renders, no random silent edits, repeatable ids."""
    values: dict[str, Any] = {
        "turn_scale": 0.0,
        "render_seconds": 0.2,
        "heartbeat_seconds": 0.01,
        "silent_edit_rate": 0.0,
        "seed": 7,
    }
    values.update(overrides)
    return EmulatorConfig(**values)


class FakeClock:
    """Epoch seconds that only move when told to."""

    def __init__(self, now: float = 1_773_921_810.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Stream:
    """One `/run_sse` response, split into its raw SSE frames."""

    status: int
    content_type: str
    frames: list[str] = field(default_factory=list)

    @property
    def events(self) -> list[dict[str, Any]]:
        """The JSON payloads of data frames, heartbeats excluded."""
        payloads = []
        for frame in self.frames:
            if frame.startswith("data: "):
                payload = json.loads(frame[len("data: ") :])
                if payload != {"type": "heartbeat"}:
                    payloads.append(payload)
        return payloads

    @property
    def texts(self) -> list[str]:
        """Final (non-partial) texts, whatever the wire format."""
        found = []
        for event in self.events:
            if "content" in event and isinstance(event["content"], dict):
                if event.get("partial"):
                    continue
                found += [p["text"] for p in event["content"]["parts"] if "text" in p]
            elif event.get("type") == "text":
                found.append(event["content"])
            elif "text" in event:
                found.append(event["text"])
        return found

    @property
    def tool_calls(self) -> list[str]:
        names = []
        for event in self.events:
            if isinstance(event.get("content"), dict):
                names += [
                    p["functionCall"]["name"]
                    for p in event["content"]["parts"]
                    if "functionCall" in p
                ]
            elif event.get("type") == "tool_call":
                names.append(event["name"])
        return names

    def heartbeats(self, wire: str) -> int:
        return sum(1 for frame in self.frames if frame == wire.removesuffix("\n\n"))


def split_frames(body: str) -> list[str]:
    return [frame for frame in body.split("\n\n") if frame]


class Api:
    """A logged-in caller with one session."""

    def __init__(self, http: httpx.AsyncClient, token: str, user_id: str) -> None:
        self.http = http
        self.token = token
        self.user_id = user_id
        self.session_id = ""

    @property
    def headers(self) -> dict[str, str]:
        return {**ATTRIBUTION, "Authorization": f"Bearer {self.token}"}

    async def new_session(self) -> str:
        response = await self.http.post(
            "/api/tasks/me/with-session/nemo_agent",
            json={"task_name": "project", "language": "en"},
            headers=self.headers,
        )
        self.session_id = response.json()["data"]["session_id"]
        return self.session_id

    def chat_body(self, text: str) -> dict[str, Any]:
        return {
            "app_name": "nemo_agent",
            "user_id": "me",
            "session_id": self.session_id,
            "new_message": {"role": "user", "parts": [{"text": text}]},
        }

    async def chat(self, text: str) -> Stream:
        async with self.http.stream(
            "POST",
            "/run_sse",
            json=self.chat_body(text),
            headers={**self.headers, "Accept": "text/event-stream"},
        ) as response:
            body = (await response.aread()).decode()
        return Stream(response.status_code, response.headers["content-type"], split_frames(body))

    async def get(self, path: str) -> httpx.Response:
        return await self.http.get(path, headers=self.headers)

    async def state(self) -> dict[str, Any]:
        response = await self.get(f"/api/state/nemo_agent/me/{self.session_id}/latest")
        return response.json()["data"]["state"]

    async def draft(self) -> dict[str, Any]:
        return (await self.state())["draft"]

    async def credits(self) -> dict[str, int]:
        return (await self.get("/api/credits/balance/simple")).json()["data"]

    async def submit_render(
        self, render_id: str, draft: dict[str, Any] | None = None, **headers: str
    ) -> httpx.Response:
        body = {"id": render_id, "sessionId": self.session_id, "draft": draft or await self.draft()}
        return await self.http.post(
            "/api/render/proxy/lambda", json=body, headers={**self.headers, **headers}
        )

    async def poll(self, render_id: str) -> dict[str, Any]:
        return (await self.get(f"/api/render/proxy/lambda/{render_id}")).json()


async def anonymous_api(http: httpx.AsyncClient, client_id: str = "client-1") -> Api:
    response = await http.post("/api/auth/anonymous-token", headers={"X-Client-Id": client_id})
    data = response.json()["data"]
    api = Api(http, data["token"], data["user_id"])
    await api.new_session()
    return api


async def registered_api(http: httpx.AsyncClient, name: str = "alice") -> Api:
    api = Api(http, f"nmv_usr_registered_{name}", "")
    await api.new_session()
    return api


@asynccontextmanager
async def serve(**overrides: Any) -> AsyncIterator[tuple[RunningEmulator, httpx.AsyncClient]]:
    """An emulator with `fast_config(**overrides)` and an httpx client pointed at it."""
    async with (
        run_emulator(fast_config(**overrides)) as emulator,
        loopback_client(emulator.url) as http,
    ):
        yield emulator, http
