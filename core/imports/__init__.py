"""Spreadsheet import: projects, organisations, contacts and a commune's PST from CSV or XLSX.

``bocage import KIND FILE`` (:mod:`.command`) and ``POST /api/import/{kind}`` (:mod:`.rest`)
both call :func:`.runner.run_import`: read the file (:mod:`.sources`), map its columns to
fields (:mod:`.mapping`), check every row with the mutations' rules and batch lookups (one
module per kind), then write all rows in one transaction, or none. See ``docs/import.md``.
"""
