"""Importing organisations (stakeholders) and their contacts (personal data)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select

from bocage.core import models as m
from bocage.core.domain import rules
from bocage.core.domain.changes import column_changes
from bocage.core.domain.errors import Code
from bocage.core.graphql.mutations.stakeholders import CONTACTS_WRITE, STAKEHOLDERS_WRITE
from bocage.core.imports import cells
from bocage.core.imports.base import Context, Kind, Row, chunks, external_id, insert_new
from bocage.core.imports.lookups import Communes, Stakeholders
from bocage.core.imports.mapping import Field

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

KINDS = cells.vocabulary(
    {
        "commune_administration": ("administration communale", "commune", "gemeentebestuur"),
        "enterprise": ("entreprise", "société", "societe", "bedrijf", "onderneming", "company"),
        "association": ("asbl", "vzw", "vereniging", "non-profit"),
        "citizen_initiative": ("initiative citoyenne", "burgerinitiatief", "collectif"),
        "public_body": ("organisme public", "partenaire public", "adl", "overheid", "partner"),
    }
)
NEEDS = cells.vocabulary(
    {
        "training": ("formation", "formations", "opleiding"),
        "visibility": ("visibilité", "zichtbaarheid"),
        "funding": ("financement", "financiering", "subsides"),
        "networking": ("réseau", "mise en réseau", "netwerk", "réseautage"),
        "digital_tools": ("outils numériques", "numérique", "digitale tools", "outils"),
        # "volontaires" is Belgian French for volunteers ("bénévoles" in France).
        "volunteers": (
            "volontaires",
            "volontaire",
            "volontariat",
            "bénévoles",
            "bénévole",
            "bénévolat",
            "vrijwilligers",
            "vrijwilliger",
            "vrijwilligerswerk",
            "freiwillige",
            "ehrenamtliche",
            "volunteer",
        ),
    }
)

EXTERNAL_ID = Field(
    "external_id",
    ("id externe", "identifiant", "référence", "reference", "ref", "id", "external id"),
    required=True,
)

STAKEHOLDER_FIELDS = (
    EXTERNAL_ID,
    Field("name", ("nom", "naam", "organisation", "organisatie", "raison sociale")),
    Field("kind", ("type", "catégorie", "categorie", "soort", "forme")),
    Field("communes", ("commune", "gemeente", "gemeenten", "code ins", "nis", "code nis")),
    Field("description", ("beschrijving", "présentation"), True),
    Field("website", ("site", "site web", "site internet", "url", "website")),
    Field(
        "enterprise_number",
        ("numéro d'entreprise", "numero d'entreprise", "bce", "kbo", "n° bce", "tva", "btw"),
    ),
    Field("needs", ("besoins", "besoin", "noden", "behoeften")),
)

CONTACT_FIELDS = (
    EXTERNAL_ID,
    Field(
        "stakeholder",
        ("organisation", "organisatie", "structure", "entreprise", "bce", "kbo"),
    ),
    Field("given_name", ("prénom", "prenom", "voornaam", "first name")),
    Field("family_name", ("nom", "nom de famille", "achternaam", "naam", "last name")),
    Field("email", ("e-mail", "courriel", "mail", "adresse e-mail")),
    Field("phone", ("téléphone", "telephone", "tél", "tel", "gsm", "telefoon")),
    Field("job_title", ("fonction", "titre", "functie", "rôle", "role", "job title")),
)


@dataclass
class StakeholderPlan:
    row: Row
    external_id: str
    values: dict[str, Any]
    communes: list[int] | None
    existing: Any = None
    current_communes: set[int] = field(default_factory=set)


class StakeholderKind(Kind):
    name = "stakeholders"
    permission = STAKEHOLDERS_WRITE
    model = m.Stakeholder
    fields = STAKEHOLDER_FIELDS

    async def plan(
        self, session: AsyncSession, rows: list[Row], context: Context
    ) -> list[StakeholderPlan]:
        communes = context.communes = await Communes.load(session)
        existing, archived = await _existing(session, m.Stakeholder, rows, context)
        links: dict[int, set[int]] = {}
        for batch in chunks(sorted(s.id for s in existing.values())):
            link = m.stakeholder_commune
            for stakeholder_id, commune_id in await session.execute(
                select(link.c.stakeholder_id, link.c.commune_id).where(
                    link.c.stakeholder_id.in_(batch)
                )
            ):
                links.setdefault(stakeholder_id, set()).add(commune_id)
        plans = []
        seen: dict[str, int] = {}
        for row in rows:
            key = external_id(row, seen, archived)
            current = existing.get(key) if key else None
            current_communes = links.get(current.id, set()) if current else set()
            if current is not None:
                codes = {communes.by_id[c].nis_code for c in current_communes}
                row.check(
                    "external_id",
                    rules.authorise_stakeholder,
                    context.principal,
                    current.id,
                    codes,
                    "id",
                )
            values = self._values(row, context, creating=current is None)
            commune_ids = None
            if row.has("communes") or current is None:
                names = (
                    cells.items(row.raw("communes"))
                    if row.has("communes")
                    else [context.commune.nis_code]
                    if context.commune is not None
                    else []
                )
                commune_ids = _communes(row, communes, names)
                if commune_ids is not None:
                    before = len(row.errors)
                    row.check("communes", rules.require_stakeholder_communes, commune_ids)
                    if len(row.errors) == before:
                        codes = {communes.by_id[c].nis_code for c in commune_ids}
                        row.check(
                            "communes",
                            rules.authorise_stakeholder,
                            context.principal,
                            current.id if current else None,
                            codes,
                            "communes",
                        )
            if key is not None and not row.errors:
                plans.append(
                    StakeholderPlan(row, key, values, commune_ids, current, current_communes)
                )
        return plans

    def _values(self, row: Row, context: Context, *, creating: bool) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if row.has("name") or creating:
            values["name"] = row.check("name", rules.stakeholder_name, cells.text(row.raw("name")))
        kind = row.read("kind", lambda v: cells.choice(v, KINDS, "kind of organisation"))
        if kind is not None:
            values["kind"] = m.StakeholderKind(kind)
        elif (row.has("kind") or creating) and not _failed(row, "kind"):
            row.fail(
                "kind",
                Code.REQUIRED.value,
                "kind is empty: write entreprise, association, initiative citoyenne, "
                "administration communale or organisme public",
            )
        texts = row.texts("description", context.languages)
        if texts is not None or creating:
            values["description"] = row.check(
                [f"description_{lang}" for lang in context.languages],
                rules.stakeholder_description,
                texts,
            )
        if row.has("website"):
            values["website"] = row.check("website", rules.website, cells.text(row.raw("website")))
        if row.has("enterprise_number"):
            number = cells.code(row.raw("enterprise_number"), 9)
            values["enterprise_number"] = (
                row.check("enterprise_number", rules.enterprise_number, number) if number else None
            )
        if row.has("needs"):
            parsed = []
            for item in cells.items(row.raw("needs")):
                try:
                    parsed.append(cells.choice(item, NEEDS, "need"))
                except cells.CellError as error:
                    row.fail("needs", Code.INVALID.value, str(error))
            values["needs"] = rules.stakeholder_needs(parsed)
        return values

    async def write(
        self, session: AsyncSession, plans: list[StakeholderPlan], context: Context
    ) -> list[tuple[Any, str, dict[str, Any]]]:
        done: list[tuple[Any, str, dict[str, Any]]] = []
        new: list[tuple[StakeholderPlan, Any]] = []
        relink: list[tuple[int, list[int]]] = []
        for plan in plans:
            if plan.existing is None:
                row = m.Stakeholder(
                    external_source=context.source, external_id=plan.external_id, **plan.values
                )
                new.append((plan, row))
                continue
            row = plan.existing
            changes = _assign(row, plan.values)
            if plan.communes is not None and set(plan.communes) != plan.current_communes:
                changes["communes"] = {
                    "before": sorted(plan.current_communes),
                    "after": sorted(set(plan.communes)),
                }
                relink.append((row.id, plan.communes))
                if len(changes) == 1:  # links changed: bump for syncing
                    row.updated_at = dt.datetime.now(dt.UTC)
            if not changes:
                context.unchanged += 1
                continue
            done.append((row, "updated", changes))
        await session.flush()
        await insert_new(session, m.Stakeholder, [row for _, row in new])
        for plan, row in new:
            changes = column_changes(row, created=True)
            changes["communes"] = {"before": [], "after": sorted(set(plan.communes or []))}
            relink.append((row.id, plan.communes or []))
            done.append((row, "created", changes))
        link = m.stakeholder_commune
        for batch in chunks([key for key, _ in relink]):
            await session.execute(delete(link).where(link.c.stakeholder_id.in_(batch)))
        values = [{"stakeholder_id": key, "commune_id": c} for key, ids in relink for c in ids]
        if values:
            await session.execute(insert(link), values)
        return done


@dataclass
class ContactPlan:
    row: Row
    external_id: str
    values: dict[str, Any]
    existing: Any = None


class ContactKind(Kind):
    name = "contacts"
    permission = CONTACTS_WRITE
    model = m.Contact
    fields = CONTACT_FIELDS

    async def plan(
        self, session: AsyncSession, rows: list[Row], context: Context
    ) -> list[ContactPlan]:
        communes = context.communes = await Communes.load(session)
        refs = {cells.code(row.raw("stakeholder"), 9) or "" for row in rows}
        stakeholders = await Stakeholders.load(session, refs - {""}, context.source)
        existing, archived = await _existing(session, m.Contact, rows, context)
        ids = set(stakeholders.by_number.values()) | set(stakeholders.by_external.values())
        ids |= {c.stakeholder_id for c in existing.values()}
        codes: dict[int, set[str]] = {}
        for batch in chunks(sorted(ids)):
            link = m.stakeholder_commune
            for stakeholder_id, commune_id in await session.execute(
                select(link.c.stakeholder_id, link.c.commune_id).where(
                    link.c.stakeholder_id.in_(batch)
                )
            ):
                ref = communes.by_id.get(commune_id)
                codes.setdefault(stakeholder_id, set()).update({ref.nis_code} if ref else set())
        plans = []
        seen: dict[str, int] = {}
        for row in rows:
            key = external_id(row, seen, archived)
            current = existing.get(key) if key else None
            if current is not None:
                row.check(
                    "external_id",
                    rules.authorise_stakeholder,
                    context.principal,
                    current.stakeholder_id,
                    codes.get(current.stakeholder_id, set()),
                    "id",
                )
            values: dict[str, Any] = {}
            reference = cells.code(row.raw("stakeholder"), 9)
            if reference is not None:
                stakeholder_id = stakeholders.find(reference)
                if stakeholder_id is None:
                    row.fail(
                        "stakeholder",
                        Code.NOT_FOUND.value,
                        f"no organisation {reference!r}: give its enterprise number "
                        "(0207.000.000) or its external_id from the stakeholders import",
                    )
                else:
                    row.check(
                        "stakeholder",
                        rules.authorise_stakeholder,
                        context.principal,
                        stakeholder_id,
                        codes.get(stakeholder_id, set()),
                        "stakeholder",
                    )
                    values["stakeholder_id"] = stakeholder_id
            elif row.has("stakeholder") or current is None:
                row.fail(
                    "stakeholder",
                    Code.REQUIRED.value,
                    "stakeholder is empty: name the organisation",
                )
            for name, rule in rules.CONTACT_FIELDS.items():
                if row.has(name) or current is None:
                    values[name] = row.check(name, rule, cells.text(row.raw(name)))
            if key is not None and not row.errors:
                plans.append(ContactPlan(row, key, values, current))
        return plans

    async def write(
        self, session: AsyncSession, plans: list[ContactPlan], context: Context
    ) -> list[tuple[Any, str, dict[str, Any]]]:
        done: list[tuple[Any, str, dict[str, Any]]] = []
        new = []
        for plan in plans:
            if plan.existing is None:
                new.append(
                    m.Contact(
                        external_source=context.source,
                        external_id=plan.external_id,
                        **plan.values,
                    )
                )
                continue
            changes = _assign(plan.existing, plan.values)
            if changes:
                done.append((plan.existing, "updated", changes))
            else:
                context.unchanged += 1
        await session.flush()
        await insert_new(session, m.Contact, new)
        done.extend((row, "created", column_changes(row, created=True)) for row in new)
        return done


def _failed(row: Row, key: str) -> bool:
    header = row.cells.get(key, (key,))[0]
    return any(e.column == header for e in row.errors)


def _assign(row: Any, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Set the values that differ; their audit lines (none: the row is left untouched)."""
    changed = {name: value for name, value in values.items() if getattr(row, name) != value}
    for name, value in changed.items():
        setattr(row, name, value)
    return column_changes(row) if changed else {}


def _communes(row: Row, communes: Communes, names: list[str]) -> list[int] | None:
    found = []
    for name in names:
        ref = communes.find(name)
        if ref is None:
            row.fail(
                "communes",
                Code.NOT_FOUND.value,
                f"no commune {name!r}: write its NIS code (e.g. 64034) or its name as Statbel "
                "spells it",
            )
            return None
        found.append(ref.id)
    return sorted(set(found))


async def _existing(
    session: AsyncSession, model: Any, rows: list[Row], context: Context
) -> tuple[dict[str, Any], set[str]]:
    """Live rows of ``model`` with the file's external IDs, in the import's source; and the
    external IDs of archived ones."""
    keys = {str(k).strip() for row in rows if (k := row.raw("external_id")) is not None}
    found: dict[str, Any] = {}
    archived: set[str] = set()
    for batch in chunks(sorted(keys)):
        result = await session.execute(
            select(model).where(
                model.external_source == context.source, model.external_id.in_(batch)
            )
        )
        for row in result.scalars():
            if row.deleted_at is None:
                found[row.external_id] = row
            else:
                archived.add(row.external_id)
    return found, archived
