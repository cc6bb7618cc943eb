"""Every sentence a user reads, in English and Chinese, and the GUI-phrase translation.

    wording = Wording("zh-CN")          # 'zh', 'zh-CN', 'zh-TW' → Chinese; anything else English
    wording.render_started()
    wording.error(exc, anonymous=True, bind_url=registration_url(web_url, user_id))

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

from bot.core.gui_phrases import translate_gui
from bot.core.records import Language
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
    "MAX_UPLOAD_MB",
    "SUPPORTED_FORMATS",
    "Doing",
    "Explain",
    "Wording",
    "normalize_language",
    "registration_url",
    "translate_gui",
]

#: What NemoVideo accepts, as the brief lists it.
SUPPORTED_FORMATS = (
    "mp4", "mov", "avi", "webm", "mkv", "jpg", "png", "gif", "webp", "mp3", "wav", "m4a", "aac",
)
MAX_UPLOAD_MB = 200

_FORMATS = ", ".join(SUPPORTED_FORMATS)
_EXAMPLE_EN = (
    "“a 15-second clip of a sunset over a mountain lake, cinematic, with background music”"
)
_EXAMPLE_ZH = "“一段 15 秒的山间湖泊日落视频，电影感，配背景音乐”"


def normalize_language(language: str | None) -> Language:
    """'zh', 'zh-CN', 'zh_TW', 'ZH-hans' → 'zh'; everything else (None included) → 'en'."""
    if language and language.strip().lower().replace("_", "-").split("-")[0] == "zh":
        return "zh"
    return "en"


def registration_url(web_url: str, user_id: str | None) -> str:
    """The brief's registration link, bound to the anonymous user so their work carries over."""
    base = f"{web_url.rstrip('/')}/register"
    return f"{base}?bind={quote(user_id, safe='')}" if user_id else base


def _size(size_bytes: int) -> str:
    """A human size: 512 KB, 12.5 MB, 200 MB, 1.2 GB (units of 1024)."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size_bytes >= scale:
            value = size_bytes / scale
            text = f"{value:.1f}" if value < 100 else f"{value:.0f}"
            return f"{text.removesuffix('.0')} {unit}"
    return f"{size_bytes} bytes"


def _tool_kind(tool_name: str) -> str:
    name = tool_name.lower()
    if any(word in name for word in ("understand", "analy", "inspect", "describe")):
        return "look"
    if name.startswith("generate_video") or "seedance" in name or "video_gen" in name:
        return "video"
    if any(word in name for word in ("music", "suno", "bgm", "audio", "sound")):
        return "music"
    if any(word in name for word in ("edit", "draft", "multitrack", "timeline", "track")):
        return "edit"
    return "other"


class Wording:
    """The sentences of one language. `language` is normalised ('en' or 'zh')."""

    __slots__ = ("language",)

    def __init__(self, language: str | None = "en") -> None:
        self.language: Language = normalize_language(language)

    def __repr__(self) -> str:
        return f"Wording({self.language!r})"

    def _pick(self, en: str, zh: str) -> str:
        return zh if self.language == "zh" else en

    # ----- a session and a turn ----------------------------------------------------------

    def connecting(self) -> str:
        return self._pick("🔌 Connecting…", "🔌 正在连接…")

    def ready(self) -> str:
        return self._pick(
            f"✅ Ready! Describe the video you want, e.g. {_EXAMPLE_EN}, "
            "or attach images and clips.",
            f"✅ 准备好了！描述你想要的视频，例如{_EXAMPLE_ZH}，或者直接发送图片和视频片段。",
        )

    def thinking(self) -> str:
        return self._pick("💭 Thinking…", "💭 思考中…")

    def still_working(self, minutes: int | None = None) -> str:
        """The brief's "⏳ Still working…", shown after two minutes without text."""
        if minutes:
            return self._pick(
                f"⏳ Still working… ({minutes} min so far)", f"⏳ 仍在处理…（已 {minutes} 分钟）"
            )
        return self._pick("⏳ Still working…", "⏳ 仍在处理…")

    def tool_status(self, tool_name: str) -> str:
        """One line for what the backend is doing, from the name of the tool it called."""
        kind = _tool_kind(tool_name)
        if kind == "look":
            return self._pick("🔍 Looking at your media…", "🔍 正在查看你的素材…")
        if kind == "video":
            return self._pick("🎬 Generating video…", "🎬 正在生成视频…")
        if kind == "music":
            return self._pick("🎵 Adding music…", "🎵 正在添加音乐…")
        if kind == "edit":
            return self._pick("✂️ Editing the timeline…", "✂️ 正在编辑时间线…")
        return self._pick("⚙️ Working…", "⚙️ 处理中…")

    def say_what(self) -> str:
        """For a message with nothing readable in it (a bare mention, only formatting)."""
        return self._pick(
            f"💬 I'm listening: tell me what to make or change, e.g. {_EXAMPLE_EN}.",
            f"💬 我在听：告诉我要制作或修改什么，例如{_EXAMPLE_ZH}。",
        )

    def wait_your_turn(self) -> str:
        return self._pick(
            "⏳ I'm still working on the previous message — yours is next.",
            "⏳ 上一条消息还在处理中，你的消息会紧接着处理。",
        )

    def wait_for_files(self) -> str:
        return self._pick(
            "⏳ I'll get to this as soon as the file sent before it has arrived.",
            "⏳ 之前发送的文件一到，我就处理这条消息。",
        )

    def turn_no_text(self, summary: str) -> str:
        """After an edit that came back without any text (about 30% of them)."""
        return self._pick(f"✅ Done — here is the timeline now: {summary}",
                          f"✅ 完成，当前时间线：{summary}")

    def turn_no_change(self) -> str:
        return self._pick(
            "🤔 NemoVideo didn't answer and the timeline hasn't changed. Try saying it another "
            "way, with concrete details (what, where, how long).",
            "🤔 NemoVideo 没有回复，时间线也没有变化。"
            "换个说法试试，写清楚具体内容（做什么、放在哪里、多长）。",
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
            return self._pick(
                "🔑 NemoVideo rejected this bot's NEMO_TOKEN. The bot's operator needs to "
                "replace it (`nemobot doctor` checks it).",
                "🔑 NemoVideo 拒绝了本机器人的 NEMO_TOKEN，需要由管理员更换（可用 "
                "`nemobot doctor` 检查）。",
            )
        if isinstance(err, TokenInvalid):
            return self._pick(
                "🔌 My connection to NemoVideo expired, so I'm reconnecting. "
                "Please try again in a moment.",
                "🔌 与 NemoVideo 的连接已过期，正在重新连接，请稍后再试。",
            )
        if isinstance(err, SessionNotFound):
            return self._pick(
                "Your previous session expired, so I started a new one — your messages from "
                "here on go to it.",
                "之前的会话已过期，我已新建了一个会话，接下来的消息都会发到新会话中。",
            )
        if isinstance(err, InsufficientCredits):
            if anonymous and not operator:
                return self.shared_credits_used_up()
            return self._no_credits(anonymous=anonymous, bind_url=bind_url)
        if doing is Doing.CHAT and isinstance(err, UnsupportedFile | FileTooLarge | ExportBlocked):
            return self._chat_refused(err)
        if isinstance(err, ExportBlocked) and doing is Doing.UPLOAD:
            return self._pick(
                "🔒 Your current NemoVideo plan doesn't allow uploading files. Register or "
                "upgrade the plan to unlock it. (This isn't about credits.)",
                "🔒 当前 NemoVideo 套餐不支持上传文件。注册或升级套餐即可解锁。（这与积分无关。）",
            )
        if isinstance(err, UnsupportedFile):
            return self._pick(
                f"📎 That file type isn't supported. Supported formats: {_FORMATS}.",
                f"📎 不支持这种文件类型。支持的格式：{_FORMATS}。",
            )
        if isinstance(err, FileTooLarge):
            return self._pick(
                f"📎 That file is too large. Compress or trim it below {MAX_UPLOAD_MB} MB "
                "and try again.",
                f"📎 文件太大了。请压缩或剪短到 {MAX_UPLOAD_MB} MB 以下再试。",
            )
        if isinstance(err, ExportBlocked):
            return self._pick(
                "🔒 Your current plan can't export. Register or upgrade your plan to unlock "
                "export. (This isn't about credits.)",
                "🔒 当前套餐不支持导出。注册或升级套餐即可解锁导出。（这与积分无关。）",
            )
        if isinstance(err, RateLimited):
            seconds = max(1, math.ceil(err.retry_after))
            return self._pick(
                f"⏳ NemoVideo is busy right now. Please try again in {seconds} s.",
                f"⏳ NemoVideo 当前繁忙，请在 {seconds} 秒后重试。",
            )
        if isinstance(err, StreamDropped):
            return self._pick(
                "📡 I lost the connection to NemoVideo — checking what changed…",
                "📡 与 NemoVideo 的连接中断了，正在检查发生了哪些变化…",
            )
        if isinstance(err, ServiceUnavailable):  # ServiceTimeout too
            return self._pick(
                "📡 NemoVideo is not answering right now. Please try again shortly.",
                "📡 NemoVideo 暂时没有响应，请稍后再试。",
            )
        if isinstance(err, RenderFailed):
            return self._pick(
                "⚠️ The render failed. Say “export” to try again.",
                "⚠️ 渲染失败了。发送“导出”即可重试。",
            )
        return self._pick(
            "⚠️ Something went wrong on NemoVideo's side. Please try again.",
            "⚠️ NemoVideo 出了点问题，请再试一次。",
        )

    def _chat_refused(self, err: NemoError) -> str:
        """4001 / 4002 / 402 answering a chat turn: about the request, not a file sent now."""
        if isinstance(err, UnsupportedFile):
            return self._pick(
                "📎 NemoVideo couldn't do that: it needs a file of this project whose type "
                f"it doesn't support (supported: {_FORMATS}). Try asking without that file.",
                f"📎 NemoVideo 无法完成这个请求：它需要用到本项目中一个不支持的文件类型"
                f"（支持：{_FORMATS}）。请换个不用那个文件的说法再试。",
            )
        if isinstance(err, FileTooLarge):
            return self._pick(
                "📎 NemoVideo couldn't do that: a file it needs from this project is over "
                f"its {MAX_UPLOAD_MB} MB limit. Send a smaller version, or ask without it.",
                f"📎 NemoVideo 无法完成这个请求：它需要的项目文件超过了 {MAX_UPLOAD_MB} MB 的"
                "上限。请发送更小的版本，或换个不用它的说法。",
            )
        return self._pick(
            "🔒 Your current NemoVideo plan doesn't allow that request. Register or upgrade "
            "the plan to unlock it. (This isn't about credits.)",
            "🔒 当前 NemoVideo 套餐不支持这个请求。注册或升级套餐即可解锁。（这与积分无关。）",
        )

    def misconfigured(self) -> str:
        """Where the reader is not the operator: an error only the operator can fix."""
        return self._pick(
            "⚙️ The bot is misconfigured, so I can't reach NemoVideo right now. An admin "
            "has been told.",
            "⚙️ 机器人配置有误，暂时无法连接 NemoVideo。已通知管理员。",
        )

    def shared_credits_used_up(self) -> str:
        """No credits, said to a chat whose readers share the bot's free account."""
        return self._pick(
            "💳 The bot's free NemoVideo credits are used up. A server admin can add more "
            "(the Add credits button tells them how).",
            "💳 机器人的免费 NemoVideo 积分已用完。服务器管理员可以添加更多"
            "（“添加积分”按钮会告诉他们怎么做）。",
        )

    def add_credits_admin(self, bind_url: str | None) -> str:
        """For a server admin who asked how to add credits (shown only to them)."""
        if bind_url is None:
            return self._pick(
                "💳 Add credits in the NemoVideo account whose NEMO_TOKEN this bot uses.",
                "💳 请在本机器人 NEMO_TOKEN 所属的 NemoVideo 账户中充值积分。",
            )
        return self._pick(
            "💳 This bot runs on a free anonymous NemoVideo account. Register through this "
            f"link to claim it (its projects come along) and add credits: {bind_url}\n"
            "Keep the link to yourself: whoever registers through it first owns the account.",
            "💳 本机器人使用的是免费的匿名 NemoVideo 账户。通过此链接注册即可认领该账户"
            f"（项目会一并保留）并添加积分：{bind_url}\n"
            "请勿公开此链接：第一个通过它注册的人将拥有该账户。",
        )

    def add_credits_not_admin(self) -> str:
        return self._pick(
            "💳 Only a server admin (Manage Server) can add credits to this bot.",
            "💳 只有服务器管理员（管理服务器权限）可以为本机器人添加积分。",
        )

    def rate_limited_retrying(self, seconds: float) -> str:
        """While the bot waits to retry a 429 once by itself."""
        whole = max(1, math.ceil(seconds))
        return self._pick(f"⏳ NemoVideo is busy — retrying in {whole} s…",
                          f"⏳ NemoVideo 繁忙，{whole} 秒后自动重试…")

    def _no_credits(self, *, anonymous: bool, bind_url: str | None) -> str:
        if not anonymous:
            return self._pick(
                "💳 You're out of credits. Top up credits in your NemoVideo account.",
                "💳 积分已用完。请在你的 NemoVideo 账户中充值积分。",
            )
        if bind_url:
            return self._pick(
                f"💳 You've used all your free credits. Register to get more — your project "
                f"comes with you: {bind_url}",
                f"💳 免费积分已用完。注册即可获得更多积分，当前项目会一并保留：{bind_url}",
            )
        return self._pick(
            "💳 You've used all your free credits. Register a NemoVideo account to get more.",
            "💳 免费积分已用完。注册 NemoVideo 账户即可获得更多积分。",
        )

    # ----- a refused token renewal (bot.nemo.auth) -----------------------------------------

    def _token_refused(self, retry_after: float | None, *, operator: bool) -> str:
        """NemoVideo would not renew the free token: not "busy", and waiting minutes won't help."""
        if retry_after is None:
            when_en, when_zh = "for now", "暂时"
        elif retry_after >= 2 * 86400:
            days = round(retry_after / 86400)
            when_en, when_zh = f"for about {days} days", f"大约 {days} 天内"
        elif retry_after >= 2 * 3600:
            hours = round(retry_after / 3600)
            when_en, when_zh = f"for about {hours} hours", f"大约 {hours} 小时内"
        else:
            minutes = max(1, math.ceil(retry_after / 60))
            when_en, when_zh = f"for about {minutes} min", f"大约 {minutes} 分钟内"
        if not operator:  # what the operator can do goes to the log (Engine.explain)
            return self._pick(
                f"🔑 NemoVideo won't renew this bot's free access {when_en}, so your video is "
                "on hold. An admin has been told.",
                f"🔑 NemoVideo {when_zh}不会为本机器人续发免费访问令牌，你的视频暂时无法继续处理。"
                "已通知管理员。",
            )
        return self._pick(
            f"🔑 NemoVideo won't renew this bot's free access {when_en} (it gives one per "
            "install per 7 days), so your video is on hold. The bot's operator can fix it "
            "now by setting NEMO_TOKEN to a registered NemoVideo account's token.",
            f"🔑 NemoVideo {when_zh}不会为本机器人续发免费访问令牌（每个安装每 7 天只发一个），"
            "你的视频暂时无法继续处理。管理员可以把 NEMO_TOKEN 设为已注册 NemoVideo 账户的令牌，"
            "立即恢复。",
        )

    # ----- uploads -------------------------------------------------------------------------

    def upload_too_large(self, name: str, size_bytes: int, limit_bytes: int) -> str:
        size, limit = _size(size_bytes), _size(limit_bytes)
        return self._pick(
            f"📎 “{name}” is {size}, over the {limit} limit. Compress or trim it and send it "
            "again.",
            f"📎 “{name}” 大小为 {size}，超过了 {limit} 的上限。请压缩或剪短后重新发送。",
        )

    def upload_unsupported(self, name: str) -> str:
        return self._pick(
            f"📎 I can't use “{name}”. Supported formats: {_FORMATS}.",
            f"📎 无法使用 “{name}”。支持的格式：{_FORMATS}。",
        )

    def upload_empty(self, name: str) -> str:
        return self._pick(
            f"📎 “{name}” is empty (0 bytes), so there is nothing to use. Check the file and "
            "send it again.",
            f"📎 “{name}” 是空文件（0 字节），无法使用。请检查文件后重新发送。",
        )

    def attachment_unavailable(self, name: str) -> str:
        return self._pick(
            f"📎 I couldn't fetch “{name}” from the chat — please attach it again.",
            f"📎 无法从聊天中获取 “{name}”，请重新附加该文件。",
        )

    def uploaded(self, names: Sequence[str]) -> str:
        if not names:
            return self._pick("📎 Nothing was uploaded.", "📎 没有上传任何文件。")
        listed_en = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        them = "it" if len(names) == 1 else "them"
        return self._pick(
            f"📎 Uploaded {listed_en}. Tell me what to do with {them}.",
            f"📎 已上传 {'、'.join(names)}。告诉我要怎么使用。",
        )

    def upload_how(self) -> str:
        """For "upload" said without a file."""
        return self._pick(
            f"📎 Attach the files to a message here ({_FORMATS}; up to {MAX_UPLOAD_MB} MB each) "
            "and I'll add them to this project.",
            f"📎 把文件作为附件发到这里（{_FORMATS}；每个不超过 {MAX_UPLOAD_MB} MB），"
            "我会把它们加入这个项目。",
        )

    # ----- export --------------------------------------------------------------------------

    def nothing_to_export(self) -> str:
        return self._pick(
            f"Nothing on the timeline yet — describe a video first, e.g. {_EXAMPLE_EN}.",
            f"时间线上还没有内容，请先描述一个视频，例如{_EXAMPLE_ZH}。",
        )

    def render_started(self) -> str:
        return self._pick(
            "🎞️ Rendering your video… this usually takes a minute or two.",
            "🎞️ 正在渲染视频…通常需要一两分钟。",
        )

    def render_progress(self, percent: int) -> str:
        value = min(100, max(0, int(percent)))
        if value >= 100:
            return self._pick("🎞️ Render finished.", "🎞️ 渲染完成。")
        return self._pick(f"🎞️ Rendering… {value}%", f"🎞️ 渲染中… {value}%")

    def render_done_file(self, url: str | None = None) -> str:
        """Goes with the MP4 attached; `url` is the download link, shown when known."""
        text = self._pick("✅ Your video is ready!", "✅ 视频已完成！")
        if url:
            text += self._pick(f"\nDownload link: {url}", f"\n下载链接：{url}")
        return text

    def render_done_link(self, url: str) -> str:
        return self._pick(
            f"✅ Your video is ready! It's too large to attach here, so here is the download "
            f"link: {url}",
            f"✅ 视频已完成！文件太大无法直接发送，下载链接：{url}",
        )

    def render_done_preview(self, url: str) -> str:
        """Goes with a smaller preview attached when the MP4 is over the upload limit."""
        return self._pick(
            f"✅ Your video is ready! It's too large to attach here, so here is a smaller "
            f"preview that plays right here. The full video: {url}",
            f"✅ 视频已完成！文件太大无法直接发送，这里先附上一个可直接播放的缩小预览。"
            f"完整视频：{url}",
        )

    def preview_unavailable(self) -> str:
        """Added to `render_done_link` when no preview could be made (ffmpeg missing or failed)."""
        return self._pick(
            "(I couldn't make a preview to play here this time; the link has the full video.)",
            "（这次没能生成可直接播放的预览，完整视频请用上面的链接。）",
        )

    def render_undelivered(self, url: str | None) -> str:
        """Every attempt to download or post a finished render failed."""
        if url:
            return self._pick(
                f"⚠️ Your video was rendered, but I couldn't post it here. Press Retry to "
                f"try again, or download it yourself: {url}",
                f"⚠️ 视频已渲染完成，但我没能把它发到这里。点“重试”再试一次，或自行下载：{url}",
            )
        return self._pick(
            "⚠️ Your video was rendered, but I couldn't post it here. Press Retry to try "
            "again (say “export” in a terminal).",
            "⚠️ 视频已渲染完成，但我没能把它发到这里。点“重试”再试一次（终端里发送“导出”）。",
        )

    def unexpected_error(self) -> str:
        return self._pick(
            "⚠️ Something went wrong on my side. Your timeline is safe — press Timeline to "
            "see where things stand, then tell me what you'd like next.",
            "⚠️ 我这边出了点问题。你的时间线没有丢失——点“时间线”查看当前进度，"
            "再告诉我接下来要做什么。",
        )

    def render_already_running(self) -> str:
        return self._pick(
            "🎞️ A render of this video is already running — I'll post it here when it's done.",
            "🎞️ 这个视频已经在渲染中，完成后我会发到这里。",
        )

    def render_unreachable(self) -> str:
        return self._pick(
            "⌛ I can't reach NemoVideo to check on the render, so I stopped waiting. "
            "Say “export” to try again.",
            "⌛ 无法联系 NemoVideo 查看渲染进度，我已停止等待。发送“导出”即可重试。",
        )

    def render_gave_up(self) -> str:
        return self._pick(
            "⌛ The render is taking much longer than it should, so I stopped waiting. "
            "Say “export” to try again.",
            "⌛ 渲染时间远超预期，我已停止等待。发送“导出”即可重试。",
        )

    # ----- credits and status --------------------------------------------------------------

    def credits(self, available: int, frozen: int, total: int) -> str:
        if frozen:
            return self._pick(
                f"💳 {available} credits left, and {frozen} more held for work in progress.",
                f"💳 剩余 {available} 积分，另有 {frozen} 积分被处理中的任务占用。",
            )
        return self._pick(f"💳 {available} credits left.", f"💳 剩余 {available} 积分。")

    def status(self, summary: str) -> str:
        return self._pick(f"📋 {summary}", f"📋 当前时间线：{summary}")

    # ----- after a restart -----------------------------------------------------------------

    def recovery_checking(self) -> str:
        return self._pick(
            "🔄 I was interrupted while working on this — checking what changed…",
            "🔄 处理过程中被中断了，正在检查发生了哪些变化…",
        )

    def recovery_changed(self, summary: str) -> str:
        return self._pick(
            f"✅ Your last request went through — here is the timeline now: {summary}",
            f"✅ 你上一条请求已经完成，当前时间线：{summary}",
        )

    def recovery_gave_up(self) -> str:
        return self._pick(
            "⚠️ I couldn't confirm that your last request went through: the timeline hasn't "
            "changed. Send it again if you still want it.",
            "⚠️ 无法确认你上一条请求是否完成：时间线没有变化。如果仍需要，请重新发送。",
        )

    # ----- the rest ------------------------------------------------------------------------

    def help(self) -> str:
        return self._pick(
            "🎬 **NemoVideo studio**\n"
            f"Describe a video, e.g. {_EXAMPLE_EN}, then refine it by chatting here.\n"
            f"• Attach images, clips or music ({_FORMATS}; up to {MAX_UPLOAD_MB} MB) to use them.\n"
            "• **export** (or /export): render a 1080p MP4 and post it here.\n"
            "• **status** (or /status): show the timeline.\n"
            "• **credits** (or /credits): show your credits.\n"
            "• /reset: start over with a fresh session.",
            "🎬 **NemoVideo 工作室**\n"
            f"描述一个视频，例如{_EXAMPLE_ZH}，然后在这里继续对话来修改。\n"
            f"• 发送图片、视频片段或音乐（{_FORMATS}；不超过 {MAX_UPLOAD_MB} MB）即可使用。\n"
            "• **导出**（或 /export）：渲染 1080p MP4 并发到这里。\n"
            "• **状态**（或 /status）：查看时间线。\n"
            "• **积分**（或 /credits）：查看积分。\n"
            "• /reset：重新开始一个新会话。",
        )

    def limit_reached(self, limit: int) -> str:
        return self._pick(
            f"🚦 You've reached today's limit of {limit} requests. It resets at midnight UTC.",
            f"🚦 你今天的 {limit} 次请求已用完，将在 UTC 零点重置。",
        )

    def not_allowed(self) -> str:
        return self._pick(
            "🔒 Sorry, you don't have a role that can use the video studio here.",
            "🔒 抱歉，你没有使用这里视频工作室的权限。",
        )

    def reset_busy(self) -> str:
        return self._pick(
            "⏳ I'm still working on a message in this session. Reset once it's done, so "
            "nothing of it lands in the fresh session.",
            "⏳ 这个会话里还有消息在处理中。请等它完成后再重置，以免它的结果混进新会话。",
        )

    def reset_while_rendering(self) -> str:
        return self._pick(
            "🎞️ A render of this session's video is still running. I'll post it here when "
            "it's done; reset after that, so it isn't mixed up with the fresh session.",
            "🎞️ 这个会话的视频还在渲染中，完成后我会发到这里。请在那之后再重置，以免与新会话混淆。",
        )

    def session_reset(self) -> str:
        return self._pick(
            "🆕 Started a fresh session — the previous timeline is gone. Describe your next "
            "video.",
            "🆕 已开始新的会话，之前的时间线已清空。请描述你的下一个视频。",
        )
