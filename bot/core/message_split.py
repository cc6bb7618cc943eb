"""How a text longer than one message is cut into pages.

`split_message` cuts at a paragraph, else a line, else a sentence, else a word (or between
Chinese characters), and only a single word longer than a page is cut inside. A ``` code
block cut in two is closed at the end of one page and reopened, with its language, at the
start of the next.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

__all__ = ["MAX_MESSAGE_CHARS", "MIN_PAGE_CHARS", "ends_a_word", "split_message"]

#: Discord's limit on a message's content.
MAX_MESSAGE_CHARS = 2000
#: Below this a page cannot hold a reopened fence and some text.
MIN_PAGE_CHARS = 16
#: The language tag carried over to a reopened fence is cut to this length.
MAX_FENCE_TAG_CHARS = 20

_SENTENCE_END = re.compile(r"[.!?…](?:[\"'”’)\]]*)\s|[。！？；…][”’」』）)]*\s?")
_CLAUSE_END = re.compile(r"[,;:](?:\s)|[，、；：]")
_CLOSING_PUNCTUATION = frozenset("。，、！？；：”’」』）)]}…")
_GLUE = frozenset("\u200d\ufe0e\ufe0f")  # zero-width joiner, variation selectors


def _is_wide(char: str) -> bool:
    """CJK and other full-width characters, between which a line may break."""
    return unicodedata.east_asian_width(char) in ("W", "F")


def ends_a_word(text: str, at: int) -> bool:
    """True when a page may end at offset `at` of `text` without cutting a word in two:
    next to a space, or beside a wide (Chinese, Japanese) character."""
    before, after = text[at - 1 : at], text[at : at + 1]
    if not before or not after:
        return bool(before)
    return (
        before.isspace() or after.isspace() or _is_wide(before) or _is_wide(after)
    ) and not _joined(text, at)


def _fence_parts(line: str) -> tuple[str, str] | None:
    """(backticks, info string) when `line` is a code fence line, else None.

    A line like "```code```" is a one-line code span, not a fence.
    """
    stripped = line.strip()
    if not stripped.startswith("```"):
        return None
    ticks = len(stripped) - len(stripped.lstrip("`"))
    info = stripped[ticks:].strip()
    if "`" in info:
        return None
    return stripped[:ticks], info


def _open_fence_after(text: str, open_fence: str | None) -> tuple[str | None, int]:
    """The fence still open at the end of `text`, given the one open at its start, and the
    offset in `text` of the line that opened it (-1 when it was open before `text`)."""
    offset = 0
    opened_at = -1
    for line in text.split("\n"):
        parts = _fence_parts(line)
        if parts is not None:
            ticks, info = parts
            if open_fence is None:
                open_fence, opened_at = line.strip(), offset
            elif not info and len(ticks) >= len(_ticks(open_fence)):
                open_fence, opened_at = None, -1
        offset += len(line) + 1
    return open_fence, opened_at


def _ticks(fence_line: str) -> str:
    return fence_line[: len(fence_line) - len(fence_line.lstrip("`"))]


def _reopening(fence_line: str) -> str:
    """The line that reopens a cut block: its backticks and language tag, nothing more."""
    ticks = _ticks(fence_line)
    info = fence_line[len(ticks) :].split()
    tag = info[0][:MAX_FENCE_TAG_CHARS] if info else ""
    return ticks + tag


def _closing(chunk: str, open_fence: str | None) -> str:
    if open_fence is None:
        return ""
    return ("" if chunk.endswith("\n") else "\n") + _ticks(open_fence)


def _last_match_end(pattern: re.Pattern[str], window: str, floor: int) -> int | None:
    ends = [m.end() for m in pattern.finditer(window) if m.end() >= floor]
    return ends[-1] if ends else None


def _cut_paragraph(window: str, floor: int) -> int | None:
    index = window.rfind("\n\n")
    return index + 2 if index >= 0 and index + 2 >= floor else None


def _cut_line(window: str, floor: int) -> int | None:
    index = window.rfind("\n")
    return index + 1 if index >= 0 and index + 1 >= floor else None


def _cut_sentence(window: str, floor: int) -> int | None:
    return _last_match_end(_SENTENCE_END, window, floor)


def _cut_clause(window: str, floor: int) -> int | None:
    return _last_match_end(_CLAUSE_END, window, floor)


def _cut_space(window: str, floor: int) -> int | None:
    for index in range(len(window) - 1, floor - 2, -1):
        if index >= 0 and window[index].isspace():
            return index + 1
    return None


def _joined(text: str, cut: int) -> bool:
    """True when cutting `text` at `cut` would tear a character sequence apart: an emoji
    joined with a zero-width joiner, a variation selector, a skin tone, a combining mark."""
    following = text[cut : cut + 1]
    return bool(following) and (
        unicodedata.combining(following) > 0
        or following in _GLUE
        or text[cut - 1] in _GLUE
        or "\U0001f3fb" <= following <= "\U0001f3ff"
    )


def _cut_wide(window: str, floor: int, after: str) -> int | None:
    """Between two characters where either is wide (Chinese has no spaces between words),
    but never before closing punctuation, nor inside an emoji sequence."""
    text = window + after
    for cut in range(len(window), max(floor, 1) - 1, -1):
        before, following = text[cut - 1], text[cut : cut + 1]
        if not (_is_wide(before) or (following and _is_wide(following))):
            continue
        if following in _CLOSING_PUNCTUATION or _joined(text, cut):
            continue
        return cut
    return None


def _hard_cut(text: str, budget: int) -> int:
    """Inside a word longer than a page (but not inside a character sequence)."""
    cut = budget
    while cut > 1 and _joined(text, cut):
        cut -= 1
    return cut


def _find_cut(text: str, budget: int, open_fence: str | None) -> int:
    """Where to end a page of at most `budget` characters of `text` (longer than that).

    Inside a code block only a line end will do, unless one line is longer than a page:
    cutting a code line in two would change the code.
    """
    window = text[:budget]
    after = text[budget : budget + 1]
    line_ends = (_cut_paragraph, _cut_line)
    finders: tuple[Callable[[str, int], int | None], ...] = (
        *line_ends,
        _cut_sentence,
        _cut_clause,
        _cut_space,
        lambda w, floor: _cut_wide(w, floor, after),
    )
    # A good boundary in the second half of the page first; any boundary at all after that.
    for floor in (budget // 2, 1):
        for finder in finders:
            cut = finder(window, floor)
            if cut is None or not 0 < cut <= budget or not window[:cut].strip():
                continue
            if finder not in line_ends and _open_fence_after(window[:cut], open_fence)[0]:
                line_end = _cut_line(window, 1)
                if line_end is not None and window[:line_end].strip():
                    return line_end
            return cut
    return _hard_cut(text, budget)


def _longest_ticks(text: str) -> int:
    runs = [len(p[0]) for line in text.split("\n") if (p := _fence_parts(line)) is not None]
    return max(runs, default=3)


def split_message(text: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """`text` as pages of at most `limit` characters (no pages for an empty text).

    Cut points are kept at the end of a page, so joining the pages gives back `text`
    except for the fence lines added to close and reopen a cut code block, and blank
    space that would make a page of its own (chat platforms refuse empty messages). An
    unclosed block at the very end (a reply still streaming) is closed too, so every page
    renders.
    """
    if limit < MIN_PAGE_CHARS:
        raise ValueError(f"a page must allow at least {MIN_PAGE_CHARS} characters")
    pages: list[str] = []
    # Room for "\n```" when a page ends inside a code block (only if there are blocks).
    has_fences = any(_fence_parts(line) for line in text.split("\n"))
    reserve = 1 + _longest_ticks(text) if has_fences else 0
    rest = text
    open_fence: str | None = None
    while rest:
        reopen = _reopening(open_fence) if open_fence else ""
        prefix = f"{reopen}\n" if reopen else ""
        last_fence, _ = _open_fence_after(rest, open_fence)
        closing = _closing(rest, last_fence)
        if len(prefix) + len(rest) + len(closing) <= limit:
            if rest.strip() or closing:  # trailing blank lines alone are not a message
                pages.append(prefix + rest + closing)
            break
        if len(prefix) + reserve > limit // 2:
            prefix = f"{_ticks(reopen)}\n" if reopen else ""  # drop a long language tag
        budget = limit - len(prefix) - reserve
        if budget < 1:
            raise ValueError("the page limit is too small for this text's code fences")
        cut = _find_cut(rest, budget, open_fence)
        after, opened_at = _open_fence_after(rest[:cut], open_fence)
        if after is not None and opened_at > 0:
            # Never end a page on a block's opening line: start the block on the next page.
            opening_and_code = rest[opened_at:cut].split("\n", 1)
            if len(opening_and_code) == 1 or not opening_and_code[1].strip():
                cut = opened_at
                after, _ = _open_fence_after(rest[:cut], open_fence)
        chunk, rest = rest[:cut], rest[cut:]
        page = prefix + chunk + _closing(chunk, after)
        if page.strip():
            pages.append(page)
        open_fence = after
    return pages
