"""Reading uploaded files against a Table Schema: French spreadsheets (semicolons, decimal
commas, Windows-1252), constraints, and reports that name rows and columns."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from bocage.core.api import Principal, PrincipalKind, Role
from bocage.plugins.opendata.uploads import RowReader, UploadError, check_schema, read_table

from .conftest import As, serve

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


# -- D1: a version's file validates against the schema it declares ----------------------------

ADMIN = Principal(
    kind=PrincipalKind.PERSON, subject="gal-staff", roles=frozenset({Role.TERRITORY_ADMIN})
)
#: A French spreadsheet: semicolons, Windows-1252, decimal commas, dd/mm/yyyy dates, oui/non.
FRENCH_FILE = (
    "nom;superficie;ouverture;accessible\r\n"
    "Hannut;86,5;02/01/2024;oui\r\n"
    "Héron;39,1;31/12/2023;non\r\n"
).encode("cp1252")
FRENCH_SCHEMA = {
    "fields": [
        {"name": "nom", "type": "string"},
        {"name": "superficie", "type": "number", "decimalChar": ","},
        {"name": "ouverture", "type": "date", "format": "%d/%m/%Y"},
        {
            "name": "accessible",
            "type": "boolean",
            "trueValues": ["oui"],
            "falseValues": ["non"],
        },
    ]
}


@pytest.fixture
async def client(
    databases: Any, small_demo_url: str, make_settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(make_settings(str(await databases.clone(small_demo_url)))) as client:
        client.app.state.authenticator = As(ADMIN)  # type: ignore[attr-defined]
        yield client


async def test_a_version_file_validates_against_its_declared_schema(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    from frictionless import Resource

    path = "/api/opendata/uploads/parcs"
    metadata = {
        "title": {"fr": "Parcs"},
        "description": {"fr": "Les parcs."},
        "theme": "ENVI",
        "schema": FRENCH_SCHEMA,
    }
    assert (await client.put(path, json=metadata)).status_code == 201
    stored = await client.post(
        f"{path}/versions", content=FRENCH_FILE, headers={"Content-Type": "text/csv"}
    )
    assert stored.status_code == 201, stored.text
    assert (await client.post(f"{path}/publish")).status_code == 200
    upload = (await client.get(path)).json()
    url = upload["versions"][0]["url"]
    folder = url.rsplit("/", 1)[0]

    content = (await client.get(url)).content
    assert content == FRENCH_FILE  # kept as uploaded
    schema = (await client.get(f"{folder}/schema.json")).json()
    assert schema == FRENCH_SCHEMA  # no _row; decimal comma, date format, oui/non kept
    described = (await client.get(f"{folder}/resource.json")).json()
    assert described["schema"] == FRENCH_SCHEMA
    assert described["dialect"] == {"delimiter": ";"}
    assert described["encoding"].lower() in ("cp1252", "windows-1252")
    assert described["path"].endswith(url.rsplit("/", 1)[1])

    (tmp_path / "parcs.csv").write_bytes(content)
    report = Resource({**described, "path": "parcs.csv"}, basepath=str(tmp_path)).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    rows = Resource({**described, "path": "parcs.csv"}, basepath=str(tmp_path)).read_rows()
    assert [r["superficie"] for r in rows] == [Decimal("86.5"), Decimal("39.1")]
    assert [r["accessible"] for r in rows] == [True, False]

    # the schema the dataset's exports and records declare is another one: theirs has _row
    exported = (await client.get("/api/opendata/datasets/parcs/schema.json")).json()
    assert [f["name"] for f in exported["fields"]][0] == "_row"
    missing = await client.get(f"{folder.rsplit('/', 1)[0]}/9/schema.json")
    assert missing.status_code == 404
