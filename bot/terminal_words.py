"""Every sentence `nemobot chat` says by itself, in English and Chinese.

The engine's sentences (replies, errors, credits) come from `bot.core.wording`; these are
the terminal's own: its greeting, its `/help`, and what it says about its commands, which
are typed rather than attached or clicked as in Discord.
"""

from __future__ import annotations

from bot.core.records import Language
from bot.core.wording import normalize_language

_EXAMPLE_EN = (
    "“a 15-second clip of a sunset over a mountain lake, cinematic, with background music”"
)
_EXAMPLE_ZH = "“一段 15 秒的山间湖泊日落视频，电影感，带背景音乐”"

#: The terminal's commands, in the order `/help` lists them.
COMMANDS = ("/upload", "/export", "/status", "/credits", "/reset", "/help", "/quit")


class TerminalWords:
    """The terminal's own sentences in one language ("en" or "zh")."""

    def __init__(self, language: str | None = "en") -> None:
        self.language: Language = normalize_language(language)

    def _pick(self, en: str, zh: str) -> str:
        return zh if self.language == "zh" else en

    def offline(self, url: str, credits: int, real_free_credits: int) -> str:
        return self._pick(
            f"Offline mode: the built-in NemoVideo emulator at {url} stands in for NemoVideo. "
            f"Its practice account starts with {credits} credits (a real free NemoVideo "
            f"account has {real_free_credits}); nothing is kept after you leave.",
            f"离线模式：由内置的 NemoVideo 模拟器（{url}）代替 NemoVideo。"
            f"它的练习账户有 {credits} 积分"
            f"（真实的 NemoVideo 免费账户有 {real_free_credits} 积分）；退出后不会保留任何内容。",
        )

    def ready(self) -> str:
        return self._pick(
            f"✅ Ready! Describe the video you want, e.g. {_EXAMPLE_EN}. Add your own images "
            "and clips with /upload PATH; /help lists the commands, /quit (or Ctrl+D) leaves.",
            f"✅ 准备好了！描述你想要的视频，例如{_EXAMPLE_ZH}。用 /upload 路径 添加自己的图片"
            "和视频片段；/help 列出所有命令，/quit（或 Ctrl+D）退出。",
        )

    def help(self) -> str:
        return self._pick(
            "🎬 NemoVideo studio in your terminal\n"
            f"Describe a video, e.g. {_EXAMPLE_EN}, then refine it by chatting here.\n"
            "• /upload PATH [PATH…]: add images, clips or music from this computer (quote a "
            "path with spaces: /upload \"my clip.mp4\").\n"
            "• /export (or say export): render a 1080p MP4 and save it into DOWNLOAD_DIR.\n"
            "• /status (or say status): show the timeline.\n"
            "• /credits (or say credits): show your NemoVideo credits.\n"
            "• /reset: start over with a fresh session (asks first).\n"
            "• /quit, Ctrl+D or Ctrl+C: leave; an export still rendering is saved the next "
            "time you open this conversation.",
            "🎬 终端里的 NemoVideo 工作室\n"
            f"描述一个视频，例如{_EXAMPLE_ZH}，然后在这里继续对话来修改。\n"
            "• /upload 路径 [路径…]：从这台电脑添加图片、视频片段或音乐（路径含空格时加引号："
            "/upload \"my clip.mp4\"）。\n"
            "• /export（或说“导出”）：渲染 1080p MP4 并保存到 DOWNLOAD_DIR。\n"
            "• /status（或说“状态”）：查看时间线。\n"
            "• /credits（或说“积分”）：查看 NemoVideo 积分。\n"
            "• /reset：重新开始一个新会话（会先确认）。\n"
            "• /quit、Ctrl+D 或 Ctrl+C：退出；仍在渲染的导出会在下次打开这个对话时保存。",
        )

    def unknown_command(self, command: str) -> str:
        listed = ", ".join(COMMANDS)
        return self._pick(
            f"Unknown command {command} — nothing was sent to NemoVideo. Commands: {listed}.",
            f"未知命令 {command}，没有发送给 NemoVideo。可用命令：{listed}。",
        )

    def control_characters(self) -> str:
        return self._pick(
            "That line holds terminal control codes (an arrow key, perhaps), so it was not "
            "sent to NemoVideo. Type it again.",
            "这一行含有终端控制字符（可能是方向键），所以没有发送给 NemoVideo。请重新输入。",
        )

    def upload_usage(self) -> str:
        return self._pick(
            "Usage: /upload PATH [PATH…] — quote a path with spaces: /upload \"my clip.mp4\"",
            "用法：/upload 路径 [路径…]，路径含空格时加引号：/upload \"my clip.mp4\"",
        )

    def no_such_file(self, paths: list[str]) -> str:
        listed = ", ".join(paths)
        return self._pick(
            f"No such file: {listed}. Nothing was uploaded.",
            f"找不到文件：{listed}。没有上传任何文件。",
        )

    def confirm_reset(self) -> str:
        return self._pick(
            "This throws away the current timeline and starts a fresh NemoVideo session. "
            "Type yes (or /reset again) to confirm; anything else keeps the session.",
            "这会丢弃当前时间线并开始一个新的 NemoVideo 会话。输入“是”（或再输入一次 /reset）"
            "确认；输入其他内容则保留当前会话。",
        )

    def reset_kept(self) -> str:
        return self._pick("The session is kept.", "已保留当前会话。")

    def cannot_reach(self, url: str) -> str:
        """After the engine's own sentence, when NemoVideo could not be reached at start."""
        return self._pick(
            f"nemobot could not reach NemoVideo at {url}. Check this computer's network, run "
            "`nemobot doctor` to see what is wrong, or try `nemobot chat --offline` (no "
            "account, no network).",
            f"nemobot 无法连接到 NemoVideo（{url}）。请检查这台电脑的网络，运行 "
            "`nemobot doctor` 查看问题，或者试试 `nemobot chat --offline`（无需账户和网络）。",
        )

    def waiting_for_export(self) -> str:
        return self._pick(
            "Waiting for the export to finish before leaving (Ctrl+C leaves it for next "
            "time)…",
            "正在等待导出完成后再退出（按 Ctrl+C 则留到下次）…",
        )

    def left_in_flight(self, conversation: str) -> str:
        again = "nemobot chat" + ("" if conversation == "default" else f" --conversation "
                                  f"{conversation}")
        return self._pick(
            f"Stopped. An export is still rendering at NemoVideo: run `{again}` again to "
            "get it.",
            f"已停止。仍有导出在 NemoVideo 渲染中：再次运行 `{again}` 即可取回。",
        )
