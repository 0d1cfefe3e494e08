"""The public surveys list, declared for the read compiler (``bocage_compiled_reads``).

``surveys`` lists what the resolver of :mod:`bocage.plugins.surveys.queries` lists (drafts for
survey managers only: its statements are kept per caller), each survey with its definition:
texts, dates, audience and its questions with their options. Nothing personal and no answer
is declared; nor are the fields that depend on the caller or on responses (``publicKey``,
``responseCount``, ``quotas``): a document selecting them is answered by the resolvers. Nor
are a question's ``minValue``/``maxValue`` (floats: SQLite writes them with 15 significant
digits, not as Python does).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, and_, case, cast, func, literal_column, null, or_, select
from sqlalchemy.dialects.postgresql import JSONB

from bocage.core.api import (
    PARENT,
    Build,
    Column,
    CompiledReads,
    Custom,
    Level,
    NodeId,
    RootList,
    Selection,
    ToMany,
    ToOne,
    TypeSpec,
    translated_spec,
)
from bocage.plugins.surveys import models as sm
from bocage.plugins.surveys.definition import ConditionOperator
from bocage.plugins.surveys.queries import surveys_source


def _strings(column: str) -> Custom:
    """A stored JSON list of strings (``[]`` when null)."""
    return Custom(
        lambda b, level, s: b.json.list_of(level.rows.c[column], lambda item: item),
        columns=(column,),
    )


def _latest_sets(parents: Any) -> Any:
    """The current question set of each survey: its highest number."""
    latest = (
        select(sm.QuestionSet.survey_id, func.max(sm.QuestionSet.number).label("number"))
        .where(sm.QuestionSet.survey_id.in_(parents))
        .group_by(sm.QuestionSet.survey_id)
        .subquery("latest")
    )
    return select(sm.QuestionSet.id, sm.QuestionSet.survey_id).join(
        latest,
        and_(
            sm.QuestionSet.survey_id == latest.c.survey_id,
            sm.QuestionSet.number == latest.c.number,
        ),
    )


def _questions_version(b: Build, level: Level, selection: Selection) -> Any:
    versions = (
        select(sm.QuestionSet.survey_id.label(PARENT), func.max(sm.QuestionSet.number).label("n"))
        .where(sm.QuestionSet.survey_id.in_(b.parents(level)))
        .group_by(sm.QuestionSet.survey_id)
    )
    latest = level.join(b.aggregate(versions, "versions"))
    return func.coalesce(latest.c.n, 0)


def _questions(b: Build, level: Level, selection: Selection) -> Any:
    """The questions of the version asked (``version``), else of the current one."""
    version = selection.args.get("version")

    def rows(parents: Any) -> Any:
        if version is None:
            sets = _latest_sets(parents).subquery("sets")
        else:
            sets = (
                select(sm.QuestionSet.id, sm.QuestionSet.survey_id)
                .where(sm.QuestionSet.survey_id.in_(parents), sm.QuestionSet.number == version)
                .subquery("sets")
            )
        return select(sm.Question, sets.c.survey_id.label(PARENT)).join(
            sets, sm.Question.question_set_id == sets.c.id
        )

    listed = ToMany("SurveyQuestion", rows, lambda s: [s.c.position, s.c.id])
    return listed.sql(b, level, selection)


def _member(b: Build, document: Any, key: str, *, text: bool = False) -> Any:
    """``document[key]`` of a JSON object (or its text): as text, or as JSON."""
    if b.json.pg:
        return cast(document, JSONB).op("->>" if text else "->")(literal_column(f"'{key}'"))
    found = func.json_extract(document, f"$.{key}")
    return cast(found, String) if text else found


def _show_if(b: Build, level: Level, selection: Selection) -> Any:
    """The skip rule: null unless the stored condition is an object with something in it."""
    column = level.rows.c.show_if
    if b.json.pg:
        stored = cast(column, JSONB)
        empty = or_(
            column.is_(None),
            func.jsonb_typeof(stored) != "object",
            stored == literal_column("'{}'::jsonb"),
        )
    else:
        empty = or_(column.is_(None), func.json_type(column) != "object", func.json(column) == "{}")

    def field(name: str, sub: Selection) -> Any:
        if name == "question":
            return _member(b, column, "question", text=True)
        if name == "operator":
            return b.json.enum_name(_member(b, column, "operator", text=True), ConditionOperator)
        return b.json.list_of(_member(b, column, "values"), lambda item: cast(item, String))

    return case((empty, null()), else_=b.object_of(selection, field, "SurveyCondition"))


def _options(column: str) -> Custom:
    """A stored JSON list of ``{"value", "label"}`` objects, as ``SurveyOption`` objects."""

    def compute(b: Build, level: Level, selection: Selection) -> Any:
        def option(item: Any) -> Any:
            value, label = _member(b, item, "value", text=True), _member(b, item, "label")

            def field(name: str, sub: Selection) -> Any:
                if name == "value":
                    return value
                if name == "label":
                    lang = sub.args.get("lang")
                    language = lang.value if lang is not None else b.language
                    return b.json.translated(label, language, True)
                return b.object_of(
                    sub, lambda lang, _s: b.json.text_in(label, lang), "Translations"
                )

            return b.object_of(selection, field, "SurveyOption")

        return b.json.list_of(level.rows.c[column], option)

    return Custom(compute, columns=(column,))


def compiled_reads() -> CompiledReads:
    """The plugin's ``bocage_compiled_reads``."""
    return CompiledReads(
        types=[
            TypeSpec(
                "Survey",
                sm.Survey,
                {
                    "id": NodeId("Survey"),
                    "version": Column("version"),
                    "status": Column("status", "enum", enum=sm.SurveyStatus),
                    "anonymous": Column("anonymous", "bool"),
                    "public": Column("public", "bool"),
                    "allowEdit": Column("allow_edit", "bool"),
                    "audienceKinds": _strings("audience_kinds"),
                    "audienceCommunes": _strings("audience_communes"),
                    "opensOn": Column("opens_on", "date"),
                    "closesOn": Column("closes_on", "date"),
                    "territory": ToOne("Territory", "territory_id"),
                    **translated_spec("title", "title", required=True),
                    **translated_spec("intro", "intro"),
                    "questionsVersion": Custom(_questions_version, columns=("id",)),
                    "questions": Custom(_questions, columns=("id",)),
                },
            ),
            TypeSpec(
                "SurveyQuestion",
                sm.Question,
                {
                    "key": Column("key"),
                    "position": Column("position"),
                    "type": Column("type", "enum", enum=sm.QuestionType),
                    "required": Column("required", "bool"),
                    "allowOther": Column("allow_other", "bool"),
                    "minSelected": Column("min_selected"),
                    "maxSelected": Column("max_selected"),
                    "maxLength": Column("max_length"),
                    "segment": Column("segment", "enum", enum=sm.Segment),
                    **translated_spec("title", "title", required=True),
                    **translated_spec("help", "help"),
                    "options": _options("options"),
                    "rows": _options("rows"),
                    "showIf": Custom(_show_if, columns=("show_if",)),
                },
            ),
        ],
        roots={"surveys": RootList("Survey", surveys_source)},
    )
