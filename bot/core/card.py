"""A message shaped like a product: a card with a title, a colour for its state, fields,
a picture and controls under it. The engine describes it; each platform draws it.

    Card(Tone.DONE, "Golden Hour", fields=(CardField("Duration", "0:15"),),
         picture="render_1.poster.jpg", controls=(Control(Action.TIMELINE),))

Discord draws a card as an embed (its colour from `tone`, `picture` as the embed's image,
taken from the files posted with it) with buttons for `controls` (`cogs/cards.py`); the
terminal prints it as lines. Nothing here knows about either.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.core.port import Action


class Tone(StrEnum):
    """What state a card reports; the platform gives each its colour."""

    WORKING = "working"
    DONE = "done"
    FAILED = "failed"
    #: Neither: a timeline, a list of versions, something that stopped on request.
    INFO = "info"


@dataclass(frozen=True, slots=True)
class CardField:
    """One named value on a card (`inline`: may sit beside its neighbours)."""

    name: str
    value: str
    inline: bool = True


@dataclass(frozen=True, slots=True)
class Control:
    """A button under a card: an action, and what it acts on (e.g. a render id) if it
    needs more than the conversation."""

    action: Action
    target: str = ""
    #: Shown beside the action's label, to tell like controls apart ("Post again · 2").
    note: str = ""


@dataclass(frozen=True, slots=True)
class Card:
    """One message's shape. `text` goes above the card (mentions belong there);
    `picture` names one of the files posted with the card, shown large in it."""

    tone: Tone
    title: str
    body: str = ""
    fields: tuple[CardField, ...] = ()
    link: str | None = None
    picture: str | None = None
    footer: str = ""
    controls: tuple[Control, ...] = ()
    text: str = ""

    def as_lines(self) -> list[str]:
        """The card as plain lines, for a platform that has no cards (the terminal)."""
        lines = [line for line in (self.text, self.title, self.body) if line]
        if self.fields:
            lines.append(" · ".join(f"{f.name}: {f.value}" for f in self.fields if f.inline))
            lines.extend(f"{f.name}: {f.value}" for f in self.fields if not f.inline)
        if self.link and self.link not in self.body and self.link not in self.text:
            lines.append(self.link)
        if self.footer:
            lines.append(self.footer)
        return [line for line in lines if line]
