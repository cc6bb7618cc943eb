"""How every nemobot message on Discord is shaped: whom it may ping and how long it may be.

Nothing pings anyone (`NO_MENTIONS`) except a message that names one user (`only_user`);
a reply that is never split into several messages (an ephemeral one, an edit, a caption)
is cut to one message with `clip`, since Discord refuses anything over 2000 characters.
"""

from __future__ import annotations

import discord

from bot.core.message_split import MAX_MESSAGE_CHARS

NO_MENTIONS = discord.AllowedMentions.none()


def only_user(user_id: int) -> discord.AllowedMentions:
    """May ping this one user; never @everyone, roles or anyone else."""
    return discord.AllowedMentions(
        everyone=False, roles=False, replied_user=False, users=[discord.Object(user_id)]
    )


def clip(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """`text` cut to one message (for replies that are never split, e.g. ephemeral ones)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
