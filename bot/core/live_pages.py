"""How a reply that is still streaming is cut into messages.

A reply is cut as `split_message` would cut it, with one exception that saves a message
write every time a reply spills onto a new page: the page already shown, when it ends
between two words and holds at least half a page, is kept as it is, and the next page
starts where it ends. Cutting the whole text afresh would move the cut a little further
on, so the spill would need an edit of the page before as well as the new message: two
writes where one will do, and on a busy server every write waits its turn.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.message_split import ends_a_word, split_message

__all__ = ["LivePages"]

FENCE = "```"


class LivePages:
    """The pages of one live reply; `for_push` may keep a shown page, `cut` never changes."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._kept: list[str] = []  # pages kept as they were shown, from the first on
        self._head = ""  # the text those pages hold, joined

    def cut(self, text: str) -> list[str]:
        """`text` as pages: the kept ones, if `text` still begins with them, then the rest."""
        if self._kept and text.startswith(self._head):
            return [*self._kept, *split_message(text[len(self._head) :], self._limit)]
        return split_message(text, self._limit)

    def for_push(self, text: str, shown: Sequence[str]) -> list[str]:
        """The pages to push for `text`, given the pages the platform `shown` now.

        When `text` spills past the last page shown and that page is a good one to end
        on, it is kept from now on. A text that no longer begins with the kept pages (a
        final text worded otherwise) drops them: it is cut afresh.
        """
        if self._kept and not text.startswith(self._head):
            self._kept, self._head = [], ""
        pages = self.cut(text)
        kept = len(self._kept)
        if len(pages) > kept + 1 and len(shown) == kept + 1:
            page, rest = shown[kept], text[len(self._head) :]
            if self._keeps(page, rest):
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
