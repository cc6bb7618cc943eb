"""The buttons under nemobot's replies, and what pressing them does.

Each button carries what it needs in its `custom_id` (`nemobot:<action>:<channel id>`) and
is registered as a `DynamicItem`, so a button on a message from before a restart still
works. Anyone who may talk in the thread may press them; others are told why not.

- Export MP4: render the session and post the video (the same as typing "export").
- Timeline: show the session's timeline, to the person who pressed.
- Retry under a failed export: post the render again if it was rendered but could not be
  posted, else export again.
- Send again under a chat turn whose message never reached NemoVideo (the connection was
  refused before it left): send that message now. A message that may have arrived is never
  re-sent, because that could charge twice; those turns get no such button.
- Cancel on a reply still streaming and on the live status of a running render: stop what
  runs in the thread (`Engine.cancel`: the reply's stream, the messages waiting, the
  render), as far as the presser may (who asked for it, or someone who can manage threads).
- Add credits under "out of credits": a server admin (Manage Server) privately gets how to
  add credits (for the bot's anonymous account, the link that claims it); others are told
  only an admin can.
- Under a delivered video: Post again (that version, no new render; `nemobot:again:<channel
  id>:<render id>`), Versions (the thread's versions, privately), Timeline, and Delete (the
  message; its requester, or someone who can manage threads or messages).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot.core.card import Card
from bot.core.port import Action
from bot.core.records import Language
from cogs.access import may_manage_bot, may_manage_threads, may_moderate, may_talk_here
from cogs.cards import MAX_BUTTONS
from cogs.keys import conversation_key
from cogs.replies import NO_MENTIONS, clip
from cogs.status_reply import send_card_privately, send_status
from cogs.texts import EdgeTexts, language_from_locale

if TYPE_CHECKING:
    from cogs.client import NemoBot

log = logging.getLogger(__name__)

CUSTOM_ID_PREFIX = "nemobot"
_ACTIONS = "|".join(action.value for action in Action)
TEMPLATE = re.compile(
    rf"{CUSTOM_ID_PREFIX}:(?P<action>{_ACTIONS}):(?P<channel>[0-9]{{1,20}})"
    r"(?::(?P<target>[A-Za-z0-9_-]{1,64}))?"
)


def custom_id(action: Action, channel_id: int, target: str = "") -> str:
    """`nemobot:<action>:<channel id>`, and `:<target>` for a button that acts on one thing
    (a render id: 39 characters, well within Discord's 100)."""
    suffix = f":{target}" if target else ""
    return f"{CUSTOM_ID_PREFIX}:{action.value}:{channel_id}{suffix}"


def _look(action: Action, texts: EdgeTexts) -> tuple[str, str, discord.ButtonStyle]:
    if action is Action.EXPORT:
        return texts.label_export(), "🎬", discord.ButtonStyle.primary
    if action is Action.TIMELINE:
        return texts.label_timeline(), "🧾", discord.ButtonStyle.secondary
    if action is Action.RESEND:
        return texts.label_resend(), "📨", discord.ButtonStyle.secondary
    if action is Action.ADD_CREDITS:
        return texts.label_add_credits(), "💳", discord.ButtonStyle.secondary
    if action is Action.CANCEL:
        return texts.label_cancel(), "⏹️", discord.ButtonStyle.danger
    if action is Action.POST_AGAIN:
        return texts.label_post_again(), "📤", discord.ButtonStyle.secondary
    if action is Action.VERSIONS:
        return texts.label_versions(), "🗂️", discord.ButtonStyle.secondary
    if action is Action.DELETE:
        return texts.label_delete(), "🗑️", discord.ButtonStyle.danger
    return texts.label_retry(), "🔁", discord.ButtonStyle.secondary


class ActionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=TEMPLATE):
    """One of the engine's actions as a button that survives restarts."""

    def __init__(
        self,
        action: Action,
        channel_id: int,
        language: Language = "en",
        target: str = "",
        note: str = "",
    ) -> None:
        label, emoji, style = _look(action, EdgeTexts(language))
        if note:
            label = f"{label} · {note}"
        super().__init__(
            discord.ui.Button(
                label=label, emoji=emoji, style=style,
                custom_id=custom_id(action, channel_id, target),
            )
        )
        self.action = action
        self.channel_id = channel_id
        self.target = target

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ActionButton:
        return cls(Action(match["action"]), int(match["channel"]), target=match["target"] or "")

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        bot: NemoBot = interaction.client
        if may_talk_here(interaction, bot.settings.allowed_role_ids):
            return True
        texts = EdgeTexts(language_from_locale(interaction.locale))
        await interaction.response.send_message(texts.button_not_allowed(), ephemeral=True)
        return False

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot: NemoBot = interaction.client
        key = conversation_key(self.channel_id)
        engine = bot.engine
        wording = await engine.wording_for(key)
        texts = EdgeTexts(wording.language)
        if not await engine.is_session(key):
            await interaction.response.send_message(texts.no_session(), ephemeral=True)
            return
        user_id = interaction.user.id
        if self.action in (Action.EXPORT, Action.RETRY_EXPORT):
            await interaction.response.defer()  # the engine posts the progress in the thread
            work = (
                engine.export(key, user_id)
                if self.action is Action.EXPORT
                else engine.retry_export(key, user_id)
            )
            bot.spawn(work, name=f"button-{self.action.value}-{self.channel_id}")
            return
        if self.action is Action.ADD_CREDITS:
            text = await engine.add_credits_text(key, admin=may_manage_bot(interaction))
            await interaction.response.send_message(
                clip(text), ephemeral=True, allowed_mentions=NO_MENTIONS
            )
            return
        if self.action is Action.CANCEL:
            text = await engine.cancel(key, user_id, may_manage=may_manage_threads(interaction))
            await interaction.response.send_message(
                clip(text), ephemeral=True, allowed_mentions=NO_MENTIONS
            )
            return
        if self.action is Action.RESEND:
            await interaction.response.defer()  # the turn shows in the thread
            bot.spawn(self._resend(bot, interaction, key), name=f"resend-{self.channel_id}")
            return
        if self.action is Action.POST_AGAIN:
            await interaction.response.defer()  # the video (or why not) shows in the thread
            bot.spawn(self._post_again(bot, interaction, key), name=f"again-{self.channel_id}")
            return
        if self.action is Action.VERSIONS:
            await interaction.response.defer(ephemeral=True, thinking=True)
            card = await engine.versions_card(key)
            view = card_view(card, self.channel_id, wording.language)
            await send_card_privately(interaction, card, view)
            return
        if self.action is Action.DELETE:
            await interaction.response.defer(ephemeral=True, thinking=True)
            message = interaction.message
            text = (
                wording.version_unknown() if message is None else await engine.delete_post(
                    key, self.target, str(message.id), user_id,
                    may_manage=may_moderate(interaction),
                )
            )
            await interaction.followup.send(
                clip(text), ephemeral=True, allowed_mentions=NO_MENTIONS
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        status = await engine.status_reply(key)
        view = card_view(status.card, self.channel_id, wording.language) if status.card else None
        await send_status(interaction, status, view)

    async def _post_again(
        self, bot: NemoBot, interaction: discord.Interaction[Any], key: str
    ) -> None:
        text = await bot.engine.post_again(key, self.target)
        if text is not None:
            await interaction.followup.send(
                clip(text), ephemeral=True, allowed_mentions=NO_MENTIONS
            )

    @staticmethod
    async def _resend(bot: NemoBot, interaction: discord.Interaction[Any], key: str) -> None:
        if not await bot.engine.resend(key):
            texts = EdgeTexts(language_from_locale(interaction.locale))
            await interaction.followup.send(texts.nothing_to_resend(), ephemeral=True)


def action_view(
    actions: Sequence[Action], channel_id: int, language: Language
) -> discord.ui.View | None:
    """The buttons for `actions` under a message in `channel_id`, or None for none."""
    if not actions:
        return None
    view = discord.ui.View(timeout=None)
    for action in actions:
        view.add_item(ActionButton(action, channel_id, language))
    return view



def card_view(card: Card, channel_id: int, language: Language) -> discord.ui.View | None:
    """A card's controls as buttons, or None for none."""
    if not card.controls:
        return None
    view = discord.ui.View(timeout=None)
    for control in card.controls[:MAX_BUTTONS]:
        view.add_item(
            ActionButton(control.action, channel_id, language, control.target, control.note)
        )
    return view
