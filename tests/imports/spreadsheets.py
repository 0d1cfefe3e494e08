"""Generated spreadsheets of projects, with errors planted at known rows (tests and bench)."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

HEADERS = [
    "Référence",
    "Titre",
    "Titre NL",
    "Résumé",
    "Statut",
    "Axe",
    "Communes",
    "Thèmes",
    "ODD",
    "Date de début",
    "Date de fin",
    "Budget",
    "Porteur",
    "Partenaires",
]

#: What each planted error breaks: (column header, expected error code).
PLANTED = {
    "status": ("Statut", "invalid"),
    "commune": ("Communes", "not_found"),
    "budget": ("Budget", "invalid"),
    "dates": ("Date de fin", "invalid"),
    "sdg": ("ODD", "invalid"),
    "title": ("Titre", "required"),
    "duplicate": ("Référence", "duplicate"),
    "lead": ("Porteur", "not_found"),
    "number": ("Budget", "invalid"),
}


TOPICS = ["potager", "fibre", "mobilité", "école"]


@dataclass
class Generated:
    headers: list[str]
    rows: list[list[str]]
    #: Spreadsheet row number -> (column header, error code) of each planted error.
    planted: dict[int, tuple[str, str]] = field(default_factory=dict)

    def csv(self, delimiter: str = ";", encoding: str = "utf-8-sig") -> bytes:
        out = io.StringIO(newline="")
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(self.headers)
        writer.writerows(self.rows)
        return out.getvalue().encode(encoding)

    def xlsx(self, sheet: str = "Projets") -> bytes:
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        worksheet = workbook.create_sheet(sheet)
        worksheet.append(self.headers)
        for row in self.rows:
            worksheet.append(
                [_typed(header, value) for header, value in zip(self.headers, row, strict=True)]
            )
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()


def _typed(header: str, value: str) -> object:
    """What Excel would store: numbers as numbers, dates as dates."""
    import datetime as dt

    if not value:
        return None
    if header == "Budget":
        try:
            return float(value.replace(" ", "").replace(",", "."))
        except ValueError:
            return value
    if header.startswith("Date"):
        try:
            return dt.datetime.strptime(value, "%d/%m/%Y")
        except ValueError:
            return value
    return value


def projects(
    count: int,
    communes: Sequence[str],
    stakeholders: Sequence[str],
    *,
    errors: Sequence[str] = (),
    seed: int = 7,
    prefix: str = "PRJ",
) -> Generated:
    """``count`` valid projects, then each kind of error in ``errors`` planted in one row
    (spread through the file)."""
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        start_month = rng.randint(1, 12)
        lead = rng.choice(stakeholders) if stakeholders and rng.random() < 0.7 else ""
        partners = (
            ", ".join(
                s for s in rng.sample(list(stakeholders), k=min(2, len(stakeholders))) if s != lead
            )
            if stakeholders and rng.random() < 0.5
            else ""
        )
        rows.append(
            [
                f"{prefix}-{index + 1:05d}",
                f"Projet numéro {index + 1} : {rng.choice(TOPICS)}",
                f"Project {index + 1}" if rng.random() < 0.5 else "",
                "Un projet du territoire." if rng.random() < 0.3 else "",
                rng.choice(["idée", "en cours", "Terminé", "planned", "abandonné"]),
                rng.choice(["vert", "bleu", "Digital", "collaboration"]),
                "; ".join(rng.sample(list(communes), k=rng.randint(1, min(2, len(communes))))),
                rng.choice(["", "numérique", "climat, énergie", "mobilité"]),
                rng.choice(["", "3", "7; 11", "13"]),
                f"01/{start_month:02d}/2026",
                f"28/{start_month:02d}/2027" if rng.random() < 0.6 else "",
                rng.choice(["", "12 500,50", "1500", "250000", "99,9"]),
                lead,
                partners,
            ]
        )
    generated = Generated(list(HEADERS), rows)
    column = {h: i for i, h in enumerate(HEADERS)}
    for n, kind in enumerate(errors):
        index = (n + 1) * count // (len(errors) + 1)
        row = rows[index]
        if kind == "status":
            row[column["Statut"]] = "peut-être"
        elif kind == "commune":
            row[column["Communes"]] = "Atlantis"
        elif kind == "budget":
            row[column["Budget"]] = "-10"
        elif kind == "dates":
            row[column["Date de début"]] = "01/06/2026"
            row[column["Date de fin"]] = "01/01/2026"
        elif kind == "sdg":
            row[column["ODD"]] = "18"
        elif kind == "title":
            row[column["Titre"]] = ""
            row[column["Titre NL"]] = ""
        elif kind == "duplicate":
            row[column["Référence"]] = rows[0][column["Référence"]]
        elif kind == "lead":
            row[column["Porteur"]] = "0000.000.097"
            row[column["Partenaires"]] = ""
        elif kind == "number":
            row[column["Budget"]] = "beaucoup"
        else:  # pragma: no cover - a typo in a test
            raise ValueError(kind)
        generated.planted[index + 2] = PLANTED[kind]  # +1 for the header, +1 from 0-based
    return generated
