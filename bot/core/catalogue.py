"""The message catalogues: every sentence a user reads, looked up by its English text.

The English sentences are written in the code (`_("…")`, `_n("…", "…", count)`) and are the
msgids; each other language is one gettext file, `bot/locale/<lang>/LC_MESSAGES/nemobot.po`.
The `.po` files are read (compiled in memory by Babel) the first time a language is asked
for, so there is no build step and no `.mo` file to keep in step. Adding a language is
adding its `.po` file: `Catalogue.language` then picks it for that language's locales.

    class Wording(Words):             # Words("zh-CN"): 'zh-CN', 'zh_TW' → 'zh'; unknown → 'en'
        def credits(self, available: int) -> str:
            return self._n("💳 {available} credit left.", "💳 {available} credits left.",
                           available, available=available)

Placeholders are named (`{name}`) and filled in after translation, so a translation may
put them in any order.
"""

from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

__all__ = ["CATALOGUE", "DOMAIN", "LOCALE_DIR", "N_", "SOURCE_LANGUAGE", "Catalogue", "Words"]

#: The installed catalogues: `bot/locale` (package data, so it ships in the wheel).
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "nemobot"
#: The language of the msgids: it needs no file.
SOURCE_LANGUAGE = "en"


class Catalogue:
    """The languages found under one locale directory, each read once."""

    def __init__(self, directory: Path = LOCALE_DIR) -> None:
        self.directory = directory
        self._translations: dict[str, gettext.NullTranslations] = {}

    def po_file(self, language: str) -> Path:
        return self.directory / language / "LC_MESSAGES" / f"{DOMAIN}.po"

    @functools.cached_property
    def languages(self) -> frozenset[str]:
        """English and every language that has a `.po` file here."""
        files = self.directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")
        found = {path.parent.parent.name for path in files}
        return frozenset({SOURCE_LANGUAGE, *found})

    def language(self, requested: str | None) -> str:
        """A locale ('zh-CN', 'zh_TW', 'fr', None) → a language of this catalogue.

        The primary subtag picks the file; a language without one gets English.
        """
        primary = (requested or "").strip().lower().replace("_", "-").split("-")[0]
        return primary if primary in self.languages else SOURCE_LANGUAGE

    def translations(self, language: str) -> gettext.NullTranslations:
        """The sentences of `language`; what its file lacks stays in English."""
        if language not in self._translations:
            self._translations[language] = self._read(language)
        return self._translations[language]

    def _read(self, language: str) -> gettext.NullTranslations:
        path = self.po_file(language)
        if language == SOURCE_LANGUAGE or not path.is_file():
            return gettext.NullTranslations()
        with path.open("rb") as po:
            catalog = read_po(po, locale=language, domain=DOMAIN)
        compiled = io.BytesIO()
        write_mo(compiled, catalog, use_fuzzy=False)  # what `pybabel compile` would write
        compiled.seek(0)
        return Translations(compiled, domain=DOMAIN)


def N_(message: str) -> str:
    """Marks a sentence for the catalogue where it is defined, to be translated later."""
    return message


#: The catalogues that ship with nemobot.
CATALOGUE = Catalogue()


class Words:
    """The sentences of one language, for the classes that say them (`Wording`, …)."""

    __slots__ = ("_translations", "language")

    def __init__(self, language: str | None = SOURCE_LANGUAGE, catalogue: Catalogue = CATALOGUE):
        self.language: str = catalogue.language(language)
        self._translations = catalogue.translations(self.language)

    def _(self, message: str, /, **values: object) -> str:
        """`message` (its English text) in this language, placeholders filled in."""
        return self._translations.gettext(message).format(**values)

    def _n(self, singular: str, plural: str, count: int, /, **values: object) -> str:
        """The form of `singular`/`plural` that `count` takes in this language."""
        return self._translations.ngettext(singular, plural, count).format(**values)
