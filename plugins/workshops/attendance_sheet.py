"""The attendance sheet of an event, for organisers on the day and for LEADER reporting: the
names of the people who hold a seat, their commune and audience, their check-in code and when
they were checked in, as CSV, XLSX or PDF (with a column to sign).

Personal data: only for organisers of the event's commune (``workshops:organise`` granted for
that commune, or everywhere; an event without a commune is the territory's, for organisers of
every commune), with a bearer token; each download is kept in the audit trail
(``attendance_exported`` on the event, with the format and the number of names) and
raises the ``event.attendance_exported`` event for organisers. Never cached.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.api import (
    LANGUAGES,
    Change,
    CsvWriter,
    Invalid,
    Principal,
    RestRoute,
    as_utc,
    can,
    commune_scope,
    error_response,
    holds_territories,
    pick_text,
    private_caching,
    request_unit_of_work,
    signed_in,
    utcnow,
    xlsx_append,
)
from bocage.plugins.workshops import store
from bocage.plugins.workshops.ical import event_key
from bocage.plugins.workshops.models import Event, Registration, RegistrationStatus
from bocage.plugins.workshops.permissions import WORKSHOPS_ORGANISE

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}

#: The audit trail's action (and the event's: ``event.attendance_exported``).
ACTION = "attendance_exported"

TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Liste de présence",
        "number": "N°",
        "name": "Nom",
        "commune": "Commune",
        "audience": "Public",
        "code": "Code",
        "checked_in": "Arrivée",
        "signature": "Signature",
        "when": "Le {day} de {start} à {end} (heure de Bruxelles)",
        "total": "{count} inscrit(s) avec une place. Données personnelles : à ne pas diffuser.",
        "generated": "Établie le {at}",
        "communes": "Communes",
        "enterprises": "Entreprises",
        "associations": "Associations",
    },
    "nl": {
        "title": "Aanwezigheidslijst",
        "number": "Nr.",
        "name": "Naam",
        "commune": "Gemeente",
        "audience": "Doelgroep",
        "code": "Code",
        "checked_in": "Aankomst",
        "signature": "Handtekening",
        "when": "Op {day} van {start} tot {end} (Brusselse tijd)",
        "total": "{count} ingeschrevene(n) met een plaats. Persoonsgegevens: niet verspreiden.",
        "generated": "Opgemaakt op {at}",
        "communes": "Gemeenten",
        "enterprises": "Ondernemingen",
        "associations": "Verenigingen",
    },
    "de": {
        "title": "Anwesenheitsliste",
        "number": "Nr.",
        "name": "Name",
        "commune": "Gemeinde",
        "audience": "Zielgruppe",
        "code": "Code",
        "checked_in": "Ankunft",
        "signature": "Unterschrift",
        "when": "Am {day} von {start} bis {end} (Brüsseler Zeit)",
        "total": "{count} Angemeldete mit Platz. Personenbezogene Daten: nicht weitergeben.",
        "generated": "Erstellt am {at}",
        "communes": "Gemeinden",
        "enterprises": "Unternehmen",
        "associations": "Vereinigungen",
    },
    "en": {
        "title": "Attendance sheet",
        "number": "No.",
        "name": "Name",
        "commune": "Commune",
        "audience": "Audience",
        "code": "Code",
        "checked_in": "Arrived",
        "signature": "Signature",
        "when": "On {day} from {start} to {end} (Brussels time)",
        "total": "{count} registrant(s) with a seat. Personal data: do not pass on.",
        "generated": "Made on {at}",
        "communes": "Communes",
        "enterprises": "Enterprises",
        "associations": "Associations",
    },
}


@dataclass(frozen=True)
class Line:
    number: int
    name: str
    commune: str
    audience: str
    code: str
    checked_in: str


@dataclass(frozen=True)
class Sheet:
    lang: str
    title: str
    when: str
    place: str
    lines: list[Line]
    generated: str

    @property
    def texts(self) -> dict[str, str]:
        return TEXTS[self.lang]

    def header(self) -> list[str]:
        t = self.texts
        return [t[k] for k in ("number", "name", "commune", "audience", "code", "checked_in")]

    def rows(self) -> list[list[Any]]:
        return [
            [line.number, line.name, line.commune, line.audience, line.code, line.checked_in]
            for line in self.lines
        ]


def _local(value: dt.datetime) -> dt.datetime:
    return store.to_local(as_utc(value))


def _alphabetical(name: str | None) -> str:
    """What a desk looks people up by: the name without case or accents (Émile before Zoé)."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


async def load(session: Any, event: Event, lang: str) -> Sheet:
    """The sheet of ``event``: its confirmed registrations, by name."""
    t = TEXTS[lang]
    found = (
        await session.execute(
            select(Registration, store.COMMUNE.c.name)
            .outerjoin(store.COMMUNE, store.COMMUNE.c.id == Registration.commune_id)
            .where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.CONFIRMED.value,
            )
        )
    ).all()
    people = sorted(found, key=lambda r: (_alphabetical(r[0].attendee_name), r[0].id))
    lines = [
        Line(
            number=number,
            name=registration.attendee_name or "—",
            commune=pick_text(commune or {}, lang) or "",
            audience=t.get(registration.audience or "", ""),
            code=registration.check_in_code,
            checked_in=(
                f"{_local(registration.checked_in_at):%H:%M}" if registration.checked_in_at else ""
            ),
        )
        for number, (registration, commune) in enumerate(people, 1)
    ]
    starts, ends = _local(event.starts_at), _local(event.ends_at)
    place = event.address or event.online_url or ""
    return Sheet(
        lang=lang,
        title=pick_text(event.title, lang) or "",
        when=t["when"].format(
            day=f"{starts:%d/%m/%Y}", start=f"{starts:%H:%M}", end=f"{ends:%H:%M}"
        ),
        place=place,
        lines=lines,
        generated=f"{_local(utcnow()):%d/%m/%Y %H:%M}",
    )


def to_csv(sheet: Sheet) -> bytes:
    """One header line and a line per person (a formula-like name stays text)."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(sheet.header())
    writer.writerows(sheet.rows())
    # With a BOM, Excel opens the accents right.
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(sheet: Sheet) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    table = workbook.create_sheet(sheet.texts["title"][:31])
    xlsx_append(table, [sheet.title])
    xlsx_append(table, [sheet.when])
    xlsx_append(table, [sheet.place])
    xlsx_append(table, [])
    xlsx_append(table, sheet.header())
    for row in sheet.rows():
        xlsx_append(table, row)
    xlsx_append(table, [])
    xlsx_append(table, [sheet.texts["total"].format(count=len(sheet.lines))])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_pdf(sheet: Sheet) -> bytes:
    """An A4 sheet to print: the event, then a table with a column to sign (the header
    repeats on every page)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.lib.utils import escapeOnce
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    t = sheet.texts
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"{t['title']} — {sheet.title}",
        author="Bocage",
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
    )
    story: list[Any] = [
        Paragraph(escapeOnce(t["title"]), styles["Title"]),
        Paragraph(escapeOnce(sheet.title), styles["Heading2"]),
        Paragraph(escapeOnce(sheet.when), styles["Normal"]),
    ]
    if sheet.place:
        story.append(Paragraph(escapeOnce(sheet.place), styles["Normal"]))
    story.append(Spacer(1, 6 * mm))
    data = [[*sheet.header(), t["signature"]]]
    data += [[*(str(cell) for cell in row), ""] for row in sheet.rows()]
    widths = [10 * mm, 50 * mm, 30 * mm, 25 * mm, 18 * mm, 17 * mm, 30 * mm]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f7f7f7")]),
                ("BOTTOMPADDING", (0, 1), (-1, -1), 7),
                ("TOPPADDING", (0, 1), (-1, -1), 7),
            ]
        )
    )
    story += [
        table,
        Spacer(1, 6 * mm),
        Paragraph(escapeOnce(t["total"].format(count=len(sheet.lines))), styles["Normal"]),
        Paragraph(escapeOnce(t["generated"].format(at=sheet.generated)), styles["Normal"]),
    ]
    document.build(story)
    return buffer.getvalue()


WRITERS = {"csv": to_csv, "xlsx": to_xlsx, "pdf": to_pdf}


def may_read(principal: Any, commune_nis: str | None, territory_id: int | None = None) -> bool:
    """Whether ``principal`` organises the event of this commune (None: the territory's,
    ``territory_id``: for organisers of every commune of it)."""
    if principal.is_anonymous or not can(principal, WORKSHOPS_ORGANISE.code):
        return False
    scope = commune_scope(principal, WORKSHOPS_ORGANISE.code)
    if scope is None:
        return True
    if commune_nis is None:
        return territory_id in (holds_territories(principal, WORKSHOPS_ORGANISE.code) or ())
    return commune_nis in scope


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang", "fr")
    return lang if lang in LANGUAGES else "fr"


async def download(request: Request, format_: str) -> Response:
    principal = await signed_in(request)
    if not isinstance(principal, Principal):
        return principal
    if not can(principal, WORKSHOPS_ORGANISE.code):
        return error_response(
            403, "forbidden", f"the attendance sheet needs the {WORKSHOPS_ORGANISE.code} permission"
        )
    raw = request.path_params["event_id"]
    key = event_key(raw)
    if key is None:
        return error_response(
            404, "not_found", f"no event {raw!r}: give the event's ID as GraphQL gives it"
        )
    lang = _lang(request)
    try:
        async with request_unit_of_work(request, principal) as work:
            work.authorise(WORKSHOPS_ORGANISE)
            session = work.session
            event = await session.get(Event, key)
            if event is None or event.deleted_at is not None:
                return error_response(404, "not_found", f"no event {raw!r}")
            nis = None
            if event.commune_id is not None:
                found = await store.commune_by_id(session, event.commune_id)
                nis = found.nis_code if found is not None else None
            if not may_read(principal, nis, event.territory_id):
                work.roll_back()
                return error_response(
                    403,
                    "forbidden",
                    f"the attendance sheet needs the {WORKSHOPS_ORGANISE.code} permission for "
                    "the event's commune (names of registrants are personal data)",
                )
            sheet = await load(session, event, lang)
            changes: dict[str, dict[str, Any]] = {
                "format": {"before": None, "after": format_},
                "names": {"before": None, "after": len(sheet.lines)},
            }
            scope = await store.scope_of(session, event)
            await work.record(
                Change(event, ACTION, changes, permission=WORKSHOPS_ORGANISE.code, scope=scope)
            )
    except Invalid as error:  # the permission, checked again by the unit of work
        return error_response(403, "forbidden", error.message)
    body = WRITERS[format_](sheet)
    return Response(
        body,
        media_type=MEDIA_TYPES[format_],
        headers={
            "Content-Disposition": f'attachment; filename="attendance-{key}.{format_}"',
            **private_caching(),  # personal data: never kept by a cache
        },
    )


def _route(format_: str) -> RestRoute:
    async def handler(request: Request) -> Response:
        return await download(request, format_)

    path = f"/api/workshops/events/{{event_id}}/attendance.{format_}"
    media_type = MEDIA_TYPES[format_].split(";")[0]
    return RestRoute(
        name=f"workshops-attendance-{format_}",
        # ``path``: a Relay ID may hold a "/" (sent as %2F, which the server decodes).
        route=Route(path.replace("{event_id}", "{event_id:path}"), handler, methods=["GET"]),
        openapi={
            path: {
                "get": {
                    "operationId": f"workshopsAttendanceSheet{format_.title()}",
                    "summary": f"An event's attendance sheet as {format_.upper()} "
                    "(workshops:organise for the event's commune).",
                    "description": "The people holding a seat, by name: number, name, commune, "
                    "audience, check-in code and arrival time (the PDF adds a column to sign), "
                    "for the desk on the day and LEADER reporting. Personal data: needs a "
                    "bearer token of an organiser of the event's commune; every download is "
                    "kept in the audit trail (`attendance_exported`). "
                    "`WorkshopsEvent.attendanceSheetUrl` gives this URL.",
                    "tags": ["workshops"],
                    "parameters": [
                        {
                            "name": "event_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                            "description": "The event's ID as GraphQL gives it "
                            "(`WorkshopsEvent.id`, percent-encoded), or its database key.",
                        },
                        {
                            "name": "lang",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": list(LANGUAGES), "default": "fr"},
                            "description": "The language of the headings and names of communes.",
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "The sheet.",
                            "content": {media_type: {"schema": {"type": "string"}}},
                        },
                        "401": {"description": "Not signed in (or an invalid token)."},
                        "403": {"description": "Not an organiser of the event's commune."},
                        "404": {"description": "No such event."},
                    },
                }
            }
        },
    )


ROUTES = [_route(format_) for format_ in MEDIA_TYPES]
