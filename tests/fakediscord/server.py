"""`FakeDiscord`: a small Discord (REST under `/api/v10` plus the gateway) on 127.0.0.1.

    async with run_fake_discord() as fake:
        with discord_endpoints(fake.api_base, fake.gateway_url):   # see wiring.py
            ...start a real discord.py client with token fake.token...
        await fake.send_message(fake.text_channel_id, fake.alice, "hello")
        await fake.wait_for(lambda: fake.find_requests("POST", "/channels/{channel_id}/messages"))
        assert fake.schema_violations == []

Every request is recorded (`requests`), checked against Discord's OpenAPI description when it
is available (`schema_violations`), and routes the fake does not know answer 501 (never 500:
discord.py retries 5xx for about 25 s) and are listed in `unknown_routes`.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.fakediscord import rest_messages
from tests.fakediscord.gateway import PRIVILEGED_INTENTS, Gateway, GatewayFrame
from tests.fakediscord.guild import initial_state
from tests.fakediscord.http_app import API_PREFIX, build_app
from tests.fakediscord.interactions import (
    InteractionRecord,
    component_payload,
    modal_submit_payload,
    slash_command_payload,
)
from tests.fakediscord.openapi import OpenAPIValidator, SchemaViolation, load_validator
from tests.fakediscord.ratelimit import ForcedRateLimit, GlobalLimiter, MessageWriteLimiter
from tests.fakediscord.recording import RecordedRequest
from tests.fakediscord.state import JSON, PUBLIC_THREAD, FakeFile, FakeUser


class FakeDiscord:
    """The fake's world, its server and everything tests read or trigger.

    Start it with `run_fake_discord(...)`. Knobs: `message_rate_limit` (writes, seconds) per
    channel; `global_rate_limit` (requests, seconds) for the whole bot, off by default;
    `advertise_rate_limits=False` hides that bucket from the headers (the client only
    learns from 429s); `premium_tier` / `upload_limit_bytes` set the upload limit;
    `interaction_ack_seconds` / `interaction_token_seconds` the interaction windows;
    `allowed_privileged_intents` the intents switched on in the "developer portal";
    `old_message_edits_per_hour` the budget for editing messages older than an hour (Discord
    does not publish its number; age a message with `age_message`); `recommended_shards`
    what GET /gateway/bot recommends (the gateway routes events by shard, see gateway.py).
    """

    def __init__(self, *, token: str = "fake-bot-token",
                 message_rate_limit: tuple[int, float] = (5, 5.0),
                 global_rate_limit: tuple[int, float] | None = None,
                 advertise_rate_limits: bool = True,
                 heartbeat_interval_ms: int = 41_250,
                 premium_tier: int = 0,
                 upload_limit_bytes: int | None = None,
                 interaction_ack_seconds: float = 3.0,
                 interaction_token_seconds: float = 15 * 60.0,
                 allowed_privileged_intents: int = PRIVILEGED_INTENTS,
                 old_message_edits_per_hour: int = 3,
                 recommended_shards: int = 1,
                 openapi_path: Path | None = None,
                 validate_openapi: bool = True) -> None:
        self.token = token
        self.advertise_rate_limits = advertise_rate_limits
        self.interaction_ack_seconds = interaction_ack_seconds
        self.interaction_token_seconds = interaction_token_seconds
        self.old_message_edits_per_hour = old_message_edits_per_hour
        self.recommended_shards = recommended_shards
        self.old_message_edit_times: list[float] = []
        #: Messages created with `enforce_nonce`: (channel, author, nonce) → (id, when).
        self.nonces: dict[tuple[int, int, str], tuple[int, float]] = {}
        #: When set, a message with files waits for this event before it is stored (to stop
        #: the bot in the middle of an upload); `held_uploads` counts the ones that waited.
        self.hold_uploads: asyncio.Event | None = None
        self.held_uploads = 0
        #: The same, after the message is stored and before the answer (the bot never
        #: learns that its post landed).
        self.hold_answers: asyncio.Event | None = None
        self.held_answers = 0
        self.url = ""
        self.state = initial_state(premium_tier, upload_limit_bytes)
        self.requests: list[RecordedRequest] = []
        self.unknown_routes: list[RecordedRequest] = []
        self.schema_violations: list[SchemaViolation] = []
        self.schema_checked = 0  # request bodies checked against the OpenAPI description
        self.fake_violations: list[SchemaViolation] = []
        self.internal_errors: list[str] = []
        self.gateway_frames: list[GatewayFrame] = []
        self.interactions: dict[int, InteractionRecord] = {}
        self.rate_limited_count = 0
        self.invalid_request_count = 0
        self.forced_rate_limits: list[ForcedRateLimit] = []
        self.message_limiter = MessageWriteLimiter(*message_rate_limit, clock=self.clock)
        self.global_limiter = (
            GlobalLimiter(*global_rate_limit, clock=self.clock) if global_rate_limit else None)
        self.gateway = Gateway(self.state, token=token, url=lambda: self.gateway_url,
                               heartbeat_interval_ms=heartbeat_interval_ms,
                               allowed_privileged_intents=allowed_privileged_intents,
                               on_frame=self.gateway_frames.append)
        self.schema_skip_reason: str | None = "OpenAPI validation switched off"
        self.validator: OpenAPIValidator | None = None
        if validate_openapi:
            self.validator, self.schema_skip_reason = load_validator(openapi_path)
        self._runner: web.AppRunner | None = None

    # -- addresses and well-known objects -------------------------------------------------

    @property
    def api_base(self) -> str:
        """What `DISCORD_API_BASE_URL` should be: `http://127.0.0.1:PORT/api/v10`."""
        return self.url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """What `DISCORD_GATEWAY_URL` should be: `ws://127.0.0.1:PORT/gateway`."""
        return self.url.replace("http://", "ws://", 1) + "/gateway"

    @property
    def bot_user(self) -> FakeUser:
        return self.state.bot_user

    @property
    def application_id(self) -> int:
        return self.state.application_id

    @property
    def guild_id(self) -> int:
        return self.state.guild_id

    @property
    def text_channel_id(self) -> int:
        """The `#studio` text channel."""
        return self._channel_named("studio")

    @property
    def alice(self) -> FakeUser:
        """A member with the "Video Makers" role; the default author and invoker."""
        return self.user("alice")

    @property
    def bob(self) -> FakeUser:
        """A member without extra roles."""
        return self.user("bob")

    @property
    def video_makers_role_id(self) -> int:
        return next(int(r["id"]) for r in self.state.roles.values()
                    if r["name"] == "Video Makers")

    def user(self, username: str) -> FakeUser:
        return next(u for u in self.state.users.values() if u.username == username)

    def _channel_named(self, name: str) -> int:
        return next(int(c["id"]) for c in self.state.channels.values() if c["name"] == name)

    @staticmethod
    def clock() -> float:
        return time.monotonic()

    # -- reading what happened --------------------------------------------------------------

    def find_requests(self, method: str | None = None, route: str | None = None, *,
                      path: str | None = None, status: int | None = None) -> list[RecordedRequest]:
        """Recorded requests by method, route template (`/channels/{channel_id}/messages`),
        path regex (full match, relative to the API base) and status."""
        pattern = re.compile(path) if path else None
        return [r for r in self.requests
                if (method is None or r.method == method)
                and (route is None or r.route == route)
                and (pattern is None or pattern.fullmatch(r.path))
                and (status is None or r.status == status)]

    def messages_in(self, channel_id: int) -> list[JSON]:
        """Messages of a channel or thread, oldest first."""
        return self.state.messages_in(channel_id)

    def message(self, message_id: int | str) -> JSON:
        return self.state.messages[int(message_id)]

    def message_age_seconds(self, message_id: int | str) -> float:
        return self.clock() - self.state.message_born[int(message_id)]

    def age_message(self, message_id: int | str, seconds: float) -> None:
        """Make a message `seconds` older (for the "older than an hour" edit budget)."""
        self.state.message_born[int(message_id)] -= seconds

    def attachment_bytes(self, attachment_id: int | str) -> bytes:
        return self.state.attachments[int(attachment_id)].data

    def interaction_by_token(self, token: str) -> InteractionRecord | None:
        return next((r for r in self.interactions.values() if r.token == token), None)

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Poll `predicate` until it returns something truthy (and return that); the error
        lists the last requests, which is usually what explains the wait."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if loop.time() >= deadline:
                recent = self.requests[-5:]
                raise TimeoutError(f"condition not met within {timeout} s; last requests: {recent}")
            await asyncio.sleep(0.01)

    # -- switches -----------------------------------------------------------------------------

    def force_rate_limit(self, count: int = 1, *, method: str | None = None,
                         route: str | None = None, retry_after: float = 0.1,
                         is_global: bool = False, via: bool = True) -> None:
        """Answer the next `count` requests matching `method` and `route` (a template or a
        path regex, relative to the API base) with 429. `via=False` drops the `Via` header:
        discord.py then treats the 429 as a Cloudflare ban and raises instead of retrying."""
        pattern = None
        if route:
            pattern = re.compile(re.escape(route) if "{" in route else route)
        self.forced_rate_limits.append(
            ForcedRateLimit(method, pattern, count, retry_after, is_global, via))

    # -- acting as Discord's users ------------------------------------------------------------

    def add_member(self, username: str, *, role_ids: Iterable[int] = (),
                   global_name: str | None = None) -> FakeUser:
        """A new guild member (known to the bot from its next GUILD_CREATE)."""
        user = FakeUser(self.state.ids.next(), username, global_name)
        return self.state.add_member(user, list(role_ids))

    async def dispatch(self, event: str, data: JSON) -> int:
        """Send a gateway event to every session; returns how many sessions received it."""
        return await self.gateway.dispatch(event, data)

    async def add_thread(self, parent_id: int | None = None, name: str = "session", *,
                         owner: FakeUser | None = None, archived: bool = False) -> JSON:
        """A public thread some user created (THREAD_CREATE is dispatched)."""
        thread = self.state.add_thread(parent_id or self.text_channel_id, name,
                                       owner=owner or self.alice, thread_type=PUBLIC_THREAD,
                                       archived=archived)
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return thread

    async def send_message(self, channel_id: int, author: FakeUser | None, content: str,
                           attachments: Iterable[FakeFile] = (), *,
                           reply_to: int | None = None) -> JSON:
        """A user posts a message (MESSAGE_CREATE); attachments are served by the fake CDN."""
        author = author or self.alice
        stored = [self.state.store_attachment(channel_id, f) for f in attachments]
        extra: JSON = {}
        if reply_to is not None:
            extra["message_reference"] = {"type": 0, "message_id": str(reply_to),
                                          "channel_id": str(channel_id),
                                          "guild_id": str(self.guild_id)}
            extra["referenced_message"] = self.state.messages.get(reply_to)
        message = self.state.create_message(channel_id, author, content, attachments=stored,
                                            message_type=19 if reply_to else 0, extra=extra)
        await self.dispatch("MESSAGE_CREATE", self.state.gateway_message(message))
        return message

    async def invoke_slash(self, name: str, options: Mapping[str, Any] | None = None,
                           channel_id: int | None = None, user: FakeUser | None = None,
                           locale: str = "en-US") -> InteractionRecord:
        """A user runs `/name` (INTERACTION_CREATE). Option values: str, int, float, bool,
        `FakeFile` (an attachment option) or `FakeUser`; types come from the registered
        command when there is one."""
        channel = rest_messages.channel_or_404(self, channel_id or self.text_channel_id)
        user = user or self.alice
        payload, token = slash_command_payload(self.state, name, options or {}, channel, user,
                                               locale)
        return await self._deliver_interaction(payload, token, channel, user, None)

    async def click_component(self, message_id: int, custom_id: str, *,
                              user: FakeUser | None = None, component_type: int = 2,
                              values: list[str] | None = None,
                              locale: str = "en-US") -> InteractionRecord:
        """A user clicks a button (or picks from a select) on one of the bot's messages."""
        message = self.state.messages[int(message_id)]
        channel = rest_messages.channel_or_404(self, message["channel_id"])
        user = user or self.alice
        payload, token = component_payload(self.state, message, custom_id, channel, user,
                                           component_type, values, locale)
        return await self._deliver_interaction(payload, token, channel, user, int(message_id))

    async def submit_modal(self, custom_id: str, fields: Mapping[str, str], *,
                           channel_id: int | None = None, user: FakeUser | None = None,
                           locale: str = "en-US") -> InteractionRecord:
        """A user submits a modal the bot opened."""
        channel = rest_messages.channel_or_404(self, channel_id or self.text_channel_id)
        user = user or self.alice
        payload, token = modal_submit_payload(self.state, custom_id, fields, channel, user,
                                              locale)
        opener = next((r for r in reversed(self.interactions.values())
                       if r.modal and r.modal.get("custom_id") == custom_id), None)
        return await self._deliver_interaction(payload, token, channel, user, None,
                                               triggered_by=opener)

    async def _deliver_interaction(self, payload: JSON, token: str, channel: JSON,
                                   user: FakeUser, message_id: int | None, *,
                                   triggered_by: InteractionRecord | None = None
                                   ) -> InteractionRecord:
        record = InteractionRecord(int(payload["id"]), token, payload, self.clock(),
                                   int(channel["id"]), user, message_id=message_id,
                                   triggered_by=triggered_by)
        self.interactions[record.id] = record
        await self.dispatch("INTERACTION_CREATE", payload)
        return record

    async def close_gateway(self, code: int = 4000) -> None:
        """Drop every gateway connection from the server side (4000: the client resumes)."""
        await self.gateway.close_connections(code)

    # -- server ---------------------------------------------------------------------------

    async def start(self) -> None:
        self._runner = web.AppRunner(build_app(self), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        self.state.base_url = self.url

    async def stop(self) -> None:
        await self.gateway.close_connections(1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

@asynccontextmanager
async def run_fake_discord(**options: Any) -> AsyncIterator[FakeDiscord]:
    """Start a `FakeDiscord` on a free loopback port (options: see `FakeDiscord`)."""
    fake = FakeDiscord(**options)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
