"""Which action a message asks for: export, credits, status, upload, or a chat turn.

The brief's routing table, in English and Chinese:

    "export" / "导出" / "download" / "send me the video"   → EXPORT   (no chat turn)
    "credits" / "积分" / "balance" / "余额"                 → CREDITS  (no chat turn)
    "status" / "状态" / "show tracks" / "timeline"          → STATUS   (no chat turn)
    "upload" / "上传" / a message with files                → UPLOAD   (no chat turn)
    "cancel" / "取消" / "cancel the render" / "取消渲染"     → CANCEL   (no chat turn)
    everything else (generate, edit, add BGM…)              → CHAT     (a NemoVideo turn)

A command is a short request whose keyword is essentially the whole of it: "export",
"please export the video in 1080p", "how many credits do I have?", "show tracks", "导出视频".
A sentence that merely contains a keyword is a chat: "don't export yet, make the music
louder", "add a download button overlay". That is done by allowing, around the keyword,
only words that cannot carry an editing instruction (politeness, pronouns, "the video",
"1080p", …); any other word, and any negation, makes the message a chat. Getting this
wrong the other way round would be worse: an edit routed to a command is silently lost,
while a command routed to chat still reaches NemoVideo, which understands it.

Attachments always mean UPLOAD, whatever the text says, because the files must be uploaded
first. The engine then routes the text again without attachments: CHAT runs it as a turn
(e.g. "use this as the intro"), another command runs that command, and an upload word or
nothing at all (see `is_upload_word`) means there is nothing left to do.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

__all__ = ["Intent", "has_visible_text", "is_upload_word", "route"]


class Intent(StrEnum):
    EXPORT = "export"
    CREDITS = "credits"
    STATUS = "status"
    UPLOAD = "upload"
    CANCEL = "cancel"
    CHAT = "chat"


# ----- English: a keyword plus words that cannot carry an instruction ---------------------


def _words(listing: str) -> frozenset[str]:
    return frozenset(listing.split())


#: Words that never change what a command means: politeness, pronouns, request frames.
_FILLERS = _words(
    """
    please pls plz kindly hey hi hello ok okay alright cool great nice perfect awesome
    thanks thank you thx ty yes yeah yep sure so and now then just also can could would will
    u i i'd i'm me we us let let's lets want wanna like need to go ahead for right quick
    quickly bot nemo nemobot it this that the a an my our already again how do ready
    """
)

#: Any of these makes the message a chat, even when everything else looks like a command.
_NEGATIONS_EN = _words(
    """
    don't dont not never no nope wait stop cancel hold later can't cant cannot won't wont
    shouldn't isn't without before after until
    """
)

_EXPORT_VERBS = frozenset({"export", "exporting", "download", "downloading", "render", "rendering"})
#: "send me the video" exports; "send" alone does not.
_HANDOVER_VERBS = frozenset({"send", "give", "get"})
_EXPORT_NOUNS = frozenset({"video", "clip", "movie", "mp4", "file", "result", "render"})
_EXPORT_WORDS = _words(
    """
    video clip movie mp4 file result render final finished cut version project as in at into
    format quality resolution hd full fhd uhd h264 over
    """
)
_MEDIA_FORMAT = re.compile(r"\d{3,4}p?|[248]k|\d{2,3}fps")

#: What "cancel" may come with and still mean: stop the render ("cancel the export").
_CANCEL_WORDS = _words("cancel render rendering export exporting video clip job")

_CREDITS_KEYWORDS = frozenset({"credits", "credit", "balance"})
_CREDITS_WORDS = _words(
    """
    many much does have has left remaining remain check show see view get what's whats what
    is are account current available of tell still got there points
    """
)

_STATUS_KEYWORDS = frozenset({"status", "state", "tracks", "track", "timeline", "draft"})
_STATUS_WORDS = _words(
    """
    show what's whats what is on list see view check project video session far display
    summary does look looks of in get give tell about whole all preview current
    """
)

_UPLOAD_KEYWORDS = frozenset({"upload", "uploading", "uploads"})
_UPLOAD_WORDS = _words(
    """
    file files video videos image images photo photos picture pictures pic pics clip clips
    media audio music song songs logo here is are these some new more another where
    """
)
#: What people say when they hand over files and nothing else.
_HANDOVER_WORDS = _words(
    """
    here here's heres go attached attachment attachments attaching sending sent got some
    these those is are file files video videos image images photo photos picture pictures
    pic pics clip clips media audio music song songs logo
    """
)


# ----- Chinese: fillers stripped from both ends, then the rest must match a command -------

_NEGATIONS_ZH = re.compile("别|不|没|等等|等一下|稍后|以后|待会|回头")
_LEADING_ZH = re.compile(
    r"^(?:请|麻烦你?|帮我|帮忙|我要|我想要?|想要?|可以|能不能|能否|现在|马上|立即|立刻|直接"
    r"|那就?|就|好的?|行|嗯|ok|okay|please|pls|hey|hi|你)"
)
_TRAILING_ZH = re.compile(
    r"(?:一下|吧|呢|吗|嘛|啊|呀|哈|了|谢谢|谢啦|好吗|可以吗|行吗|please|pls|thanks)$"
)
_COMMANDS_ZH: tuple[tuple[Intent, re.Pattern[str]], ...] = (
    (
        Intent.EXPORT,
        re.compile(
            r"(?:把)?(?:这个|我的|最终的?)?(?:视频|成片|作品|它)?(?:导出|下载|渲染|输出)(?:一下)?"
            r"(?:这个|我的|最终的?)?(?:视频|成片|作品|文件|它|来|出来)?(?:为|成|到)?"
            r"(?:1080p?|720p?|4k|2k|mp4|高清|超清)*(?:格式|版本|版|的?视频)?"
        ),
    ),
    (Intent.EXPORT, re.compile(r"(?:把)?(?:视频|成片|作品|mp4|文件)(?:发|传)(?:给)?我")),
    (Intent.EXPORT, re.compile(r"(?:发|传|给)(?:给)?我(?:这个|最终的?)?(?:视频|成片|作品|mp4)")),
    (
        Intent.CREDITS,
        re.compile(
            r"(?:查看?|查询|看看?|显示|告诉我)?(?:一下)?"
            r"(?:我的|我还?有|还剩下?|剩余的?|剩下的?|当前|现在)?(?:多少)?(?:的)?"
            r"(?:积分|余额|点数|额度)(?:余额|还剩多少|剩多少|还有多少|有多少|多少|是多少)?"
        ),
    ),
    (
        Intent.STATUS,
        re.compile(
            r"(?:查看?|看看?|显示|给我看看?|当前|现在|我的)?(?:一下)?(?:的)?(?:视频|项目)?(?:的)?"
            r"(?:状态|时间线|时间轴|轨道)(?:如何|怎么样|是什么)?"
        ),
    ),
    (
        Intent.UPLOAD,
        re.compile(
            r"(?:我要|我想|怎么|如何|在哪)?上传(?:一下)?(?:文件|视频|图片|照片|素材|音乐|音频)?"
        ),
    ),
)
_HANDOVER_ZH = re.compile(
    r"(?:这是|这里是|给你|发你|发给你)?(?:我的)?(?:一些)?(?:文件|视频|图片|照片|素材|音乐|音频)?"
)

_CANCEL_ZH = re.compile(r"取消(?:渲染|导出|视频)?")

_DISCORD_MARKUP = re.compile(r"<(?:@[!&]?|#)\d+>|<a?:\w+:\d+>")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
#: Mentions and channel links: they name someone or somewhere, they say nothing.
_MENTIONS = re.compile(r"<(?:@[!&]?|#)\d+>|@(?:everyone|here)\b")
#: Markdown's marker characters, which show as formatting or not at all.
_MARKERS = frozenset("*_~|`>#-")


def has_visible_text(text: str) -> bool:
    """True when `text` says something a person could read: not only whitespace,
    mentions, markdown markers (`** **`, `|| ||`) or invisible characters (U+200B)."""
    for char in _MENTIONS.sub("", text):
        if char.isspace() or char in _MARKERS or unicodedata.category(char) in ("Cf", "Cc"):
            continue
        return True
    return False


def _normalise(text: str) -> str:
    """Lower case, no Discord mentions, no emoji or punctuation, single spaces.

    NFKC folds full-width letters and punctuation (ＥＸＰＯＲＴ, ？) into plain ones first.
    """
    text = _DISCORD_MARKUP.sub(" ", text)
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    kept = "".join(c if c.isalnum() or c == "'" else " " for c in text)
    words = (word.strip("'") for word in kept.split())
    return " ".join(word for word in words if word)


def _route_english(words: list[str]) -> Intent | None:
    present = set(words)
    if "cancel" in present and present - _FILLERS <= _CANCEL_WORDS:
        return Intent.CANCEL  # "cancel", "cancel the render"; "cancel the music" is a chat
    if not present or present & _NEGATIONS_EN:
        return None
    others = {w for w in present - _FILLERS if not _MEDIA_FORMAT.fullmatch(w)}
    if present & _EXPORT_VERBS and others <= _EXPORT_VERBS | _EXPORT_WORDS:
        return Intent.EXPORT
    handover = present & _HANDOVER_VERBS
    if handover and others <= handover | _EXPORT_WORDS and (
        present & _EXPORT_NOUNS or ("send" in present and words[-1] in ("it", "over"))
    ):
        return Intent.EXPORT
    others = present - _FILLERS
    if present & _CREDITS_KEYWORDS and others <= _CREDITS_KEYWORDS | _CREDITS_WORDS:
        return Intent.CREDITS
    if present & _STATUS_KEYWORDS and others <= _STATUS_KEYWORDS | _STATUS_WORDS:
        return Intent.STATUS
    if present & _UPLOAD_KEYWORDS and others <= _UPLOAD_KEYWORDS | _UPLOAD_WORDS:
        return Intent.UPLOAD
    return None


def _strip_chinese_fillers(compact: str) -> str:
    while True:
        trimmed = _TRAILING_ZH.sub("", _LEADING_ZH.sub("", compact))
        if trimmed == compact:
            return compact
        compact = trimmed


def _route_chinese(normalised: str) -> Intent | None:
    core = _strip_chinese_fillers(normalised.replace(" ", ""))
    if _CANCEL_ZH.fullmatch(core):
        return Intent.CANCEL
    if _NEGATIONS_ZH.search(normalised):
        return None
    for intent, pattern in _COMMANDS_ZH:
        if core and pattern.fullmatch(core):
            return intent
    return None


def route(text: str, has_attachments: bool = False) -> Intent:
    """The action a message asks for. Anything that is not clearly a command is CHAT."""
    if has_attachments:
        return Intent.UPLOAD
    normalised = _normalise(text)
    intent = _route_english(normalised.split())
    if intent is None and _CJK.search(normalised):
        intent = _route_chinese(normalised)
    return intent or Intent.CHAT


def is_upload_word(text: str) -> bool:
    """True when text sent along with files says nothing beyond handing them over
    ("", "upload", "here you go", "上传", "这是我的视频"), so no chat turn should follow."""
    normalised = _normalise(text)
    if not normalised or route(normalised) is Intent.UPLOAD:
        return True
    words = set(normalised.split())
    if words <= _FILLERS | _HANDOVER_WORDS | _UPLOAD_KEYWORDS and not words & _NEGATIONS_EN:
        return True
    if _CJK.search(normalised):
        core = _strip_chinese_fillers(normalised.replace(" ", ""))
        return bool(_HANDOVER_ZH.fullmatch(core))
    return False
