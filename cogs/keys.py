"""Conversation keys on Discord: `"discord:<channel id>"` (a session thread or a DM)."""

from __future__ import annotations

KEY_PREFIX = "discord:"


def conversation_key(channel_id: int) -> str:
    return f"{KEY_PREFIX}{channel_id}"


def channel_id_of(conversation: str) -> int:
    """The channel id in a `"discord:<id>"` key."""
    if not conversation.startswith(KEY_PREFIX):
        raise ValueError(f"not a Discord conversation: {conversation!r}")
    return int(conversation.removeprefix(KEY_PREFIX))
