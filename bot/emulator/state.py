"""Everything the emulator remembers: users, tokens, sessions, renders, faults, counters.

One `EmulatorState` lives for the life of an app. It is plain data plus a few operations
that keep it consistent (issuing tokens, freezing credits); the HTTP layer decides what
to answer. Time comes from `clock` (epoch seconds), so a test can move it forward.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bot.emulator.config import EmulatorConfig

TOKEN_TTL_SECONDS = 7 * 24 * 3600
REGISTERED_TOKEN_PREFIX = "nmv_usr_registered_"

#: Share of a render's time spent `pending` before it turns `processing`.
PENDING_SHARE = 0.15

FAULT_NAMES = frozenset(
    {
        "expired_token",
        "token_rejected",
        "session_missing",
        "no_credits",
        "unsupported_file",
        "file_too_large",
        "export_blocked",
        "turn_unsupported_file",
        "turn_file_too_large",
        "turn_plan_refused",
        "rate_limited",
        "drop_stream",
        "stream_error",
        "token_expires_mid_stream",
        "silent_edit",
        "trailing_issue",
        "render_failure",
        "slow_render",
        "duplicate_render_id",
        "download_failure",
        "server_error",
        "unsized_download",
        "stalled_download",
    }
)

RenderStatus = Literal["pending", "processing", "completed", "failed"]


@dataclass
class User:
    """An account: anonymous (`anon_…`, one per client id) or registered."""

    user_id: str
    anonymous: bool
    available: int
    frozen: int = 0
    client_id: str | None = None

    @property
    def total(self) -> int:
        return self.available + self.frozen


@dataclass
class Token:
    value: str
    user: User
    expires_at: float | None
    """Epoch seconds; None for registered tokens, which do not expire."""
    renewable: bool = False
    """Set once the backend has told the client this token expired (the `expired_token`
    fault): the client may then get a new one for its client id without a 429."""

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at


@dataclass
class Session:
    """A task with its agent session: the draft and the media it knows about."""

    session_id: str
    task_id: str
    task_name: str
    language: str
    user_id: str
    draft: dict[str, Any] = field(default_factory=dict)
    video_infos: list[dict[str, Any]] = field(default_factory=list)
    generated_media: list[dict[str, Any]] = field(default_factory=list)
    canvas_config: dict[str, Any] = field(
        default_factory=lambda: {"width": 1920, "height": 1080, "ratio": "16:9"}
    )

    def state_payload(self) -> dict[str, Any]:
        """The `data.state` object of `GET /api/state/…/latest`."""
        return {
            "video_infos": list(self.video_infos),
            "draft": self.draft,
            "canvas_config": dict(self.canvas_config),
            "video_analyses": {},
            "generated_media": list(self.generated_media),
        }


@dataclass
class Render:
    """One export job. Its status is a function of time, the media task and the faults."""

    render_id: str
    user_id: str
    session_id: str | None
    created_at: float
    duration_seconds: float
    will_fail: bool = False
    cancelled_at: float | None = None
    path: Path | None = None
    size_bytes: int | None = None
    video_seconds: float | None = None
    media_error: str | None = None
    media_done_at: float | None = None

    def status_at(self, now: float) -> tuple[RenderStatus, int, str | None]:
        """(status, progress 0-100, error) as a poll at `now` would see them."""
        if self.cancelled_at is not None:
            return "failed", self._progress(self.cancelled_at), "Render cancelled"
        elapsed = now - self.created_at
        if elapsed < self.duration_seconds * PENDING_SHARE and self.duration_seconds > 0:
            return "pending", 5, None
        if elapsed < self.duration_seconds:
            return "processing", self._progress(now), None
        if self.will_fail:
            return "failed", self._progress(now), "Render failed: the render worker timed out"
        if self.media_error is not None:
            return "failed", 99, f"Render failed: {self.media_error}"
        if self.media_done_at is None:
            return "processing", 99, None
        return "completed", 100, None

    def finished_at(self) -> float:
        """When the job ended (epoch seconds); meaningful once it is finished."""
        if self.cancelled_at is not None:
            return self.cancelled_at
        end = self.created_at + self.duration_seconds
        return max(end, self.media_done_at or end)

    def _progress(self, now: float) -> int:
        if self.duration_seconds <= 0:
            return 99
        share = (now - self.created_at) / self.duration_seconds
        return max(10, min(99, int(10 + 89 * share)))


class Faults:
    """Named one-shot (or permanent, times=-1) misbehaviours, consumed as they fire."""

    def __init__(self) -> None:
        self._remaining: dict[str, int] = {}

    def set(self, name: str, times: int = 1) -> None:
        if name not in FAULT_NAMES:
            raise ValueError(f"unknown fault {name!r}; known: {', '.join(sorted(FAULT_NAMES))}")
        if times == 0:
            self._remaining.pop(name, None)
        else:
            self._remaining[name] = times

    def take(self, name: str) -> bool:
        """True when `name` is armed; uses up one of its times."""
        left = self._remaining.get(name, 0)
        if left == 0:
            return False
        if left > 0:
            if left == 1:
                del self._remaining[name]
            else:
                self._remaining[name] = left - 1
        return True

    def clear(self) -> None:
        self._remaining.clear()

    def snapshot(self) -> dict[str, int]:
        return dict(self._remaining)


@dataclass
class Counters:
    token_requests: int = 0
    sessions: int = 0
    turns: int = 0
    uploads: int = 0
    renders: int = 0


@dataclass(frozen=True)
class RequestRecord:
    """One request as seen by the emulator; the Authorization value is never kept."""

    method: str
    path: str
    headers: dict[str, str | None]
    authorization: bool
    #: When it arrived (epoch seconds, the real clock even when a test moves `clock`).
    at: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "headers": dict(self.headers),
            "authorization": self.authorization,
            "at": self.at,
        }


class EmulatorState:
    """The emulator's memory. Tests may read it and adjust it directly."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.clock: Callable[[], float] = time.time
        self.users_by_client: dict[str, User] = {}
        self.users: dict[str, User] = {}
        self.tokens: dict[str, Token] = {}
        self.sessions: dict[str, Session] = {}
        self.renders: dict[str, Render] = {}
        self.faults = Faults()
        #: When set, session creation waits for it (tests: a session still being created).
        self.session_gate: asyncio.Event | None = None
        self.counters = Counters()
        self.requests: deque[RequestRecord] = deque(maxlen=config.recorded_requests)

    # -- ids -------------------------------------------------------------------------

    def new_hex(self, length: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(length))

    def new_token_value(self) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        return "nmv_usr_" + "".join(self.rng.choice(alphabet) for _ in range(40))

    def new_session_id(self) -> str:
        return str(self.rng.randrange(10**18, 10**19))

    # -- tokens ----------------------------------------------------------------------

    def valid_token_for_client(self, client_id: str) -> Token | None:
        """The client's anonymous token if it is still valid (then a new one is refused)."""
        user = self.users_by_client.get(client_id)
        if user is None:
            return None
        now = self.clock()
        for token in self.tokens.values():
            if token.user is user and not token.expired(now) and not token.renewable:
                return token
        return None

    def issue_anonymous_token(self, client_id: str) -> Token:
        """A 7-day token for the client's anonymous user (created with its free credits)."""
        user = self.users_by_client.get(client_id)
        if user is None:
            user = User(
                user_id=f"anon_{self.new_hex(16)}",
                anonymous=True,
                available=self.config.anonymous_credits,
                client_id=client_id,
            )
            self.users_by_client[client_id] = user
            self.users[user.user_id] = user
        token = Token(self.new_token_value(), user, self.clock() + TOKEN_TTL_SECONDS)
        self.tokens[token.value] = token
        return token

    def lookup_token(self, value: str) -> Token | None:
        """The token, known or registered-by-form (`nmv_usr_registered_*`), else None."""
        token = self.tokens.get(value)
        if (
            token is None
            and value.startswith(REGISTERED_TOKEN_PREFIX)
            and len(value) > len(REGISTERED_TOKEN_PREFIX)
        ):
            user = User(
                user_id=f"user_{self.new_hex(12)}",
                anonymous=False,
                available=self.config.registered_credits,
            )
            self.users[user.user_id] = user
            token = Token(value, user, None)
            self.tokens[value] = token
        return token

    # -- sessions --------------------------------------------------------------------

    def create_session(self, user: User, task_name: str, language: str) -> Session:
        session = Session(
            session_id=self.new_session_id(),
            task_id=f"task_{self.new_hex(16)}",
            task_name=task_name,
            language=language,
            user_id=user.user_id,
        )
        self.sessions[session.session_id] = session
        self.counters.sessions += 1
        return session

    def session_of(self, user: User, session_id: str) -> Session | None:
        session = self.sessions.get(session_id)
        if session is None or session.user_id != user.user_id:
            return None
        return session

    # -- credits ---------------------------------------------------------------------

    @staticmethod
    def freeze(user: User, amount: int) -> None:
        user.available -= amount
        user.frozen += amount

    @staticmethod
    def deduct(user: User, amount: int) -> None:
        user.frozen -= amount

    @staticmethod
    def refund(user: User, amount: int) -> None:
        user.frozen -= amount
        user.available += amount

    # -- requests --------------------------------------------------------------------

    def record(self, record: RequestRecord) -> None:
        self.requests.append(record)

    def stats(self) -> dict[str, Any]:
        """The `GET /_emulator/stats` body."""
        return {
            "token_requests": self.counters.token_requests,
            "sessions": self.counters.sessions,
            "turns": self.counters.turns,
            "uploads": self.counters.uploads,
            "renders": self.counters.renders,
            "faults": self.faults.snapshot(),
            "requests": [r.to_json() for r in self.requests],
        }
