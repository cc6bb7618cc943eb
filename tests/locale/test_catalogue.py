"""The message catalogues: complete, in step with the code, and open to one more language."""

from __future__ import annotations

import ast
import string
import subprocess
import sys
import zipfile
from pathlib import Path

import discord
import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from bot.core.catalogue import CATALOGUE, LOCALE_DIR, Catalogue
from bot.core.wording import Wording
from bot.terminal.words import TerminalWords
from cogs.texts import CatalogueTranslator, EdgeTexts, language_from_locale

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = LOCALE_DIR / "nemobot.pot"
#: The README's `pybabel extract` command, as Babel's API takes it.
KEYWORDS = {**DEFAULT_KEYWORDS, "_n": (1, 2), "locale_str": None}


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=locale)


def _messages(catalog: Catalog) -> list[Message]:
    return [message for message in catalog if message.id]


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def _ids(message: Message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def _strings(message: Message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def test_the_template_is_up_to_date_with_the_code() -> None:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    extracted = {
        message_id
        for _, _, message_id, _, _ in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS
        )
    }
    committed = {message.id for message in _messages(_read(TEMPLATE))}
    assert extracted == committed, (
        "run the README's `pybabel extract` and `pybabel update`: "
        f"new in the code {sorted(map(str, extracted - committed))}, "
        f"gone from it {sorted(map(str, committed - extracted))}"
    )


def test_every_sentence_has_a_chinese_translation() -> None:
    template = {message.id for message in _messages(_read(TEMPLATE))}
    chinese = _read(CATALOGUE.po_file("zh"), "zh")
    assert {message.id for message in _messages(chinese)} == template
    assert len(template) >= 100
    for message in _messages(chinese):
        assert not message.fuzzy, message.id
        assert all(_strings(message)), message.id
    assert not list(chinese.obsolete)


@pytest.mark.parametrize("language", sorted(CATALOGUE.languages - {"en"}))
def test_each_translation_keeps_the_placeholders_of_its_sentence(language: str) -> None:
    for message in _messages(_read(CATALOGUE.po_file(language), language)):
        wanted = set().union(*map(_placeholders, _ids(message)))
        for translated in _strings(message):
            assert _placeholders(translated) == wanted, message.id


def test_a_language_is_one_po_file(tmp_path: Path) -> None:
    catalog = Catalog(locale="fr", domain="nemobot")
    catalog.add("💭 Thinking…", "💭 Je réfléchis…")
    catalog.add("💳 {available} credits left.", "")  # untranslated: stays English
    catalog.add(
        ("💳 {available} credit left.", "💳 {available} credits left."),
        # French has three plural forms: one, many (a million), other
        ("💳 Il reste {available} crédit.", "💳 Il reste {available} de crédits.",
         "💳 Il reste {available} crédits."),
    )
    catalog.add("Retry", "Réessayer")
    catalog.add("help", "aide")
    target = tmp_path / "fr" / "LC_MESSAGES" / "nemobot.po"
    target.parent.mkdir(parents=True)
    with target.open("wb") as po:
        write_po(po, catalog)
    french = Catalogue(tmp_path)

    assert french.languages == {"en", "fr"}
    wording = Wording("fr-CA", catalogue=french)
    assert wording.language == "fr"
    assert wording.thinking() == "💭 Je réfléchis…"
    assert wording.credits(1, 0, 1) == "💳 Il reste 1 crédit."
    assert wording.credits(2, 0, 2) == "💳 Il reste 2 crédits."
    assert wording.connecting() == Wording("en").connecting()  # the rest in English
    assert EdgeTexts("fr", catalogue=french).label_retry() == "Réessayer"
    assert TerminalWords("fr", catalogue=french).reset_kept() == TerminalWords("en").reset_kept()
    assert Wording("zh", catalogue=french).language == "en"  # this catalogue has no Chinese


async def test_the_slash_command_translator_reads_the_same_catalogue(tmp_path: Path) -> None:
    translator = CatalogueTranslator()
    context = discord.app_commands.TranslationContext(
        discord.app_commands.TranslationContextLocation.other, None
    )
    name = discord.app_commands.locale_str("help")
    for locale in (discord.Locale.chinese, discord.Locale.taiwan_chinese):
        assert await translator.translate(name, locale, context) == "帮助"
    assert await translator.translate(name, discord.Locale.american_english, context) is None
    assert await translator.translate(name, discord.Locale.french, context) is None
    unknown = discord.app_commands.locale_str("no such sentence")
    assert await translator.translate(unknown, discord.Locale.chinese, context) is None


@pytest.mark.parametrize(
    ("locale", "language"),
    [("zh-CN", "zh"), ("zh-TW", "zh"), ("zh_hans", "zh"), ("ZH", "zh"), ("ja", "en"),
     ("en-GB", "en"), ("", "en"), (None, "en")],
)
def test_a_locale_picks_the_catalogue_language(locale: str | None, language: str) -> None:
    assert CATALOGUE.language(locale) == language
    assert language_from_locale(locale) == language


@pytest.mark.slow
def test_the_catalogues_ship_in_the_wheel_and_load_from_an_install(tmp_path: Path) -> None:
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    # Built with the setuptools already installed: a test never reaches a package index.
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                    "-w", str(tmp_path / "dist"), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    [wheel] = (tmp_path / "dist").glob("nemobot-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "bot/locale/nemobot.pot" in names
    assert "bot/locale/zh/LC_MESSAGES/nemobot.po" in names
    site = tmp_path / "site"
    subprocess.run([*pip, "install", "--no-deps", "--no-index", "--target", str(site), str(wheel)],
                   check=True, capture_output=True, timeout=300)

    shown = subprocess.run(
        [sys.executable, "-c",
         "import bot; from bot.core.wording import Wording; "
         "print(bot.__file__); print(Wording('zh-CN').thinking())"],
        cwd=tmp_path, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout.splitlines()
    assert shown[0].startswith(str(site))  # the installed copy, not this checkout
    assert shown[1] == "💭 思考中…"


SPEAKERS = ("bot/core/wording.py", "cogs/texts.py", "bot/terminal/words.py")


@pytest.mark.parametrize("path", SPEAKERS)
def test_sentences_are_looked_up_before_they_are_filled_in(path: str) -> None:
    """`self._(f"…{x}")` would never match a msgid (and `pybabel extract` skips it): the
    English text goes in as it is written, and values as named placeholders."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    calls = [
        node for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("_", "_n", "_pick")
    ]
    assert calls
    for call in calls:
        assert call.func.attr != "_pick", f"{path}:{call.lineno}: old (en, zh) pair"
        texts = call.args[:2] if call.func.attr == "_n" else call.args[:1]
        for text in texts:
            assert not isinstance(text, ast.JoinedStr | ast.BinOp | ast.Call), (
                f"{path}:{call.lineno}: the sentence must be a plain string"
            )
