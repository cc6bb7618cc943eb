"""`GuiTranslator`: a streamed reply translated chunk by chunk reads exactly as if it had
been translated whole, for many random replies cut at random points."""

from __future__ import annotations

import random

import pytest

from bot.core.gui_phrases import GuiTranslator, translate_gui

#: GUI instructions, near misses and the punctuation around which cuts are made.
FRAGMENTS = [
    "Click the Export button in the top-right corner", "click export", "Tap Apply",
    'click "Save."', "Click on the **Apply** button", "click here", "a click track",
    "then tap", "you can click", "Preview it in the timeline", "open the timeline panel",
    "Drag the clip to the start", "drag and drop files", "drop your files here", "drag",
    "the", "clip", "Open the settings panel", "upload images in the media panel",
    "点击导出", "点击右上角的「导出」按钮", "在时间线上预览", "将片段拖到开头", "打开设置面板",
    "拖拽", "点击「应用」", "Sunset over the lake", "with music", "(", "-", "&", "1.",
    "*", "```py", "```", "print('click here')", "Done", "Great", "export", "button", "好的",
    'click "Done. Next" button', "click 'Save! Now'", "点击「好。下一步」", "tap *Go. Now*",
    "you can. click", "Drag. the clip", "1. click here",
]
SEPARATORS = [" ", " ", " ", "\n", "\n\n", ". ", ".\n", "!\n", "。\n", "，\n", ",\n", ":\n",
              ")\n", "\n- ", "\n1. ", "\n* ", "", " \n", "&\n", "-\n", '"\n', "\n```\n",
              ". ", ". ", "! ", "? ", "。", "！", '." ', '". ', ".  "]


def random_reply(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(5, 60)):
        parts.append(rng.choice(FRAGMENTS))
        parts.append(rng.choice(SEPARATORS))
    return "".join(parts)


@pytest.mark.parametrize("seed", range(150))
def test_a_reply_translated_as_it_streams_equals_the_whole_reply_translated(seed: int) -> None:
    rng = random.Random(seed)
    reply = random_reply(rng)
    lang = rng.choice(["en", "zh"])
    translator = GuiTranslator(lang)
    cuts = sorted(rng.sample(range(1, len(reply) + 1), k=min(len(reply), rng.randint(1, 40))))
    for cut in [*cuts, len(reply)]:
        shown = reply[:cut]
        assert translator.translate(shown) == translate_gui(shown, lang), (seed, cut)


def test_a_text_that_is_not_a_continuation_is_translated_afresh() -> None:
    translator = GuiTranslator()
    translator.translate("All set.\nClick Export when ready.\nMore")
    assert translator.translate("New text.\nclick here") == translate_gui("New text.\nclick here")


def test_what_was_translated_once_is_not_translated_again() -> None:
    """Each call translates only the text after the last finished line: with a reply of
    many finished lines, the work per chunk stays the size of a line."""
    translator = GuiTranslator()
    line = "Then click the Export button in the top-right corner.\n"
    translator.translate(line * 200 + "Now")
    assert translator.settled_chars == len(line) * 200 - 1  # up to the last full stop


def test_a_reply_without_line_breaks_is_settled_sentence_by_sentence() -> None:
    translator = GuiTranslator()
    sentence = "The lake glows at sunset and the music swells. "
    translator.translate(sentence * 100 + "And then")
    assert translator.settled_chars == len(sentence) * 100 - 1


@pytest.mark.parametrize("reply", [
    "Drag\nthe clip to the start.\nDone.",
    "drag -\ndrop files here.\nOk",
    "drag &\ndrop files here.\nOk",
    'Press the "Export"\nbutton in the top-right corner.\nOk',
    "Click\nApply to keep it.\nOk",
    "Done.\nClick Apply.\nDone!\n- click here\nOk",
    "Steps:\n1.\nclick here\n2. (\ntap Export)\nOk",
    "好的。\n点击导出，\n然后打开设置面板。\n```\nclick here.\n```\nclick here.\nOk",
    "Open the\nsettings panel.\nOk",
    "Watch the result in\nthe timeline.\nOk",
    'All set. Click "Done. Next" button. Then tap Export. Ok',
    "Great! Click Apply. Now. tap here. 好的。点击「好。下一步」。点击导出。Ok",
    "Steps. 1. click here. (tap Export). Ok",
])
def test_every_prefix_of_a_reply_with_a_phrase_across_a_line_break(reply: str) -> None:
    translator = GuiTranslator()
    for cut in range(1, len(reply) + 1):
        assert translator.translate(reply[:cut]) == translate_gui(reply[:cut]), cut
