"""The fake's gateway websocket (v10, JSON encoding, optional zlib-stream transport compression).

A connection gets HELLO; IDENTIFY creates a session and is answered with READY and one
GUILD_CREATE; HEARTBEAT gets HEARTBEAT_ACK; RESUME replays what the session missed and sends
RESUMED. Events are delivered per session as Discord does: in sequence, filtered by the
intents given at IDENTIFY (message content is blanked without MESSAGE_CONTENT unless the bot
wrote or is mentioned in the message), buffered while a session is disconnected.

Sharding: an IDENTIFY with `shard: [id, count]` makes a session of that shard. As Discord
does, a guild and its events (anything with a `guild_id`, or a GUILD_* event about it) go
only to the sessions of shard `(guild_id >> 22) % count`, and events of no guild (direct
messages) only to shard 0; a session without `shard` gets everything. A shard id not below
the count is closed with 4010 (Invalid shard).

Compression: discord.py 2.7.1 asks for `compress=zlib-stream` (or `zstd-stream` when the
`zstandard` package is importable). zlib-stream is honoured: one zlib stream per connection,
every message ends with a Z_SYNC_FLUSH. Any other value gets plain text frames, which
discord.py also accepts (it only decompresses binary frames).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakediscord.guild import guild_create_payload
from tests.fakediscord.state import JSON, DiscordState

log = logging.getLogger(__name__)

# Intent bits.
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
GUILD_MESSAGE_TYPING = 1 << 11
MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT

# Application flags that say which privileged intents are switched on.
_INTENT_APP_FLAGS = {GUILD_PRESENCES: 1 << 12, GUILD_MEMBERS: 1 << 14, MESSAGE_CONTENT: 1 << 18}

_EVENT_INTENTS = {
    "GUILD_CREATE": GUILDS, "GUILD_UPDATE": GUILDS, "GUILD_DELETE": GUILDS,
    "CHANNEL_CREATE": GUILDS, "CHANNEL_UPDATE": GUILDS, "CHANNEL_DELETE": GUILDS,
    "THREAD_CREATE": GUILDS, "THREAD_UPDATE": GUILDS, "THREAD_DELETE": GUILDS,
    "THREAD_LIST_SYNC": GUILDS, "THREAD_MEMBER_UPDATE": GUILDS,
    "GUILD_ROLE_CREATE": GUILDS, "GUILD_ROLE_UPDATE": GUILDS, "GUILD_ROLE_DELETE": GUILDS,
    "GUILD_MEMBER_ADD": GUILD_MEMBERS, "GUILD_MEMBER_UPDATE": GUILD_MEMBERS,
    "GUILD_MEMBER_REMOVE": GUILD_MEMBERS, "THREAD_MEMBERS_UPDATE": GUILD_MEMBERS,
    "MESSAGE_CREATE": GUILD_MESSAGES, "MESSAGE_UPDATE": GUILD_MESSAGES,
    "MESSAGE_DELETE": GUILD_MESSAGES, "MESSAGE_DELETE_BULK": GUILD_MESSAGES,
    "MESSAGE_REACTION_ADD": GUILD_MESSAGE_REACTIONS,
    "MESSAGE_REACTION_REMOVE": GUILD_MESSAGE_REACTIONS,
    "TYPING_START": GUILD_MESSAGE_TYPING,
}
_CONTENT_FIELDS = ("content", "embeds", "attachments", "components", "poll")


@dataclass(frozen=True)
class GatewayFrame:
    """One gateway message, as sent ("out") or received ("in"); tokens are redacted."""

    direction: str
    op: int
    t: str | None
    s: int | None
    d: Any


class _Connection:
    """One websocket; serialises sends so compressed frames stay in order."""

    def __init__(self, ws: web.WebSocketResponse, compression: str | None) -> None:
        self.ws = ws
        self.compression = compression
        self._zlib = zlib.compressobj() if compression == "zlib-stream" else None
        self._lock = asyncio.Lock()
        self.session: GatewaySession | None = None

    async def send(self, payload: JSON) -> None:
        text = json.dumps(payload, separators=(",", ":"))
        async with self._lock:
            if self.ws.closed:
                return
            try:
                if self._zlib is None:
                    await self.ws.send_str(text)
                else:
                    data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                    await self.ws.send_bytes(data)
            except ConnectionError:
                # The client went away mid-send; the session buffer still holds the event.
                log.debug("gateway connection lost while sending")


@dataclass
class GatewaySession:
    """A gateway session: survives its connection so that RESUME can replay missed events."""

    session_id: str
    intents: int
    seq: int = 0
    buffer: list[JSON] = field(default_factory=list)
    connection: _Connection | None = None
    #: (shard id, shard count) from IDENTIFY; None for an unsharded session.
    shard: tuple[int, int] | None = None

    def owns(self, guild_id: int | None) -> bool:
        """Whether Discord would send this guild's events (None: a DM's) to this session."""
        if self.shard is None:
            return True
        shard_id, count = self.shard
        if guild_id is None:
            return shard_id == 0
        return (guild_id >> 22) % count == shard_id


def _guild_of(event: str, data: JSON) -> int | None:
    """The guild an event is about, as Discord routes it to a shard (None: no guild)."""
    raw = data.get("guild_id")
    if raw is None and event.startswith("GUILD_") and "id" in data:
        raw = data["id"]
    return int(raw) if raw is not None else None


class Gateway:
    """Websocket handler plus the sessions it serves."""

    def __init__(self, state: DiscordState, *, token: str, url: Callable[[], str],
                 heartbeat_interval_ms: int, allowed_privileged_intents: int,
                 on_frame: Callable[[GatewayFrame], None]) -> None:
        self._state = state
        self._token = token
        self._url = url
        self._heartbeat_interval_ms = heartbeat_interval_ms
        self._allowed_privileged = allowed_privileged_intents
        self._on_frame = on_frame
        self._connections: list[_Connection] = []
        self.sessions: dict[str, GatewaySession] = {}
        self.identify_payloads: list[JSON] = []
        self.compression_requested: list[str | None] = []
        self.close_codes: list[int | None] = []  # as the client closed (or answered a close)
        self.server_close_codes: list[int] = []  # the fake closed connections with these
        self.resume_count = 0
        self.heartbeat_count = 0

    @property
    def application_flags(self) -> int:
        allowed = self._allowed_privileged
        return sum(flag for bit, flag in _INTENT_APP_FLAGS.items() if allowed & bit)

    @property
    def connected(self) -> int:
        return sum(1 for c in self._connections if c.session is not None and not c.ws.closed)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        compression = request.query.get("compress")
        self.compression_requested.append(compression)
        connection = _Connection(ws, compression)
        self._connections.append(connection)
        try:
            if request.query.get("encoding", "json") != "json":
                await self._close(connection, 4002, b"Only JSON encoding is supported")
                return ws
            await self._send(connection, {"op": 10, "d": {
                "heartbeat_interval": self._heartbeat_interval_ms, "_trace": ["fake-gateway"]}})
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    continue
                payload = json.loads(message.data)
                self._record("in", payload)
                await self._on_payload(connection, payload)
        finally:
            self._connections.remove(connection)
            self.close_codes.append(ws.close_code)
            if connection.session is not None and connection.session.connection is connection:
                connection.session.connection = None
        return ws

    async def _on_payload(self, connection: _Connection, payload: JSON) -> None:
        op, data = payload.get("op"), payload.get("d")
        if op == 1:
            self.heartbeat_count += 1
            await self._send(connection, {"op": 11})
        elif op == 2:
            await self._identify(connection, data or {})
        elif op == 6:
            await self._resume(connection, data or {})
        elif op == 8:
            await self._member_chunk(connection, data or {})
        elif op in (3, 4):
            pass  # presence and voice state updates are recorded, nothing more
        else:
            await self._close(connection, 4001, b"Unknown opcode")

    async def _identify(self, connection: _Connection, data: JSON) -> None:
        redacted = {k: v for k, v in data.items() if k != "token"}
        self.identify_payloads.append(redacted)
        if connection.session is not None:
            await self._close(connection, 4005, b"Already authenticated")
            return
        if data.get("token") != self._token:
            await self._close(connection, 4004, b"Authentication failed")
            return
        intents = data.get("intents")
        if not isinstance(intents, int):
            await self._close(connection, 4013, b"Invalid intent(s)")
            return
        if intents & PRIVILEGED_INTENTS & ~self._allowed_privileged:
            await self._close(connection, 4014, b"Disallowed intent(s)")
            return
        shard = data.get("shard")
        if shard is not None and not (
            isinstance(shard, list) and len(shard) == 2
            and all(isinstance(n, int) for n in shard) and 0 <= shard[0] < shard[1]
        ):
            await self._close(connection, 4010, b"Invalid shard")
            return
        session = GatewaySession(uuid.uuid4().hex, intents, connection=connection,
                                 shard=(shard[0], shard[1]) if shard is not None else None)
        self.sessions[session.session_id] = session
        connection.session = session
        owns_guild = session.owns(self._state.guild_id)
        guilds = [{"id": str(self._state.guild_id), "unavailable": True}] if owns_guild else []
        ready: JSON = {
            "v": 10,
            "user": {**self._state.bot_user.payload(), "verified": True, "mfa_enabled": False,
                     "email": None},
            "guilds": guilds,
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self._url(),
            "application": {"id": str(self._state.application_id),
                            "flags": self.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "auth": {},
            "user_settings": {},
            "_trace": ["fake-gateway"],
        }
        if "shard" in data:
            ready["shard"] = data["shard"]
        await self._deliver(session, "READY", ready)
        if owns_guild:
            await self._deliver(session, "GUILD_CREATE", guild_create_payload(self._state))

    async def _resume(self, connection: _Connection, data: JSON) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or data.get("token") != self._token:
            await self._send(connection, {"op": 9, "d": False})
            return
        self.resume_count += 1
        session.connection = connection
        connection.session = session
        last_seen = data.get("seq") or 0
        for payload in session.buffer:
            if payload["s"] > last_seen:
                await self._send(connection, payload)
        await self._deliver(session, "RESUMED", {"_trace": ["fake-gateway"]})

    async def _member_chunk(self, connection: _Connection, data: JSON) -> None:
        if connection.session is None or not connection.session.owns(self._state.guild_id):
            return
        members = [self._state.member_payload(u) for u in self._state.users.values()]
        chunk: JSON = {"guild_id": str(self._state.guild_id), "members": members,
                       "chunk_index": 0, "chunk_count": 1, "not_found": []}
        if "nonce" in data:
            chunk["nonce"] = data["nonce"]
        await self._deliver(connection.session, "GUILD_MEMBERS_CHUNK", chunk)

    async def dispatch(self, event: str, data: JSON) -> int:
        """Send an event to every session whose shard and intents take it; returns how many
        got it."""
        delivered = 0
        guild_id = _guild_of(event, data)
        for session in list(self.sessions.values()):
            if not session.owns(guild_id):
                continue
            shaped = self._shape_for(session, event, data)
            if shaped is not None:
                await self._deliver(session, event, shaped)
                delivered += 1
        return delivered

    def _shape_for(self, session: GatewaySession, event: str, data: JSON) -> JSON | None:
        needed = _EVENT_INTENTS.get(event, 0)
        if needed and not session.intents & needed:
            return None
        if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE") and not session.intents & MESSAGE_CONTENT:
            bot_id = str(self._state.bot_user.id)
            authored = data.get("author", {}).get("id") == bot_id
            mentioned = any(m.get("id") == bot_id for m in data.get("mentions", []))
            if not (authored or mentioned):
                data = dict(data)
                for key in _CONTENT_FIELDS:
                    if key in data:
                        data[key] = "" if key == "content" else []
        return data

    async def _deliver(self, session: GatewaySession, event: str, data: JSON) -> None:
        session.seq += 1
        payload = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.buffer.append(payload)
        if session.connection is not None:
            await self._send(session.connection, payload)

    async def _send(self, connection: _Connection, payload: JSON) -> None:
        payload.setdefault("s", None)
        payload.setdefault("t", None)
        payload.setdefault("d", None)
        self._record("out", payload)
        await connection.send(payload)

    def _record(self, direction: str, payload: JSON) -> None:
        data = payload.get("d")
        if isinstance(data, dict) and "token" in data:
            data = {**data, "token": "<redacted>"}
        self._on_frame(GatewayFrame(direction, payload.get("op", -1), payload.get("t"),
                                    payload.get("s"), data))

    async def close_connections(self, code: int = 4000, message: bytes = b"") -> None:
        """Close every open websocket from the server side (4000 lets discord.py RESUME)."""
        for connection in list(self._connections):
            await self._close(connection, code, message)

    async def _close(self, connection: _Connection, code: int, message: bytes) -> None:
        self.server_close_codes.append(code)
        await connection.ws.close(code=code, message=message)
