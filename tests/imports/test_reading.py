"""Reading cells, sheets and headers: the parts of the import with the most cases."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest

from bocage.core.imports import cells
from bocage.core.imports.mapping import Field, MappingError, map_columns, parse_map_options
from bocage.core.imports.sources import SourceError, read_sheet


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12 500,50", Decimal("12500.50")),
        ("12.500,50 €", Decimal("12500.50")),
        ("12,500.50", Decimal("12500.50")),
        ("1.234.567", Decimal("1234567")),
        ("99,9", Decimal("99.9")),
        ("-10", Decimal("-10")),
        (1500, Decimal("1500")),
        (0.1, Decimal("0.1")),
        ("", None),
        (None, None),
    ],
)
def test_numbers_as_spreadsheets_write_them(raw: object, expected: Decimal | None) -> None:
    assert cells.decimal(raw) == expected


@pytest.mark.parametrize("raw", ["beaucoup", "1,2,3", "NaN", True])
def test_what_is_not_a_number_says_how_to_write_one(raw: object) -> None:
    with pytest.raises(cells.CellError, match="not a number"):
        cells.decimal(raw)


def test_dates_codes_lists_and_vocabulary() -> None:
    assert cells.date("31/03/2026") == cells.date("2026-03-31") == dt.date(2026, 3, 31)
    assert cells.date(dt.datetime(2026, 3, 31)) == dt.date(2026, 3, 31)
    with pytest.raises(cells.CellError, match="2026-03-31"):
        cells.date("mars 2026")
    assert cells.code(207000077, 10) == "0207000077" and cells.code(64034.0, 5) == "64034"
    assert cells.items("Hannut; Andenne,Wasseiges\nHéron") == [
        "Hannut",
        "Andenne",
        "Wasseiges",
        "Héron",
    ]
    terms = cells.vocabulary({"in_progress": ("en cours",), "done": ("terminé",)})
    assert cells.choice("En Cours", terms, "status") == "in_progress"
    assert cells.choice("TERMINE", terms, "status") == "done"
    with pytest.raises(cells.CellError, match="use one of done, in_progress"):
        cells.choice("peut-être", terms, "status")


def test_csv_sniffing_and_row_numbers() -> None:
    data = '\ufeffRéférence;Titre\n\nP1;Un\n"P2";"Deux;\nlignes"\nP3;Trois\n'.encode()
    sheet = read_sheet(data)
    assert sheet.format == "csv" and sheet.headers == ["Référence", "Titre"]
    rows = [(n, c) for n, c in sheet.rows if any(c)]
    # Row numbers count records, as a spreadsheet shows them (a quoted line break stays in one).
    assert rows == [(3, ["P1", "Un"]), (4, ["P2", "Deux;\nlignes"]), (5, ["P3", "Trois"])]
    windows = read_sheet('Titre,Budget\nCrèche,"1,5"\n'.encode("cp1252"))
    assert list(windows.rows) == [(2, ["Crèche", "1,5"])]


def test_xlsx_sheets_and_unreadable_files() -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "Notes"
    sheet = workbook.create_sheet("Projets")
    sheet.append([None])
    sheet.append(["Référence", "Budget", "Début"])
    sheet.append(["P1", 1500.5, dt.datetime(2026, 3, 1)])
    out = io.BytesIO()
    workbook.save(out)
    read = read_sheet(out.getvalue(), sheet="Projets")
    assert (read.format, read.header_row, read.headers) == (
        "xlsx",
        2,
        ["Référence", "Budget", "Début"],
    )
    assert list(read.rows) == [(3, ["P1", 1500.5, dt.datetime(2026, 3, 1)])]
    with pytest.raises(SourceError, match="'Notes', 'Projets'"):
        read_sheet(out.getvalue(), sheet="Feuil1")
    with pytest.raises(SourceError, match="empty"):
        read_sheet(out.getvalue())
    for data, message in [
        (b"  \n", "empty"),
        (b"PK\x03\x04xx", "XLSX"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", ".xls"),
    ]:
        with pytest.raises(SourceError, match=message):
            read_sheet(data)


def test_header_names_and_mappings() -> None:
    fields = [
        Field("external_id", ("référence",), required=True),
        Field("title", ("titre",), multilingual=True),
        Field("budget", ("montant",)),
    ]
    columns, ignored = map_columns(
        ["Référence", "Titre", "TITLE (NL)", "Montant", "Remarque", ""], fields
    )
    assert [(c.header, c.key) for c in columns] == [
        ("Référence", "external_id"),
        ("Titre", "title_fr"),
        ("TITLE (NL)", "title_nl"),
        ("Montant", "budget"),
    ]
    assert ignored == ["Remarque"]
    columns, ignored = map_columns(
        ["Code", "Montant"], fields, {"Code": "external_id", "Montant": "ignore"}
    )
    assert [(c.header, c.key) for c in columns] == [("Code", "external_id")]
    assert ignored == ["Montant"]
    with pytest.raises(MappingError, match="both fill 'title_fr'"):
        map_columns(["Titre", "Title FR"], fields)
    with pytest.raises(MappingError, match="no field 'titel'"):
        map_columns(["Titre"], fields, {"Titre": "titel"})
    with pytest.raises(MappingError, match="does not have"):
        map_columns(["Titre"], fields, {"Intitulé": "title_fr"})
    assert parse_map_options(["Date = début=start_date"]) == {"Date = début": "start_date"}
    with pytest.raises(MappingError, match="Column header=field"):
        parse_map_options(["title_fr"])
