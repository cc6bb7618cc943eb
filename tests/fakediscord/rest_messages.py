"""REST routes for channels, messages and threads.

Message bodies are checked the way Discord checks them (2000 characters of content, embed
limits, the upload size limit, no empty messages) and every change is echoed on the gateway
(MESSAGE_CREATE / MESSAGE_UPDATE / MESSAGE_DELETE / THREAD_CREATE / THREAD_UPDATE), including
the bot's own messages, as Discord does.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakediscord.recording import ParsedBody, UploadedFile
from tests.fakediscord.responses import (
    EMPTY_MESSAGE,
    REQUEST_TOO_LARGE,
    THREAD_LOCKED,
    UNKNOWN_CHANNEL,
    UNKNOWN_MESSAGE,
    DiscordError,
    field_error,
    json_response,
    no_content,
)
from tests.fakediscord.state import (
    FLAG_EPHEMERAL,
    FLAG_HAS_THREAD,
    GUILD_TEXT,
    JSON,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    THREAD_TYPES,
    FakeFile,
    FakeUser,
    iso_now,
)

if TYPE_CHECKING:
    from tests.fakediscord.server import FakeDiscord

MAX_CONTENT_CHARS = 2000
MAX_EMBEDS = 10
MAX_EMBED_DESCRIPTION_CHARS = 4096
MAX_EMBED_TOTAL_CHARS = 6000
_FILE_FIELD = re.compile(r"files\[(\d+)\]|file(\d*)")
_EDITABLE_FLAGS = 1 << 2  # SUPPRESS_EMBEDS is the only flag an edit may change
OLD_MESSAGE_SECONDS = 3600
OLD_MESSAGE_EDITS_TOO_MANY = 30046
#: How long Discord remembers a nonce sent with `enforce_nonce` ("the past few minutes").
NONCE_WINDOW_SECONDS = 5 * 60.0


# -- shared by channel messages and interaction messages ------------------------------------

def channel_or_404(fake: FakeDiscord, channel_id: str | int) -> JSON:
    channel = fake.state.channel(int(channel_id))
    if channel is None:
        raise DiscordError(404, UNKNOWN_CHANNEL, "Unknown Channel")
    return channel


def message_or_404(fake: FakeDiscord, channel_id: int, message_id: str | int) -> JSON:
    message = fake.state.messages.get(int(message_id))
    if message is None or int(message["channel_id"]) != channel_id:
        raise DiscordError(404, UNKNOWN_MESSAGE, "Unknown Message")
    return message


def message_fields(fake: FakeDiscord, channel_id: int, parsed: ParsedBody, *,
                   existing: list[JSON] | None = None, creating: bool) -> JSON:
    """Content, embeds, components, flags and attachments from a message body, checked."""
    body: JSON = parsed.body if isinstance(parsed.body, dict) else {}
    content = body.get("content")
    if content is not None and len(str(content)) > MAX_CONTENT_CHARS:
        raise field_error("content", "BASE_TYPE_MAX_LENGTH",
                          f"Must be {MAX_CONTENT_CHARS} or fewer in length.")
    embeds = body.get("embeds")
    if embeds is not None:
        _check_embeds(embeds)
    for upload in parsed.files:
        if len(upload.data) > fake.state.filesize_limit:
            raise DiscordError(413, REQUEST_TOO_LARGE, "Request entity too large")
    attachments = _attachments(fake, channel_id, body, parsed.files, existing or [])
    fields: JSON = {}
    if content is not None:
        fields["content"] = str(content)
    if embeds is not None:
        fields["embeds"] = embeds
    if body.get("components") is not None:
        fields["components"] = body["components"]
    if creating or "attachments" in body or parsed.files:
        fields["attachments"] = attachments
    fields["flags"] = int(body.get("flags") or 0)
    if creating and not (fields.get("content") or embeds or attachments or fields.get(
            "components") or body.get("sticker_ids") or body.get("poll")):
        raise DiscordError(400, EMPTY_MESSAGE, "Cannot send an empty message")
    return fields


def _check_embeds(embeds: list[Any]) -> None:
    if len(embeds) > MAX_EMBEDS:
        raise field_error("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = 0
    for index, embed in enumerate(embeds):
        description = str(embed.get("description") or "")
        if len(description) > MAX_EMBED_DESCRIPTION_CHARS:
            raise field_error(f"embeds.{index}.description", "BASE_TYPE_MAX_LENGTH",
                              f"Must be {MAX_EMBED_DESCRIPTION_CHARS} or fewer in length.")
        total += len(description) + len(str(embed.get("title") or ""))
        total += sum(len(str(f.get("name", ""))) + len(str(f.get("value", "")))
                     for f in embed.get("fields", []))
        total += len(str((embed.get("footer") or {}).get("text", "")))
        total += len(str((embed.get("author") or {}).get("name", "")))
    if total > MAX_EMBED_TOTAL_CHARS:
        raise field_error("embeds", "MAX_EMBED_SIZE_EXCEEDED",
                          "Embed size exceeds maximum size of 6000")


def _attachments(fake: FakeDiscord, channel_id: int, body: JSON, files: list[UploadedFile],
                 existing: list[JSON]) -> list[JSON]:
    """New uploads become attachments; listed existing ones are kept (edit semantics)."""
    by_index: dict[int, UploadedFile] = {}
    for position, upload in enumerate(files):
        match = _FILE_FIELD.fullmatch(upload.field)
        index = int(match.group(1) or match.group(2) or position) if match else position
        by_index[index] = upload
    kept = {a["id"]: a for a in existing}
    result: list[JSON] = []
    used: set[int] = set()
    listed = body.get("attachments")
    for item in listed if isinstance(listed, list) else []:
        raw_id = item.get("id")
        if raw_id is not None and int(raw_id) in by_index and int(raw_id) not in used:
            upload = by_index[int(raw_id)]
            used.add(int(raw_id))
            filename = item.get("filename") or upload.filename or "file"
            result.append(_store(fake, channel_id, upload, filename, item.get("description")))
        elif raw_id is not None and str(raw_id) in kept:
            result.append(kept[str(raw_id)])
    if not isinstance(listed, list):
        result.extend(existing)
    for index, upload in sorted(by_index.items()):
        if index not in used:
            result.append(_store(fake, channel_id, upload, upload.filename or "file", None))
    return result


def _store(fake: FakeDiscord, channel_id: int, upload: UploadedFile, filename: str,
           description: str | None) -> JSON:
    attachment = fake.state.store_attachment(
        channel_id, FakeFile(filename, upload.data, upload.content_type))
    if description:
        attachment["description"] = description
    return attachment


async def unarchive_for_send(fake: FakeDiscord, channel: JSON) -> None:
    """Sending in an archived thread unarchives it, unless it is locked."""
    if channel["type"] not in THREAD_TYPES or not channel["thread_metadata"]["archived"]:
        return
    if channel["thread_metadata"]["locked"]:
        raise DiscordError(400, THREAD_LOCKED, "Thread is locked")
    channel["thread_metadata"]["archived"] = False
    await fake.dispatch("THREAD_UPDATE", dict(channel))


async def announce_message(fake: FakeDiscord, event: str, message: JSON) -> None:
    """Echo a message on the gateway, except ephemeral ones (only their author sees them)."""
    if not message["flags"] & FLAG_EPHEMERAL:
        await fake.dispatch(event, fake.state.gateway_message(message))


# -- handlers ---------------------------------------------------------------------------------

async def get_channel(fake: FakeDiscord, request: web.Request, parsed: ParsedBody) -> web.Response:
    return json_response(channel_or_404(fake, request.match_info["channel_id"]))


async def modify_channel(fake: FakeDiscord, request: web.Request,
                         parsed: ParsedBody) -> web.Response:
    channel = channel_or_404(fake, request.match_info["channel_id"])
    body: JSON = parsed.body if isinstance(parsed.body, dict) else {}
    for key in ("name", "topic", "rate_limit_per_user", "nsfw"):
        if key in body:
            channel[key] = body[key]
    if channel["type"] in THREAD_TYPES:
        metadata = channel["thread_metadata"]
        for key in ("archived", "locked", "auto_archive_duration", "invitable"):
            if key in body and body[key] is not None:
                metadata[key] = body[key]
        if "archived" in body:
            metadata["archive_timestamp"] = iso_now()
        await fake.dispatch("THREAD_UPDATE", dict(channel))
    else:
        await fake.dispatch("CHANNEL_UPDATE", dict(channel))
    return json_response(channel)


async def list_messages(fake: FakeDiscord, request: web.Request,
                        parsed: ParsedBody) -> web.Response:
    channel = channel_or_404(fake, request.match_info["channel_id"])
    messages = fake.state.messages_in(int(channel["id"]))
    query = request.query
    limit = max(1, min(100, int(query.get("limit", "50"))))
    if "before" in query:
        messages = [m for m in messages if int(m["id"]) < int(query["before"])]
    if "after" in query:
        after = [m for m in messages if int(m["id"]) > int(query["after"])]
        return json_response(list(reversed(after[:limit])))
    if "around" in query:
        around = int(query["around"])
        older = [m for m in messages if int(m["id"]) <= around][-((limit + 1) // 2):]
        newer = [m for m in messages if int(m["id"]) > around][: limit // 2]
        return json_response(list(reversed(older + newer)))
    return json_response(list(reversed(messages[-limit:])))


async def get_message(fake: FakeDiscord, request: web.Request, parsed: ParsedBody) -> web.Response:
    channel = channel_or_404(fake, request.match_info["channel_id"])
    return json_response(message_or_404(fake, int(channel["id"]), request.match_info["message_id"]))


def _nonce_key(fake: FakeDiscord, channel_id: int, body: JSON) -> tuple[int, int, str] | None:
    """Where a nonce is remembered, when the body asks Discord to enforce it."""
    nonce = body.get("nonce")
    if nonce is None or not body.get("enforce_nonce"):
        return None
    return channel_id, fake.state.bot_user.id, str(nonce)


def _repeated_nonce(fake: FakeDiscord, key: tuple[int, int, str] | None) -> JSON | None:
    """The message already created with this nonce in the last few minutes, if any: Discord
    returns it instead of creating a second one."""
    if key is None or key not in fake.nonces:
        return None
    message_id, when = fake.nonces[key]
    if fake.clock() - when > NONCE_WINDOW_SECONDS:
        return None
    return fake.state.messages.get(message_id)


async def create_message(fake: FakeDiscord, request: web.Request,
                         parsed: ParsedBody) -> web.Response:
    channel = channel_or_404(fake, request.match_info["channel_id"])
    channel_id = int(channel["id"])
    nonce_key = _nonce_key(fake, channel_id, parsed.body if isinstance(parsed.body, dict) else {})
    earlier = _repeated_nonce(fake, nonce_key)
    if earlier is not None:
        return json_response(earlier)
    if parsed.files and fake.hold_uploads is not None:
        fake.held_uploads += 1
        await fake.hold_uploads.wait()
        earlier = _repeated_nonce(fake, nonce_key)  # a retry may have landed meanwhile
        if earlier is not None:
            return json_response(earlier)
    fields = message_fields(fake, channel_id, parsed, creating=True)
    await unarchive_for_send(fake, channel)
    extra: JSON = {}
    body: JSON = parsed.body if isinstance(parsed.body, dict) else {}
    reference = body.get("message_reference")
    message_type = 0
    if reference and reference.get("message_id"):
        referenced = fake.state.messages.get(int(reference["message_id"]))
        if referenced is None and reference.get("fail_if_not_exists", True):
            raise field_error("message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                              "Unknown message")
        extra["message_reference"] = {"type": 0, "message_id": str(reference["message_id"]),
                                      "channel_id": str(channel_id),
                                      "guild_id": str(fake.state.guild_id)}
        extra["referenced_message"] = referenced
        message_type = 19 if referenced is not None else 0
    if body.get("nonce") is not None:
        extra["nonce"] = body["nonce"]
    message = fake.state.create_message(channel_id, fake.state.bot_user,
                                        message_type=message_type, extra=extra, **fields)
    if nonce_key is not None:
        fake.nonces[nonce_key] = (int(message["id"]), fake.clock())
    await announce_message(fake, "MESSAGE_CREATE", message)
    if parsed.files and fake.hold_answers is not None:
        fake.held_answers += 1
        await fake.hold_answers.wait()
    return json_response(message)


async def edit_message(fake: FakeDiscord, request: web.Request, parsed: ParsedBody) -> web.Response:
    channel = channel_or_404(fake, request.match_info["channel_id"])
    channel_id = int(channel["id"])
    message = message_or_404(fake, channel_id, request.match_info["message_id"])
    if message["author"]["id"] != str(fake.state.bot_user.id):
        raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
    fields = message_fields(fake, channel_id, parsed, existing=message["attachments"],
                            creating=False)
    _spend_old_message_edit(fake, message)
    message["flags"] = (message["flags"] & ~_EDITABLE_FLAGS) | (fields.pop("flags")
                                                                  & _EDITABLE_FLAGS)
    fake.state.edit_message(message, fields)
    await announce_message(fake, "MESSAGE_UPDATE", message)
    return json_response(message)


def _spend_old_message_edit(fake: FakeDiscord, message: JSON) -> None:
    """Edits of messages older than an hour have a small hourly budget (error 30046)."""
    if fake.message_age_seconds(message["id"]) <= OLD_MESSAGE_SECONDS:
        return
    now = fake.clock()
    fake.old_message_edit_times[:] = [t for t in fake.old_message_edit_times
                                      if now - t < OLD_MESSAGE_SECONDS]
    if len(fake.old_message_edit_times) >= fake.old_message_edits_per_hour:
        raise DiscordError(400, OLD_MESSAGE_EDITS_TOO_MANY,
                           "Maximum number of edits to messages older than 1 hour reached. "
                           "Try again later.")
    fake.old_message_edit_times.append(now)


async def delete_message(fake: FakeDiscord, request: web.Request,
                         parsed: ParsedBody) -> web.Response:
    channel = channel_or_404(fake, request.match_info["channel_id"])
    message = message_or_404(fake, int(channel["id"]), request.match_info["message_id"])
    fake.state.delete_message(message)
    await fake.dispatch("MESSAGE_DELETE", {"id": message["id"], "channel_id": channel["id"],
                                           "guild_id": str(fake.state.guild_id)})
    return no_content()


async def trigger_typing(fake: FakeDiscord, request: web.Request,
                         parsed: ParsedBody) -> web.Response:
    channel_or_404(fake, request.match_info["channel_id"])
    return no_content()


async def add_reaction(fake: FakeDiscord, request: web.Request, parsed: ParsedBody) -> web.Response:
    channel = channel_or_404(fake, request.match_info["channel_id"])
    message = message_or_404(fake, int(channel["id"]), request.match_info["message_id"])
    emoji = request.match_info["emoji"]
    reactions = message.setdefault("reactions", [])
    if not any(r["emoji"]["name"] == emoji for r in reactions):
        reactions.append({"count": 1, "count_details": {"burst": 0, "normal": 1}, "me": True,
                          "me_burst": False, "burst_colors": [],
                          "emoji": {"id": None, "name": emoji}})
    return no_content()


async def join_thread(fake: FakeDiscord, request: web.Request, parsed: ParsedBody) -> web.Response:
    channel = channel_or_404(fake, request.match_info["channel_id"])
    if channel["type"] not in THREAD_TYPES:
        raise DiscordError(400, 50024, "Cannot execute action on this channel type")
    return no_content()


async def create_thread(fake: FakeDiscord, request: web.Request,
                        parsed: ParsedBody) -> web.Response:
    parent = _thread_parent(fake, request.match_info["channel_id"])
    body: JSON = parsed.body if isinstance(parsed.body, dict) else {}
    thread_type = int(body.get("type") or PRIVATE_THREAD)
    return await _open_thread(fake, parent, body, thread_type, None)


async def create_thread_from_message(fake: FakeDiscord, request: web.Request,
                                     parsed: ParsedBody) -> web.Response:
    parent = _thread_parent(fake, request.match_info["channel_id"])
    message = message_or_404(fake, int(parent["id"]), request.match_info["message_id"])
    if "thread" in message:
        raise DiscordError(400, 160004, "A thread has already been created for this message")
    body: JSON = parsed.body if isinstance(parsed.body, dict) else {}
    return await _open_thread(fake, parent, body, PUBLIC_THREAD, message)


def _thread_parent(fake: FakeDiscord, channel_id: str) -> JSON:
    parent = channel_or_404(fake, channel_id)
    if parent["type"] != GUILD_TEXT:
        raise DiscordError(400, 50024, "Cannot execute action on this channel type")
    return parent


async def _open_thread(fake: FakeDiscord, parent: JSON, body: JSON, thread_type: int,
                       message: JSON | None) -> web.Response:
    name = str(body.get("name") or "")
    if not 1 <= len(name) <= 100:
        raise field_error("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    bot: FakeUser = fake.state.bot_user
    thread = fake.state.add_thread(
        int(parent["id"]), name, owner=bot, thread_type=thread_type,
        thread_id=int(message["id"]) if message else None,
        auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
        invitable=bool(body.get("invitable", True)))
    if message is not None:
        message["thread"] = thread
        message["flags"] |= FLAG_HAS_THREAD
    response = {**thread, "member": fake.state.thread_member_payload(int(thread["id"]), bot)}
    await fake.dispatch("THREAD_CREATE", {**response, "newly_created": True})
    return json_response(response, status=201)
