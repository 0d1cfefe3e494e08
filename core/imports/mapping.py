"""Which column fills which field: default header names in French, Dutch and English, or the
user's own mapping (``{"Intitulé du projet": "title_fr"}``).

A field's key is its name (``budget``), or for a multilingual field its name and a language
(``title_fr``); a multilingual header without a language (``Titre``) is the default language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bocage.core.imports.cells import fold
from bocage.core.settings import LANGUAGES

#: A mapping target that leaves the column out.
IGNORE = "ignore"

LANGUAGE_NAMES = {
    "fr": ("fr", "francais", "french", "frans"),
    "nl": ("nl", "neerlandais", "dutch", "nederlands"),
    "de": ("de", "allemand", "german", "duits", "deutsch"),
    "en": ("en", "anglais", "english", "engels"),
}


class MappingError(Exception):
    """The column mapping itself is wrong (unknown field, field mapped twice)."""


@dataclass(frozen=True)
class Field:
    """A field rows may fill; ``aliases`` are header names that fill it by default."""

    name: str
    aliases: tuple[str, ...] = ()
    multilingual: bool = False
    required: bool = False
    help: str = ""

    def keys(self) -> list[str]:
        if self.multilingual:
            return [f"{self.name}_{lang}" for lang in LANGUAGES]
        return [self.name]


@dataclass
class Column:
    index: int
    header: str
    key: str


def _defaults(fields: Sequence[Field], default_language: str) -> dict[str, str]:
    """Every folded default header name -> key."""
    names: dict[str, str] = {}
    for f in fields:
        for alias in (f.name, *f.aliases):
            base = fold(alias)
            if f.multilingual:
                names.setdefault(base, f"{f.name}_{default_language}")
                for lang, spellings in LANGUAGE_NAMES.items():
                    for spelling in spellings:
                        names.setdefault(f"{base}_{spelling}", f"{f.name}_{lang}")
                        names.setdefault(f"{spelling}_{base}", f"{f.name}_{lang}")
            else:
                names.setdefault(base, f.name)
    return names


def targets(fields: Sequence[Field]) -> list[str]:
    return [key for f in fields for key in f.keys()]


def map_columns(
    headers: Sequence[str],
    fields: Sequence[Field],
    overrides: Mapping[str, str] | None = None,
    *,
    default_language: str = "fr",
) -> tuple[list[Column], list[str]]:
    """The columns that fill a field, and the headers left out. Headers named in
    ``overrides`` (exactly, or folded) take the key given there; others their default."""
    valid = set(targets(fields))
    wanted: dict[str, str] = {}
    for header, key in (overrides or {}).items():
        key = key.strip()
        if key != IGNORE and key not in valid:
            raise MappingError(
                f"mapping {header!r} -> {key!r}: there is no field {key!r}; the fields are "
                f"{', '.join(sorted(valid))} (or {IGNORE!r} to leave a column out)"
            )
        wanted[header] = key
        wanted.setdefault(fold(header), key)
    unknown = [
        h for h in (overrides or {}) if h not in headers and fold(h) not in map(fold, headers)
    ]
    if unknown:
        raise MappingError(
            f"the mapping names columns the file does not have: {', '.join(map(repr, unknown))}; "
            f"its columns are {', '.join(repr(h) for h in headers if h)}"
        )
    defaults = _defaults(fields, default_language)
    columns: list[Column] = []
    ignored: list[str] = []
    taken: dict[str, str] = {}
    for index, header in enumerate(headers):
        if not header:
            continue
        target = wanted.get(header) or wanted.get(fold(header)) or defaults.get(fold(header))
        if target is None or target == IGNORE:
            ignored.append(header)
            continue
        if target in taken:
            raise MappingError(
                f"columns {taken[target]!r} and {header!r} both fill {target!r}: map one of them "
                f"to another field, or to {IGNORE!r}"
            )
        taken[target] = header
        columns.append(Column(index, header, target))
    return columns, ignored


def parse_map_options(options: Sequence[str]) -> dict[str, str]:
    """``--map 'Intitulé=title_fr'`` options to a mapping."""
    mapping: dict[str, str] = {}
    for option in options:
        header, sep, key = option.rpartition("=")
        if not sep or not header.strip() or not key.strip():
            raise MappingError(f"--map {option!r}: write it as 'Column header=field'")
        mapping[header.strip()] = key.strip()
    return mapping
