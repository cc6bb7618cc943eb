"""Rewriting NemoVideo's GUI instructions for a chat (the brief's "Translating GUI Instructions").

The backend answers as if the user sat in front of its web editor: "click Export", "preview
it in the timeline", "drag the clip to the start", "点击导出". In a chat those become what
the user can actually do here: say "export" (or use /export), ask for the timeline (say
"status"), or just tell the bot what to move.

The rules are deliberately narrow: a rule fires only on a GUI instruction (an imperative
"click"/"tap", a button, a panel to open), never on an ordinary word: "an open field",
"a clickbait title", "a click track", "打开字幕" stay as they are. Fenced code blocks are left
untouched. Each rule answers in the language of the phrase it replaces, so a reply keeps
one language even when the conversation's language differs.

`GuiTranslator` gives the same result for a reply that grows while it streams, translating
only what changed since the last sentence that ended a line, not the whole reply again.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["GuiTranslator", "translate_gui"]

_Q = r"[\"“”'*`「」『』]*"  # quotes or markdown around a button label
_WHERE = (  # "in the top-right corner", "from the File menu", …
    r"(?:\s+(?:in|at|on|from)\s+(?:the\s+)?(?:[\w-]+\s+){0,2}"
    r"(?:corner|menu|toolbar|panel|bar|sidebar|screen|page|area|header))?"
)
#: Where an imperative may start: text start, after a sentence or a list bullet, or after
#: words that introduce one ("you can click", "then tap").
_LEAD = (
    r"(^|[.!?:;,]\s+|\n\s*(?:[-*•]\s+|\d+[.)]\s+)?|\(\s*"
    r"|\b(?:you can|you may|you could|just|simply|please|then|and|or|to|first|now|or just)\s+)"
)
_AND = r"(?:-\s*and\s*-|-|and|&)"  # "drag and drop", "drag-and-drop", "drag & drop"
_DRAG_AND = rf"drag\s*{_AND}\s*"
#: "a click track", "click sounds": audio words, not a button.
_NOT_A_BUTTON = r"(?!-)(?!\s+(?:track|tracks|sound|sounds|noise|noises|rate|through|bait)\b)"
_GUI_NOUNS = (
    r"(?:panel|menu|tab|editor|settings|library|window|page|dialog|sidebar|preview|project"
    r"|toolbar|inspector|properties)"
)

_SAY_EXPORT_EN = 'say "export" (or use /export)'
_ASK_TIMELINE_EN = 'ask for the timeline (say "status")'
_SAY_EXPORT_ZH = "发送“导出”（或使用 /export）"
_ASK_TIMELINE_ZH = "让我给你看时间线（发送“状态”）"

Replacement = Callable[[re.Match[str]], str]


def _cased(text: str, like: str) -> str:
    """`text` with a capital first letter when the phrase it replaces had one."""
    return text[:1].upper() + text[1:] if like[:1].isupper() else text


def _fixed(replacement: str) -> Replacement:
    return lambda match: _cased(replacement, match.group(0))


def _lead_then(replacement: str) -> Replacement:
    """Keep the lead-in group, replace the imperative after it."""

    def rewrite(match: re.Match[str]) -> str:
        lead = match.group(1)
        return lead + _cased(replacement, match.group(0)[len(lead):])

    return rewrite


def _say_label(match: re.Match[str]) -> str:
    """'Click the "Apply" button' → 'Say "apply"' (the lead-in group is kept)."""
    lead = match.group(1)
    label = (match.group("label") or match.groupdict().get("label2") or "").strip()
    return lead + _cased(f'say "{label.lower()}"', match.group(0)[len(lead):])


_I = re.IGNORECASE

_RULES_EN: tuple[tuple[re.Pattern[str], Replacement], ...] = (
    # "Click the Export button in the top-right corner" → say "export" (or use /export)
    (
        re.compile(
            rf"\b(?:click|tap|press|hit|select|choose)(?:\s+on)?\s+(?:the\s+)?{_Q}export{_Q}"
            rf"(?:\s+(?:button|option|menu item|icon))?{_WHERE}",
            _I,
        ),
        _fixed(_SAY_EXPORT_EN),
    ),
    # "Use the Export button" → "Use /export"
    (re.compile(rf"\b(?:the\s+)?{_Q}export{_Q}\s+button{_WHERE}", _I), _fixed("/export")),
    # "preview it in the timeline", "open the timeline" → ask for the timeline (say "status")
    (
        re.compile(
            r"\b(?:(?:play|watch|open|check)\s+the\s+preview|preview|view|see|check|review|watch)"
            r"(?:\s+(?:it|this|that|them|the\s+(?:result|video|changes?|edits?|clip)))?"
            r"\s+(?:in|on)\s+(?:the\s+)?timeline(?:\s+(?:panel|view|editor))?",
            _I,
        ),
        _fixed(_ASK_TIMELINE_EN),
    ),
    (
        re.compile(r"\b(?:open|check)\s+(?:up\s+)?the\s+timeline(?:\s+(?:panel|view|editor))?", _I),
        _fixed(_ASK_TIMELINE_EN),
    ),
    # "upload clips and images in the media panel" → "attach clips and images to a message"
    (
        re.compile(
            r"\bupload\s+(?P<what>(?:[\w-]+\s+){0,4}?(?:files?|media|images?|videos?|clips?|"
            r"photos?|music|songs?))\s+(?:in|into|to|from|via|using)\s+the\s+"
            r"(?:media|upload|assets?|files?)\s+(?:panel|library|tab|area|section|sidebar)",
            _I,
        ),
        lambda m: _cased(f"attach {m.group('what')} to a message", m.group(0)),
    ),
    # "Drag the clip to the start" → "Tell me to move the clip to the start"
    # "Drop your files here", "drag-and-drop files" → attach them to a message
    (
        re.compile(
            rf"\b(?:{_DRAG_AND}\s*)?drop(?:ping)?\s+(?P<whose>your\s+)?"
            r"(?P<what>files?|media|images?|videos?|clips?|photos?)"
            r"(?:\s+(?:here|in\s+here|into\s+(?:the|this)\s+\w+))?",
            _I,
        ),
        lambda m: _cased(
            f"attach {m.group('whose') or ''}{m.group('what')} to a message", m.group(0)
        ),
    ),
    # "Drag the clip to the start" → "Tell me to move the clip to the start"
    (
        re.compile(
            rf"\bdrag(?:\s*{_AND}\s*drop)?\s+"
            r"(?=(?:the|this|that|these|those|it|them|your|a|an)\b)",
            _I,
        ),
        _fixed("tell me to move "),
    ),
    (re.compile(rf"\b{_DRAG_AND}drop(?:ping)?\b", _I), _fixed("just tell me what to move")),
    # 'Click the "Apply" button', "Click Apply" → say "apply"
    (
        re.compile(
            _LEAD + r"(?:click|tap|press|hit)(?:\s+on)?\s+(?:the\s+)?"
            rf"{_Q}(?P<label>[\w][\w ]{{0,24}}?){_Q}\s+(?:button|tab|option|icon)\b{_WHERE}",
            _I,
        ),
        _say_label,
    ),
    (
        re.compile(
            _LEAD + r"(?:click|tap)" + _NOT_A_BUTTON + r"(?:\s+on)?\s+(?:the\s+)?"
            r"(?:[\"“'*`]+(?P<label>[^\"”'*`\n]{1,25})[\"”'*`]+"
            r"|(?-i:(?P<label2>[A-Z][\w]*(?: [A-Z][\w]*){0,2})))",
            _I,
        ),
        _say_label,
    ),
    # any other imperative "click"/"tap" → "tell me"
    (
        re.compile(_LEAD + r"(?:click|tap)\b" + _NOT_A_BUTTON + r"(?:\s+on)?(?:\s+here)?\b", _I),
        _lead_then("tell me"),
    ),
    # "Open the settings panel" → "Ask me for the settings panel"
    (
        re.compile(rf"\bopen\s+(?=(?:the|your)\s+(?:[\w-]+\s+){{0,2}}?{_GUI_NOUNS}\b)", _I),
        _fixed("ask me for "),
    ),
)

_ZH_QUOTE_OPEN = "[「“\"『]?"
_ZH_QUOTE_CLOSE = "[」”\"』]?"
_ZH_WHERE = r"(?:右上角|左上角|右下角|左下角|上方|下方|顶部|底部|页面|界面)?(?:的)?"

_RULES_ZH: tuple[tuple[re.Pattern[str], Replacement], ...] = (
    (
        re.compile(
            rf"(?:请)?(?:点击|单击|点一下){_ZH_WHERE}{_ZH_QUOTE_OPEN}导出{_ZH_QUOTE_CLOSE}"
            r"(?:按钮|键)?"
        ),
        _fixed(_SAY_EXPORT_ZH),
    ),
    (re.compile(rf"{_ZH_WHERE}{_ZH_QUOTE_OPEN}导出{_ZH_QUOTE_CLOSE}按钮"), _fixed("/export")),
    (
        re.compile(
            r"(?:在)?时间线(?:上|中|里)?(?:预览|查看)(?:效果|结果|一下)?"
            r"|(?:预览|查看|打开)(?:一下)?时间线"
        ),
        _fixed(_ASK_TIMELINE_ZH),
    ),
    (
        re.compile(r"(?:将|把)(?P<what>[^，。,.!?！？\n]{1,20}?)(?:拖拽|拖动|拖)(?:到|至)"),
        lambda m: f"告诉我把{m.group('what')}移到",
    ),
    (re.compile(r"拖拽|拖动"), _fixed("告诉我要移动什么")),
    (
        re.compile(r"(?:请)?(?:点击|单击)(?:一下)?[「“\"『](?P<label>[^」”\"』\n]{1,12})[」”\"』](?:按钮)?"),
        lambda m: f"发送“{m.group('label')}”",
    ),
    (re.compile(r"(?:点击|单击)(?:一下)?(?:这里|此处)?"), _fixed("告诉我")),
    (
        re.compile(
            r"打开(?=[^，。,.!?！？\n]{0,6}?"
            r"(?:面板|菜单|设置|编辑器|素材库|窗口|页面|预览|项目|标签|选项卡))"
        ),
        _fixed("向我要"),
    ),
)

_FENCE = re.compile(r"(```.*?(?:```|\Z))", re.DOTALL)


def _rewrite(text: str, rules: tuple[tuple[re.Pattern[str], Replacement], ...]) -> str:
    for pattern, replacement in rules:
        text = pattern.sub(replacement, text)
    return text


def translate_gui(text: str, lang: str = "en") -> str:
    """`text` with its GUI instructions turned into chat ones (see the module docstring).

    `lang` is the conversation's language; it only decides which rule set runs first, as
    each rule answers in the language of the phrase it replaces.
    """
    order = (_RULES_ZH, _RULES_EN) if lang.lower().startswith("zh") else (_RULES_EN, _RULES_ZH)
    parts = _FENCE.split(text)
    for index in range(0, len(parts), 2):  # odd indexes are fenced code: left alone
        for rules in order:
            parts[index] = _rewrite(parts[index], rules)
    return "".join(parts)


#: Where a streamed reply may be cut and its two sides translated apart (`GuiTranslator`):
#: after one of these at the end of a line, after ". ", "! " or "? ", and after a Chinese
#: sentence mark. No rule's match can run across such a cut, except as the lead-in before
#: an imperative ("Done. Click …"), which is kept verbatim: translating the second side
#: with the cut's last character in front of it leads the imperative in the same way.
#: Inside a quoted button label ("Click "Done. Next"") a cut is not safe, so a cut in a
#: line needs no quote in the `_QUOTE_REACH_CHARS` before it (labels are short).
_SAFE_LINE_ENDS = ".!?:;,)]…。！？；：，、）"
_SAFE_CUT = re.compile(
    rf"(?P<line>[{re.escape(_SAFE_LINE_ENDS)}](?=\n))|(?P<inline>[.!?](?= )|[。！？](?=[^\n]))"
)
_QUOTES = frozenset("\"“”'*`「」『』")
_QUOTE_REACH_CHARS = 40


class GuiTranslator:
    """`translate_gui` for a text that grows while it streams, in O(new text) per call.

    `translate(text)` equals `translate_gui(text, lang)` for any text. The part of `text`
    up to the last safe cut (the end of a sentence, outside any code block: see
    `_SAFE_CUT`) is translated once and kept; only what follows it is translated again on
    the next call, so the work per streamed chunk is the chunk and the sentence it ends.
    """

    def __init__(self, lang: str = "en") -> None:
        self._lang = lang
        self._source = ""  # the translated prefix of the text, up to a safe cut
        self._translated = ""

    @property
    def settled_chars(self) -> int:
        """How much of the text is translated for good (not looked at again)."""
        return len(self._source)

    def translate(self, text: str) -> str:
        if not text.startswith(self._source):
            self._source, self._translated = "", ""
        tail = text[len(self._source):]
        cut = self._last_safe_cut(tail)
        if cut > 0:
            self._translated += self._translate_after(self._source, tail[:cut])
            self._source += tail[:cut]
            tail = tail[cut:]
        return self._translated + self._translate_after(self._source, tail)

    def _translate_after(self, before: str, text: str) -> str:
        """`text` translated as the continuation of `before` (which ends at a safe cut)."""
        if not before:
            return translate_gui(text, self._lang)
        return translate_gui(before[-1] + text, self._lang)[1:]

    @staticmethod
    def _last_safe_cut(tail: str) -> int:
        """The last safe cut in `tail` (0 if none): not inside a code block, nor before
        one still open at the end, nor (within a line) just after a quote."""
        fences = [(m.start(), m.end()) for m in _FENCE.finditer(tail)]
        for match in reversed(list(_SAFE_CUT.finditer(tail))):
            cut = match.end()
            if any(start < cut < end or (start < cut and end == len(tail))
                   for start, end in fences):
                continue
            if match.group("inline") and not _QUOTES.isdisjoint(
                tail[max(0, cut - _QUOTE_REACH_CHARS):cut]
            ):
                continue
            return cut
        return 0
