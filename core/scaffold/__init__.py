"""``bocage plugins new NAME``: write a pip-installable plugin package from the templates in
this folder (plain files with ``{{placeholders}}``, shipped as package data).

The package has its own table and alembic branch, a GraphQL type with a connection, a mutation
with its permission, a REST route, a setting, demo data, a dataset, a webhook event type and
tests on Bocage's test kit; its code imports nothing of Bocage but ``bocage.core.api``.
``docs/plugin-tutorial.md`` walks through the same steps.
"""

from __future__ import annotations

import datetime as dt
import re
from importlib import resources
from pathlib import Path

#: A plugin's name: the entry point's, the prefix of its tables, permissions and settings.
NAME = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
MAX_NAME_LENGTH = 30

#: Where each generated file comes from (``{package}`` and ``{name}`` filled in).
FILES = {
    "pyproject.toml": "pyproject.toml.tmpl",
    "README.md": "README.md.tmpl",
    "{package}/__init__.py": "init.py.tmpl",
    "{package}/py.typed": None,
    "{package}/settings.py": "settings.py.tmpl",
    "{package}/models.py": "models.py.tmpl",
    "{package}/graphql.py": "graphql.py.tmpl",
    "{package}/routes.py": "routes.py.tmpl",
    "{package}/plugin.py": "plugin.py.tmpl",
    "{package}/migrations/__init__.py": None,
    "{package}/migrations/{name}_0001_items.py": "migration.py.tmpl",
    "tests/conftest.py": "conftest.py.tmpl",
    "tests/test_{name}.py": "test_plugin.py.tmpl",
}

PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


class ScaffoldError(ValueError):
    """The plugin cannot be written as asked; the message says what to change."""


def check_name(name: str) -> None:
    if not NAME.match(name) or len(name) > MAX_NAME_LENGTH:
        raise ScaffoldError(
            f"{name!r}: a plugin's name is lower-case letters and digits, words joined by one "
            f"'_', starting with a letter, at most {MAX_NAME_LENGTH} characters (e.g. "
            "'markets' or 'local_markets'): it prefixes the plugin's tables, GraphQL types, "
            "permissions and settings"
        )


def _template(filename: str) -> str:
    return resources.files(__name__).joinpath(filename).read_text(encoding="utf-8")


def _fill(text: str, values: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        return values[match.group(1)]

    return PLACEHOLDER.sub(value, text)


def placeholders(name: str) -> dict[str, str]:
    """What the templates' ``{{placeholders}}`` stand for, for the plugin ``name``."""
    from bocage.core import __version__, api

    pascal = "".join(part.capitalize() for part in name.split("_"))
    values = {
        "name": name,
        "snake": name,
        "Name": pascal,
        "camel": pascal[0].lower() + pascal[1:],
        "NAME": name.upper(),
        "package": f"bocage_{name}",
        "dist": f"bocage-{name.replace('_', '-')}",
        "event_prefix": f"{pascal}Item".lower(),
        "bocage_version": __version__,
        "today": dt.date.today().isoformat(),
        "contract": "",
        "datasets": "",
        "dataset_test": "",
        "dataset_doc": "",
    }
    values["event_type"] = f"{values['event_prefix']}.created"
    version = getattr(api, "CONTRACT_VERSION", None)
    if version is not None:  # written for this contract, trusting its later minor versions
        major = int(str(version).split(".")[0])
        values["contract"] = (
            "\n#: The plugin contract versions this plugin supports (docs/compatibility.md).\n"
            f'BOCAGE_REQUIRES = ">={version},<{major + 1}"\n'
        )
    # The dataset needs the open-data types in the contract (bocage.core.api).
    if all(hasattr(api, n) for n in ("Dataset", "DatasetField", "FieldType", "Theme")):
        values["datasets"] = _fill(_template("datasets.tmpl"), values)
        values["dataset_test"] = _fill(_template("dataset_test.tmpl"), values)
        values["dataset_doc"] = ", open data"
    return values


def generate(name: str, directory: Path) -> list[Path]:
    """Write the plugin ``name`` into ``directory`` (new or empty); return the files written."""
    check_name(name)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ScaffoldError(f"{directory}: exists and is not an empty folder; choose another")
    values = placeholders(name)
    written = []
    for target, source in FILES.items():
        path = directory / target.format(package=values["package"], name=name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_fill(_template(source), values) if source else "", encoding="utf-8")
        written.append(path)
    return written
