"""The sentences only the Discord edge says (slash-command replies, button refusals, help).

Everything the engine says lives in `bot.core.wording`; these are the few lines about
Discord itself: threads, permissions, buttons. Written here in English, translated from
the same gettext catalogue as the engine's wording (`bot.core.catalogue`).
"""

from __future__ import annotations

import discord
from discord import app_commands

from bot.core.catalogue import CATALOGUE, SOURCE_LANGUAGE, Catalogue, Words
from bot.core.records import Language

#: A Han character anywhere in a first DM means the conversation starts in Chinese.
_HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))


def language_from_locale(locale: discord.Locale | str | None) -> Language:
    """The catalogue's language for a Discord locale: zh-CN and zh-TW speak Chinese; a
    locale without a catalogue gets English."""
    value = locale.value if isinstance(locale, discord.Locale) else locale
    return CATALOGUE.language(value)


def language_from_text(text: str) -> Language:
    """A guess for conversations that start without a locale (a first DM)."""
    for char in text:
        code = ord(char)
        if any(low <= code <= high for low, high in _HAN_RANGES):
            return "zh"
    return "en"


class CatalogueTranslator(app_commands.Translator):
    """Slash commands' names and descriptions from the message catalogue.

    Discord shows a command in the user's client language: each locale whose language has
    a catalogue (zh-CN and zh-TW → zh) gets the catalogue's translation of every
    `locale_str` in the command tree; English stays the default. Installed in
    `NemoBot.setup_hook` with `tree.set_translator`.
    """

    def __init__(self, catalogue: Catalogue = CATALOGUE) -> None:
        self._catalogue = catalogue

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        language = self._catalogue.language(locale.value)
        if language == SOURCE_LANGUAGE:
            return None
        translated = self._catalogue.translations(language).gettext(string.message)
        return None if translated == string.message else translated


class EdgeTexts(Words):
    """Discord-specific sentences in one language."""

    __slots__ = ()

    # --- /video --------------------------------------------------------------------

    def starter(self, user_mention: str, prompt_excerpt: str) -> str:
        return self._(
            "🎬 {user_mention} is making a video: {prompt_excerpt}\n"
            "Follow along in the thread.",
            user_mention=user_mention, prompt_excerpt=prompt_excerpt,
        )

    def bound_here(self, prompt_excerpt: str) -> str:
        return self._(
            "🎬 New video: {prompt_excerpt}\n"
            "Just keep talking to me here.",
            prompt_excerpt=prompt_excerpt,
        )

    def just_type(self) -> str:
        return self._(
            "This thread is already a video session: just type what you want, no command "
            "needed. Use `/reset` to start over.",
        )

    def wrong_channel(self) -> str:
        return self._("Use `/video` in a text channel: I open a thread there for your video.")

    def missing_permissions(self, names: list[str]) -> str:
        listed = ", ".join(names)
        return self._(
            "I can't work in this channel: I'm missing the permission(s) {listed}. Please ask "
            "a server admin to grant them.",
            listed=listed,
        )

    def thread_failed(self) -> str:
        return self._("I couldn't open a thread here. Please check my permissions and try again.")

    # --- sessions --------------------------------------------------------------------

    def no_session(self) -> str:
        return self._("There's no video session here. Start one with `/video`.")

    def use_video_hint(self) -> str:
        return self._(
            "Start a video with `/video prompt:…`: I open a thread for it, and there you just "
            "talk to me.",
        )

    def export_requested(self) -> str:
        return self._("📦 Export requested: the video will be posted here when it's ready.")

    def session_starting(self) -> str:
        return self._("This thread's video session is still starting: try again in a moment.")

    def export_when_started(self) -> str:
        return self._(
            "📦 This video's session is still starting: the export begins as soon as it's "
            "ready, and the video will be posted here.",
        )

    def reset_not_owner(self) -> str:
        return self._("Only the person who started this session, or a moderator, can reset it.")

    def reset_confirm(self) -> str:
        return self._(
            "Start this thread over? Its current timeline is thrown away, and that can't be "
            "undone.",
        )

    def label_reset_confirm(self) -> str:
        return self._("Start over")

    def reset_done(self) -> str:
        return self._("Done: this thread now has a fresh session.")

    def nothing_to_resend(self) -> str:
        return self._(
            "That message can't be sent again from here any more: please send it again "
            "yourself.",
        )

    # --- access ----------------------------------------------------------------------

    def not_allowed_in_dm(self) -> str:
        return self._(
            "Sorry, nemobot is limited to certain server roles, so it can't be used in direct "
            "messages. Please use it in the server.",
        )

    def button_not_allowed(self) -> str:
        return self._("Only people who can talk in this thread can use these buttons.")

    def something_went_wrong(self) -> str:
        return self._("Something went wrong on my side. Please try again in a moment.")

    # --- buttons and help ------------------------------------------------------------

    def label_export(self) -> str:
        return self._("Export MP4")

    def label_timeline(self) -> str:
        return self._("Timeline")

    def label_retry(self) -> str:
        return self._("Retry")

    def label_cancel(self) -> str:
        return self._("Cancel")

    def label_resend(self) -> str:
        return self._("Send again")

    def label_add_credits(self) -> str:
        return self._("Add credits")

    def label_post_again(self) -> str:
        return self._("Post again")

    def label_versions(self) -> str:
        return self._("Versions")

    def label_delete(self) -> str:
        return self._("Delete")

    def help_intro(self) -> str:
        """Goes before the engine's own help (`Wording.help`)."""
        return self._(
            "Start with `/video prompt:…` (attach an image or clip if you like): I open a "
            "thread for your video, and there you just talk to me, no commands needed.",
        )
