"""Where the bytes of media live: the storage a plugin provides (``bocage_media_storage``),
else a folder (``BOCAGE_MEDIA_DIR``). Keys are made here, never from a client's input."""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from pathlib import Path

from bocage.core.errors import PluginError
from bocage.core.hookspecs import MediaStorage

#: ``<32 hex digits>/<variant>``: the only keys a storage is ever given.
KEY = re.compile(r"[0-9a-f]{32}/[a-z]{1,20}")


def new_folder() -> str:
    """The storage folder of a new medium: random, so that nothing guesses or reuses it."""
    return uuid.uuid4().hex


def key_of(folder: str, variant: str) -> str:
    key = f"{folder}/{variant}"
    check_key(key)
    return key


def check_key(key: str) -> None:
    if not KEY.fullmatch(key):
        raise ValueError(f"{key!r} is not a media storage key")


class FilesystemStorage:
    """Media in a folder: ``<root>/<2 hex>/<32 hex>/<variant>``. A file is written under a
    temporary name then renamed, so a reader never sees half of one."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def path(self, key: str) -> Path:
        check_key(key)
        path = (self.root / key[:2] / key).resolve()
        if not path.is_relative_to(self.root):  # cannot happen with a checked key
            raise ValueError(f"{key!r} is outside the media folder")
        return path

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, self.path(key), data)

    async def get(self, key: str) -> bytes | None:
        return await asyncio.to_thread(self._read, self.path(key))

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._remove, self.path(key))

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        temporary.write_bytes(data)
        os.replace(temporary, path)

    @staticmethod
    def _read(path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None

    @staticmethod
    def _remove(path: Path) -> None:
        path.unlink(missing_ok=True)
        try:
            path.parent.rmdir()  # the medium's folder, once empty
        except OSError:
            pass


def choose_storage(given: list[tuple[str, MediaStorage | None]], root: str) -> MediaStorage:
    """The storage among those plugins returned (``bocage_media_storage``: ``[(plugin,
    storage or None)]``), else the folder ``root``; :class:`PluginError` when two plugins
    provide one."""
    provided = [(name, storage) for name, storage in given if storage is not None]
    if len(provided) > 1:
        raise PluginError(
            f"plugins {provided[0][0]!r} and {provided[1][0]!r} both provide the media storage "
            "(bocage_media_storage): disable one with BOCAGE_DISABLED_PLUGINS"
        )
    if provided:
        return provided[0][1]
    return FilesystemStorage(root)
