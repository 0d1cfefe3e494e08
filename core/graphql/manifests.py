"""Reads the documents of a front-end's build output, for ``bocage documents register``.

- Apollo's persisted query manifest (``@apollo/generate-persisted-query-manifest``):
  ``{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id", "name",
  "type", "body"}]}``, ``id`` being the SHA-256 of ``body``;
- GraphQL Codegen's client preset, ``persistedDocuments: true``: ``persisted-documents.json``,
  ``{"<sha256>": "<document>"}``;
- ``.graphql``/``.gql`` files: the file's text is one document (with every operation and
  fragment in it), its hash that of the text as it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from bocage.core.graphql.persisted import Candidate

APOLLO_FORMAT = "apollo-persisted-query-manifest"


class ManifestError(Exception):
    """A file that is none of the formats read, or that is malformed."""


def read_documents(path: Path) -> list[Candidate]:
    """The documents ``path`` declares (not yet checked)."""
    if path.suffix.lower() in (".graphql", ".gql"):
        try:
            return [Candidate(text=path.read_text(encoding="utf-8"), source=path.name)]
        except UnicodeDecodeError:
            raise ManifestError(f"{path}: not UTF-8 text") from None
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as error:
        raise ManifestError(f"{path}: not JSON ({error})") from None
    if isinstance(data, dict) and "format" in data:
        return _apollo(path, data)
    if (
        isinstance(data, dict)
        and data
        and all(isinstance(k, str) and isinstance(v, str) for k, v in data.items())
    ):
        return [
            Candidate(text=text, source=f"{path.name}[{key}]", claimed_hash=key)
            for key, text in data.items()
        ]
    raise ManifestError(
        f"{path}: not a manifest Bocage reads. Give Apollo's persisted query manifest "
        f'({{"format": "{APOLLO_FORMAT}", "version": 1, "operations": [...]}}), GraphQL '
        'Codegen\'s persisted-documents.json ({"<sha256>": "<document>", ...}) or .graphql files.'
    )


def _apollo(path: Path, data: dict[str, Any]) -> list[Candidate]:
    if data.get("format") != APOLLO_FORMAT or data.get("version") != 1:
        raise ManifestError(
            f"{path}: format {data.get('format')!r} version {data.get('version')!r} is not "
            f"read; Bocage reads {APOLLO_FORMAT!r} version 1."
        )
    operations = data.get("operations")
    if not isinstance(operations, list):
        raise ManifestError(f'{path}: "operations" must be a list.')
    candidates = []
    for index, operation in enumerate(operations):
        body = operation.get("body") if isinstance(operation, dict) else None
        digest = operation.get("id") if isinstance(operation, dict) else None
        if not isinstance(body, str) or not isinstance(digest, str):
            raise ManifestError(
                f'{path}: operation {index} needs a string "id" and a string "body".'
            )
        name = operation.get("name") or f"#{index}"
        candidates.append(Candidate(text=body, source=f"{path.name}#{name}", claimed_hash=digest))
    return candidates
