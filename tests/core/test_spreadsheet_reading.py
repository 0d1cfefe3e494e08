"""bocage.core.spreadsheets: the bounds of every reader of CSV and XLSX files."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import pytest

from bocage.core.cancellation import Cancellation, ClientDisconnected
from bocage.core.settings import load_settings
from bocage.core.spreadsheets import (
    SpreadsheetError,
    SpreadsheetLimitError,
    SpreadsheetLimits,
    csvfiles,
    xlsxfiles,
)

# -- the settings ------------------------------------------------------------------------------


def test_limits_come_from_the_settings() -> None:
    defaults = SpreadsheetLimits.of()
    assert defaults == SpreadsheetLimits.of(load_settings())
    assert defaults.max_columns == 1000 and defaults.max_cell_chars == 32_767
    assert SpreadsheetLimits.of(load_settings(spreadsheet_max_cells=7)).max_cells == 7


def limits(**changes: Any) -> SpreadsheetLimits:
    base = SpreadsheetLimits.of()
    return SpreadsheetLimits(**{**base.__dict__, **changes})


def refused(error: pytest.ExceptionInfo[SpreadsheetLimitError], status: int, name: str) -> None:
    assert (error.value.status, error.value.setting) == (status, f"BOCAGE_SPREADSHEET_{name}")
    assert error.value.setting in error.value.message


# -- CSV ---------------------------------------------------------------------------------------


def rows(data: bytes, bounds: SpreadsheetLimits, cancellation: Any = None) -> list[list[str]]:
    dialect = csvfiles.detect(data, bounds)
    return [cells for _, cells in csvfiles.read_csv(data, dialect, bounds, cancellation)]


def test_columns_just_under_and_over() -> None:
    assert len(rows(b"a;b;c\n1;2;3\n", limits(max_columns=3))[0]) == 3
    with pytest.raises(SpreadsheetLimitError) as header:
        rows(b"a;b;c;d\n1;2;3;4\n", limits(max_columns=3))
    refused(header, 422, "MAX_COLUMNS")
    with pytest.raises(SpreadsheetLimitError) as data_row:
        rows(b"a;b;c\n1;2;3;4\n", limits(max_columns=3))
    assert "row 2" in data_row.value.message


def test_the_first_record_scan_reads_quotes_and_skips_blank_lines() -> None:
    bounds = limits(max_columns=2)
    quoted = b'"a;b;c","d|e"\n1;2\n'  # delimiters inside quotes are not columns
    assert rows(quoted, bounds)[0] == ["a;b;c", "d|e"]
    with pytest.raises(SpreadsheetLimitError):
        csvfiles.check_first_record(io.StringIO("\n\r\n\na,b,c\n"), bounds)
    text = io.StringIO('x,"y\n,,,,"\n')  # a quoted line break stays in its record
    csvfiles.check_first_record(text, bounds)
    assert text.tell() == 0


def test_a_million_columns_are_refused_after_a_few_kilobytes(hostile: Any) -> None:
    class Counting(io.StringIO):
        read_chars = 0

        def read(self, size: int | None = -1) -> str:
            chunk = super().read(size)
            self.read_chars += len(chunk)
            return chunk

    text = Counting(hostile.wide_csv(1_000_000).decode())
    with pytest.raises(SpreadsheetLimitError):
        csvfiles.check_first_record(text, SpreadsheetLimits.of())
    assert text.read_chars <= 64 * 1024


def test_cells_just_under_and_over(hostile: Any) -> None:
    assert len(rows(hostile.table_csv(3, 3), limits(max_cells=12))) == 4
    with pytest.raises(SpreadsheetLimitError) as error:
        rows(hostile.table_csv(3, 3), limits(max_cells=11))
    refused(error, 413, "MAX_CELLS")


def test_cell_length_just_under_and_over() -> None:
    assert rows(b'a,b\n"xxxxx",y\n', limits(max_cell_chars=5))[1] == ["xxxxx", "y"]
    for data in (b"a,b\nxxxxxx,y\n", b'a,b\n"xxxxxx",y\n'):
        with pytest.raises(SpreadsheetLimitError) as error:
            rows(data, limits(max_cell_chars=5))
        refused(error, 422, "MAX_CELL_CHARS")
        assert "row 2" in error.value.message
    assert csv.field_size_limit() == 5  # the csv module itself builds no longer field


def test_encodings_and_delimiters() -> None:
    text = "Nom;Superficie\nHéron;39,1\n"
    for encoding in ("utf-8", "utf-8-sig", "cp1252", "utf-16"):
        assert rows(text.encode(encoding), SpreadsheetLimits.of()) == [
            ["Nom", "Superficie"],
            ["Héron", "39,1"],
        ], encoding
    assert csvfiles.detect(b"a\tb\n1\t2\n", SpreadsheetLimits.of()).delimiter == "\t"


def test_the_sniffer_sees_a_bounded_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    """csv.Sniffer's time is quadratic in its sample on some files (64 KB of one quoted
    column: 23 s); it is given the first 4 KiB."""
    seen = []
    sniff = csv.Sniffer.sniff

    def recording(self: Any, sample: str, delimiters: Any = None) -> Any:
        seen.append(len(sample))
        return sniff(self, sample, delimiters)

    monkeypatch.setattr(csv.Sniffer, "sniff", recording)
    data = b'"a"\n' * 16_000
    assert len(rows(data, SpreadsheetLimits.of())) == 16_000
    assert seen == [csvfiles.SNIFF_SAMPLE]


def test_reading_stops_when_cancelled(hostile: Any) -> None:
    cancellation = Cancellation()
    read = 0
    data = hostile.table_csv(2, 5000)
    dialect = csvfiles.detect(data, SpreadsheetLimits.of())
    with pytest.raises(ClientDisconnected):
        for _ in csvfiles.read_csv(data, dialect, SpreadsheetLimits.of(), cancellation):
            read += 1
            if read == 10:
                cancellation.cancel()
    assert read < 2000


# -- XLSX --------------------------------------------------------------------------------------


def check(data: bytes, bounds: SpreadsheetLimits | None = None) -> None:
    xlsxfiles.check_xlsx(io.BytesIO(data), bounds or SpreadsheetLimits.of())


def test_an_ordinary_workbook_passes(hostile: Any) -> None:
    check(hostile.workbook([["nom", "valeur"], ["a", 1], ["b" * 100, 2.5]]))


def test_archive_bounds_just_under_and_over(hostile: Any) -> None:
    data = hostile.workbook([["nom", "valeur"], ["a", 1]])
    members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    expanded = sum(m.file_size for m in members)
    for name, fits, over, status in (
        ("max_zip_members", len(members), len(members) - 1, 422),
        ("max_uncompressed_bytes", expanded, expanded - 1, 413),
        ("max_compression_ratio", expanded / len(data), expanded / len(data) - 0.01, 413),
    ):
        check(data, limits(**{name: fits}))
        with pytest.raises(SpreadsheetLimitError) as error:
            check(data, limits(**{name: over}))
        refused(error, status, name.upper())


def test_members_are_counted_before_zipfile_reads_the_directory(
    hostile: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = hostile.many_members_xlsx(1001)

    def unexpected(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("zipfile read the directory")

    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", unexpected)
    with pytest.raises(SpreadsheetLimitError) as error:
        check(data)
    refused(error, 422, "MAX_ZIP_MEMBERS")


def test_a_zip_bomb_and_a_lying_archive(hostile: Any) -> None:
    with pytest.raises(SpreadsheetLimitError) as error:
        check(hostile.zip_bomb_xlsx())
    refused(error, 413, "MAX_COMPRESSION_RATIO")
    with pytest.raises(SpreadsheetError, match="CRC"):
        check(hostile.lying_xlsx())


def test_sheet_shapes(hostile: Any) -> None:
    def sheet(rows: str, dimension: str | None = None) -> bytes:
        return hostile.with_sheet(hostile.sheet_xml(rows, dimension))

    bounds = limits(max_columns=3, max_cells=9, max_cell_chars=4)
    check(sheet('<row r="1"><c r="C1"><v>1</v></c></row><row r="3"/>'), bounds)  # 3 x 3
    cases = [
        (sheet('<row r="1"><c r="D1"><v>1</v></c></row>'), 422, "MAX_COLUMNS"),
        (sheet("<row><c/><c/><c/><c/></row>"), 422, "MAX_COLUMNS"),  # no references
        (sheet("", dimension="A1:D1"), 422, "MAX_COLUMNS"),
        (sheet("", dimension="A1:C4"), 413, "MAX_CELLS"),
        (sheet('<row r="1"><c r="C1"><v>1</v></c></row><row r="4"/>'), 413, "MAX_CELLS"),
        (sheet('<row><c t="inlineStr"><is><t>abcde</t></is></c></row>'), 422, "MAX_CELL_CHARS"),
        (sheet("<row><c><v>12345</v></c></row>"), 422, "MAX_CELL_CHARS"),
    ]
    for data, status, name in cases:
        with pytest.raises(SpreadsheetLimitError) as error:
            check(data, bounds)
        refused(error, status, name)


def test_shared_strings_count_too(hostile: Any) -> None:
    data = hostile.workbook([["a" * 10]])
    check(data, limits(max_cell_chars=10))
    with pytest.raises(SpreadsheetLimitError):
        check(data, limits(max_cell_chars=9))


def test_entity_declarations_are_refused(hostile: Any) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheetData><row><c><v>&a;</v></c></row></sheetData></worksheet>"
    )
    with pytest.raises(SpreadsheetError, match="DTD"):
        check(hostile.with_sheet(bomb))


def test_not_an_archive() -> None:
    with pytest.raises(SpreadsheetError, match="not a ZIP"):
        check(b"PK\x03\x04 not really")
