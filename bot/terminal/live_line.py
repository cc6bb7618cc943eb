"""The live line of `nemobot chat`: a render's progress, redrawn in place on a terminal.

While a render runs, its status (the stage and a bar) is one line that keeps changing.
Printed change by change it leaves a trail behind the saved video ("📤 Uploading…",
"🎞️ Render finished."); on a terminal it is one line instead, always below what else is
printed, redrawn when it changes and gone when the work is done:

- `PromptLine`: under prompt_toolkit's line editor it is the line above the prompt, a part
  of the prompt that prompt_toolkit redraws (what is printed goes above both);
- `BottomLine`: on a terminal without the editor (input piped in) it is drawn last with
  `\\r` and "erase line", taken away before anything else is printed and drawn after it.

In a pipe there is no live line: each change of the progress is a line of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TextIO

__all__ = ["ERASE_LINE", "BottomLine", "LiveLine", "PromptLine"]

#: Back to the start of the line and erase it.
ERASE_LINE = "\r\x1b[K"


class LiveLine(Protocol):
    """Where the live line is drawn."""

    def show(self, text: str | None) -> None:
        """Show `text` as the live line (None: no live line any more)."""
        ...

    def before_output(self) -> None:
        """Something else is about to be printed: make room for it."""
        ...

    def after_output(self) -> None:
        """It was printed: the live line goes below it again."""
        ...

    def close(self) -> None:
        """The chat ends: a live line still shown stays, on a line of its own."""
        ...


class BottomLine:
    """The live line drawn last on a terminal (see the module)."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._text: str | None = None
        self._drawn = False

    def show(self, text: str | None) -> None:
        self._text = text
        self._erase()
        self._draw()
        self._out.flush()

    def before_output(self) -> None:
        self._erase()

    def after_output(self) -> None:
        self._draw()
        self._out.flush()

    def close(self) -> None:
        if self._drawn:
            self._out.write("\n")
            self._out.flush()
            self._drawn = False
        self._text = None

    def _erase(self) -> None:
        if self._drawn:
            self._out.write(ERASE_LINE)
            self._drawn = False

    def _draw(self) -> None:
        if self._text and not self._drawn:
            self._out.write(self._text)
            self._drawn = True


class PromptLine:
    """The live line as the first line of the line editor's prompt (see the module)."""

    def __init__(self) -> None:
        self.text: str | None = None
        #: Redraws the prompt (set by the line editor).
        self.redraw: Callable[[], None] = lambda: None

    def show(self, text: str | None) -> None:
        if text != self.text:
            self.text = text
            self.redraw()

    def before_output(self) -> None:
        return None  # prompt_toolkit prints above the prompt by itself

    def after_output(self) -> None:
        return None

    def close(self) -> None:
        self.text = None
