"""Every sentence `nemobot chat` says by itself, in the user's language.

The engine's sentences (replies, errors, credits) come from `bot.core.wording`; these are
the terminal's own: its greeting, its `/help`, and what it says about its commands, which
are typed rather than attached or clicked as in Discord. Written here in English, the
other languages come from the gettext catalogue (`bot.core.catalogue`).
"""

from __future__ import annotations

from bot.core.catalogue import Words
from bot.core.wording import EXAMPLE_PROMPT

#: The terminal's commands, in the order `/help` lists them.
COMMANDS = (
    "/upload", "/export", "/cancel", "/status", "/versions", "/credits", "/reset", "/help",
    "/quit",
)


class TerminalWords(Words):
    """The terminal's own sentences in one language ('en', 'zh', …)."""

    __slots__ = ()

    def offline(self, url: str, credits: int, real_free_credits: int) -> str:
        return self._(
            "Offline mode: the built-in NemoVideo emulator at {url} stands in for NemoVideo. "
            "Its practice account starts with {credits} credits (a real free NemoVideo account "
            "has {real_free_credits}); nothing is kept after you leave.",
            url=url, credits=credits, real_free_credits=real_free_credits,
        )

    def ready(self) -> str:
        return self._(
            "✅ Ready! Describe the video you want, e.g. {example}. Add your own images and "
            "clips with /upload PATH; /help lists the commands, /quit (or Ctrl+D) leaves.",
            example=self._(EXAMPLE_PROMPT),
        )

    def help(self) -> str:
        return self._(
            "🎬 NemoVideo studio in your terminal\n"
            "Describe a video, e.g. {example}, then refine it by chatting here.\n"
            "• /upload PATH [PATH…]: add images, clips or music from this computer (quote a "
            "path with spaces: /upload \"my clip.mp4\").\n"
            "• /export (or say export): render a 1080p MP4 and save it into DOWNLOAD_DIR.\n"
            "• /cancel (or say cancel): stop the reply or the render in progress; lines typed "
            "meanwhile are dropped.\n"
            "• /status (or say status): show the timeline.\n"
            "• /versions: list the videos exported here; /versions N saves version N again "
            "(no new render).\n"
            "• /credits (or say credits): show your NemoVideo credits.\n"
            "• /reset: start over with a fresh session (asks first).\n"
            "• /quit, Ctrl+D or Ctrl+C: leave; an export still rendering is saved the next "
            "time you open this conversation.",
            example=self._(EXAMPLE_PROMPT),
        )

    def unknown_command(self, command: str) -> str:
        listed = ", ".join(COMMANDS)
        return self._(
            "Unknown command {command} — nothing was sent to NemoVideo. Commands: {listed}.",
            command=command, listed=listed,
        )

    def control_characters(self) -> str:
        return self._(
            "That line holds terminal control codes (an arrow key, perhaps), so it was not "
            "sent to NemoVideo. Type it again.",
        )

    def upload_usage(self) -> str:
        return self._(
            "Usage: /upload PATH [PATH…] — quote a path with spaces: /upload \"my clip.mp4\"",
        )

    def versions_usage(self) -> str:
        return self._("Usage: /versions, or /versions N to save version N again (e.g. /versions 2)")

    def no_such_file(self, paths: list[str]) -> str:
        listed = ", ".join(paths)
        return self._("No such file: {listed}. Nothing was uploaded.", listed=listed)

    def confirm_reset(self) -> str:
        return self._(
            "This throws away the current timeline and starts a fresh NemoVideo session. Type "
            "yes (or /reset again) to confirm; anything else keeps the session.",
        )

    def reset_kept(self) -> str:
        return self._("The session is kept.")

    def cannot_reach(self, url: str) -> str:
        """After the engine's own sentence, when NemoVideo could not be reached at start."""
        return self._(
            "nemobot could not reach NemoVideo at {url}. Check this computer's network, run "
            "`nemobot doctor` to see what is wrong, or try `nemobot chat --offline` (no "
            "account, no network).",
            url=url,
        )

    def waiting_for_export(self) -> str:
        return self._(
            "Waiting for the export to finish before leaving (Ctrl+C leaves it for next time)…",
        )

    def left_in_flight(self, conversation: str) -> str:
        again = "nemobot chat" + ("" if conversation == "default" else f" --conversation "
                                  f"{conversation}")
        return self._(
            "Stopped. An export is still rendering at NemoVideo: run `{again}` again to get it.",
            again=again,
        )
