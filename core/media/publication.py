"""The ``media`` dataset of the open-data catalogue: the media anyone may see, described.

A medium is public when its object is (``owners.py``): a live project or organisation, or an
object of a plugin that says in SQL which of its objects are public (``MediaOwner.public_rows``:
a published workshops event and its speakers' slides...). The dataset says what each one is
(kind, type, size, pixels), what it shows (title, alternative text), under which licence and
whose credit, and where its files are served; never who uploaded it (``uploaded_by`` is
personal data) nor the name of the file they sent. A plugin's objects whose owner gives no
``public_rows`` are left out (whether they are public is then decided per object only).

The open-data plugin publishes it with the core's other datasets (``core_datasets``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import String, and_, case, cast, exists, func, literal, or_, select, union_all

from bocage.core import models as m
from bocage.core.datasets import Dataset, DatasetField, FieldType, Frequency, Theme, sql_global_id
from bocage.core.hookspecs import MediaOwner
from bocage.core.settings import LANGUAGES

#: The core's objects whose media are public while the object is live.
PUBLIC_OWNERS: dict[str, Any] = {"Project": m.Project, "Stakeholder": m.Stakeholder}


def _plugins(owners: Iterable[MediaOwner]) -> dict[str, Any]:
    """The public rows (``id``, ``updated_at``) of each plugin's type that says which they are."""
    return {
        owner.type_name: owner.public_rows().subquery()
        for owner in owners
        if owner.public_rows is not None and owner.type_name not in PUBLIC_OWNERS
    }


def _public(plugins: dict[str, Any]) -> Any:
    """Live media of a live project or organisation, or of a plugin's public object."""
    live_owner = [
        and_(
            m.Media.owner_type == name,
            exists().where(model.id == m.Media.owner_id, model.deleted_at.is_(None)),
        )
        for name, model in PUBLIC_OWNERS.items()
    ]
    live_owner += [
        and_(m.Media.owner_type == name, exists().where(rows.c.id == m.Media.owner_id))
        for name, rows in plugins.items()
    ]
    return and_(m.Media.deleted_at.is_(None), or_(*live_owner))


def _url(variant: str) -> Any:
    """Where the variant is served (``GET /api/media/{key}/{variant}``), from the API's root."""
    return literal("/api/media/", String) + cast(m.Media.id, String) + literal(f"/{variant}")


def _modified(plugins: dict[str, Any]) -> Any:
    """The latest change of a medium (a removal too) or of an object with media (archiving
    one takes its media out of the dataset)."""
    changes = [select(m.Media.updated_at.label("at"))]
    for name, model in PUBLIC_OWNERS.items():
        with_media = exists().where(m.Media.owner_type == name, m.Media.owner_id == model.id)
        changes.append(select(model.updated_at.label("at")).where(with_media))
    for name, rows in plugins.items():
        with_media = exists().where(m.Media.owner_type == name, m.Media.owner_id == rows.c.id)
        changes.append(select(rows.c.updated_at.label("at")).where(with_media))
    every = union_all(*changes).subquery()
    return select(func.max(every.c.at))


def media_dataset(owners: Iterable[MediaOwner] = ()) -> Dataset:
    """The ``media`` dataset (one row per public medium): the core's objects', and those of
    the plugins' ``owners`` that give ``public_rows``."""
    plugins = _plugins(owners)
    s, i, dt_ = FieldType.STRING, FieldType.INTEGER, FieldType.DATETIME
    texts = [
        (f"{name}_{language}", s, f"{what} ({language})")
        for name, what in (("title", "Titre"), ("alt", "Texte alternatif d'une image"))
        for language in LANGUAGES
    ]
    items = [
        ("id", i, "Identifiant du média (la clé de ses adresses)"),
        (
            "owner_type",
            s,
            "Type de l'objet auquel il est attaché (Project, Stakeholder, WorkshopsEvent...)",
        ),
        ("owner_id", s, "Identifiant GraphQL de cet objet (son champ id)"),
        ("role", s, "Rôle : gallery, document, logo"),
        ("kind", s, "Nature : image ou document"),
        ("content_type", s, "Type de contenu servi (image/jpeg, application/pdf...)"),
        ("size", i, "Taille du fichier original servi (octets)"),
        ("width", i, "Largeur de l'image servie (pixels)"),
        ("height", i, "Hauteur de l'image servie (pixels)"),
        *texts,
        ("licence", s, "Licence du média (identifiant SPDX) ; vide : tous droits réservés"),
        ("credit", s, "Mention à faire à côté du média (auteur, source)"),
        ("url", s, "Adresse du fichier, depuis la racine de l'API"),
        ("thumbnail_url", s, "Adresse de la vignette d'une image, depuis la racine de l'API"),
        ("updated_at", dt_, "Dernière modification"),
    ]
    media = m.Media
    query = select(
        media.id,
        media.owner_type,
        sql_global_id(media.owner_type, media.owner_id).label("owner_id"),
        media.role,
        media.kind,
        media.content_type,
        media.size,
        media.width,
        media.height,
        *(
            column[language].as_string().label(f"{column.key}_{language}")
            for column in (media.title, media.alt)
            for language in LANGUAGES
        ),
        media.licence,
        media.credit,
        _url("original").label("url"),
        case((media.variants["thumbnail"].as_string().is_not(None), _url("thumbnail"))).label(
            "thumbnail_url"
        ),
        media.updated_at,
    ).where(_public(plugins))
    return Dataset(
        identifier="media",
        title={
            "fr": "Images et documents publics",
            "nl": "Openbare afbeeldingen en documenten",
            "de": "Öffentliche Bilder und Dokumente",
            "en": "Public images and documents",
        },
        description={
            "fr": "Les images et documents attachés aux projets et aux organisations du "
            "territoire (et à ses autres objets publics : événements publiés...) : type, "
            "taille, titre et texte alternatif, licence et crédit de chacun, adresses du "
            "fichier et de sa vignette. Rien sur qui les a déposés.",
            "en": "Images and documents of the territory's projects and organisations (and of "
            "its other public objects: published events...): type, size, title and "
            "alternative text, licence and credit, file and thumbnail addresses. Nothing "
            "about who uploaded them.",
        },
        keywords={"fr": ("médias", "images", "documents", "licences"), "en": ("media",)},
        theme=Theme.GOVE,
        frequency=Frequency.UPDATE_CONT,
        fields=tuple(DatasetField(name, kind, {"fr": text}) for name, kind, text in items),
        query=query,
        modified=_modified(plugins),
        issued_query=select(func.min(media.created_at)).where(_public(plugins)),
        # A register: from its first medium to its latest change.
        coverage=select(func.min(media.created_at), func.max(media.updated_at)).where(
            _public(plugins)
        ),
    )
