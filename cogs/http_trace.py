"""The metrics' view of discord.py's HTTP session: every REST answer counted.

Added to the one `aiohttp.TraceConfig` discord.py takes (`DiscordPort.http_trace()`, which
also tells the budgets when a request leaves).
"""

from __future__ import annotations

from types import SimpleNamespace

import aiohttp

from bot.core.telemetry import Telemetry

#: The gateway's websocket upgrade goes through the same session; it is not a request.
SWITCHING_PROTOCOLS = 101


def count_answers(trace: aiohttp.TraceConfig, telemetry: Telemetry) -> aiohttp.TraceConfig:
    """Count each answer in `telemetry` by method and status, and each 429 by its
    X-RateLimit-Scope; returns `trace`."""

    async def on_request_end(
        session: aiohttp.ClientSession,
        context: SimpleNamespace,
        params: aiohttp.TraceRequestEndParams,
    ) -> None:
        status = params.response.status
        if status != SWITCHING_PROTOCOLS:
            scope = params.response.headers.get("X-RateLimit-Scope")
            telemetry.discord_response(params.method, status, scope)

    trace.on_request_end.append(on_request_end)
    return trace
