"""Pictures that go with nemobot's replies on Discord: the timeline as a PNG attachment.

The attachment's description (Discord's alt text, at most 1024 characters) is the text
summary, so the picture says the same to people who cannot see it.
"""

from __future__ import annotations

import asyncio
import io
import logging

import discord

from bot.core.engine import StatusReply
from bot.core.timeline_card import TIMELINE_FILENAME
from bot.core.timeline_picture import timeline_png
from cogs.replies import clip

log = logging.getLogger(__name__)
#: Discord's limit on an attachment's description.
MAX_ALT_TEXT_CHARS = 1024


async def timeline_file(reply: StatusReply) -> discord.File | None:
    """The timeline picture for a status reply, or None when there is no draft to draw."""
    if reply.draft is None:
        return None
    try:
        png = await asyncio.to_thread(timeline_png, reply.draft)
    except (OSError, ValueError):  # Pillow's failures: the reply goes out as text alone
        log.exception("could not draw the timeline picture")
        return None
    return discord.File(
        io.BytesIO(png),
        filename=TIMELINE_FILENAME,
        description=clip(reply.text, MAX_ALT_TEXT_CHARS),
    )
