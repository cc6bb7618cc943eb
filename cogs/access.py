"""Who may use nemobot, and what the bot itself needs to work in a channel.

`ALLOWED_ROLE_IDS` limits spending shared credits to some roles (empty: everyone). In a
DM there are no roles to check, so a role-limited bot refuses DMs.
"""

from __future__ import annotations

from collections.abc import Collection

import discord

#: What the bot needs in the channel where /video opens a thread, with readable names.
THREAD_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("create_public_threads", "Create Public Threads"),
    ("send_messages_in_threads", "Send Messages in Threads"),
    ("attach_files", "Attach Files"),
    ("embed_links", "Embed Links"),
    ("read_message_history", "Read Message History"),
)
#: What the bot needs inside a thread to talk and deliver the video.
IN_THREAD_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("view_channel", "View Channel"),
    ("send_messages_in_threads", "Send Messages in Threads"),
    ("attach_files", "Attach Files"),
    ("embed_links", "Embed Links"),
)


def has_allowed_role(user: discord.abc.User, allowed_role_ids: Collection[int]) -> bool:
    """True when no roles are configured, or the member holds one of them."""
    if not allowed_role_ids:
        return True
    roles = getattr(user, "roles", None)
    if roles is None:  # a DM: a user outside a guild has no roles to show
        return False
    return any(role.id in allowed_role_ids for role in roles)


def may_talk_here(interaction: discord.Interaction, allowed_role_ids: Collection[int]) -> bool:
    """Could this user post in the interaction's channel (and use nemobot at all)?"""
    if not has_allowed_role(interaction.user, allowed_role_ids):
        return False
    if interaction.guild is None:
        return True  # a DM is between this user and the bot
    permissions = interaction.permissions
    if isinstance(interaction.channel, discord.Thread):
        return permissions.send_messages_in_threads and permissions.view_channel
    return permissions.send_messages and permissions.view_channel


def missing(permissions: discord.Permissions, needed: tuple[tuple[str, str], ...]) -> list[str]:
    """The readable names of the permissions in `needed` that `permissions` lacks."""
    return [label for name, label in needed if not getattr(permissions, name)]


def may_manage_bot(interaction: discord.Interaction) -> bool:
    """May this user see what only the bot's operator should (the account's claim link)?
    Server admins (Manage Server) can; nobody in a DM can, since anyone may DM the bot."""
    if interaction.guild is None:
        return False
    permissions = interaction.permissions
    return permissions.manage_guild or permissions.administrator


def may_manage_threads(interaction: discord.Interaction) -> bool:
    """May this user stop what others started in a thread (cancel their render)? In a DM,
    nobody but the requester is there to."""
    if interaction.guild is None:
        return False
    permissions = interaction.permissions
    return permissions.manage_threads or permissions.administrator


def may_moderate(interaction: discord.Interaction) -> bool:
    """May this user remove what the bot posted for someone else (delete their video's
    message)? Those who can manage threads or messages; in a DM, nobody but the requester."""
    if interaction.guild is None:
        return False
    permissions = interaction.permissions
    return (
        permissions.manage_threads or permissions.manage_messages or permissions.administrator
    )
