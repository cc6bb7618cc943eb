"""How a reply that is still streaming is cut into messages.

A reply is cut as `split_message` would cut it, with one exception that saves a message
write every time a reply spills onto a new page: the page already shown, when it ends
between two words and holds at least half a page, is kept as it is, and the next page
starts where it ends. Cutting the whole text afresh would move the cut a little further
on, so the spill would need an edit of the page before as well as the new message: two
writes where one will do, and on a busy server every write waits its turn.

While the reply grows, a page is kept a little before it is full: when the text would
no longer fit if it grew again by as much as it did between the last two writes of the
page (or since the last one, if more). The next write then starts the new page, instead
of finding, when its turn comes on a busy server, that the page it was to edit spilled.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.message_split import ends_a_word, split_message

__all__ = ["LivePages"]

FENCE = "```"


class LivePages:
    """The pages of one live reply: `for_push` may keep a shown page; `cut` changes nothing."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._kept: list[str] = []  # pages kept as they were shown, from the first on
        self._head = ""  # the text those pages hold, joined
        self._seen = (0, "")  # (index, text) of the last page, as last shown
        self._grew = 0  # by how much that page grew between its last two writes

    def cut(self, text: str) -> list[str]:
        """`text` as pages: the kept ones, if `text` still begins with them, then the rest."""
        if self._kept and text.startswith(self._head):
            return [*self._kept, *split_message(text[len(self._head) :], self._limit)]
        return split_message(text, self._limit)

    def for_push(self, text: str, shown: Sequence[str], *, growing: bool = True) -> list[str]:
        """The pages to push for `text`, given the pages the platform `shown` now.

        When `text` spills past the last page shown, or (while it is `growing`) will
        soon, and that page is a good one to end on, it is kept from now on. The final
        text keeps them too: no text moves from one message to another as the reply
        ends (cutting it afresh, at a paragraph, would rewrite every page at once, the
        most writes at the busiest moment). A text that no longer begins with the kept
        pages (a final text worded otherwise) is cut afresh.
        """
        if self._kept and not text.startswith(self._head):
            self._kept, self._head = [], ""
        pages = self.cut(text)
        kept = len(self._kept)
        if len(shown) == kept + 1 and len(pages) >= kept + 1:
            page, rest = shown[kept], text[len(self._head) :]
            if self._seen != (kept, page):
                index, before = self._seen  # a placeholder before the reply is no growth
                grew = index == kept and bool(before) and page.startswith(before)
                self._grew = len(page) - len(before) if grew else 0
                self._seen = (kept, page)
            growth = max(self._grew, len(rest) - len(page))
            spills = len(pages) > kept + 1
            soon = growing and len(rest) + growth > self._limit
            if (spills or soon) and len(rest) > len(page) and self._keeps(page, rest):
                self._kept.append(page)
                self._head += page
                return self.cut(text)
        return pages

    def _keeps(self, page: str, rest: str) -> bool:
        """True when `page`, shown, may stay the page `rest` begins with."""
        return (
            self._limit // 2 <= len(page) <= self._limit
            and rest.startswith(page)
            and FENCE not in page  # a cut code block needs its fences closed and reopened
            and bool(page.strip())
            and ends_a_word(rest, len(page))
        )
