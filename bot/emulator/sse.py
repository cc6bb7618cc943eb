"""`/run_sse` on the wire: event encodings, heartbeats, and playing a turn's script.

Three encodings (nemovideo-api.md §5.3): ADK events (the default; text, `functionCall`,
`functionResponse` parts, optional `partial` chunks), typed events (`{"type": "text", …}`),
and flat `{"text": …}` (tool events then go out typed). Every event is one
`data: <json>\\n\\n`; heartbeats fill the waits; the stream ends by closing.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.emulator.config import EmulatorConfig, HeartbeatStyle, WireFormat
from bot.emulator.state import Session
from bot.emulator.turns import Call, Pause, Respond, Say, TurnPlan, apply_response

HEARTBEATS: dict[HeartbeatStyle, bytes] = {
    "comment": b": heartbeat\n\n",
    "empty": b"data:\n\n",
    "typed": b'data: {"type":"heartbeat"}\n\n',
}
LINE_ENDINGS = {"lf": b"\n", "crlf": b"\r\n", "cr": b"\r"}
AGENT_NAME = "nemo_agent"
PARTIAL_CHUNKS = 3


def frame(payload: dict[str, Any]) -> bytes:
    """One SSE event carrying `payload` as JSON."""
    return b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n"


def split_partials(text: str, parts: int = PARTIAL_CHUNKS) -> list[str]:
    """`text` cut into up to `parts` chunks on spaces (or evenly when it has none)."""
    words = text.split(" ")
    if len(words) >= parts:
        size = -(-len(words) // parts)
        pieces = [" ".join(words[i : i + size]) for i in range(0, len(words), size)]
        return [p + " " for p in pieces[:-1]] + [pieces[-1]]
    size = max(1, -(-len(text) // parts))
    return [text[i : i + size] for i in range(0, len(text), size)]


class WireEncoder:
    """Builds the JSON of each event in one wire format, for one invocation."""

    def __init__(self, wire: WireFormat, rng: random.Random, clock: Callable[[], float]) -> None:
        self.wire = wire
        self._rng = rng
        self._clock = clock
        self.invocation_id = "e-" + self._random_id(12)

    def _random_id(self, length: int) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        return "".join(self._rng.choice(alphabet) for _ in range(length))

    def _adk(self, parts: list[dict[str, Any]], role: str, **extra: Any) -> dict[str, Any]:
        event: dict[str, Any] = {
            "content": {"parts": parts, "role": role},
            "invocationId": self.invocation_id,
            "author": AGENT_NAME,
            "actions": {"stateDelta": {}, "artifactDelta": {}, "requestedAuthConfigs": {}},
            "id": self._random_id(8),
            "timestamp": round(self._clock(), 3),
        }
        event.update(extra)
        return event

    def text(self, text: str, *, partial: bool = False) -> dict[str, Any]:
        if self.wire == "adk":
            return self._adk([{"text": text}], "model", **({"partial": True} if partial else {}))
        if self.wire == "typed":
            return {"type": "text", "content": text}
        return {"text": text}

    def call(self, step: Call) -> dict[str, Any]:
        if self.wire == "adk":
            part = {"functionCall": {"id": step.call_id, "name": step.name, "args": step.args}}
            return self._adk([part], "model", longRunningToolIds=[step.call_id])
        return {"type": "tool_call", "name": step.name, "args": step.args}

    def result(self, step: Respond) -> dict[str, Any]:
        if self.wire == "adk":
            response = {"id": step.call_id, "name": step.name, "response": step.response}
            part = {"functionResponse": response}
            event = self._adk([part], "user")
            event["actions"]["stateDelta"] = {"draft_updated": step.draft is not None}
            return event
        return {"type": "tool_result", "name": step.name, "result": step.response}


class TurnStream:
    """Plays a turn's steps onto an open SSE response, with heartbeats during pauses.

    Whatever happens to the connection, `finish()` makes the session end up as if the
    turn had run to completion (the backend keeps working when a client goes away).
    """

    def __init__(
        self,
        response: web.StreamResponse,
        plan: TurnPlan,
        session: Session,
        encoder: WireEncoder,
        config: EmulatorConfig,
        *,
        partial_text: bool,
    ) -> None:
        self._response = response
        self._plan = plan
        self._session = session
        self._encoder = encoder
        self._config = config
        self._partial = partial_text and encoder.wire == "adk"
        self._position = 0
        self.events_sent = 0

    async def play(self, *, stop_after_events: int | None = None) -> bool:
        """Stream the steps; with `stop_after_events`, stop once that many events went
        out and return True (the caller then breaks the connection)."""
        steps = self._plan.steps
        while self._position < len(steps):
            if stop_after_events is not None and self.events_sent >= stop_after_events:
                return True
            step = steps[self._position]
            self._position += 1
            if isinstance(step, Pause):
                await self._pause(step.seconds)
            elif isinstance(step, Say):
                await self._say(step.text)
            elif isinstance(step, Call):
                await self._send(self._encoder.call(step))
            else:
                apply_response(self._session, step)
                await self._send(self._encoder.result(step))
        return False

    def finish(self) -> None:
        """Apply the outcome of every tool that has not reported yet."""
        steps = self._plan.steps
        while self._position < len(steps):
            step = steps[self._position]
            self._position += 1
            if isinstance(step, Respond):
                apply_response(self._session, step)

    async def write(self, wire: bytes) -> None:
        """Put SSE bytes (lines ending in `\\n`) on the wire as the config says."""
        wire = wire.replace(b"\n", LINE_ENDINGS[self._config.line_ending])
        size = self._config.write_bytes
        if size <= 0:
            await self._response.write(wire)
            return
        for start in range(0, len(wire), size):
            await self._response.write(wire[start : start + size])
            await asyncio.sleep(0)  # let the client read this piece on its own

    async def _send(self, payload: dict[str, Any]) -> None:
        await self.write(frame(payload))
        self.events_sent += 1

    async def _say(self, text: str) -> None:
        if self._partial:
            chunks = split_partials(text, max(1, self._config.partial_chunks))
            for index, chunk in enumerate(chunks):
                if index:
                    await self._pause(self._config.partial_interval_seconds)
                await self._send(self._encoder.text(chunk, partial=True))
        await self._send(self._encoder.text(text))

    async def _pause(self, seconds: float) -> None:
        interval = max(self._config.heartbeat_seconds, 0.001)
        heartbeat = HEARTBEATS[self._config.heartbeat_style]
        remaining = seconds
        while remaining > 0:
            step = min(interval, remaining)
            await asyncio.sleep(step)
            remaining -= step
            if remaining > 1e-9:
                await self.write(heartbeat)
