"""The demo GAL, a bundled plugin: a fictional GAL between Hesbaye and Meuse, its eight
communes, their stakeholders and contacts, their PST and a few hundred projects with
indicators, written through the ``bocage_seed`` hook like any plugin's demo data.

The communes are real (names and NIS codes from Statbel, through the core's reference list);
everything else is invented: organisations, people (``@example.org`` addresses, no phone
numbers), enterprise numbers (valid check digits, in a block that old VAT numbers never used),
websites (``example.org``), PSTs and projects. The data is deterministic (``random.Random(2020)``,
a fixed "today", :data:`~bocage.plugins.demo.seeder.REFERENCE_DAY`), so two databases seeded
alike hold the same rows; ``scale`` multiplies the number of generated rows (the eight
communes and their PSTs stay as they are).

The content is data, apart from the code: ``data/*.json`` hold the names and texts
(:mod:`~bocage.plugins.demo.content` reads them), :mod:`~bocage.plugins.demo.seeder` writes
the rows. Like every plugin, it imports only ``bocage.core.api``.
"""
