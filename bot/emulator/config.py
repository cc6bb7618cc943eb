"""Knobs of the NemoVideo emulator: timings, wire variants and behaviour switches.

The defaults give a pleasant offline experience (turns of a few seconds, small renders).
Tests use `turn_scale=0.0` and a small `render_seconds` so every turn is instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

HeartbeatStyle = Literal["comment", "empty", "typed"]
LineEnding = Literal["lf", "crlf", "cr"]
WireFormat = Literal["adk", "typed", "flat"]
RenderShape = Literal["A", "B", "superset"]
BusinessStatus = Literal["http200", "http4xx"]

MAX_UPLOAD_BYTES = 200 * 1024 * 1024


@dataclass
class EmulatorConfig:
    """How the emulator behaves. Every field has a realistic default."""

    render_seconds: float = 2.0
    """A render goes pending -> processing -> completed over this long."""
    turn_scale: float = 0.02
    """Multiplies realistic turn durations (text 5-15 s, edit 10-30 s, generation
    100-300 s): 0.02 makes a generation turn last 2-6 s; 0.0 makes every turn instant."""
    heartbeat_seconds: float = 0.5
    """Interval between heartbeats while a turn waits."""
    heartbeat_style: HeartbeatStyle = "comment"
    """`: heartbeat`, an empty `data:` line, or `data: {"type":"heartbeat"}`."""
    line_ending: LineEnding = "lf"
    """How SSE lines end: `\\n`, `\\r\\n` or `\\r` (the SSE spec allows all three)."""
    write_bytes: int = 0
    """Above 0: the stream goes out in writes of this many bytes, cut anywhere (inside a
    line, a line ending or a UTF-8 character), as a slow network may deliver it."""
    wire_format: WireFormat = "adk"
    """ADK events, typed events (`{"type":"text",…}`) or flat `{"text":…}`."""
    partial_text: bool = False
    """ADK streaming: text arrives as `partial` chunks, then one final aggregated event."""
    partial_chunks: int = 3
    """With partial text: how many chunks each text is cut into (at spaces)."""
    partial_interval_seconds: float = 0.0
    """With partial text: the wait between two chunks, so a long reply streams over time."""
    echo_chat: bool = False
    """Plain chat replies begin by quoting the user's message (to test relayed text)."""
    reply_repeat: int = 1
    """Plain chat replies say everything this many times over (a long reply, to test
    splitting and pacing)."""
    silent_edit_rate: float = 0.3
    """Chance that an edit turn streams tool calls only, without any text."""
    render_shape: RenderShape = "A"
    """Render poll response shape (nemovideo-api.md §9.2)."""
    large_render: bool = False
    """Renders a big MP4 (> 10 MiB), to exercise delivery by link."""
    output_url: str | None = None
    """The `outputUrl` a finished render names instead of this server's own `/files/`
    link (e.g. `file:///etc/passwd`, or another service), to test what the bot fetches."""
    require_attribution: bool = True
    """Render submit answers HTTP 402 when an X-Skill-* header is missing."""
    business_status: BusinessStatus = "http200"
    """HTTP status that comes with a business code != 0 (http4xx: 1001→401, 1002→404,
    2001→402, 4001→415, 4002→413)."""
    anonymous_can_render: bool = True
    """False: render submit answers HTTP 402 for anonymous tokens (free plan)."""
    seed: int | None = None
    """Seed for every random choice (ids, silent edits, music), for repeatable runs."""
    recorded_requests: int = 200
    """How many of the latest requests `EmulatorState.requests` keeps (with their times)."""
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    """Uploads above this many bytes (per file) answer 4002."""
    anonymous_credits: int = 100
    registered_credits: int = 10000
    generation_cost: int = 100
    edit_cost: int = 50
    chat_cost: int = 1
