"""REST routes that answer interactions: the callback and the interaction webhook.

Discord's rules that bite bots, reproduced: the callback must come within the
acknowledgement window (`interaction_ack_seconds`, 3 s on Discord) or the interaction is
unknown (10062); a second callback is refused (40060); the webhook works for
`interaction_token_seconds` (15 minutes) and only after the callback; the first followup
after a deferred "thinking" response replaces that message (keeping its ephemerality).
With `?with_response=true` the callback answers 200 with an interaction callback response
(discord.py always asks for it); otherwise 204.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from tests.fakediscord.interactions import APPLICATION_COMMAND, MODAL_SUBMIT, InteractionRecord
from tests.fakediscord.recording import ParsedBody
from tests.fakediscord.responses import (
    ALREADY_ACKNOWLEDGED,
    UNKNOWN_INTERACTION,
    UNKNOWN_MESSAGE,
    UNKNOWN_WEBHOOK,
    DiscordError,
    field_error,
    json_response,
    no_content,
)
from tests.fakediscord.rest_messages import announce_message, message_fields
from tests.fakediscord.state import FLAG_EPHEMERAL, FLAG_LOADING, JSON

if TYPE_CHECKING:
    from tests.fakediscord.server import FakeDiscord

# Callback types.
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true")


def _interaction_message(fake: FakeDiscord, record: InteractionRecord, fields: JSON,
                         message_type: int) -> JSON:
    payload = record.payload
    extra: JSON = {
        "webhook_id": str(fake.state.application_id),
        "application_id": str(fake.state.application_id),
        "interaction_metadata": record.metadata,
    }
    if payload["type"] == APPLICATION_COMMAND:
        extra["interaction"] = {"id": str(record.id), "type": payload["type"],
                                "name": payload["data"]["name"], "user": record.user.payload()}
    return fake.state.create_message(record.channel_id, fake.state.bot_user,
                                     message_type=message_type, extra=extra, **fields)


async def callback(fake: FakeDiscord, request: web.Request, parsed: ParsedBody) -> web.Response:
    record = fake.interactions.get(int(request.match_info["interaction_id"]))
    if record is None or record.token != request.match_info["token"]:
        raise DiscordError(404, UNKNOWN_INTERACTION, "Unknown interaction")
    if fake.clock() - record.created_at > fake.interaction_ack_seconds:
        raise DiscordError(404, UNKNOWN_INTERACTION, "Unknown interaction")
    if record.acknowledged:
        raise DiscordError(400, ALREADY_ACKNOWLEDGED,
                           "Interaction has already been acknowledged.")
    body: JSON = parsed.body if isinstance(parsed.body, dict) else {}
    kind = body.get("type")
    data: JSON = body.get("data") or {}
    kind_of_interaction = record.payload["type"]
    message: JSON | None = None

    if kind == CHANNEL_MESSAGE:
        fields = message_fields(fake, record.channel_id, ParsedBody(data, parsed.files),
                                creating=True)
        fields["flags"] &= FLAG_EPHEMERAL | (1 << 2) | (1 << 12)
        message_type = 20 if kind_of_interaction == APPLICATION_COMMAND else 0
        message = _interaction_message(fake, record, fields, message_type)
        await announce_message(fake, "MESSAGE_CREATE", message)
    elif kind == DEFERRED_CHANNEL_MESSAGE:
        flags = FLAG_LOADING | (int(data.get("flags") or 0) & FLAG_EPHEMERAL)
        message_type = 20 if kind_of_interaction == APPLICATION_COMMAND else 0
        message = _interaction_message(fake, record, {"content": "", "flags": flags},
                                       message_type)
        await announce_message(fake, "MESSAGE_CREATE", message)
    elif kind in (DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE):
        if record.message_id is None:
            raise field_error("type", "INTERACTION_CALLBACK_TYPE_INVALID",
                              "This callback type needs a component interaction")
        message = fake.state.messages[record.message_id]
        if kind == UPDATE_MESSAGE:
            fields = message_fields(fake, record.channel_id, ParsedBody(data, parsed.files),
                                    existing=message["attachments"], creating=False)
            fields.pop("flags")
            fake.state.edit_message(message, fields)
            await announce_message(fake, "MESSAGE_UPDATE", message)
    elif kind == AUTOCOMPLETE_RESULT:
        record.autocomplete_choices = list(data.get("choices") or [])
    elif kind == MODAL:
        if kind_of_interaction == MODAL_SUBMIT:
            raise field_error("type", "INTERACTION_CALLBACK_TYPE_INVALID",
                              "A modal cannot open another modal")
        record.modal = data
    else:
        raise field_error("type", "BASE_TYPE_CHOICES",
                          "Value must be one of {4, 5, 6, 7, 8, 9, 10, 12}.")

    record.response_type = kind
    record.calls.append(f"callback:{kind}")
    if message is not None:
        record.original_message_id = int(message["id"])
    if not _truthy(request.query.get("with_response")):
        return no_content()
    interaction: JSON = {"id": str(record.id), "type": kind_of_interaction,
                         "channel_id": str(record.channel_id),
                         "guild_id": str(fake.state.guild_id)}
    if message is not None and kind in (CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE):
        interaction["response_message_id"] = message["id"]
        interaction["response_message_loading"] = bool(message["flags"] & FLAG_LOADING)
        interaction["response_message_ephemeral"] = bool(message["flags"] & FLAG_EPHEMERAL)
    answer: JSON = {"interaction": interaction}
    if message is not None and kind in (CHANNEL_MESSAGE, UPDATE_MESSAGE):
        answer["resource"] = {"type": kind, "message": message}
    return json_response(answer)


def _record_for_webhook(fake: FakeDiscord, request: web.Request) -> InteractionRecord:
    record = fake.interaction_by_token(request.match_info["token"])
    if record is None or request.match_info["webhook_id"] != str(fake.state.application_id):
        raise DiscordError(404, UNKNOWN_WEBHOOK, "Unknown Webhook")
    if fake.clock() - record.created_at > fake.interaction_token_seconds:
        raise DiscordError(401, 50027, "Invalid Webhook Token")
    if not record.acknowledged:
        raise DiscordError(404, UNKNOWN_WEBHOOK, "Unknown Webhook")
    return record


def _own_message(fake: FakeDiscord, record: InteractionRecord, message_id: str) -> JSON:
    if message_id == "@original":
        wanted = record.original_message_id
    else:
        wanted = int(message_id)
        if wanted not in (record.original_message_id, *record.followup_ids):
            wanted = None
    message = fake.state.messages.get(wanted) if wanted is not None else None
    if message is None:
        raise DiscordError(404, UNKNOWN_MESSAGE, "Unknown Message")
    return message


def _call_name(record: InteractionRecord, message: JSON, verb: str) -> str:
    which = "original" if int(message["id"]) == record.original_message_id else "followup"
    return f"{verb}_{which}"


async def get_webhook_message(fake: FakeDiscord, request: web.Request,
                              parsed: ParsedBody) -> web.Response:
    record = _record_for_webhook(fake, request)
    message = _own_message(fake, record, request.match_info["message_id"])
    record.calls.append(_call_name(record, message, "get"))
    return json_response(message)


async def edit_webhook_message(fake: FakeDiscord, request: web.Request,
                               parsed: ParsedBody) -> web.Response:
    record = _record_for_webhook(fake, request)
    message = _own_message(fake, record, request.match_info["message_id"])
    fields = message_fields(fake, record.channel_id, parsed, existing=message["attachments"],
                            creating=False)
    fields.pop("flags")
    message["flags"] &= ~FLAG_LOADING
    fake.state.edit_message(message, fields)
    record.calls.append(_call_name(record, message, "edit"))
    await announce_message(fake, "MESSAGE_UPDATE", message)
    return json_response(message)


async def delete_webhook_message(fake: FakeDiscord, request: web.Request,
                                 parsed: ParsedBody) -> web.Response:
    record = _record_for_webhook(fake, request)
    message = _own_message(fake, record, request.match_info["message_id"])
    record.calls.append(_call_name(record, message, "delete"))
    fake.state.delete_message(message)
    if not message["flags"] & FLAG_EPHEMERAL:
        await fake.dispatch("MESSAGE_DELETE", {"id": message["id"],
                                               "channel_id": message["channel_id"],
                                               "guild_id": str(fake.state.guild_id)})
    return no_content()


async def followup(fake: FakeDiscord, request: web.Request, parsed: ParsedBody) -> web.Response:
    record = _record_for_webhook(fake, request)
    original = fake.state.messages.get(record.original_message_id or 0)
    if (record.response_type == DEFERRED_CHANNEL_MESSAGE and not record.followup_ids
            and original is not None and original["flags"] & FLAG_LOADING):
        # The first followup after "thinking…" becomes that message, ephemeral or not.
        fields = message_fields(fake, record.channel_id, parsed,
                                existing=original["attachments"], creating=True)
        fields.pop("flags")
        original["flags"] &= ~FLAG_LOADING
        fake.state.edit_message(original, fields)
        message = original
        await announce_message(fake, "MESSAGE_UPDATE", message)
    else:
        fields = message_fields(fake, record.channel_id, parsed, creating=True)
        fields["flags"] &= FLAG_EPHEMERAL | (1 << 2) | (1 << 12)
        message = _interaction_message(fake, record, fields, 0)
        await announce_message(fake, "MESSAGE_CREATE", message)
    record.followup_ids.append(int(message["id"]))
    record.calls.append("followup")
    if _truthy(request.query.get("wait")):
        return json_response(message)
    return no_content()
