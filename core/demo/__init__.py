"""The core's demo data: a fictional GAL between Hesbaye and Meuse, its eight communes, their
stakeholders and contacts, their PST and a few hundred projects with indicators.

The communes are real (names and NIS codes from Statbel, see :mod:`bocage.core.reference`);
everything else is invented: organisations, people (``@example.org`` addresses, no phone
numbers), enterprise numbers (valid check digits, in a block that old VAT numbers never used),
websites (``example.org``), PSTs and projects. The data is deterministic (``random.Random(2020)``,
a fixed "today", :data:`REFERENCE_DAY`), so two databases seeded alike hold the same rows.

``bocage seed demo`` calls :func:`seed_demo` in one transaction; ``scale`` multiplies the number
of generated rows (the eight communes and their PSTs stay as they are).

The package keeps the content apart from the code: :mod:`~bocage.core.demo.organisations`,
:mod:`~bocage.core.demo.pst` and :mod:`~bocage.core.demo.projects` hold the names and texts,
:mod:`~bocage.core.demo.seeder` writes the rows.
"""

from bocage.core.demo.seeder import (
    COMMUNE_NIS_CODES,
    REFERENCE_DAY,
    TERRITORY_SLUG,
    DemoDataExists,
    database_is_empty,
    seed_demo,
)

__all__ = [
    "COMMUNE_NIS_CODES",
    "REFERENCE_DAY",
    "TERRITORY_SLUG",
    "DemoDataExists",
    "database_is_empty",
    "seed_demo",
]
