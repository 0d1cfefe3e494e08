"""An installation keeps media in its own store (``bocage_media_storage``): the core writes,
reads and deletes through it, and refuses two stores."""

from __future__ import annotations

from typing import Any

import pytest

from bocage.core.api import hookimpl
from bocage.core.app import create_app
from bocage.core.errors import PluginError
from bocage.core.host import PluginHost
from bocage.core.testing import Principals, serve, settings_for

from .conftest import Owners, png, uploader


class MemoryStore:
    """An object store as a plugin would provide one (here: a dict)."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        self.objects[key] = (data, content_type)

    async def get(self, key: str) -> bytes | None:
        found = self.objects.get(key)
        return found[0] if found else None

    async def delete(self, key: str) -> None:
        self.objects.pop(key, None)


class StorePlugin:
    BOCAGE_REQUIRES = ">=1.0,<2"

    def __init__(self) -> None:
        self.store = MemoryStore()

    @hookimpl
    def bocage_media_storage(self, host: Any) -> MemoryStore:
        return self.store


async def test_a_plugins_store_keeps_the_files(bocage_world: Any, owners: Owners) -> None:
    plugin = StorePlugin()
    settings = settings_for(bocage_world.url, media_dir="/nonexistent/never-used")
    app = create_app(settings, host=PluginHost(settings, extra=[("objectstore", plugin)]))
    async with serve(app) as client:
        created = await uploader(app, client)(Principals().admin, owners.hannut_project, png())
        assert created.status_code == 201, created.text
        assert sorted(k.rsplit("/", 1)[1] for k in plugin.store.objects) == [
            "original",
            "thumbnail",
        ]
        assert {t for _, t in plugin.store.objects.values()} == {"image/png"}
        served = await client.get(created.json()["url"])
        assert served.status_code == 200
        assert (served.content, "image/png") in plugin.store.objects.values()


def test_two_stores_stop_startup(bocage_world: Any) -> None:
    settings = settings_for(bocage_world.url)
    with pytest.raises(PluginError, match="both provide the media storage"):
        PluginHost(settings, extra=[("one", StorePlugin()), ("two", StorePlugin())])


def test_the_folder_store_refuses_keys_it_did_not_make(tmp_path: Any) -> None:
    from bocage.core.media.storage import FilesystemStorage

    store = FilesystemStorage(tmp_path)
    for key in ("../../etc/passwd", "0" * 32 + "/../x", "/etc/passwd", "a" * 32 + "/Original"):
        with pytest.raises(ValueError):
            store.path(key)
    assert store.path("a" * 32 + "/thumbnail").is_relative_to(tmp_path)


def test_a_type_taking_media_is_declared_once(bocage_world: Any) -> None:
    from bocage.core.api import MediaOwner

    async def anyone(*args: Any) -> bool:
        return True

    class Again:
        BOCAGE_REQUIRES = ">=1.0,<2"

        @hookimpl
        def bocage_media_owners(self) -> list[MediaOwner]:
            return [MediaOwner("Project", "projects:write", anyone, anyone)]

    settings = settings_for(bocage_world.url)
    with pytest.raises(PluginError, match="media owner type 'Project'"):
        PluginHost(settings, extra=[("again", Again())])
