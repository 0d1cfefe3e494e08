"""Respondents read why an answer is refused in their language (fr, nl, de, en)."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_file

from bocage.core.testing import runner
from bocage.plugins.surveys import i18n

PLUGIN = Path(i18n.__file__).parent
#: The modules whose messages respondents read.
SOURCES = ("definition.py", "store.py", "answering.py")


def _messages() -> set[str]:
    found: set[str] = set()
    for name in SOURCES:
        for _, message, _, _ in extract_from_file("python", PLUGIN / name, keywords={"_": None}):
            found.add(message)
    return found


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_the_code_marks_the_messages_it_refuses_answers_with() -> None:
    messages = _messages()
    assert "send the answers" in messages and "an option is chosen twice" in messages
    assert len(messages) >= 30


@pytest.mark.parametrize("language", i18n.TRANSLATED)
def test_every_message_is_translated_with_the_same_placeholders(language: str) -> None:
    catalog = i18n.catalog(language)
    for message in _messages():
        assert catalog.get(message), f"{language}: no translation of {message!r}"
        assert _placeholders(catalog[message]) == _placeholders(message), (language, message)


WRONG = [
    {"question": "kind", "choices": ["association", "enterprise"]},
    {"question": "satisfaction", "number": 9},
]

EXPECTED = {
    "en": ("choose exactly one option, not 2", "9 is not a point of the scale"),
    "fr": ("choisissez exactement une option, pas 2", "9 n'est pas un point de l'échelle"),
    "nl": ("kies precies één optie, niet 2", "9 is geen punt van de schaal"),
    "de": ("wählen Sie genau eine Option, nicht 2", "9 ist kein Punkt der Skala"),
}


@pytest.mark.parametrize("language", sorted(EXPECTED))
async def test_a_refused_answer_is_explained_in_the_respondents_language(
    language: str, run: Any, sv: Any, world: Any
) -> None:
    survey = await sv.create(public=True)
    as_respondent = runner(world, language=language)
    refused = await as_respondent(
        sv.SUBMIT, {"input": {"publicKey": survey["publicKey"], "answers": WRONG}}
    )
    payload = refused["data"]["submitSurveyResponse"]
    assert payload["submitted"] is False
    messages = {e["field"]: e["message"] for e in payload["errors"]}
    single, scale = EXPECTED[language]
    assert single in messages["kind"], messages
    assert scale in messages["satisfaction"], messages
    unknown = await as_respondent(sv.SUBMIT, {"input": {"publicKey": "nope", "answers": WRONG}})
    error = unknown["data"]["submitSurveyResponse"]["errors"][0]
    assert error["field"] == "publicKey"
    assert error["message"] == i18n.translator(language)(
        "no survey is open to the public at this link"
    )
