"""What one `/run_sse` event means (a pure module, no I/O; httpx-sse reads the wire).

NemoVideo's stream format is not documented for sure, so every variant seen is accepted
(nemovideo-api.md §5.3): ADK events (`content.parts[].text`, `functionCall`,
`functionResponse`, `partial`), typed events (`{"type": "text", "content": …}`,
`tool_call`, `tool_result`, `heartbeat`), and a flat `{"text": …}`. Heartbeats (empty
`data:` lines, heartbeat events; httpx-sse already drops `: …` comments) mean nothing for
the user; `data: {"error": …}` is a StreamError.

    parse_event(event, data)   one SSE event → TextEvent | ToolCall | ToolResult
                               | StreamError, or None when it holds nothing for the user
    PartialTextFilter          drops the final text that repeats already shown partial chunks
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Event",
    "PartialTextFilter",
    "StreamError",
    "TextEvent",
    "ToolCall",
    "ToolResult",
    "parse_event",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TextEvent:
    """Text for the user. `partial` chunks are later repeated by a final aggregated event."""

    text: str
    partial: bool = False


@dataclass(frozen=True, slots=True)
class ToolCall:
    name: str
    args: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ToolResult:
    name: str
    response: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StreamError:
    """`data: {"error": …}` and friends. `code` is the business code when one was sent
    (e.g. 2001 in the middle of a turn), so the error can be mapped like any response."""

    message: str
    code: int | None = None


Event = TextEvent | ToolCall | ToolResult | StreamError


# --- parsing one event -------------------------------------------------------------------

#: Event names and `type`s that mean "still alive".
_HEARTBEATS = frozenset({"heartbeat", "ping", "keepalive", "keep-alive"})
#: Markers some servers send to say "no more": nothing for the user.
_END_MARKERS = frozenset({"[DONE]"})
_QUIET_TYPES = _HEARTBEATS | {"thought", "thinking", "done", "end", "turn_complete", "status"}


def parse_event(event: str, data: str) -> Event | None:
    """What one SSE event means for the user, or None when it carries nothing for them.

    `event` is the SSE `event:` field ("message" or "" when absent); `data` is its `data:`
    lines joined by newlines. Heartbeats (None): the names `heartbeat`/`ping`, empty data
    and `{"type": "heartbeat"}`. Data that is not JSON is text. Model "thought" parts are never
    returned. An ADK event with several parts yields one event: its text (all text parts
    concatenated) if it has any, else its first function call, else its first function
    response.
    """
    name = event.strip().lower()
    if name in _HEARTBEATS or not data.strip() or data.strip() in _END_MARKERS:
        return None
    try:
        payload = json.loads(data)
    except (ValueError, RecursionError):
        log.debug("SSE data is not JSON (%d chars); treating it as text", len(data))
        return StreamError(data.strip()) if name == "error" else TextEvent(data)
    if name == "error":
        return StreamError(_error_message(payload) or "stream error", _error_code(payload))
    if isinstance(payload, dict):
        return _parse_object(payload)
    if isinstance(payload, str):
        return TextEvent(payload) if payload else None
    if isinstance(payload, int | float) and not isinstance(payload, bool):
        return TextEvent(data.strip())
    log.debug("SSE data is JSON %s, not an event; ignored", type(payload).__name__)
    return None


def _parse_object(payload: dict[str, Any]) -> Event | None:
    kind = payload.get("type")
    if isinstance(kind, str) and kind.strip().lower() in _TYPED_KINDS:
        return _parse_typed(kind.strip().lower(), payload)
    if payload.get("error"):
        code = _error_code(payload["error"]) or _error_code(payload)
        return StreamError(_error_message(payload["error"]) or "stream error", code)
    adk_error = _first_str(payload, "errorMessage", "error_message", "errorCode", "error_code")
    if adk_error:
        return StreamError(adk_error, _error_code(payload))
    partial = payload.get("partial") is True
    content = payload.get("content")
    if isinstance(content, dict):
        return _parse_adk_content(content, partial)
    if isinstance(content, str) and content and not payload.get("thought"):
        return TextEvent(content, partial)
    text = payload.get("text")
    if isinstance(text, str) and text and not payload.get("thought"):
        return TextEvent(text, partial)
    log.debug("SSE event with keys %s carries nothing to show", sorted(payload)[:8])
    return None


_TOOL_CALL_TYPES = frozenset({"tool_call", "function_call"})
_TOOL_RESULT_TYPES = frozenset({"tool_result", "function_response"})
_TYPED_KINDS = (
    _QUIET_TYPES
    | _TOOL_CALL_TYPES
    | _TOOL_RESULT_TYPES
    | frozenset({"text", "error"})
)


def _parse_typed(kind: str, payload: dict[str, Any]) -> Event | None:
    """`{"type": …}` events (nemovideo-api.md §5.3 variant 2), `kind` one of `_TYPED_KINDS`."""
    if kind == "text":
        if payload.get("thought"):
            return None
        text = _first_str(payload, "content", "text", "delta")
        return TextEvent(text, payload.get("partial") is True) if text else None
    if kind in _TOOL_CALL_TYPES:
        args = _first_present(payload, "args", "arguments", "input", "parameters")
        return ToolCall(_tool_name(payload), _as_object(args, "value"))
    if kind in _TOOL_RESULT_TYPES:
        result = _first_present(payload, "result", "response", "output", "content")
        if result is None and payload.get("error"):
            return ToolResult(_tool_name(payload), {"error": payload["error"]})
        return ToolResult(_tool_name(payload), _as_object(result, "result"))
    if kind == "error":
        message = _error_message(payload.get("error")) or _first_str(
            payload, "message", "content", "detail"
        )
        return StreamError(
            message or "stream error", _error_code(payload.get("error")) or _error_code(payload)
        )
    return None  # _QUIET_TYPES: heartbeats, thoughts, end markers


def _parse_adk_content(content: dict[str, Any], partial: bool) -> Event | None:
    """An ADK `Content`: text wins over function calls, which win over responses."""
    parts = content.get("parts")
    if not isinstance(parts, list):
        return None
    texts: list[str] = []
    call: ToolCall | None = None
    result: ToolResult | None = None
    for part in parts:
        if not isinstance(part, dict) or part.get("thought") is True:
            continue
        text = part.get("text")
        if isinstance(text, str):
            texts.append(text)
        fc = part.get("functionCall", part.get("function_call"))
        if call is None and isinstance(fc, dict):
            call = ToolCall(_tool_name(fc), _as_object(fc.get("args"), "value"))
        fr = part.get("functionResponse", part.get("function_response"))
        if result is None and isinstance(fr, dict):
            result = ToolResult(_tool_name(fr), _as_object(fr.get("response"), "result"))
    joined = "".join(texts)
    if joined:
        return TextEvent(joined, partial)
    return call or result


def _tool_name(payload: dict[str, Any]) -> str:
    return _first_str(payload, "name", "tool", "tool_name") or ""


def _first_present(payload: dict[str, Any], *keys: str) -> object:
    for key in keys:
        if payload.get(key) is not None:
            return payload[key]
    return None


def _first_str(payload: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = payload.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _as_object(value: object, key: str) -> dict[str, Any]:
    """Tool args/results as a dict: JSON-encoded strings are decoded, scalars wrapped."""
    if value is None:
        return {}
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except (ValueError, RecursionError):
            decoded = value
        value = decoded
    if isinstance(value, dict):
        return value
    return {key: value}


def _error_message(value: object) -> str:
    """The readable part of `"error": "…"`, `{"error": {"message": …}}` and the like."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        nested = _first_str(value, "message", "error", "detail", "errorMessage", "msg")
        if nested:
            return nested
        inner = value.get("error")
        if isinstance(inner, dict):
            return _error_message(inner)
        code = value.get("code", value.get("errorCode"))
        return f"error {code}" if code is not None else ""
    if value is None or isinstance(value, bool):
        return ""
    return str(value)


# --- partial text ---------------------------------------------------------------------------


class PartialTextFilter:
    """Drops the final text event that only repeats the partial chunks already passed on.

    ADK in streaming mode sends `partial: true` chunks, then one final event with the whole
    text. Feed every event in order: partial chunks and non-text events pass through; a final
    text equal to the chunks seen since the last final is dropped, and a final that extends
    them yields only the unseen remainder (as a final event). Anything else passes unchanged.
    """

    def __init__(self) -> None:
        self._chunks: list[str] = []

    def feed(self, ev: Event) -> Event | None:
        if not isinstance(ev, TextEvent):
            return ev
        if ev.partial:
            self._chunks.append(ev.text)
            return ev
        if not self._chunks:
            return ev
        seen = "".join(self._chunks)
        self._chunks.clear()
        if ev.text.startswith(seen):
            rest = ev.text[len(seen) :]
            return TextEvent(rest) if rest else None
        if ev.text.strip() == seen.strip():
            return None
        return ev


def _error_code(value: object) -> int | None:
    """A numeric business code from an error object (`code`, `errorCode`, `error_code`)."""
    if not isinstance(value, dict):
        return None
    for key in ("code", "errorCode", "error_code"):
        raw = value.get(key)
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().isdigit():
            return int(raw.strip())
    return None
