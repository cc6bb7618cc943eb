"""Private answers drawn as cards: the timeline (`/status`, the Timeline button) and the
list of versions (`/versions`, the Versions button).

Both `/status` and the Timeline button answer only the one who asked (an ephemeral
follow-up), so pressing a button under someone's video adds nothing to the thread. The
timeline's card shows its picture (`cogs.pictures`), whose alt text is the summary in words;
without a draft to draw, the answer is the words alone.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import discord

from bot.core.card import Card
from bot.core.engine import StatusReply
from cogs.cards import card_embed
from cogs.pictures import timeline_file
from cogs.replies import NO_MENTIONS, clip


async def send_card_privately(
    interaction: discord.Interaction[Any],
    card: Card,
    view: discord.ui.View | None,
    file: discord.File | None = None,
) -> None:
    """The card as an ephemeral follow-up of a deferred interaction."""
    if file is None and card.picture is not None:
        card = dataclasses.replace(card, picture=None)  # nothing to show in it
    options: dict[str, Any] = {"embed": card_embed(card), "ephemeral": True}
    if view is not None:
        options["view"] = view
    if file is not None:
        options["file"] = file
    await interaction.followup.send(allowed_mentions=NO_MENTIONS, **options)


async def send_status(
    interaction: discord.Interaction[Any], reply: StatusReply, view: discord.ui.View | None
) -> None:
    """The timeline: its card with the picture, or (no draft) the words, privately."""
    if reply.card is None:
        await interaction.followup.send(
            clip(reply.text), ephemeral=True, allowed_mentions=NO_MENTIONS
        )
        return
    await send_card_privately(interaction, reply.card, view, await timeline_file(reply))
