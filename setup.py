"""Map the card's folders (core/, plugins/, migrations/) onto the ``bocage.`` namespace.

Every sub-package is listed so that ``pip install .`` ships them all; pyproject.toml holds
the rest of the metadata.
"""

from setuptools import find_namespace_packages, setup

ROOTS = {"bocage.core": "core", "bocage.plugins": "plugins", "bocage.migrations": "migrations"}
packages = [
    f"{name}.{sub}" if sub else name
    for name, folder in ROOTS.items()
    for sub in ["", *find_namespace_packages(folder, exclude=["*__pycache__*"])]
]
setup(packages=packages)
