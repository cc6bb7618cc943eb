"""nemobot's Prometheus metrics, kept in a registry of their own (METRICS_PORT serves them).

Built once at start-up and passed to what reports into it: the engine (turns), the
NemoVideo client (its failures, through `nemo_error`) and the Discord edge (every REST
answer, through `discord_response`). Counting is cheap and always on; serving is off
unless METRICS_PORT is set.

Per process: `nemobot_live_turns`, `nemobot_turn_duration_seconds`,
`nemobot_discord_requests_total`, `nemobot_discord_rate_limited_total`,
`nemobot_nemovideo_errors_total`. Database-wide (the same on every process, read at each
scrape by `refresh`): `nemobot_renders` by state, and for the renders that ended in the
last hour `nemobot_render_duration_seconds` (quantiles) and `nemobot_renders_ended`.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from bot.core.records import RenderState
from bot.core.store_counts import EndedRender
from bot.nemo.errors import NemoError

#: A turn streams for seconds to minutes (NemoVideo allows up to 15).
TURN_BUCKETS = (1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0)
#: How far back `nemobot_render_duration_seconds` looks.
RECENT_RENDERS = timedelta(hours=1)
QUANTILES = (0.5, 0.9, 0.99)


class RenderCounts(Protocol):
    """What `refresh` reads (the `Store` has it)."""

    async def count_renders_by_state(self) -> dict[RenderState, int]: ...

    async def renders_ended_since(self, since: datetime) -> list[EndedRender]: ...


class Telemetry:
    """The metrics, and the Prometheus text of them (`exposition`)."""

    def __init__(self, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.registry = CollectorRegistry()
        self._now = now
        r = self.registry
        self._live_turns = Gauge(
            "nemobot_live_turns", "Turns this process is running now", registry=r
        )
        self._turns = Histogram(
            "nemobot_turn_duration_seconds",
            "How long a turn took, from its status message to its end, by how it ended",
            ["status"],
            buckets=TURN_BUCKETS,
            registry=r,
        )
        self._discord = Counter(
            "nemobot_discord_requests",
            "REST requests this process made to Discord (writes are POST, PATCH, PUT and "
            "DELETE), by method and HTTP status",
            ["method", "status"],
            registry=r,
        )
        self._rate_limited = Counter(
            "nemobot_discord_rate_limited",
            "429 answers from Discord, by X-RateLimit-Scope (user, global, shared; "
            "none: without the header, e.g. from a proxy)",
            ["scope"],
            registry=r,
        )
        self._nemo_errors = Counter(
            "nemobot_nemovideo_errors",
            "NemoVideo failures this process met, by type and code (the business code, "
            "else the HTTP status, else none: not answered)",
            ["error", "code"],
            registry=r,
        )
        self._renders = Gauge(
            "nemobot_renders", "Renders in the database, by state", ["state"], registry=r
        )
        self._render_seconds = Gauge(
            "nemobot_render_duration_seconds",
            "How long the renders that ended in the last hour took, from submission to "
            "their end (delivered: posted), by end state and quantile",
            ["state", "quantile"],
            registry=r,
        )
        self._renders_ended = Gauge(
            "nemobot_renders_ended",
            "Renders that ended in the last hour, by end state",
            ["state"],
            registry=r,
        )

    # ----- what reports in -----------------------------------------------------------

    def live_turns_from(self, count: Callable[[], int]) -> None:
        """Read the live turns from `count` at each scrape."""
        self._live_turns.set_function(count)

    def turn_finished(self, status: str, seconds: float) -> None:
        self._turns.labels(status).observe(seconds)

    def nemo_error(self, error: NemoError) -> None:
        code = error.code if error.code is not None else error.status
        self._nemo_errors.labels(type(error).__name__, str(code) if code else "none").inc()

    def discord_response(self, method: str, status: int, scope: str | None = None) -> None:
        self._discord.labels(method.upper(), str(status)).inc()
        if status == 429:
            self._rate_limited.labels(scope or "none").inc()

    # ----- serving -------------------------------------------------------------------

    async def refresh(self, store: RenderCounts) -> None:
        """Read the database-wide numbers (call before each scrape)."""
        for state, count in (await store.count_renders_by_state()).items():
            self._renders.labels(state.value).set(count)
        ended = await store.renders_ended_since(self._now() - RECENT_RENDERS)
        by_state: dict[RenderState, list[float]] = defaultdict(list)
        for render in ended:
            by_state[render.state].append(render.seconds)
        self._render_seconds.clear()
        self._renders_ended.clear()
        for state, seconds in sorted(by_state.items()):
            self._renders_ended.labels(state.value).set(len(seconds))
            for q in QUANTILES:
                self._render_seconds.labels(state.value, str(q)).set(_quantile(seconds, q))

    def exposition(self) -> tuple[bytes, str]:
        """The metrics in Prometheus's text format, and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def _quantile(values: list[float], q: float) -> float:
    """The `q` quantile of `values` (inclusive method: a single value is every quantile)."""
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[round(q * 100) - 1]
