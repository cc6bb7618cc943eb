"""Every sentence the engine says, in the user's language, and the GUI-phrase translation.

    wording = Wording("zh-CN")          # 'zh', 'zh-CN', 'zh-TW' → Chinese; unknown → English
    wording.render_started()
    wording.error(exc, anonymous=True, bind_url=registration_url(web_url, user_id))

The sentences are written here in English; the other languages come from the gettext
catalogue (`bot.core.catalogue`, `bot/locale/<lang>/LC_MESSAGES/nemobot.po`).
Errors become words here and nowhere else: `Wording.error` has one sentence per row of the
brief's error table. `translate_gui` (from `bot.core.gui_phrases`) rewrites the backend's
"click Export" style instructions into things a chat user can do.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Sequence
from enum import StrEnum
from typing import Protocol
from urllib.parse import quote

from bot.core.catalogue import CATALOGUE, N_, Words
from bot.core.gui_phrases import translate_gui
from bot.core.media_formats import MAX_UPLOAD_MB, SUPPORTED_FORMATS
from bot.core.progress import Stage
from bot.core.sizes import human_size
from bot.core.tool_kinds import ToolKind, tool_kind
from bot.nemo.errors import (
    ExportBlocked,
    FileTooLarge,
    InsufficientCredits,
    NemoError,
    RateLimited,
    RenderFailed,
    ServiceUnavailable,
    SessionNotFound,
    StreamDropped,
    TokenInvalid,
    TokenRefused,
    UnsupportedFile,
)


class Doing(StrEnum):
    """What the user asked for when an error came: the sentence names that action."""

    CHAT = "chat"
    UPLOAD = "upload"
    EXPORT = "export"


class Explain(Protocol):
    """Puts an error into a user's words: the engine's `explain`, which knows who is
    anonymous and who reads the chat. `doing` says what failed (default: an export)."""

    def __call__(
        self, error: NemoError, wording: Wording, doing: Doing = ..., /
    ) -> Awaitable[str]: ...

__all__ = [
    "Doing",
    "Explain",
    "Wording",
    "normalize_language",
    "registration_url",
    "translate_gui",
]

_FORMATS = ", ".join(SUPPORTED_FORMATS)
#: The example prompt the greetings and the help show (translated like any sentence).
EXAMPLE_PROMPT = N_(
    "“a 15-second clip of a sunset over a mountain lake, cinematic, with background music”"
)


def normalize_language(language: str | None) -> str:
    """A locale → a language the catalogue has: 'zh-CN', 'zh_TW', 'ZH-hans' → 'zh';
    one without a catalogue (None included) → 'en'."""
    return CATALOGUE.language(language)


def registration_url(web_url: str, user_id: str | None) -> str:
    """The brief's registration link, bound to the anonymous user so their work carries over."""
    base = f"{web_url.rstrip('/')}/register"
    return f"{base}?bind={quote(user_id, safe='')}" if user_id else base


class Wording(Words):
    """The engine's sentences in one language (`language` is normalised: 'en', 'zh', …).

    A catalogue other than the installed one can be passed as `catalogue=`.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Wording({self.language!r})"

    def _example(self) -> str:
        return self._(EXAMPLE_PROMPT)

    # ----- a session and a turn ----------------------------------------------------------

    def connecting(self) -> str:
        return self._("🔌 Connecting…")

    def ready(self) -> str:
        return self._(
            "✅ Ready! Describe the video you want, e.g. {example}, or attach images and clips.",
            example=self._example(),
        )

    def thinking(self) -> str:
        return self._("💭 Thinking…")

    def still_working(self, minutes: int | None = None) -> str:
        """The brief's "⏳ Still working…", shown after two minutes without text."""
        if minutes:
            return self._("⏳ Still working… ({minutes} min so far)", minutes=minutes)
        return self._("⏳ Still working…")

    def tool_status(self, tool_name: str) -> str:
        """One line for what the backend is doing, from the name of the tool it called."""
        kind = tool_kind(tool_name)
        if kind is ToolKind.LOOK:
            return self._("🔍 Looking at your media…")
        if kind is ToolKind.VIDEO:
            return self._("🎬 Generating video…")
        if kind is ToolKind.MUSIC:
            return self._("🎵 Adding music…")
        if kind is ToolKind.EDIT:
            return self._("✂️ Editing the timeline…")
        return self._("⚙️ Working…")

    def say_what(self) -> str:
        """For a message with nothing readable in it (a bare mention, only formatting)."""
        return self._(
            "💬 I'm listening: tell me what to make or change, e.g. {example}.",
            example=self._example(),
        )

    def wait_your_turn(self) -> str:
        return self._("⏳ I'm still working on the previous message — yours is next.")

    def wait_for_files(self) -> str:
        return self._("⏳ I'll get to this as soon as the file sent before it has arrived.")

    def turn_no_text(self, summary: str) -> str:
        """After an edit that came back without any text (about 30% of them)."""
        return self._("✅ Done — here is the timeline now: {summary}", summary=summary)

    def turn_no_change(self) -> str:
        return self._(
            "🤔 NemoVideo didn't answer and the timeline hasn't changed. Try saying it another "
            "way, with concrete details (what, where, how long).",
        )

    # ----- errors --------------------------------------------------------------------------

    def error(
        self,
        err: NemoError,
        *,
        anonymous: bool = False,
        bind_url: str | None = None,
        operator: bool = True,
        doing: Doing = Doing.EXPORT,
    ) -> str:
        """The sentence for an error, one per row of the brief's error table.

        `anonymous` and `bind_url` matter for 2001 (no credits): anonymous users get the
        registration link (`registration_url`), registered ones are told to top up.
        `operator` is false where the chat's readers are not the bot's operator (Discord):
        what only the operator can act on is then said without its details (those go to
        the log). `doing` is what failed: a chat turn, an upload, an export.
        """
        if isinstance(err, TokenRefused):
            return self._token_refused(err.retry_after, operator=operator)
        if isinstance(err, TokenInvalid) and not anonymous and not operator:
            return self.misconfigured()
        if isinstance(err, TokenInvalid) and not anonymous:
            return self._(
                "🔑 NemoVideo rejected this bot's NEMO_TOKEN. The bot's operator needs to "
                "replace it (`nemobot doctor` checks it).",
            )
        if isinstance(err, TokenInvalid):
            return self._(
                "🔌 My connection to NemoVideo expired, so I'm reconnecting. Please try again "
                "in a moment.",
            )
        if isinstance(err, SessionNotFound):
            return self._(
                "Your previous session expired, so I started a new one — your messages from "
                "here on go to it.",
            )
        if isinstance(err, InsufficientCredits):
            if anonymous and not operator:
                return self.shared_credits_used_up()
            return self._no_credits(anonymous=anonymous, bind_url=bind_url)
        if doing is Doing.CHAT and isinstance(err, UnsupportedFile | FileTooLarge | ExportBlocked):
            return self._chat_refused(err)
        if isinstance(err, ExportBlocked) and doing is Doing.UPLOAD:
            return self._(
                "🔒 Your current NemoVideo plan doesn't allow uploading files. Register or "
                "upgrade the plan to unlock it. (This isn't about credits.)",
            )
        if isinstance(err, UnsupportedFile):
            return self._(
                "📎 That file type isn't supported. Supported formats: {formats}.",
                formats=_FORMATS,
            )
        if isinstance(err, FileTooLarge):
            return self._(
                "📎 That file is too large. Compress or trim it below {limit_mb} MB and try "
                "again.",
                limit_mb=MAX_UPLOAD_MB,
            )
        if isinstance(err, ExportBlocked):
            return self._(
                "🔒 Your current plan can't export. Register or upgrade your plan to unlock "
                "export. (This isn't about credits.)",
            )
        if isinstance(err, RateLimited):
            seconds = max(1, math.ceil(err.retry_after))
            return self._(
                "⏳ NemoVideo is busy right now. Please try again in {seconds} s.",
                seconds=seconds,
            )
        if isinstance(err, StreamDropped):
            return self._("📡 I lost the connection to NemoVideo — checking what changed…")
        if isinstance(err, ServiceUnavailable):  # ServiceTimeout too
            return self._("📡 NemoVideo is not answering right now. Please try again shortly.")
        if isinstance(err, RenderFailed):
            return self._("⚠️ The render failed. Say “export” to try again.")
        return self._("⚠️ Something went wrong on NemoVideo's side. Please try again.")

    def _chat_refused(self, err: NemoError) -> str:
        """4001 / 4002 / 402 answering a chat turn: about the request, not a file sent now."""
        if isinstance(err, UnsupportedFile):
            return self._(
                "📎 NemoVideo couldn't do that: it needs a file of this project whose type it "
                "doesn't support (supported: {formats}). Try asking without that file.",
                formats=_FORMATS,
            )
        if isinstance(err, FileTooLarge):
            return self._(
                "📎 NemoVideo couldn't do that: a file it needs from this project is over its "
                "{limit_mb} MB limit. Send a smaller version, or ask without it.",
                limit_mb=MAX_UPLOAD_MB,
            )
        return self._(
            "🔒 Your current NemoVideo plan doesn't allow that request. Register or upgrade the "
            "plan to unlock it. (This isn't about credits.)",
        )

    def misconfigured(self) -> str:
        """Where the reader is not the operator: an error only the operator can fix."""
        return self._(
            "⚙️ The bot is misconfigured, so I can't reach NemoVideo right now. An admin has "
            "been told.",
        )

    def shared_credits_used_up(self) -> str:
        """No credits, said to a chat whose readers share the bot's free account."""
        return self._(
            "💳 The bot's free NemoVideo credits are used up. A server admin can add more (the "
            "Add credits button tells them how).",
        )

    def add_credits_admin(self, bind_url: str | None) -> str:
        """For a server admin who asked how to add credits (shown only to them)."""
        if bind_url is None:
            return self._("💳 Add credits in the NemoVideo account whose NEMO_TOKEN this bot uses.")
        return self._(
            "💳 This bot runs on a free anonymous NemoVideo account. Register through this link "
            "to claim it (its projects come along) and add credits: {bind_url}\n"
            "Keep the link to yourself: whoever registers through it first owns the account.",
            bind_url=bind_url,
        )

    def add_credits_not_admin(self) -> str:
        return self._("💳 Only a server admin (Manage Server) can add credits to this bot.")

    def rate_limited_retrying(self, seconds: float) -> str:
        """While the bot waits to retry a 429 once by itself."""
        whole = max(1, math.ceil(seconds))
        return self._("⏳ NemoVideo is busy — retrying in {whole} s…", whole=whole)

    def _no_credits(self, *, anonymous: bool, bind_url: str | None) -> str:
        if not anonymous:
            return self._("💳 You're out of credits. Top up credits in your NemoVideo account.")
        if bind_url:
            return self._(
                "💳 You've used all your free credits. Register to get more — your project "
                "comes with you: {bind_url}",
                bind_url=bind_url,
            )
        return self._(
            "💳 You've used all your free credits. Register a NemoVideo account to get more.",
        )

    # ----- a refused token renewal (bot.nemo.auth) -----------------------------------------

    def _token_refused(self, retry_after: float | None, *, operator: bool) -> str:
        """NemoVideo would not renew the free token: not "busy", and waiting minutes won't help."""
        if retry_after is None:
            when = self._("for now")
        elif retry_after >= 2 * 86400:
            days = round(retry_after / 86400)
            when = self._n("for about {days} day", "for about {days} days", days, days=days)
        elif retry_after >= 2 * 3600:
            hours = round(retry_after / 3600)
            when = self._n("for about {hours} hour", "for about {hours} hours", hours, hours=hours)
        else:
            minutes = max(1, math.ceil(retry_after / 60))
            when = self._("for about {minutes} min", minutes=minutes)
        if not operator:  # what the operator can do goes to the log (Engine.explain)
            return self._(
                "🔑 NemoVideo won't renew this bot's free access {when}, so your video is on "
                "hold. An admin has been told.",
                when=when,
            )
        return self._(
            "🔑 NemoVideo won't renew this bot's free access {when} (it gives one per install "
            "per 7 days), so your video is on hold. The bot's operator can fix it now by "
            "setting NEMO_TOKEN to a registered NemoVideo account's token.",
            when=when,
        )

    # ----- uploads -------------------------------------------------------------------------

    def upload_too_large(self, name: str, size_bytes: int, limit_bytes: int) -> str:
        size, limit = human_size(size_bytes), human_size(limit_bytes)
        return self._(
            "📎 “{name}” is {size}, over the {limit} limit. Compress or trim it and send it "
            "again.",
            name=name, size=size, limit=limit,
        )

    def upload_unsupported(self, name: str) -> str:
        return self._(
            "📎 I can't use “{name}”. Supported formats: {formats}.",
            name=name, formats=_FORMATS,
        )

    def upload_empty(self, name: str) -> str:
        return self._(
            "📎 “{name}” is empty (0 bytes), so there is nothing to use. Check the file and "
            "send it again.",
            name=name,
        )

    def attachment_unavailable(self, name: str) -> str:
        return self._(
            "📎 I couldn't fetch “{name}” from the chat — please attach it again.",
            name=name,
        )

    def uploaded(self, names: Sequence[str]) -> str:
        if not names:
            return self._("📎 Nothing was uploaded.")
        return self._n(
            "📎 Uploaded {files}. Tell me what to do with it.",
            "📎 Uploaded {files}. Tell me what to do with them.",
            len(names),
            files=self._listed(names),
        )

    def _listed(self, names: Sequence[str]) -> str:
        """'a', 'a and b', 'a, b and c', joined the way the language joins a list."""
        if len(names) == 1:
            return names[0]
        # NOTE: Joins all but the last item of a list ("a, b").
        separator = self._(", ")
        return self._("{items} and {last}", items=separator.join(names[:-1]), last=names[-1])

    def upload_how(self) -> str:
        """For "upload" said without a file."""
        return self._(
            "📎 Attach the files to a message here ({formats}; up to {limit_mb} MB each) and "
            "I'll add them to this project.",
            formats=_FORMATS, limit_mb=MAX_UPLOAD_MB,
        )

    # ----- export --------------------------------------------------------------------------

    def nothing_to_export(self) -> str:
        return self._(
            "Nothing on the timeline yet — describe a video first, e.g. {example}.",
            example=self._example(),
        )

    def render_started(self) -> str:
        return self._("🎞️ Rendering your video… this usually takes a minute or two.")

    def render_progress(self, percent: int) -> str:
        value = min(100, max(0, int(percent)))
        return self._("🎞️ Rendering… {value}%", value=value)

    def render_done_file(self, url: str | None = None) -> str:
        """Goes with the MP4 attached; `url` is the download link, shown when known."""
        text = self._("✅ Your video is ready!")
        if url:
            text += self._(
                "\n"
                "Download link: {url}",
                url=url,
            )
        return text

    def render_done_link(self, url: str) -> str:
        return self._(
            "✅ Your video is ready! It's too large to attach here, so here is the download "
            "link: {url}",
            url=url,
        )

    def render_done_preview(self, url: str) -> str:
        """Goes with a smaller preview attached when the MP4 is over the upload limit."""
        return self._(
            "✅ Your video is ready! It's too large to attach here, so here is a smaller "
            "preview that plays right here. The full video: {url}",
            url=url,
        )

    def preview_unavailable(self) -> str:
        """Added to `render_done_link` when no preview could be made (ffmpeg missing or failed)."""
        return self._(
            "(I couldn't make a preview to play here this time; the link has the full video.)",
        )

    def render_undelivered(self, url: str | None) -> str:
        """Every attempt to download or post a finished render failed."""
        if url:
            return self._(
                "⚠️ Your video was rendered, but I couldn't post it here. Press Retry to try "
                "again, or download it yourself: {url}",
                url=url,
            )
        return self._(
            "⚠️ Your video was rendered, but I couldn't post it here. Press Retry to try again "
            "(say “export” in a terminal).",
        )

    def unexpected_error(self) -> str:
        return self._(
            "⚠️ Something went wrong on my side. Your timeline is safe — press Timeline to see "
            "where things stand, then tell me what you'd like next.",
        )

    def render_already_running(self) -> str:
        return self._(
            "🎞️ A render of this video is already running — I'll post it here when it's done.",
        )

    def render_unreachable(self) -> str:
        return self._(
            "⌛ I can't reach NemoVideo to check on the render, so I stopped waiting. Say "
            "“export” to try again.",
        )

    def render_gave_up(self) -> str:
        return self._(
            "⌛ The render is taking much longer than it should, so I stopped waiting. Say "
            "“export” to try again.",
        )

    # ----- credits and status --------------------------------------------------------------

    def credits(self, available: int, frozen: int, total: int) -> str:
        if frozen:
            return self._n(
                "💳 {available} credit left, and {frozen} more held for work in progress.",
                "💳 {available} credits left, and {frozen} more held for work in progress.",
                available,
                available=available, frozen=frozen,
            )
        return self._n(
            "💳 {available} credit left.", "💳 {available} credits left.", available,
            available=available,
        )

    def status(self, summary: str) -> str:
        return self._("📋 {summary}", summary=summary)

    # ----- after a restart -----------------------------------------------------------------

    def recovery_checking(self) -> str:
        return self._("🔄 I was interrupted while working on this — checking what changed…")

    def recovery_changed(self, summary: str) -> str:
        return self._(
            "✅ Your last request went through — here is the timeline now: {summary}",
            summary=summary,
        )

    def recovery_gave_up(self) -> str:
        return self._(
            "⚠️ I couldn't confirm that your last request went through: the timeline hasn't "
            "changed. Send it again if you still want it.",
        )

    # ----- the rest ------------------------------------------------------------------------

    def help(self) -> str:
        return self._(
            "🎬 **NemoVideo studio**\n"
            "Describe a video, e.g. {example}, then refine it by chatting here.\n"
            "• Attach images, clips or music ({formats}; up to {limit_mb} MB) to use them.\n"
            "• **export** (or /export): render a 1080p MP4 and post it here.\n"
            "• **status** (or /status): show the timeline.\n"
            "• **credits** (or /credits): show your credits.\n"
            "• /reset: start over with a fresh session.",
            example=self._example(), formats=_FORMATS, limit_mb=MAX_UPLOAD_MB,
        )

    def limit_reached(self, limit: int) -> str:
        return self._(
            "🚦 You've reached today's limit of {limit} requests. It resets at midnight UTC.",
            limit=limit,
        )

    def not_allowed(self) -> str:
        return self._("🔒 Sorry, you don't have a role that can use the video studio here.")

    def reset_busy(self) -> str:
        return self._(
            "⏳ I'm still working on a message in this session. Reset once it's done, so "
            "nothing of it lands in the fresh session.",
        )

    def reset_while_rendering(self) -> str:
        return self._(
            "🎞️ A render of this session's video is still running. I'll post it here when it's "
            "done; reset after that, so it isn't mixed up with the fresh session.",
        )

    def session_reset(self) -> str:
        return self._(
            "🆕 Started a fresh session — the previous timeline is gone. Describe your next "
            "video.",
        )

    # ----- status: the session's files --------------------------------------------------------

    def status_files(self, names: Sequence[str]) -> str:
        """Under /status: the files uploaded into the session, in upload order."""
        return self._("📎 Files: {files}", files=self._listed(names))

    # ----- delivery media, render progress and cancel -------------------------------------

    def poster_alt(self) -> str:
        """Alt text of the poster frame posted with a video."""
        return self._("Poster frame of your video")

    def video_alt(self) -> str:
        return self._("Your rendered video")

    def preview_alt(self) -> str:
        return self._("A smaller preview of your video (the full one is at the link)")

    def render_stage(self, stage: Stage) -> str:
        """The words before a render's progress bar."""
        return self._(_STAGE_WORDS[stage])

    def started_at(self, clock: str) -> str:
        """After the progress bar: `clock` is the platform's "how long ago" marker."""
        return self._("started {clock}", clock=clock)

    def render_cancelled(self) -> str:
        """The render's status message once it is cancelled."""
        return self._(
            "⏹️ Render cancelled — nothing will be posted for it. Say “export” to render again."
        )

    def cancel_done(self) -> str:
        return self._("⏹️ Cancelled the render.")

    def cancel_nothing(self) -> str:
        return self._("Nothing to cancel: nothing is running in this conversation.")

    def cancel_not_yours(self) -> str:
        return self._(
            "Only the person who asked for it (or someone who can manage threads) can cancel "
            "what is running here."
        )

    def cancel_too_late(self) -> str:
        return self._("Too late to cancel: the video is being posted right now.")

    # ----- cards: the delivered video, versions, the timeline -------------------------------

    def video_untitled(self) -> str:
        """A card's title when the video has no title of its own."""
        return self._("Your video")

    def field_duration(self) -> str:
        return self._("Duration")

    def field_size(self) -> str:
        return self._("Size")

    def version_footer(self, number: int) -> str:
        return self._("Version {number}", number=number)

    def timeline_title(self) -> str:
        return self._("📋 Timeline")

    def timeline_total(self, length: str) -> str:
        return self._("Total {length}", length=length)

    def timeline_empty(self) -> str:
        return self._("Nothing on the timeline yet.")

    def versions_title(self) -> str:
        return self._("🗂️ Versions of this video")

    def versions_none(self) -> str:
        return self._(
            "No versions yet: say “export” (or use /export) and every video I post here is "
            "listed."
        )

    def versions_how(self) -> str:
        """Under the list: how to post one again."""
        return self._("Newest first. Post again puts a version back in the chat, no new render.")

    def version_posted(self, when: str) -> str:
        """`when` is a time, or the platform's "how long ago" marker."""
        return self._("posted {when}", when=when)

    def version_expired(self, number: int) -> str:
        return self._(
            "⌛ The link of version {number} has expired, so I can't post it again. Press "
            "Export MP4 (or say “export”) to render the current timeline anew.",
            number=number,
        )

    def version_unknown(self) -> str:
        return self._("That version isn't in this conversation.")

    def version_busy(self) -> str:
        return self._("That version is being posted already.")

    def version_post_failed(self) -> str:
        return self._("I couldn't post that version again just now. Please try again in a moment.")

    def post_deleted(self) -> str:
        return self._("🗑️ Deleted.")

    def delete_not_yours(self) -> str:
        return self._(
            "Only the person who asked for this video (or someone who can manage messages) can "
            "delete it."
        )

    def cancel_turn_done(self) -> str:
        """To whoever cancelled a chat turn; the turn's own message says what comes next."""
        return self._("⏹️ Stopped the reply in progress.")

    def cancel_dropped(self, count: int) -> str:
        return self._n(
            "⏹️ Dropped {count} message that was waiting for its turn.",
            "⏹️ Dropped {count} messages that were waiting for their turn.",
            count,
            count=count,
        )

    def message_dropped(self, text: str) -> str:
        """To the author of a message dropped by a cancel before its turn came."""
        excerpt = " ".join(text.split())
        if not excerpt:
            return self._("⏹️ Cancelled before its turn: your files were not uploaded.")
        if len(excerpt) > DROPPED_EXCERPT_CHARS:
            excerpt = excerpt[: DROPPED_EXCERPT_CHARS - 1].rstrip() + "…"
        return self._(
            "⏹️ Cancelled before its turn, so it was not sent to NemoVideo: “{excerpt}”",
            excerpt=excerpt,
        )

    def export_dropped(self) -> str:
        return self._("⏹️ The export waiting for its turn was cancelled; nothing was rendered.")

    def turn_cancelled_checking(self) -> str:
        """In a cancelled turn's message, at once: the stream is closed, the state is read."""
        return self._(
            "⏹️ Cancelled — I stopped listening for NemoVideo's reply. NemoVideo may still "
            "finish the edit on its side; checking what changed…"
        )

    def turn_cancelled_changed(self, summary: str) -> str:
        return self._(
            "⏹️ Cancelled, but NemoVideo finished the edit on its side — here is the timeline "
            "now: {summary}",
            summary=summary,
        )

    def turn_cancelled_unchanged(self) -> str:
        return self._(
            "⏹️ Cancelled — the timeline hasn't changed. If NemoVideo still finishes the edit "
            "later, “status” shows it."
        )


#: How much of a dropped message its author is shown.
DROPPED_EXCERPT_CHARS = 80


#: The words before each stage's progress bar (msgids: translated in `render_stage`).
_STAGE_WORDS = {
    Stage.QUEUED: N_("🕒 Queued…"),
    Stage.RENDERING: N_("🎞️ Rendering…"),
    Stage.DOWNLOADING: N_("⬇️ Downloading the video…"),
    Stage.PREPARING: N_("🖼️ Preparing the poster and preview…"),
    Stage.UPLOADING: N_("📤 Uploading the video…"),
}
