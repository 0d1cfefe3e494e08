"""A respondent's text reaches the managers' spreadsheets as text: never a formula (CSV
injection, OWASP), never an error cell, and never a failed export."""

from __future__ import annotations

import base64
import csv
import io
from typing import Any

import httpx
from openpyxl import load_workbook

from bocage.core.app import create_app

QUESTIONS = [
    {"key": "remark", "type": "FREE_TEXT", "title": {"fr": "Une remarque ?"}},
    {
        "key": "channel",
        "type": "SINGLE_CHOICE",
        "title": {"fr": "Votre canal"},
        "options": [
            {"value": "web", "label": {"fr": "Web"}},
            {"value": "press", "label": {"fr": "Presse"}},
        ],
        "allowOther": True,
    },
    {"key": "members", "type": "NUMBER", "title": {"fr": "Membres"}, "minValue": -10},
]
#: What anonymous respondents write (free text, "other" text) and the number they give.
ANSWERS = [
    ('=HYPERLINK("http://x","y")', "@SUM(1)", -3),
    ("+1+2", "-2+3", 7),
    ("\tTAB", "\rCR", 0),
    ("＝1+1", "  =1+1", 1),
    ("#N/A", "a bell \x07 rang", 2),
]


class _As:
    def __init__(self, principal: Any) -> None:
        self.principal = principal

    async def authenticate(self, request: Any) -> Any:
        return self.principal

    async def aclose(self) -> None:
        return None


async def _exports(run: Any, sv: Any, world: Any) -> dict[str, httpx.Response]:
    survey = await sv.create(questions=QUESTIONS)
    for remark, other, members in ANSWERS:
        answers = [
            {"question": "remark", "text": remark},
            {"question": "channel", "choices": ["other"], "other": other},
            {"question": "members", "number": members},
        ]
        done = await run(
            sv.SUBMIT, {"input": {"publicKey": survey["publicKey"], "answers": answers}}
        )
        assert done["data"]["submitSurveyResponse"]["errors"] == [], done
    await sv.settle()
    key = base64.b64decode(survey["id"]).decode().split(":")[1]
    app = create_app(world.settings)
    async with app.router.lifespan_context(app):
        app.state.authenticator = _As(sv.ADMIN)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            found = {}
            for name in ("responses.csv", "responses.xlsx", "results.csv", "results.xlsx"):
                found[name] = await client.get(f"/api/surveys/{key}/{name}")
                assert found[name].status_code == 200, (name, found[name].text)
            return found


async def test_respondents_text_is_never_a_formula(run: Any, sv: Any, world: Any) -> None:
    exported = await _exports(run, sv, world)

    # CSV: every text a spreadsheet would run starts with a quote (OWASP); numbers stay numbers.
    lines = list(csv.DictReader(io.StringIO(exported["responses.csv"].text)))
    by_number = {line["members"]: line for line in lines}
    assert by_number["-3.0"]["remark"] == '\'=HYPERLINK("http://x","y")'
    assert by_number["-3.0"]["channel"] == "other (@SUM(1))"  # not at the start: harmless
    assert by_number["7.0"]["remark"] == "'+1+2"
    assert by_number["0.0"]["remark"] == "'\tTAB"
    assert by_number["1.0"]["remark"] == "'＝1+1"
    assert by_number["2.0"]["remark"] == "#N/A"  # only a formula is a risk in CSV

    # XLSX: strings are text cells holding exactly what was written; numbers are numbers.
    sheet = load_workbook(io.BytesIO(exported["responses.xlsx"].content))["responses"]
    header = [c.value for c in sheet[1]]
    rows = {row[header.index("members")].value: row for row in sheet.iter_rows(min_row=2)}
    assert {c.data_type for row in sheet.iter_rows() for c in row} <= {"s", "n"}
    remark = rows[-3][header.index("remark")]
    assert (remark.data_type, remark.value) == ("s", '=HYPERLINK("http://x","y")')
    assert rows[7][header.index("remark")].value == "+1+2"
    assert rows[2][header.index("remark")].value == "#N/A"
    assert rows[2][header.index("channel")].value.startswith("other (a bell ")
    assert rows[-3][header.index("members")].data_type == "n"

    # Results: the free texts sheet of results.xlsx and the lines of results.csv alike.
    book = load_workbook(io.BytesIO(exported["results.xlsx"].content))
    texts = [row[1] for row in book["texts"].iter_rows(min_row=2)]
    assert '=HYPERLINK("http://x","y")' in [c.value for c in texts]
    assert {c.data_type for ws in book.worksheets for row in ws.iter_rows() for c in row} <= {
        "s",
        "n",
    }
    assert not any(
        cell.startswith(("=", "+", "-", "@"))
        for row in csv.reader(io.StringIO(exported["results.csv"].text))
        for cell in row
        if not _is_number(cell)
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
