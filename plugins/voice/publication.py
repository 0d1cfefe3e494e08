"""The ``voice`` dataset of the open-data catalogue: how much the territory's people said about
each project and challenge, month by month.

One row per object discussed and month: the comments and replies posted that month that are
visible now (a comment hidden by moderation is not counted: it is not shown), and the supports
given that month that stand now (a withdrawn support is not counted). Counts only: no text,
no alias, no account; an object with nothing visible that month has no row. The core's
projects count while they are live (as in the ``projects`` dataset); other plugins' objects
(a workshop's challenges) were public when they were discussed.

Months are those of UTC (a comment at 00:30 in Brussels on the first of a month counts in
the month before).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String, cast, exists, func, literal, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from bocage.core.api import (
    Dataset,
    DatasetField,
    FieldType,
    Project,
    Theme,
    sql_global_id,
)
from bocage.plugins.voice.models import Comment, Support, SupportWithdrawal


class Month(FunctionElement[str]):
    """``YYYY-MM`` of a UTC timestamp column, the same text on SQLite and PostgreSQL."""

    name = "voice_month"
    type = String()
    inherit_cache = True


@compiles(Month, "sqlite")
def _month_sqlite(element: Month, compiler: Any, **kw: Any) -> str:
    # stored as 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC (bocage.core.db.UTCDateTime)
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 7)"


@compiles(Month, "postgresql")
def _month_postgresql(element: Month, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM')"


def _public(target_type: Any, target_key: Any) -> Any:
    """A live project, or another plugin's object (public once open for discussion)."""
    live_project = exists().where(Project.id == target_key, Project.deleted_at.is_(None))
    return (target_type != "Project") | live_project


def _counts() -> Any:
    """``(target_type, target_key, month, comments, supports)`` per object and month."""
    zero = literal(0, Integer)
    comments = (
        select(
            Comment.target_type,
            Comment.target_key,
            Month(Comment.created_at).label("month"),
            func.count().label("comments"),
            zero.label("supports"),
        )
        .where(Comment.hidden_at.is_(None), _public(Comment.target_type, Comment.target_key))
        .group_by(Comment.target_type, Comment.target_key, Month(Comment.created_at))
    )
    supports = (
        select(
            Support.target_type,
            Support.target_key,
            Month(Support.created_at).label("month"),
            zero.label("comments"),
            func.count().label("supports"),
        )
        .where(_public(Support.target_type, Support.target_key))
        .group_by(Support.target_type, Support.target_key, Month(Support.created_at))
    )
    return union_all(comments, supports).subquery("voice_counts")


def _moments() -> Any:
    """When each counted comment was posted and each standing support given."""
    return union_all(
        select(Comment.created_at.label("at")).where(
            Comment.hidden_at.is_(None), _public(Comment.target_type, Comment.target_key)
        ),
        select(Support.created_at.label("at")).where(
            _public(Support.target_type, Support.target_key)
        ),
    ).subquery("voice_moments")


def _modified() -> Any:
    """The latest comment posted, edited, hidden or shown, support given or withdrawn, or
    project changed (archiving one takes its rows out)."""
    discussed = exists().where(Comment.target_type == "Project", Comment.target_key == Project.id)
    supported = exists().where(Support.target_type == "Project", Support.target_key == Project.id)
    every = union_all(
        select(Comment.updated_at.label("at")),
        select(Support.created_at.label("at")),
        select(SupportWithdrawal.withdrawn_at.label("at")),
        select(Project.updated_at.label("at")).where(discussed | supported),
    ).subquery()
    return select(func.max(every.c.at))


def voice_datasets() -> list[Dataset]:
    """The ``voice`` dataset."""
    s, i = FieldType.STRING, FieldType.INTEGER
    counts = _counts()
    moments = _moments()
    key = (
        counts.c.target_type
        + literal(":", String)
        + cast(counts.c.target_key, String)
        + literal(":", String)
        + counts.c.month
    )
    query = select(
        key.label("id"),
        counts.c.target_type,
        sql_global_id(counts.c.target_type, counts.c.target_key).label("target_id"),
        counts.c.month,
        cast(func.sum(counts.c.comments), Integer).label("comments"),
        cast(func.sum(counts.c.supports), Integer).label("supports"),
    ).group_by(counts.c.target_type, counts.c.target_key, counts.c.month)
    fields = (
        ("id", s, "Clé de la ligne : type, numéro de l'objet et mois"),
        ("target_type", s, "Type de l'objet discuté (Project, WorkshopsChallenge)"),
        ("target_id", s, "Identifiant GraphQL de l'objet (son champ id)"),
        ("month", s, "Mois (AAAA-MM, UTC)"),
        (
            "comments",
            i,
            "Commentaires et réponses publiés ce mois et visibles (hors masqués par la modération)",
        ),
        ("supports", i, "Soutiens donnés ce mois et toujours en cours"),
    )
    return [
        Dataset(
            identifier="voice",
            title={
                "fr": "La voix des citoyens : commentaires et soutiens par mois",
                "nl": "De stem van de burgers: reacties en steunbetuigingen per maand",
                "de": "Die Stimme der Bürger: Kommentare und Unterstützungen pro Monat",
                "en": "The citizens' voice: comments and supports per month",
            },
            description={
                "fr": "Pour chaque projet et chaque défi d'atelier, et chaque mois : le nombre "
                "de commentaires visibles et de soutiens. Des comptes seulement : ni texte, "
                "ni auteur ; un commentaire masqué par la modération n'est pas compté.",
                "en": "For each project and workshop challenge, and each month: how many "
                "visible comments and supports. Counts only: no text, no author; comments "
                "hidden by moderation are not counted.",
            },
            keywords={
                "fr": ("participation", "commentaires", "soutiens", "citoyens"),
                "en": ("participation", "comments"),
            },
            theme=Theme.GOVE,
            fields=tuple(DatasetField(name, kind, {"fr": text}) for name, kind, text in fields),
            query=query,
            modified=_modified(),
            issued_query=select(func.min(moments.c.at)),
            coverage=select(func.min(moments.c.at), func.max(moments.c.at)),
        )
    ]
