"""The card of a render's own message: working while it runs (its progress bar and a
Cancel control), then failed (with Retry where retrying can help) or stopped.

The delivered video is a card of its own (`bot.core.video_card`); once it is posted, the
render's message is deleted, so a delivered video leaves one message in the chat.
"""

from __future__ import annotations

from bot.core.card import Card, Control, Tone
from bot.core.port import Action
from bot.core.wording import Wording


def render_title(title: str | None, wording: Wording) -> str:
    return f"🎞️ {title or wording.video_untitled()}"


def progress_card(title: str | None, line: str, wording: Wording, *, cancel: bool = True) -> Card:
    """While it runs: the status line (`bot.core.progress`), and Cancel until it is done."""
    controls = (Control(Action.CANCEL),) if cancel else ()
    return Card(Tone.WORKING, render_title(title, wording), body=line, controls=controls)


def failed_card(title: str | None, message: str, wording: Wording, *, retry: bool) -> Card:
    """It ended without a video: why, and Retry where retrying can help."""
    controls = (Control(Action.RETRY_EXPORT),) if retry else ()
    return Card(Tone.FAILED, render_title(title, wording), body=message, controls=controls)


def stopped_card(title: str | None, message: str, wording: Wording) -> Card:
    """It was cancelled: nothing will be posted for it."""
    return Card(Tone.INFO, render_title(title, wording), body=message)
