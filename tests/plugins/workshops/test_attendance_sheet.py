"""The attendance sheet (issue 15, what organisers need on the day): the names of the people
holding a seat as CSV, XLSX and PDF, over REST with a bearer token, for organisers of the
event's commune only; GraphQL gives its URL; every download is in the audit trail."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import quote

import openpyxl
import pypdf
import pytest

from bocage.core.auth.principal import Principal, PrincipalKind, Role
from bocage.core.testing import BASE_URL, Principals

principals = Principals()
HANNUT_ORGANISER = principals.integrator(
    "workshops:organise", communes=["64034"], client_id="client-hannut"
)
ANDENNE_ORGANISER = principals.integrator(
    "workshops:organise", communes=["92003"], client_id="client-andenne"
)
DOOR = principals.integrator("workshops:check_in", client_id="client-door-sheet")
DPO = Principal(kind=PrincipalKind.PERSON, subject="dpo", roles=frozenset({Role.TERRITORY_ADMIN}))

URL = """query($id: ID!, $format: WorkshopsSheetFormat!) {
  workshopsEvent(id: $id) { attendanceSheetUrl(format: $format) } }"""
CHECK_IN = """mutation($input: CheckInWorkshopsRegistrationInput!) {
  checkInWorkshopsRegistration(input: $input) { errors { code } } }"""
TRAIL = """query($id: ID) { auditTrail(object: $id, first: 20) { edges { node {
  action subject changes } } } }"""


@pytest.fixture
async def event(run: Any, ws: Any) -> dict[str, Any]:
    """An event in Hannut: three seats taken (one checked in, one name that looks like a
    formula), one cancelled, one on the waiting list."""
    hannut = (await run('{ commune(nisCode: "64034") { id } }'))["data"]["commune"]["id"]
    published = await ws.publish(commune=hannut, capacity=3, title={"fr": "Midi du Smart"})
    seats = []
    for name in ("Zoé Lambert", "=HYPERLINK(1)", "Émile Dubois", "Ann Annulée", "Wim Wachter"):
        body = await run(
            ws.REGISTER,
            {
                "input": {
                    "event": published["id"],
                    "name": name,
                    "email": f"{len(seats)}@example.org",
                    "commune": hannut,
                    "audience": "ASSOCIATIONS",
                }
            },
        )
        assert body["data"]["registerForWorkshopsEvent"]["errors"] == [], body
        seats.append(body["data"]["registerForWorkshopsEvent"])
    cancelled = await run(ws.CANCEL, {"input": {"token": seats[3]["cancelToken"]}})
    assert cancelled["data"]["cancelWorkshopsRegistration"]["errors"] == []
    checked = await run(
        CHECK_IN,
        {"input": {"event": published["id"], "code": seats[0]["checkInCode"]}},
        principal=ws.ORGANISER,
    )
    assert checked["data"]["checkInWorkshopsRegistration"]["errors"] == []
    return {**published, "seats": seats}


async def _get(http: Any, bocage_token: Any, url: str, who: Principal | None) -> Any:
    headers = {}
    if who is not None:
        headers["authorization"] = await bocage_token(who)
    return await http.get(url, headers=headers)


async def test_the_sheet_in_three_formats(
    http: Any, bocage_gql: Any, bocage_token: Any, event: dict[str, Any]
) -> None:
    urls = {}
    for format_ in ("CSV", "XLSX", "PDF"):
        data = await bocage_gql(
            URL, {"id": event["id"], "format": format_}, principal=HANNUT_ORGANISER
        )
        urls[format_] = data["workshopsEvent"]["attendanceSheetUrl"]
    encoded = quote(event["id"], safe="")
    assert urls["CSV"] == f"{BASE_URL}/api/workshops/events/{encoded}/attendance.csv"

    response = await _get(http, bocage_token, urls["CSV"], HANNUT_ORGANISER)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert (
        "no-store" in response.headers["cache-control"]
        or "private" in (response.headers["cache-control"])
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["N°", "Nom", "Commune", "Public", "Code", "Arrivée"]
    # Seats only (not the cancelled one, not the waiting list), by name; a formula stays text.
    assert [r[1] for r in rows[1:]] == ["'=HYPERLINK(1)", "Émile Dubois", "Zoé Lambert"]
    zoe = rows[3]
    assert zoe[2:5] == ["Hannut", "Associations", event["seats"][0]["checkInCode"]]
    assert len(zoe[5]) == 5 and zoe[5][2] == ":"  # checked in at HH:MM
    assert rows[2][5] == ""  # not yet arrived

    xlsx = await _get(http, bocage_token, urls["XLSX"], HANNUT_ORGANISER)
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "Midi du Smart"
    header = values.index(["N°", "Nom", "Commune", "Public", "Code", "Arrivée"])
    names = [row[1] for row in values[header + 1 : header + 4]]
    assert names == ["=HYPERLINK(1)", "Émile Dubois", "Zoé Lambert"]
    assert sheet.cell(row=header + 2, column=2).data_type == "s"  # text, never a formula

    pdf = await _get(http, bocage_token, urls["PDF"] + "?lang=nl", HANNUT_ORGANISER)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Aanwezigheidslijst" in text and "Handtekening" in text
    for name in ("Zoé Lambert", "Émile Dubois", "=HYPERLINK(1)"):
        assert name in text
    assert "Ann Annulée" not in text and "Wim Wachter" not in text
    assert "3 ingeschrevene(n)" in text


async def test_only_organisers_of_the_events_commune(
    http: Any, bocage_gql: Any, bocage_token: Any, event: dict[str, Any]
) -> None:
    url = f"/api/workshops/events/{quote(event['id'], safe='')}/attendance.csv"
    refusals = {
        None: (401, "unauthenticated"),
        DOOR: (403, "forbidden"),
        ANDENNE_ORGANISER: (403, "forbidden"),
    }
    for who, (status, code) in refusals.items():
        response = await _get(http, bocage_token, url, who)
        assert response.status_code == status, (who, response.text)
        assert response.json()["error"]["code"] == code
        assert "workshops:organise" in response.json()["error"]["message"] or status == 401
    bad = await http.get(url, headers={"authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "unauthenticated"
    for who in (None, ANDENNE_ORGANISER):
        [error] = await bocage_gql(
            URL, {"id": event["id"], "format": "CSV"}, principal=who, errors=True
        )
        assert error["extensions"]["code"] == "FORBIDDEN"
    for wrong in ("nope", "99999999999"):
        missing = await _get(
            http, bocage_token, f"/api/workshops/events/{wrong}/attendance.pdf", HANNUT_ORGANISER
        )
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    # The old numeric form works too.
    import base64

    key = base64.b64decode(event["id"]).decode().split(":")[1]
    numeric = await _get(
        http, bocage_token, f"/api/workshops/events/{key}/attendance.csv", HANNUT_ORGANISER
    )
    assert numeric.status_code == 200


async def test_every_download_is_audited(
    http: Any, bocage_gql: Any, bocage_token: Any, event: dict[str, Any]
) -> None:
    before = await bocage_gql(
        "query($id: ID!) { workshopsEvent(id: $id) { version } }", {"id": event["id"]}
    )
    url = f"/api/workshops/events/{quote(event['id'], safe='')}/attendance"
    for format_ in ("csv", "pdf"):
        response = await _get(http, bocage_token, f"{url}.{format_}", HANNUT_ORGANISER)
        assert response.status_code == 200
    refused = await _get(http, bocage_token, f"{url}.xlsx", ANDENNE_ORGANISER)
    assert refused.status_code == 403
    trail = await bocage_gql(TRAIL, {"id": event["id"]}, principal=DPO)
    entries = [
        e["node"]
        for e in trail["auditTrail"]["edges"]
        if e["node"]["action"] == "attendance_exported"
    ]
    assert len(entries) == 2  # the refused download read nothing
    assert {e["subject"] for e in entries} == {"client-hannut"}
    formats = sorted(e["changes"]["format"]["after"] for e in entries)
    assert formats == ["csv", "pdf"]
    assert all(e["changes"]["names"]["after"] == 3 for e in entries)
    after = await bocage_gql(
        "query($id: ID!) { workshopsEvent(id: $id) { version } }", {"id": event["id"]}
    )
    assert after == before  # reading is not a change of the event
