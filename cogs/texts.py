"""The sentences only the Discord edge says (slash-command replies, button refusals, help).

Everything the engine says lives in `bot.core.wording`; these are the few lines about
Discord itself: threads, permissions, buttons. English and Chinese, picked like the
engine's wording (`language` is "en" or "zh").
"""

from __future__ import annotations

from dataclasses import dataclass

import discord

from bot.core.records import Language

#: Discord locales that get Chinese; every other locale gets English.
CHINESE_LOCALES = frozenset({"zh-CN", "zh-TW"})
#: A Han character anywhere in a first DM means the conversation starts in Chinese.
_HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))


def language_from_locale(locale: discord.Locale | str | None) -> Language:
    """zh-CN and zh-TW speak Chinese; everyone else English."""
    value = locale.value if isinstance(locale, discord.Locale) else locale
    return "zh" if value in CHINESE_LOCALES else "en"


def language_from_text(text: str) -> Language:
    """A guess for conversations that start without a locale (a first DM)."""
    for char in text:
        code = ord(char)
        if any(low <= code <= high for low, high in _HAN_RANGES):
            return "zh"
    return "en"


@dataclass(frozen=True, slots=True)
class EdgeTexts:
    """Discord-specific sentences in one language."""

    language: Language = "en"

    def _pick(self, en: str, zh: str) -> str:
        return zh if self.language == "zh" else en

    # --- /video --------------------------------------------------------------------

    def starter(self, user_mention: str, prompt_excerpt: str) -> str:
        return self._pick(
            f"🎬 {user_mention} is making a video: {prompt_excerpt}\nFollow along in the thread.",
            f"🎬 {user_mention} 正在制作视频：{prompt_excerpt}\n请在子区里继续。",
        )

    def bound_here(self, prompt_excerpt: str) -> str:
        return self._pick(
            f"🎬 New video: {prompt_excerpt}\nJust keep talking to me here.",
            f"🎬 新视频：{prompt_excerpt}\n直接在这里和我对话即可。",
        )

    def just_type(self) -> str:
        return self._pick(
            "This thread is already a video session: just type what you want, no command "
            "needed. Use `/reset` to start over.",
            "这个子区已经是一个视频会话了：直接输入你的需求即可，不需要命令。"
            "想重新开始请用 `/reset`。",
        )

    def wrong_channel(self) -> str:
        return self._pick(
            "Use `/video` in a text channel: I open a thread there for your video.",
            "请在文字频道里使用 `/video`：我会在那里为你的视频开一个子区。",
        )

    def missing_permissions(self, names: list[str]) -> str:
        listed = ", ".join(names)
        return self._pick(
            f"I can't work in this channel: I'm missing the permission(s) {listed}. "
            "Please ask a server admin to grant them.",
            f"我无法在这个频道工作：缺少权限 {listed}。请联系服务器管理员授予。",
        )

    def thread_failed(self) -> str:
        return self._pick(
            "I couldn't open a thread here. Please check my permissions and try again.",
            "我无法在这里创建子区。请检查我的权限后重试。",
        )

    # --- sessions --------------------------------------------------------------------

    def no_session(self) -> str:
        return self._pick(
            "There's no video session here. Start one with `/video`.",
            "这里还没有视频会话。请用 `/video` 开始一个。",
        )

    def use_video_hint(self) -> str:
        return self._pick(
            "Start a video with `/video prompt:…`: I open a thread for it, and there you "
            "just talk to me.",
            "用 `/video prompt:…` 开始制作视频：我会为它开一个子区，然后直接在子区里和我对话。",
        )

    def export_requested(self) -> str:
        return self._pick(
            "📦 Export requested: the video will be posted here when it's ready.",
            "📦 已请求导出：视频完成后会发在这里。",
        )

    def session_starting(self) -> str:
        return self._pick(
            "This thread's video session is still starting: try again in a moment.",
            "这个子区的视频会话还在创建中，请稍后再试。",
        )

    def export_when_started(self) -> str:
        return self._pick(
            "📦 This video's session is still starting: the export begins as soon as it's "
            "ready, and the video will be posted here.",
            "📦 这个视频的会话还在创建中：创建好后会立即开始导出，视频完成后会发在这里。",
        )

    def reset_not_owner(self) -> str:
        return self._pick(
            "Only the person who started this session, or a moderator, can reset it.",
            "只有发起这个会话的人或管理员可以重置它。",
        )

    def reset_confirm(self) -> str:
        return self._pick(
            "Start this thread over? Its current timeline is thrown away, and that can't be "
            "undone.",
            "要让这个子区重新开始吗？当前的时间线会被丢弃，且无法恢复。",
        )

    def label_reset_confirm(self) -> str:
        return self._pick("Start over", "重新开始")

    def reset_done(self) -> str:
        return self._pick(
            "Done: this thread now has a fresh session.", "已完成：这个子区已开始新的会话。"
        )

    def nothing_to_resend(self) -> str:
        return self._pick(
            "That message can't be sent again from here any more: please send it again "
            "yourself.",
            "这条消息已无法从这里重新发送，请你自己再发一次。",
        )

    # --- access ----------------------------------------------------------------------

    def not_allowed_in_dm(self) -> str:
        return self._pick(
            "Sorry, nemobot is limited to certain server roles, so it can't be used in direct "
            "messages. Please use it in the server.",
            "抱歉，nemobot 仅限特定服务器身份组使用，因此不能在私信中使用。请在服务器里使用。",
        )

    def button_not_allowed(self) -> str:
        return self._pick(
            "Only people who can talk in this thread can use these buttons.",
            "只有可以在这个子区发言的人才能使用这些按钮。",
        )

    def something_went_wrong(self) -> str:
        return self._pick(
            "Something went wrong on my side. Please try again in a moment.",
            "我这边出了点问题，请稍后再试。",
        )

    # --- buttons and help ------------------------------------------------------------

    def label_export(self) -> str:
        return self._pick("Export MP4", "导出 MP4")

    def label_timeline(self) -> str:
        return self._pick("Timeline", "时间线")

    def label_retry(self) -> str:
        return self._pick("Retry", "重试")

    def label_resend(self) -> str:
        return self._pick("Send again", "重新发送")

    def label_add_credits(self) -> str:
        return self._pick("Add credits", "添加积分")

    def help_intro(self) -> str:
        """Goes before the engine's own help (`Wording.help`)."""
        return self._pick(
            "Start with `/video prompt:…` (attach an image or clip if you like): I open a "
            "thread for your video, and there you just talk to me, no commands needed.",
            "用 `/video prompt:…` 开始（也可以附上图片或视频）：我会为你的视频开一个子区，"
            "之后在子区里直接和我对话即可，不需要命令。",
        )
