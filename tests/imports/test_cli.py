"""``bocage import`` run as a user runs it: CSV in its variants, XLSX, mappings, every kind."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bocage.core import models as m

from .conftest import count, spreadsheets, territory


def _env(world: Any) -> dict[str, str]:
    return {"BOCAGE_DATABASE_URL": world.settings.database_url, "BOCAGE_RATE_LIMIT": "off"}


async def test_dry_run_then_import_then_reimport(world: Any, cli: Any, tmp_path: Path) -> None:
    communes, numbers = await territory(world)
    generated = spreadsheets.projects(300, communes, numbers, errors=["sdg", "title"])
    broken = tmp_path / "projets.csv"
    broken.write_bytes(generated.csv())
    before = await count(world, m.Project)

    result = cli("import", "projects", str(broken), "--dry-run", "--json", env=_env(world))
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert {(e["row"], e["column"]) for e in report["errors"]} == {
        (row, column) for row, (column, _) in generated.planted.items()
    }
    assert "nothing was written" in result.stderr and "ODD" in result.stderr
    assert await count(world, m.Project) == before

    clean = tmp_path / "propre.csv"
    clean.write_bytes(spreadsheets.projects(300, communes, numbers).csv())
    dry = cli("import", "projects", str(clean), "--dry-run", env=_env(world))
    assert dry.returncode == 0, dry.stderr
    assert "300 would be created" in dry.stderr and await count(world, m.Project) == before
    done = cli("import", "projects", str(clean), "--source", "pst-tool", env=_env(world))
    assert done.returncode == 0 and "300 were created" in done.stderr, done.stderr
    again = cli("import", "projects", str(clean), "--source", "pst-tool", env=_env(world))
    assert "300 unchanged" in again.stderr, again.stderr
    assert await count(world, m.Project) == before + 300
    async with world.sessionmaker() as session:
        entry = (
            (
                await session.execute(
                    select(m.AuditEntry)
                    .where(m.AuditEntry.object_type == "Project")
                    .order_by(m.AuditEntry.id.desc())
                )
            )
            .scalars()
            .first()
        )
    assert entry.subject.startswith("cli:") and entry.action == "created"


async def test_csv_variants_and_xlsx_read_the_same(world: Any, cli: Any, tmp_path: Path) -> None:
    generated = spreadsheets.projects(12, ["64034", "92003"], [])
    generated.rows[0][1] = "Crèche à Hannut"  # a character Windows-1252 encodes
    variants = {
        "utf8-bom-semicolon.csv": generated.csv(";", "utf-8-sig"),
        "utf8-comma.csv": generated.csv(",", "utf-8"),
        "excel-fr.csv": generated.csv(";", "cp1252"),
        "tabs.tsv": generated.csv("\t", "utf-8"),
        "projets.xlsx": generated.xlsx("Projets"),
    }
    for index, (name, data) in enumerate(variants.items()):
        path = tmp_path / name
        path.write_bytes(data)
        args = ["import", "projects", str(path), "--source", f"variant-{index}", "--json"]
        if name.endswith(".xlsx"):
            args += ["--sheet", "Projets"]
        result = cli(*args, env=_env(world))
        assert result.returncode == 0, (name, result.stderr)
        assert json.loads(result.stdout)["created"] == 12, name
    async with world.sessionmaker() as session:
        rows = (
            await session.execute(
                select(m.Project.external_source, m.Project.title, m.Project.budget).where(
                    m.Project.external_id == generated.rows[0][0],
                    m.Project.external_source.like("variant-%"),
                )
            )
        ).all()
    assert len(rows) == len(variants)
    assert {row.title["fr"] for row in rows} == {"Crèche à Hannut"}
    assert len({row.budget for row in rows}) == 1
    wrong_sheet = cli(
        "import", "projects", str(tmp_path / "projets.xlsx"), "--sheet", "Feuil9", env=_env(world)
    )
    assert wrong_sheet.returncode == 1 and "'Projets'" in wrong_sheet.stderr


async def test_mapping_and_default_commune(world: Any, cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "Code;Intitulé du projet;Couleur;Remarque\n"
        "X1;Sentier des écoliers;vert;à revoir\n"
        "X2;Wifi à la bibliothèque;bleu;\n",
        encoding="utf-8",
    )
    missing = cli("import", "projects", str(path), "--dry-run", "--json", env=_env(world))
    assert missing.returncode == 1
    problems = json.loads(missing.stdout)["errors"]
    assert [(e["row"], e["column"]) for e in problems] == [(1, "external_id")]
    assert problems[0]["message"].startswith("no column for external_id: add a column")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"Code": "external_id", "Intitulé du projet": "title_fr"}))
    result = cli(
        "import",
        "projects",
        str(path),
        "--mapping",
        str(mapping),
        "--map",
        "Remarque=ignore",
        "--commune",
        "64034",
        "--json",
        env=_env(world),
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["columns"] == {
        "Code": "external_id",
        "Intitulé du projet": "title_fr",
        "Couleur": "focus",
    }
    assert report["ignored_columns"] == ["Remarque"] and report["source"] == "64034"
    bad = cli("import", "projects", str(path), "--map", "Code=reference", env=_env(world))
    assert bad.returncode == 1 and "no field 'reference'" in bad.stderr


async def test_stakeholders_contacts_and_a_pst(world: Any, cli: Any, tmp_path: Path) -> None:
    organisations = tmp_path / "organisations.csv"
    organisations.write_text(
        "id,Nom,Type,Commune,Site web,BCE,Besoins,Description NL\n"
        "ORG-1,Boulangerie Dupont,entreprise,Hannut,https://dupont.be,0207.000.077,"
        '"formation; visibilité",Bakkerij\n'
        "ORG-2,Les Amis du Geer,asbl,64034;Andenne,,,,\n",
        encoding="utf-8",
    )
    done = cli("import", "stakeholders", str(organisations), "--source", "crm", env=_env(world))
    assert done.returncode == 0 and "2 were created" in done.stderr, done.stderr
    people = tmp_path / "contacts.csv"
    people.write_text(
        "external_id;Organisation;Prénom;Nom;E-mail;Fonction\n"
        "P-1;ORG-1;Marie;Dupont;marie@dupont.be;gérante\n"
        "P-2;0207.000.077;Jean;Dupont;jean(at)dupont.be;\n",
        encoding="utf-8",
    )
    refused = cli("import", "contacts", str(people), "--source", "crm", "--json", env=_env(world))
    errors = json.loads(refused.stdout)["errors"]
    assert [(e["row"], e["column"], e["code"]) for e in errors] == [(3, "E-mail", "invalid")]
    people.write_text(people.read_text().replace("jean(at)", "jean@"), encoding="utf-8")
    imported = cli("import", "contacts", str(people), "--source", "crm", env=_env(world))
    assert "2 were created" in imported.stderr, imported.stderr
    async with world.sessionmaker() as session:
        bakery = (
            await session.execute(select(m.Stakeholder).where(m.Stakeholder.external_id == "ORG-1"))
        ).scalar_one()
        contacts = (
            (await session.execute(select(m.Contact).where(m.Contact.stakeholder_id == bakery.id)))
            .scalars()
            .all()
        )
    assert bakery.needs == ["training", "visibility"] and bakery.description == {"nl": "Bakkerij"}
    assert sorted(c.given_name for c in contacts) == ["Jean", "Marie"]
    # The import's events carry each contact's organisation and its communes (Hannut).
    async with world.sessionmaker() as session:
        events = (
            await session.execute(
                select(m.EventRecord).where(
                    m.EventRecord.object_type == "Contact",
                    m.EventRecord.object_id.in_([c.id for c in contacts]),
                )
            )
        ).scalars()
        scopes = [(e.type, e.scoped, e.scope_stakeholder_id) for e in events]
        communes = set(
            (
                await session.execute(
                    select(m.event_scope_commune.c.nis_code)
                    .join(m.EventRecord, m.EventRecord.id == m.event_scope_commune.c.event_log_id)
                    .where(m.EventRecord.object_id.in_([c.id for c in contacts]))
                )
            ).scalars()
        )
    assert scopes == [("contact.created", True, bakery.id)] * 2 and communes == {"64034"}

    plan = tmp_path / "pst.csv"
    plan.write_text(
        "plan_start_year;plan_end_year;Titre du plan;Code OS;Objectif stratégique;Code OO;"
        "Objectif opérationnel;Code action;Action;Budget\n"
        "2031;2036;PST 2031-2036;OS1;Une commune verte;OO1.1;Moins de déchets;A1.1.1;Compost;50\n"
        "2031;2036;;OS1;;OO1.1;;A1.1.2;Repair café;1 200,50\n"
        "2031;2036;;OS1;;OO1.2;Mobilité douce;;;\n"
        "2031;2036;;OS2;Une commune connectée;OO2.1;Numérique;A2.1.1;Wifi public;\n",
        encoding="utf-8",
    )
    no_commune = cli("import", "pst", str(plan), env=_env(world))
    assert no_commune.returncode == 1 and "--commune" in no_commune.stderr
    created = cli("import", "pst", str(plan), "--commune", "Andenne", "--json", env=_env(world))
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["created"] == 1 + 2 + 3 + 3  # plan, OS, OO, actions
    again = cli("import", "pst", str(plan), "--commune", "92003", "--json", env=_env(world))
    assert json.loads(again.stdout)["unchanged"] == 9
    async with world.sessionmaker() as session:
        action = (
            await session.execute(
                select(m.PstAction).where(
                    m.PstAction.code == "A1.1.2",
                    m.PstAction.external_source == "pst:92003:2031-2036",
                )
            )
        ).scalar_one()
    assert str(action.budget) == "1200.50" and action.version == 1
