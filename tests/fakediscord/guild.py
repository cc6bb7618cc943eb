"""The fake guild: what it holds at start, its GUILD_CREATE payload, its application commands."""

from __future__ import annotations

from tests.fakediscord.state import (
    BOT_PERMISSIONS,
    EVERYONE_PERMISSIONS,
    GUILD_CATEGORY,
    JSON,
    THREAD_TYPES,
    DiscordState,
    FakeUser,
    Snowflakes,
)


def initial_state(premium_tier: int, upload_limit_bytes: int | None) -> DiscordState:
    """One guild: #studio and #general under a category, the bot, an owner, alice and bob."""
    ids = Snowflakes()
    bot = FakeUser(ids.next(), "nemobot", "NemoBot", bot=True)
    owner = FakeUser(ids.next(), "owner", "Guild Owner")
    state = DiscordState(base_url="", bot_user=bot, application_id=bot.id,
                         guild_id=ids.next(), owner=owner, premium_tier=premium_tier,
                         upload_limit_bytes=upload_limit_bytes, ids=ids)
    state.add_role("@everyone", EVERYONE_PERMISSIONS, role_id=state.guild_id)
    makers = state.add_role("Video Makers", EVERYONE_PERMISSIONS)
    bot_role = state.add_role("nemobot", BOT_PERMISSIONS, managed=True, bot_id=bot.id)
    category = state.add_text_channel("Text Channels", channel_type=GUILD_CATEGORY)
    state.add_text_channel("studio", parent_id=int(category["id"]))
    state.add_text_channel("general", parent_id=int(category["id"]))
    state.add_member(bot, [int(bot_role["id"])])
    state.add_member(owner)
    state.add_member(FakeUser(ids.next(), "alice", "Alice"), [int(makers["id"])])
    state.add_member(FakeUser(ids.next(), "bob", "Bob"))
    return state


def guild_create_payload(state: DiscordState) -> JSON:
    """The GUILD_CREATE payload: the whole guild with its channels, open threads and members."""
    channels = [c for c in state.channels.values() if c["type"] not in THREAD_TYPES]
    threads = [t for t in state.channels.values()
               if t["type"] in THREAD_TYPES and not t["thread_metadata"]["archived"]]
    return {
        "id": str(state.guild_id),
        "name": "Nemo Test Guild",
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(state.owner.id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": state.premium_tier,
        "premium_subscription_count": [0, 2, 7, 14][state.premium_tier],
        "premium_progress_bar_enabled": False,
        "preferred_locale": "en-US",
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "features": [],
        "roles": list(state.roles.values()),
        "emojis": [],
        "stickers": [],
        "joined_at": state.joined_at,
        "large": False,
        "unavailable": False,
        "member_count": len(state.users),
        "members": [state.member_payload(u) for u in state.users.values()],
        "channels": channels,
        "threads": threads,
        "presences": [],
        "voice_states": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "max_members": 500000,
        "max_video_channel_users": 25,
        "lazy": True,
    }

def command_payload(state: DiscordState, body: JSON, *, guild_id: int | None,
                    previous: list[JSON]) -> JSON:
    """A stored application command from a create/overwrite body (ids kept across syncs)."""
    command_type = body.get("type") or 1
    same = next((c for c in previous
                 if c["name"] == body["name"] and c["type"] == command_type), None)
    permissions = body.get("default_member_permissions")
    command: JSON = {
        "id": same["id"] if same else str(state.ids.next()),
        "application_id": str(state.application_id),
        "version": str(state.ids.next()),
        "type": command_type,
        "name": body["name"],
        "name_localizations": body.get("name_localizations"),
        "description": body.get("description") or "",
        "description_localizations": body.get("description_localizations"),
        "default_member_permissions": None if permissions is None else str(permissions),
        "dm_permission": bool(body.get("dm_permission", True)),
        "contexts": body.get("contexts"),
        "integration_types": body.get("integration_types") or [0],
        "nsfw": bool(body.get("nsfw", False)),
        "options": body.get("options") or [],
    }
    if guild_id is not None:
        command["guild_id"] = str(guild_id)
    return command

def find_command(state: DiscordState, name: str) -> JSON | None:
    """A registered chat-input command by name: guild commands first, then global ones."""
    for command in [*state.guild_commands.get(state.guild_id, []), *state.global_commands]:
        if command["name"] == name and command["type"] == 1:
            return command
    return None
