"""The published descriptions of the API: GraphQL SDL and OpenAPI, as committed files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from bocage.core.graphql.schema import build_schema
from bocage.core.openapi import openapi_document

if TYPE_CHECKING:
    from bocage.core.host import PluginHost

SDL_FILE = "schema.graphql"
OPENAPI_FILE = "openapi.json"


def sdl_text(host: PluginHost) -> str:
    return build_schema(host).as_str() + "\n"


def openapi_text(host: PluginHost) -> str:
    return json.dumps(openapi_document(host), indent=2, ensure_ascii=False) + "\n"


def write_schema_files(host: PluginHost, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in ((SDL_FILE, sdl_text(host)), (OPENAPI_FILE, openapi_text(host))):
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
