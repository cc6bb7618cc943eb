"""REST routes about the bot itself: its user, its application, the gateway, its commands,
and the CDN that serves attachment bytes back."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web

from tests.fakediscord.guild import command_payload
from tests.fakediscord.recording import ParsedBody
from tests.fakediscord.responses import DiscordError, field_error, json_response
from tests.fakediscord.state import JSON

if TYPE_CHECKING:
    from tests.fakediscord.server import FakeDiscord

MAX_COMMANDS = 100
STALL_AFTER_BYTES = 16
STALL_MAX_POLLS = 3000


async def get_current_user(fake: FakeDiscord, request: web.Request,
                           parsed: ParsedBody) -> web.Response:
    user = {**fake.state.bot_user.payload(), "bot": True, "verified": True,
            "mfa_enabled": False, "locale": "en-US", "email": None, "premium_type": 0}
    return json_response(user)


async def get_application(fake: FakeDiscord, request: web.Request,
                          parsed: ParsedBody) -> web.Response:
    state = fake.state
    application: JSON = {
        "id": str(state.application_id),
        "name": state.bot_user.username,
        "icon": None,
        "description": "A fake application for wire-level tests.",
        "type": None,
        "bot": {**state.bot_user.payload(), "bot": True},
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": fake.gateway.application_flags,
        "flags_new": str(fake.gateway.application_flags),
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "owner": state.owner.payload(),
        "approximate_guild_count": 1,
        "approximate_user_install_count": 0,
        "approximate_user_authorization_count": 0,
        "explicit_content_filter": 0,
        "team": None,
        "eligible_oauth2_scopes": ["applications.commands", "bot"],
        "summary": "",
        "rpc_origins": [],
        "tags": [],
        "integration_types_config": {"0": {}},
    }
    return json_response(application)


async def get_gateway(fake: FakeDiscord, request: web.Request, parsed: ParsedBody) -> web.Response:
    return json_response({"url": fake.gateway_url})


async def get_gateway_bot(fake: FakeDiscord, request: web.Request,
                          parsed: ParsedBody) -> web.Response:
    return json_response({
        "url": fake.gateway_url,
        "shards": fake.recommended_shards,
        "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 14_400_000,
                                "max_concurrency": 1},
    })


def _check_application(fake: FakeDiscord, request: web.Request) -> None:
    if request.match_info["application_id"] != str(fake.state.application_id):
        raise DiscordError(403, 50001, "Missing Access")


def _command_list(fake: FakeDiscord, request: web.Request) -> tuple[list[JSON], int | None]:
    _check_application(fake, request)
    guild = request.match_info.get("guild_id")
    if guild is None:
        return fake.state.global_commands, None
    if guild != str(fake.state.guild_id):
        raise DiscordError(403, 50001, "Missing Access")
    return fake.state.guild_commands.setdefault(fake.state.guild_id, []), fake.state.guild_id


async def list_commands(fake: FakeDiscord, request: web.Request,
                        parsed: ParsedBody) -> web.Response:
    commands, _ = _command_list(fake, request)
    return json_response(commands)


async def overwrite_commands(fake: FakeDiscord, request: web.Request,
                             parsed: ParsedBody) -> web.Response:
    commands, guild_id = _command_list(fake, request)
    if not isinstance(parsed.body, list):
        raise field_error("_root", "BASE_TYPE_ARRAY", "Must be an array.")
    if len(parsed.body) > MAX_COMMANDS:
        raise field_error("_root", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
    previous = list(commands)
    commands[:] = [command_payload(fake.state, c, guild_id=guild_id, previous=previous)
                   for c in parsed.body]
    return json_response(commands)


async def upsert_command(fake: FakeDiscord, request: web.Request,
                         parsed: ParsedBody) -> web.Response:
    commands, guild_id = _command_list(fake, request)
    if not isinstance(parsed.body, dict) or "name" not in parsed.body:
        raise field_error("name", "BASE_TYPE_REQUIRED", "This field is required")
    command = command_payload(fake.state, parsed.body, guild_id=guild_id,
                              previous=commands)
    commands[:] = [c for c in commands if c["id"] != command["id"]] + [command]
    return json_response(command, status=201)


async def get_attachment(fake: FakeDiscord, request: web.Request,
                         parsed: ParsedBody) -> web.Response:
    attachment = fake.state.attachments.get(int(request.match_info["attachment_id"]))
    if attachment is None or attachment.filename != request.match_info["filename"]:
        return web.Response(status=404, text="Not Found")
    if attachment.filename in fake.state.stalled_attachments:
        return await _stalled(request, attachment.data, attachment.content_type)
    return web.Response(body=attachment.data, content_type=attachment.content_type)


async def _stalled(request: web.Request, data: bytes, content_type: str) -> web.StreamResponse:
    """The first bytes of `data`, then silence until the client hangs up (a minute at most)."""
    response = web.StreamResponse(headers={"Content-Type": content_type,
                                           "Content-Length": str(len(data))})
    await response.prepare(request)
    await response.write(data[:STALL_AFTER_BYTES])
    for _ in range(STALL_MAX_POLLS):
        if request.transport is None or request.transport.is_closing():
            break
        await asyncio.sleep(0.02)
    return response
