"""Rate limits of the fake: Discord's per-channel message budget and forced 429s.

Optionally (`global_rate_limit`), every request authenticated with the bot token counts
towards a global budget; past it the answer is a global 429, as Discord gives it.

Message writes (POST, PATCH and DELETE of channel messages) share one fixed-window bucket per
channel: `limit` writes, then 429 until the window that began with the first write ends.
Responses describe that bucket in `X-RateLimit-*` headers (one bucket hash for all three
routes, so discord.py shares its bucket too) unless `advertise` is off, which mimics a
limit the client cannot see coming (discord.py then only learns from the 429).

A 429 carries what discord.py needs to trust and retry it: a JSON body with `retry_after`,
and a `Via` header (without `Via` discord.py assumes a Cloudflare ban and gives up).
"""

from __future__ import annotations

import math
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

MESSAGE_WRITE_BUCKET = "fake-message-writes"
FORCED_BUCKET = "fake-forced"


@dataclass(frozen=True)
class Budget:
    """The state of a bucket as the headers tell it."""

    limit: int
    remaining: int
    reset_after: float
    bucket: str


def rate_limit_headers(budget: Budget) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(budget.limit),
        "X-RateLimit-Remaining": str(budget.remaining),
        "X-RateLimit-Reset": f"{time.time() + budget.reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{budget.reset_after:.3f}",
        "X-RateLimit-Bucket": budget.bucket,
    }


def too_many_requests(retry_after: float, budget: Budget, *, is_global: bool = False,
                      via: bool = True) -> tuple[dict[str, object], dict[str, str]]:
    """Body and headers of a 429 the way Discord sends it."""
    body: dict[str, object] = {
        "message": "You are being rate limited.",
        "retry_after": round(retry_after, 3),
        "global": is_global,
        "code": 0,
    }
    headers = rate_limit_headers(budget)
    headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    headers["X-RateLimit-Scope"] = "global" if is_global else "user"
    if is_global:
        headers["X-RateLimit-Global"] = "true"
    if via:
        headers["Via"] = "1.1 google"
    return body, headers


@dataclass
class _Window:
    started: float
    count: int


class MessageWriteLimiter:
    """Fixed-window budget of message writes per channel."""

    def __init__(self, limit: int, window_seconds: float, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._windows: dict[int, _Window] = {}

    def _window(self, channel_id: int) -> _Window:
        now = self._clock()
        window = self._windows.get(channel_id)
        if window is None or now - window.started >= self.window_seconds:
            window = self._windows[channel_id] = _Window(now, 0)
        return window

    def budget(self, channel_id: int) -> Budget:
        window = self._window(channel_id)
        reset_after = max(0.0, window.started + self.window_seconds - self._clock())
        if window.count == 0:
            reset_after = self.window_seconds
        return Budget(self.limit, max(0, self.limit - window.count), reset_after,
                      MESSAGE_WRITE_BUCKET)

    def try_write(self, channel_id: int) -> Budget | None:
        """Spend one write. Returns the budget after it, or None when the bucket is empty."""
        window = self._window(channel_id)
        if window.count >= self.limit:
            return None
        if window.count == 0:
            window.started = self._clock()
        window.count += 1
        return self.budget(channel_id)


class GlobalLimiter:
    """Discord's global budget: `limit` requests per bot in any `window_seconds` (sliding,
    the strictest reading), not counting interaction callbacks and webhooks."""

    def __init__(self, limit: int, window_seconds: float, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._recent: deque[float] = deque()

    def try_request(self) -> float | None:
        """Count one request; None when allowed, else the seconds until one would be."""
        now = self._clock()
        while self._recent and now - self._recent[0] >= self.window_seconds:
            self._recent.popleft()
        if len(self._recent) >= self.limit:
            return self._recent[0] + self.window_seconds - now
        self._recent.append(now)
        return None


@dataclass
class ForcedRateLimit:
    """`remaining` more requests matching this rule are answered 429."""

    method: str | None
    path: re.Pattern[str] | None
    remaining: int
    retry_after: float
    is_global: bool
    via: bool

    def matches(self, method: str, path: str, route: str | None) -> bool:
        if self.remaining <= 0:
            return False
        if self.method is not None and self.method != method:
            return False
        if self.path is None:
            return True
        return bool(self.path.fullmatch(path) or (route and self.path.fullmatch(route)))
