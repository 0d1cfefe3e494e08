"""Reading uploaded files against a Table Schema: French spreadsheets (semicolons, decimal
commas, Windows-1252), constraints, and reports that name rows and columns."""

from __future__ import annotations

import pytest

from bocage.plugins.opendata.uploads import RowReader, UploadError, check_schema, read_table

FRENCH = "nom;population;superficie\r\nHannut;16000;86,5\r\nHéron;5000;39,1\r\n"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_french_excel_files(encoding: str) -> None:
    inferred = read_table(FRENCH.encode(encoding), "csv", None)
    assert inferred.valid
    types = {f["name"]: f["type"] for f in inferred.schema["fields"]}
    assert types == {"nom": "string", "population": "integer", "superficie": "string"}
    schema = check_schema(
        {
            "fields": [
                {"name": "nom", "type": "string"},
                {"name": "population", "type": "integer", "constraints": {"minimum": 0}},
                {"name": "superficie", "type": "number", "decimalChar": ","},
            ]
        }
    )
    read = read_table(FRENCH.encode(encoding), "csv", schema)
    assert read.valid, read.errors
    reader = RowReader(FRENCH.encode(encoding), "csv", schema)
    try:
        first, second = reader.chunk(1), reader.chunk(5)
        assert reader.chunk(5) == []
    finally:
        reader.close()
    assert first == [{"_row": 2, "nom": "Hannut", "population": 16000, "superficie": 86.5}]
    assert second == [{"_row": 3, "nom": "Héron", "population": 5000, "superficie": 39.1}]


def test_constraints_and_missing_columns_are_reported() -> None:
    schema = check_schema(
        {
            "fields": [
                {"name": "nom", "type": "string", "constraints": {"required": True}},
                {"name": "population", "type": "integer", "constraints": {"minimum": 0}},
            ]
        }
    )
    bad = read_table(b"nom,population\r\n,12\r\nAndenne,-3\r\n", "csv", schema)
    assert not bad.valid and bad.report()["rows"] is None
    found = {(e["row"], e["column"], e["type"]) for e in bad.errors}
    assert found == {(2, "nom", "constraint-error"), (3, "population", "constraint-error")}
    short = read_table(b"nom\r\nHannut\r\n", "csv", schema)
    assert any(e["column"] == "population" for e in short.errors), short.errors


def test_unreadable_and_invalid_schemas() -> None:
    with pytest.raises(UploadError) as error:
        check_schema({"fields": [{"name": "a__b", "type": "string"}]})
    assert error.value.field == "schema.fields[1]"
    with pytest.raises(UploadError):
        check_schema({"fields": []})
