"""Reading a CSV file within the bounds: any common delimiter, UTF-8 with or without BOM,
UTF-16 with a BOM, or the Windows-1252 of French Excel.

Every reader of CSV in Bocage reads through :func:`csv_rows` (the import directly, open-data
uploads before and while frictionless validates the rows), so that a row is never built wider,
longer or beyond the file's cells than :class:`~.limits.SpreadsheetLimits` allow.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from bocage.core.spreadsheets.limits import (
    RowCounter,
    SpreadsheetError,
    SpreadsheetLimits,
    cell_too_long,
    too_many_columns,
)

if TYPE_CHECKING:
    from bocage.core.cancellation import Cancellation

#: Delimiters a CSV may use; French Excel writes ``;`` because ``,`` is the decimal separator.
DELIMITERS = ";,\t|"
#: What :class:`csv.Sniffer` looks at. Its regular expressions take time quadratic in the
#: sample on some inputs (64 KB of ``"a"`` lines: 23 s); 4 KiB bound that to 0.1 s.
SNIFF_SAMPLE = 4096
#: How far the scan of a first record goes before leaving it to the CSV parser (long cells).
FIRST_RECORD_SCAN = 1 << 20


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV file is written: its text encoding and its delimiter."""

    encoding: str
    delimiter: str


def encoding_of(data: bytes | os.PathLike[str] | str) -> str:
    """The encoding of CSV ``data`` (its bytes, or its path): UTF-16 with a BOM, else UTF-8
    when every byte decodes as UTF-8, else Windows-1252 (French Excel's "CSV")."""
    if isinstance(data, bytes):
        head, chunks = data[:2], iter((data,))
    else:
        with open(data, "rb") as file:
            head = file.read(2)
        chunks = _chunks(data)
    if head in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in chunks:
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


def _chunks(path: os.PathLike[str] | str) -> Iterator[bytes]:
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            yield chunk


def open_text(data: bytes | os.PathLike[str] | str, encoding: str) -> TextIO:
    """CSV ``data`` (bytes or a path) as text; a byte Windows-1252 leaves undefined becomes
    U+FFFD."""
    if isinstance(data, bytes):
        return io.StringIO(data.decode(encoding, errors="replace"), newline="")
    return open(data, encoding=encoding, errors="replace", newline="")


#: What the scan of a first record looks at: quotes, delimiters, line ends.
_SPECIAL = re.compile('["\r\n' + re.escape(DELIMITERS) + "]")


def check_first_record(text: TextIO, limits: SpreadsheetLimits) -> None:
    """Refuse a first record (the header, blank lines before it skipped) of more than
    ``max_columns`` columns for any of the :data:`DELIMITERS`, reading no further than its
    ``max_columns``-th delimiter: a million columns are refused after a few kilobytes, before
    a parser builds the row. ``text`` is left where it was."""
    start = text.tell()
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted, blank, scanned = False, True, 0
    try:
        while scanned < FIRST_RECORD_SCAN and (chunk := text.read(64 * 1024)):
            scanned += len(chunk)
            position = 0
            for match in _SPECIAL.finditer(chunk):
                char = match.group()
                blank = blank and match.start() == position
                position = match.end()
                if char == '"':
                    quoted, blank = not quoted, False  # "" inside quotes toggles twice
                elif quoted:
                    continue
                elif char in "\r\n":
                    if not blank:
                        return
                else:
                    blank = False
                    counts[char] += 1
                    if counts[char] >= limits.max_columns:
                        raise too_many_columns(
                            limits, f"row 1 has more than {limits.max_columns} columns"
                        )
            blank = blank and position == len(chunk)
    finally:
        text.seek(start)


def sniff_delimiter(text: TextIO) -> str:
    """The delimiter of the CSV ``text`` (left where it was): :class:`csv.Sniffer` on its
    first :data:`SNIFF_SAMPLE` characters, else the most frequent one on its first line."""
    start = text.tell()
    sample = text.read(SNIFF_SAMPLE)
    text.seek(start)
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first_line = sample.lstrip("\r\n").split("\n", 1)[0]
        counts = {d: first_line.count(d) for d in DELIMITERS}
        return max(counts, key=lambda d: counts[d])


def detect(data: bytes | os.PathLike[str] | str, limits: SpreadsheetLimits) -> CsvDialect:
    """The dialect of CSV ``data``, once its first record has passed its bound."""
    encoding = encoding_of(data)
    with open_text(data, encoding) as text:
        check_first_record(text, limits)
        return CsvDialect(encoding, sniff_delimiter(text))


def csv_rows(
    text: TextIO,
    delimiter: str,
    limits: SpreadsheetLimits,
    cancellation: Cancellation | None = None,
) -> Iterator[tuple[int, list[str]]]:
    """The records of the CSV ``text``, numbered from 1 as a spreadsheet shows them, each
    checked against ``limits`` as it is read."""
    check_first_record(text, limits)
    # The csv module's bound on a field is process-wide, and frictionless raises it to 2**31
    # when it loads: set ours before each read, so that no field longer than a cell may be is
    # ever built.
    csv.field_size_limit(limits.max_cell_chars)
    reader = csv.reader(text, delimiter=delimiter)
    counter = RowCounter(limits, cancellation)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):  # noqa: B007 - read in the except
            counter.add(number, cells)
            yield number, cells
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise cell_too_long(limits, f"row {number + 1} has a longer cell") from None
        raise SpreadsheetError(f"row {number + 1} cannot be read as CSV: {error}") from None


def read_csv(
    data: bytes | os.PathLike[str] | str,
    dialect: CsvDialect,
    limits: SpreadsheetLimits,
    cancellation: Cancellation | None = None,
) -> Iterator[tuple[int, list[str]]]:
    """:func:`csv_rows` of CSV ``data`` (bytes or a path) written in ``dialect``."""
    with open_text(data, dialect.encoding) as text:
        yield from csv_rows(text, dialect.delimiter, limits, cancellation)


def check_csv(
    data: bytes | os.PathLike[str] | str,
    limits: SpreadsheetLimits,
    cancellation: Cancellation | None = None,
) -> CsvDialect:
    """Read all of CSV ``data`` within ``limits``; return its dialect."""
    dialect = detect(data, limits)
    for _ in read_csv(data, dialect, limits, cancellation):
        pass
    return dialect
