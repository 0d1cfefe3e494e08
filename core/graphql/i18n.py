"""Multilingual fields: stored as ``{"fr": ..., "nl": ...}``, resolved to one language.

The language is the field's ``lang`` argument, else the ``lang`` of the connection the field is
under (``projects(lang: NL)``: the nearest one), else the request's ``Accept-Language``, else
``BOCAGE_DEFAULT_LANGUAGE``; when the text is missing in that language, the first available of
fr, nl, de, en is returned. ``<field>Translations`` exposes every language.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from bocage.core.graphql.limits import cost
from bocage.core.settings import LANGUAGES


@strawberry.enum(description="A language of the territory's content.")
class Language(enum.Enum):
    FR = "fr"
    NL = "nl"
    DE = "de"
    EN = "en"


@strawberry.type(description="A text in each language it exists in (null where missing).")
class Translations:
    fr: str | None
    nl: str | None
    de: str | None
    en: str | None

    @classmethod
    def of(cls, values: Mapping[str, str] | None) -> Translations:
        values = values or {}
        return cls(**{lang: values.get(lang) or None for lang in LANGUAGES})


def parse_accept_language(header: str | None) -> str | None:
    """The preferred supported language of an ``Accept-Language`` header, if any."""
    if not header:
        return None
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            weighted.append((-quality, position, primary))
    return min(weighted)[2] if weighted else None


def pick(values: Mapping[str, str] | None, lang: str) -> str | None:
    """The text in ``lang``, else in the first available language."""
    if not values:
        return None
    if values.get(lang):
        return values[lang]
    for fallback in LANGUAGES:
        if values.get(fallback):
            return values[fallback]
    return next((v for v in values.values() if v), None)


#: A connection's ``lang`` argument: the language of its nodes' multilingual fields.
NodesLanguage = Annotated[
    Language | None,
    strawberry.argument(
        description="The language of the multilingual fields of the items and of what is "
        "under them (a field's own `lang` wins); default: Accept-Language."
    ),
]


def request_language(info: Info[Any, Any], lang: Language | None) -> str:
    """The field's ``lang``, else the ``lang`` of the nearest connection it is under, else
    the request's language."""
    if lang is not None:
        return lang.value
    by_path: dict[tuple[Any, ...], str] = getattr(info.context, "path_languages", None) or {}
    if by_path:
        keys = tuple(info.path.as_list())
        for end in range(len(keys) - 1, 0, -1):
            found = by_path.get(keys[:end])
            if found is not None:
                return found
    return str(info.context.language)


def remember_language(info: Info[Any, Any], lang: Language | None) -> None:
    """A connection's ``lang``: the language of every multilingual field under it."""
    if lang is not None:
        info.context.path_languages[tuple(info.path.as_list())] = lang.value


def translated(attribute: str, description: str, *, required: bool = False) -> tuple[Any, Any]:
    """Two strawberry fields for a multilingual attribute of ``root.row``: the text in the
    asked language, and all its translations."""

    def text(root: Any, info: Info[Any, Any], lang: Language | None = None) -> str | None:
        return pick(getattr(root.row, attribute), request_language(info, lang))

    def text_required(root: Any, info: Info[Any, Any], lang: Language | None = None) -> str:
        return pick(getattr(root.row, attribute), request_language(info, lang)) or ""

    def translations(root: Any) -> Translations:
        return Translations.of(getattr(root.row, attribute))

    return (
        strawberry.field(
            resolver=text_required if required else text,
            description=f"{description} In the language asked (`lang`, else Accept-Language).",
        ),
        strawberry.field(
            resolver=translations,
            description=f"{description} In every language.",
            metadata=cost(0),
        ),
    )
