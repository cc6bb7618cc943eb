"""The engine's cards (`bot.core.card`) drawn as Discord embeds with buttons under them.

A card's tone is the embed's colour (working amber, done green, failed red, anything else
Discord's blurple); its picture, one of the files posted with it, is the embed's image
(`attachment://<name>`); every string is cut to Discord's embed limits, so a card never
makes Discord refuse a message. Its controls become buttons in `cogs.buttons.card_view`.
"""

from __future__ import annotations

import discord

from bot.core.card import Card, Tone
from cogs.replies import clip

TONE_COLOURS: dict[Tone, int] = {
    Tone.WORKING: 0xF0B232,
    Tone.DONE: 0x23A55A,
    Tone.FAILED: 0xF23F43,
    Tone.INFO: 0x5865F2,
}
#: Discord's embed limits (developer docs → Resources → Message → Embed Limits).
MAX_TITLE_CHARS = 256
MAX_DESCRIPTION_CHARS = 4096
MAX_FIELDS = 25
MAX_FIELD_NAME_CHARS = 256
MAX_FIELD_VALUE_CHARS = 1024
MAX_FOOTER_CHARS = 2048
MAX_EMBED_CHARS = 6000
#: Discord puts at most 25 buttons under a message.
MAX_BUTTONS = 25


def card_embed(card: Card) -> discord.Embed:
    """The card as one embed, within Discord's limits (fields beyond them are left out)."""
    title = clip(card.title, MAX_TITLE_CHARS)
    description = clip(card.body, MAX_DESCRIPTION_CHARS) if card.body else None
    footer = clip(card.footer, MAX_FOOTER_CHARS) if card.footer else ""
    embed = discord.Embed(
        title=title,
        description=description,
        url=card.link,
        colour=discord.Colour(TONE_COLOURS[card.tone]),
    )
    used = len(title) + len(description or "") + len(footer)
    for field in card.fields[:MAX_FIELDS]:
        name = clip(field.name, MAX_FIELD_NAME_CHARS) or "…"
        value = clip(field.value, MAX_FIELD_VALUE_CHARS) or "…"
        if used + len(name) + len(value) > MAX_EMBED_CHARS:
            break
        used += len(name) + len(value)
        embed.add_field(name=name, value=value, inline=field.inline)
    if card.picture:
        embed.set_image(url=f"attachment://{card.picture}")
    if footer:
        embed.set_footer(text=footer)
    return embed
