"""Interactions the fake delivers (slash commands, button clicks, modal submits) and what
the bot did with each.

Payloads carry everything discord.py 2.7.1 reads from an INTERACTION_CREATE, notably
`attachment_size_limit` (a KeyError without it), `app_permissions`, `entitlements`,
`authorizing_integration_owners`, `context`, the partial `guild`, the `channel` object and a
`member` with roles and permissions.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.fakediscord.guild import find_command
from tests.fakediscord.state import JSON, DiscordState, FakeFile, FakeUser

# Interaction types.
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
MODAL_SUBMIT = 5

# Application command option types.
OPTION_STRING, OPTION_INTEGER, OPTION_BOOLEAN = 3, 4, 5
OPTION_USER, OPTION_NUMBER, OPTION_ATTACHMENT = 6, 10, 11


@dataclass
class InteractionRecord:
    """One interaction and the bot's answers to it, in order.

    `calls` reads like `["callback:5", "followup", "edit_original"]`: the callback type, then
    each webhook call made with the interaction token.
    """

    id: int
    token: str
    payload: JSON
    created_at: float
    channel_id: int
    user: FakeUser
    message_id: int | None = None  # the message a component was clicked on
    response_type: int | None = None
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    modal: JSON | None = None
    autocomplete_choices: list[JSON] | None = None
    triggered_by: InteractionRecord | None = None  # for a modal submit: who opened the modal

    @property
    def metadata(self) -> JSON:
        """The `interaction_metadata` of messages that answer this interaction."""
        data: JSON = {
            "id": str(self.id),
            "type": self.payload["type"],
            "user": self.user.payload(),
            "authorizing_integration_owners": self.payload["authorizing_integration_owners"],
        }
        if self.original_message_id is not None:
            data["original_response_message_id"] = str(self.original_message_id)
        if self.payload["type"] == APPLICATION_COMMAND:
            data["name"] = self.payload["data"]["name"]
        elif self.payload["type"] == MESSAGE_COMPONENT:
            data["interacted_message_id"] = str(self.message_id)
        elif self.payload["type"] == MODAL_SUBMIT:
            opener = self.triggered_by
            data["triggering_interaction_metadata"] = opener.metadata if opener else {
                "id": "0", "type": APPLICATION_COMMAND, "user": self.user.payload(),
                "authorizing_integration_owners": self.payload["authorizing_integration_owners"]}
        return data

    @property
    def acknowledged(self) -> bool:
        return self.response_type is not None


def _base_payload(state: DiscordState, kind: int, data: JSON, channel: JSON,
                  user: FakeUser, locale: str) -> tuple[JSON, str]:
    token = "itoken-" + secrets.token_urlsafe(24)
    member = state.member_payload(user)
    member["permissions"] = str(state.permissions_of(user))
    payload: JSON = {
        "id": str(state.ids.next()),
        "application_id": str(state.application_id),
        "type": kind,
        "data": data,
        "guild_id": str(state.guild_id),
        "guild": {"id": str(state.guild_id), "locale": "en-US", "features": []},
        "guild_locale": "en-US",
        "channel_id": channel["id"],
        "channel": {**channel, "permissions": member["permissions"]},
        "member": member,
        "token": token,
        "version": 1,
        "locale": locale,
        "app_permissions": str(state.permissions_of(state.bot_user)),
        "entitlements": [],
        "entitlement_sku_ids": [],
        "authorizing_integration_owners": {"0": str(state.guild_id)},
        "context": 0,
        "attachment_size_limit": state.filesize_limit,
    }
    return payload, token


def slash_command_payload(state: DiscordState, name: str, options: Mapping[str, Any],
                          channel: JSON, user: FakeUser, locale: str) -> tuple[JSON, str]:
    """An APPLICATION_COMMAND interaction for `/name`, with typed options and `resolved`."""
    command = find_command(state, name)
    declared = {o["name"]: o for o in (command or {}).get("options", [])}
    data: JSON = {"id": command["id"] if command else str(state.ids.next()),
                  "name": name, "type": 1}
    if command and "guild_id" in command:
        data["guild_id"] = command["guild_id"]
    resolved: dict[str, dict[str, JSON]] = {}
    wire_options = []
    for option_name, value in options.items():
        option_type = declared.get(option_name, {}).get("type") or _infer_type(value)
        wire_options.append({"name": option_name, "type": option_type,
                             "value": _wire_value(state, channel, value, resolved)})
    if wire_options:
        data["options"] = wire_options
    if resolved:
        data["resolved"] = resolved
    return _base_payload(state, APPLICATION_COMMAND, data, channel, user, locale)


def component_payload(state: DiscordState, message: JSON, custom_id: str, channel: JSON,
                      user: FakeUser, component_type: int, values: list[str] | None,
                      locale: str) -> tuple[JSON, str]:
    """A MESSAGE_COMPONENT interaction: `user` clicked `custom_id` on `message`."""
    data: JSON = {"custom_id": custom_id, "component_type": component_type}
    if values is not None:
        data["values"] = values
    payload, token = _base_payload(state, MESSAGE_COMPONENT, data, channel, user, locale)
    payload["message"] = message
    return payload, token


def modal_submit_payload(state: DiscordState, custom_id: str, fields: Mapping[str, str],
                         channel: JSON, user: FakeUser, locale: str) -> tuple[JSON, str]:
    """A MODAL_SUBMIT interaction with one text input per field."""
    rows = [{"type": 1, "components": [{"type": 4, "custom_id": key, "value": value}]}
            for key, value in fields.items()]
    data: JSON = {"custom_id": custom_id, "components": rows}
    return _base_payload(state, MODAL_SUBMIT, data, channel, user, locale)


def _infer_type(value: Any) -> int:
    if isinstance(value, bool):
        return OPTION_BOOLEAN
    if isinstance(value, int):
        return OPTION_INTEGER
    if isinstance(value, float):
        return OPTION_NUMBER
    if isinstance(value, FakeFile):
        return OPTION_ATTACHMENT
    if isinstance(value, FakeUser):
        return OPTION_USER
    return OPTION_STRING


def _wire_value(state: DiscordState, channel: JSON, value: Any,
                resolved: dict[str, dict[str, JSON]]) -> Any:
    if isinstance(value, FakeFile):
        attachment = state.store_attachment(int(channel["id"]), value, ephemeral=True)
        resolved.setdefault("attachments", {})[attachment["id"]] = attachment
        return attachment["id"]
    if isinstance(value, FakeUser):
        resolved.setdefault("users", {})[str(value.id)] = value.payload()
        member = state.member_payload(value)
        member.pop("user")
        resolved.setdefault("members", {})[str(value.id)] = member
        return str(value.id)
    return value
