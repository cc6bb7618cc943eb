"""The fake Discord's world: one guild, its channels, threads, members, messages and commands.

Everything is kept as Discord's own JSON shapes (plain dicts, ids as strings on the wire) so
that handlers can return them as they are. Ids are real snowflakes made from the current
time, so `discord.utils.snowflake_time()` and "older than an hour" checks behave.
"""

from __future__ import annotations

import copy
import itertools
import mimetypes
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

JSON = dict[str, Any]

DISCORD_EPOCH_MS = 1420070400000
DEFAULT_UPLOAD_LIMIT_BYTES = 10 * 1024 * 1024
PREMIUM_UPLOAD_LIMIT_BYTES = {0: DEFAULT_UPLOAD_LIMIT_BYTES, 1: DEFAULT_UPLOAD_LIMIT_BYTES,
                              2: 50 * 1024 * 1024, 3: 100 * 1024 * 1024}

# Channel types (Discord's numbers).
GUILD_TEXT = 0
GUILD_CATEGORY = 4
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
THREAD_TYPES = (10, PUBLIC_THREAD, PRIVATE_THREAD)

# Message flags.
FLAG_HAS_THREAD = 1 << 5
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7

# Permission bits granted to @everyone: what a text-and-threads bot needs.
_TEXT_PERMISSIONS = (
    (1 << 6)  # ADD_REACTIONS
    | (1 << 10)  # VIEW_CHANNEL
    | (1 << 11)  # SEND_MESSAGES
    | (1 << 14)  # EMBED_LINKS
    | (1 << 15)  # ATTACH_FILES
    | (1 << 16)  # READ_MESSAGE_HISTORY
    | (1 << 18)  # USE_EXTERNAL_EMOJIS
    | (1 << 31)  # USE_APPLICATION_COMMANDS
    | (1 << 35)  # CREATE_PUBLIC_THREADS
    | (1 << 38)  # SEND_MESSAGES_IN_THREADS
)
EVERYONE_PERMISSIONS = _TEXT_PERMISSIONS
# The bot's role adds MANAGE_THREADS and CREATE_PRIVATE_THREADS.
BOT_PERMISSIONS = _TEXT_PERMISSIONS | (1 << 34) | (1 << 36)

_USER_MENTION = re.compile(r"<@!?(\d+)>")


def number_components(components: list[JSON]) -> list[JSON]:
    """A copy of `components` where each one has a numeric `id`, as Discord assigns them
    (depth first, from 1, skipping ids the sender chose)."""
    copied: list[JSON] = copy.deepcopy(components)
    taken: set[int] = set()
    flat: list[JSON] = []

    def walk(items: list[JSON]) -> None:
        for item in items:
            flat.append(item)
            if isinstance(item.get("id"), int):
                taken.add(item["id"])
            walk(item.get("components") or [])
            if isinstance(item.get("accessory"), dict):
                walk([item["accessory"]])

    walk(copied)
    counter = itertools.count(1)
    for item in flat:
        if not isinstance(item.get("id"), int):
            item["id"] = next(n for n in counter if n not in taken)
    return copied


def iso_now() -> str:
    """The current UTC time the way Discord writes timestamps."""
    return datetime.now(UTC).isoformat()


class Snowflakes:
    """Makes unique, increasing snowflakes from the current time."""

    def __init__(self) -> None:
        self._counter = itertools.count()

    def next(self) -> int:
        millis = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (millis << 22) | (next(self._counter) & 0xFFF)


@dataclass(frozen=True)
class FakeUser:
    """A Discord user of the fake world (the bot itself or a person)."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def payload(self) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "username": self.username,
            "global_name": self.global_name,
            "discriminator": "0",
            "avatar": None,
            "public_flags": 0,
            "flags": 0,
            "primary_guild": None,
            "avatar_decoration_data": None,
            "collectibles": None,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass(frozen=True)
class FakeFile:
    """A file a fake user attaches: to a message (`send_message`) or a slash-command option."""

    filename: str
    data: bytes
    content_type: str | None = None

    def guessed_content_type(self) -> str:
        guessed = mimetypes.guess_type(self.filename)[0]
        return self.content_type or guessed or "application/octet-stream"


@dataclass
class Attachment:
    """Bytes the fake holds for an attachment, served back from its CDN route."""

    id: int
    filename: str
    data: bytes
    content_type: str


@dataclass
class DiscordState:
    """All mutable state of the fake. Handlers and test helpers both go through it."""

    base_url: str
    bot_user: FakeUser
    application_id: int
    guild_id: int
    owner: FakeUser
    premium_tier: int = 0
    upload_limit_bytes: int | None = None
    ids: Snowflakes = field(default_factory=Snowflakes)
    users: dict[int, FakeUser] = field(default_factory=dict)
    member_roles: dict[int, list[int]] = field(default_factory=dict)
    roles: dict[int, JSON] = field(default_factory=dict)
    channels: dict[int, JSON] = field(default_factory=dict)
    messages: dict[int, JSON] = field(default_factory=dict)
    channel_message_ids: dict[int, list[int]] = field(default_factory=dict)
    message_born: dict[int, float] = field(default_factory=dict)  # time.monotonic() at creation
    attachments: dict[int, Attachment] = field(default_factory=dict)
    #: Attachment file names whose CDN download sends a few bytes, then stalls.
    stalled_attachments: set[str] = field(default_factory=set)
    global_commands: list[JSON] = field(default_factory=list)
    guild_commands: dict[int, list[JSON]] = field(default_factory=dict)
    joined_at: str = field(default_factory=iso_now)

    @property
    def filesize_limit(self) -> int:
        """Largest file, in bytes, this guild accepts per upload."""
        if self.upload_limit_bytes is not None:
            return self.upload_limit_bytes
        return PREMIUM_UPLOAD_LIMIT_BYTES.get(self.premium_tier, DEFAULT_UPLOAD_LIMIT_BYTES)

    # -- people -----------------------------------------------------------------------------

    def add_member(self, user: FakeUser, role_ids: list[int] | None = None) -> FakeUser:
        self.users[user.id] = user
        self.member_roles[user.id] = list(role_ids or [])
        return user

    def member_payload(self, user: FakeUser) -> JSON:
        return {
            "user": user.payload(),
            "nick": None,
            "avatar": None,
            "banner": None,
            "roles": [str(r) for r in self.member_roles.get(user.id, [])],
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }

    def permissions_of(self, user: FakeUser) -> int:
        value = int(self.roles[self.guild_id]["permissions"])
        for role_id in self.member_roles.get(user.id, []):
            value |= int(self.roles[role_id]["permissions"])
        return value

    def add_role(self, name: str, permissions: int, *, managed: bool = False,
                 bot_id: int | None = None, role_id: int | None = None) -> JSON:
        role_id = role_id or self.ids.next()
        role: JSON = {
            "id": str(role_id),
            "name": name,
            "permissions": str(permissions),
            "position": len(self.roles),
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "managed": managed,
            "mentionable": False,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }
        if bot_id is not None:
            role["tags"] = {"bot_id": str(bot_id)}
        self.roles[role_id] = role
        return role

    # -- channels and threads ---------------------------------------------------------------

    def add_text_channel(self, name: str, *, parent_id: int | None = None,
                         channel_type: int = GUILD_TEXT) -> JSON:
        channel_id = self.ids.next()
        channel: JSON = {
            "id": str(channel_id),
            "type": channel_type,
            "guild_id": str(self.guild_id),
            "name": name,
            "position": len(self.channels),
            "permission_overwrites": [],
            "parent_id": str(parent_id) if parent_id else None,
            "flags": 0,
            "nsfw": False,
        }
        if channel_type == GUILD_TEXT:
            channel.update({
                "topic": None,
                "last_message_id": None,
                "rate_limit_per_user": 0,
                "default_auto_archive_duration": 1440,
                "default_thread_rate_limit_per_user": 0,
                "last_pin_timestamp": None,
            })
        self.channels[channel_id] = channel
        return channel

    def add_thread(self, parent_id: int, name: str, *, owner: FakeUser,
                   thread_type: int = PUBLIC_THREAD, thread_id: int | None = None,
                   auto_archive_duration: int = 1440, archived: bool = False,
                   invitable: bool = True) -> JSON:
        thread_id = thread_id or self.ids.next()
        now = iso_now()
        metadata: JSON = {
            "archived": archived,
            "archive_timestamp": now,
            "auto_archive_duration": auto_archive_duration,
            "locked": False,
            "create_timestamp": now,
        }
        if thread_type == PRIVATE_THREAD:
            metadata["invitable"] = invitable
        thread: JSON = {
            "id": str(thread_id),
            "type": thread_type,
            "guild_id": str(self.guild_id),
            "parent_id": str(parent_id),
            "owner_id": str(owner.id),
            "name": name,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "thread_metadata": metadata,
        }
        self.channels[thread_id] = thread
        return thread

    def channel(self, channel_id: int) -> JSON | None:
        return self.channels.get(channel_id)

    def thread_member_payload(self, thread_id: int, user: FakeUser) -> JSON:
        return {"id": str(thread_id), "user_id": str(user.id), "join_timestamp": iso_now(),
                "flags": 0}

    # -- messages ---------------------------------------------------------------------------

    def store_attachment(self, channel_id: int, file: FakeFile, *, ephemeral: bool = False) -> JSON:
        """Keep the bytes and return the attachment object that points at the fake's CDN."""
        attachment_id = self.ids.next()
        content_type = file.guessed_content_type()
        self.attachments[attachment_id] = Attachment(attachment_id, file.filename, file.data,
                                                     content_type)
        url = f"{self.base_url}/attachments/{channel_id}/{attachment_id}/{file.filename}"
        payload: JSON = {
            "id": str(attachment_id),
            "filename": file.filename,
            "size": len(file.data),
            "url": url,
            "proxy_url": url,
            "content_type": content_type,
        }
        if ephemeral:
            payload["ephemeral"] = True
        return payload

    def create_message(self, channel_id: int, author: FakeUser, content: str = "", *,
                       attachments: list[JSON] | None = None, embeds: list[JSON] | None = None,
                       components: list[JSON] | None = None, flags: int = 0,
                       message_type: int = 0, extra: JSON | None = None) -> JSON:
        """Store a new message and return its payload (as the REST API returns it)."""
        message_id = self.ids.next()
        message: JSON = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "author": author.payload(),
            "content": content,
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": self._mentions(content),
            "mention_roles": [],
            "attachments": attachments or [],
            "embeds": copy.deepcopy(embeds or []),
            "components": number_components(components or []),
            "pinned": False,
            "type": message_type,
            "flags": flags,
        }
        message.update(extra or {})
        self.messages[message_id] = message
        self.message_born[message_id] = time.monotonic()
        self.channel_message_ids.setdefault(channel_id, []).append(message_id)
        channel = self.channels.get(channel_id)
        if channel is not None:
            channel["last_message_id"] = str(message_id)
            if channel["type"] in THREAD_TYPES:
                channel["message_count"] += 1
                channel["total_message_sent"] += 1
                message["position"] = channel["total_message_sent"]
        return message

    def edit_message(self, message: JSON, changes: JSON) -> JSON:
        for key in ("content", "embeds", "attachments"):
            if key in changes and changes[key] is not None:
                message[key] = copy.deepcopy(changes[key])
        if changes.get("components") is not None:
            message["components"] = number_components(changes["components"])
        if "content" in changes:
            message["mentions"] = self._mentions(message["content"])
        message["edited_timestamp"] = iso_now()
        return message

    def delete_message(self, message: JSON) -> None:
        message_id = int(message["id"])
        self.messages.pop(message_id, None)
        ids = self.channel_message_ids.get(int(message["channel_id"]), [])
        if message_id in ids:
            ids.remove(message_id)

    def messages_in(self, channel_id: int) -> list[JSON]:
        """Messages of a channel, oldest first."""
        return [self.messages[m] for m in self.channel_message_ids.get(channel_id, [])]

    def gateway_message(self, message: JSON) -> JSON:
        """The payload of MESSAGE_CREATE / MESSAGE_UPDATE: REST shape plus guild and member."""
        data = dict(message)
        data["guild_id"] = str(self.guild_id)
        author = self.users.get(int(message["author"]["id"]))
        if author is not None and "webhook_id" not in message:
            member = self.member_payload(author)
            member.pop("user")
            data["member"] = member
        return data

    def _mentions(self, content: str) -> list[JSON]:
        found = []
        for raw_id in dict.fromkeys(_USER_MENTION.findall(content or "")):
            user = self.users.get(int(raw_id))
            if user is not None:
                found.append(user.payload())
        return found
