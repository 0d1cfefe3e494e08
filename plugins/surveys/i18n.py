"""Respondents read why an answer is refused in their language.

Messages are written in English in the code, marked ``_("...", name=value)``, and translated
in gettext catalogs, ``locale/<language>/LC_MESSAGES/surveys.po`` (read with Babel; a
maintainer updates them with ``pybabel extract``/``update``). A message missing from a catalog
falls back to English; ``tests/plugins/surveys/test_i18n.py`` checks that none is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

LOCALE = Path(__file__).parent / "locale"
#: The languages with a catalog (English is the code's own).
TRANSLATED = ("fr", "nl", "de")
DOMAIN = "surveys"

#: ``_(message, **values)``: the message in one language, its ``{placeholders}`` filled.
Translate = Callable[..., str]


@cache
def catalog(language: str) -> dict[str, str]:
    """``msgid -> msgstr`` of a language's catalog (empty for English or an unknown one)."""
    path = LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language not in TRANSLATED or not path.exists():
        return {}
    with path.open("rb") as file:
        messages = read_po(file, locale=language, domain=DOMAIN)
    # Only singular messages: the plugin has no plural forms (whose id is a tuple).
    return {
        m.id: m.string
        for m in messages
        if isinstance(m.id, str) and isinstance(m.string, str) and m.id and m.string and not m.fuzzy
    }


def translator(language: str | None) -> Translate:
    """The ``_`` of ``language`` (``fr``, ``nl``, ``de`` or ``en``)."""
    table = catalog(language or "en")

    def _(message: str, **values: Any) -> str:
        return table.get(message, message).format(**values)

    return _
