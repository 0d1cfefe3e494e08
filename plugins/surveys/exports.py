"""Results and responses as CSV and XLSX files for survey managers
(``/api/surveys/{id}/results.csv``, ``/api/surveys/{id}/responses.xlsx``...)."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.api import (
    CsvWriter,
    Principal,
    RestRoute,
    can,
    error_response,
    global_id,
    host_of,
    may_touch_territory,
    private_caching,
    request_sessionmaker,
    signed_in,
    xlsx_append,
)
from bocage.plugins.surveys import models as sm
from bocage.plugins.surveys import results as res
from bocage.plugins.surveys import store
from bocage.plugins.surveys.definition import AnswerValue
from bocage.plugins.surveys.permissions import SURVEYS_MANAGE
from bocage.plugins.surveys.settings import surveys_settings

HEADER = ["question", "type", "row", "option", "count", "percent", "mean_position",
          "respondents", "mean", "median", "minimum", "maximum"]  # fmt: skip


def rows(result: res.SurveyResult) -> list[list[Any]]:
    """One line per option (per matrix row), then one per question without options."""
    lines: list[list[Any]] = []
    for q in result.questions:
        summary = [q.respondents, q.mean, q.median, q.minimum, q.maximum]
        if not q.cells:
            lines.append([q.key, q.type.value, None, None, None, None, None, *summary])
        for cell in q.cells:
            lines.append(
                [
                    q.key,
                    q.type.value,
                    cell.row,
                    cell.option,
                    cell.count,
                    cell.percent,
                    cell.mean_position,
                    *summary,
                ]  # fmt: skip
            )
    return lines


def to_csv(result: res.SurveyResult) -> bytes:
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows(result))
    return buffer.getvalue().encode("utf-8")


def to_xlsx(result: res.SurveyResult) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("results")
    xlsx_append(sheet, HEADER)
    for line in rows(result):
        xlsx_append(sheet, line)
    texts = book.create_sheet("texts")
    xlsx_append(texts, ["question", "text"])
    for q in result.questions:
        for text in q.texts or []:
            xlsx_append(texts, [q.key, text])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def table_csv(header: list[str], lines: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(header)
    writer.writerows(lines)
    return buffer.getvalue().encode("utf-8")


def table_xlsx(header: list[str], lines: list[list[Any]], sheet_name: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name)
    xlsx_append(sheet, header)
    for line in lines:
        xlsx_append(sheet, line)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _value(answer: AnswerValue) -> Any:
    """One answer in one spreadsheet cell."""
    if answer.cells:
        return "; ".join(f"{row}={column}" for row, column in answer.cells.items())
    if answer.choices:
        chosen = "; ".join(answer.choices)  # rankings: first to last
        return f"{chosen} ({answer.other})" if answer.other else chosen
    if answer.number is not None:
        return answer.number
    if answer.date is not None:
        return answer.date.isoformat()
    return answer.text


async def response_table(session: Any, survey: sm.Survey) -> tuple[list[str], list[list[Any]]]:
    """One line per response (in the order of their random keys), one column per question of
    the current version; attributed surveys add the invited organisation. Three queries."""
    question_set = await store.current_set(session, survey.id)
    questions = await store.questions_of(session, question_set.id) if question_set else []
    keys = [q.key for q in questions if q.type != sm.QuestionType.SECTION.value]
    responses = (
        await session.execute(
            select(sm.Response.id, sm.Response.submitted_on, sm.QuestionSet.number)
            .join(sm.QuestionSet, sm.QuestionSet.id == sm.Response.question_set_id)
            .where(sm.Response.survey_id == survey.id)
            .order_by(sm.Response.id)
        )
    ).all()
    answers = await store.answers_of(session, [r.id for r in responses])
    who: dict[str, int | None] = {}
    if not survey.anonymous:
        who = dict(
            (
                await session.execute(
                    select(sm.Attribution.response_id, sm.Invitation.stakeholder_id)
                    .join(sm.Invitation, sm.Invitation.id == sm.Attribution.invitation_id)
                    .where(sm.Invitation.survey_id == survey.id)
                )
            ).all()
        )
    header = ["response", "submitted_on", "questions_version"]
    header += [] if survey.anonymous else ["stakeholder"]
    lines = []
    for response_id, day, number in responses:
        given = {a.question: a for a in answers.get(response_id, [])}
        line: list[Any] = [response_id, day.isoformat(), number]
        if not survey.anonymous:
            stakeholder = who.get(response_id)
            line.append(global_id("Stakeholder", stakeholder) if stakeholder else None)
        line += [_value(given[k]) if k in given else None for k in keys]
        lines.append(line)
    return header + keys, lines


async def _survey_for_manager(request: Request) -> tuple[Any, Response | None]:
    principal = await signed_in(request)
    if not isinstance(principal, Principal):
        return None, principal
    if not can(principal, SURVEYS_MANAGE.code):
        return None, error_response(
            403, "forbidden", f"this needs the {SURVEYS_MANAGE.code} permission"
        )
    return principal, None


async def export(request: Request, what: str, format_: str) -> Response:
    principal, refused = await _survey_for_manager(request)
    if refused is not None:
        return refused
    survey_id = request.path_params["survey_id"]
    settings = surveys_settings(host_of(request))
    async with request_sessionmaker(request)() as session:
        survey = (
            await session.execute(select(sm.Survey).where(sm.Survey.id == survey_id))
        ).scalar_one_or_none()
        if survey is None or not may_touch_territory(principal, survey.territory_id):
            # Another GAL's survey is as good as absent (docs/tenancy.md).
            return error_response(404, "not_found", f"no survey {survey_id}")
        if what == "results":
            question_set = await store.current_set(session, survey.id)
            questions = await store.questions_of(session, question_set.id) if question_set else []
            result = await res.compute(
                session,
                survey.id,
                questions,
                public=False,
                k=settings.min_cell_size,
                with_texts=True,
            )
            body = to_csv(result) if format_ == "csv" else to_xlsx(result)
        else:
            header, lines = await response_table(session, survey)
            body = (
                table_csv(header, lines)
                if format_ == "csv"
                else table_xlsx(header, lines, "responses")
            )
    return Response(
        body,
        media_type=MEDIA_TYPES[format_],
        headers={
            "Content-Disposition": f'attachment; filename="survey-{survey_id}-{what}.{format_}"',
            # Personal data: never kept by a cache.
            **private_caching(),
        },
    )


def _responses(media_type: str, what: str) -> dict[str, Any]:
    return {
        "200": {"description": f"The {what}.", "content": {media_type: {}}},
        "401": {"description": "Not signed in."},
        "403": {"description": "Lacks surveys:manage."},
        "404": {"description": "No such survey."},
    }


DESCRIPTIONS = {
    "results": (
        "A survey's full results as {FORMAT} (surveys:manage).",
        "Every option's count and percentage, means and medians; the XLSX file adds the free "
        "texts. Not suppressed: survey managers only.",
    ),
    "responses": (
        "A survey's responses as {FORMAT}, one line each (surveys:manage).",
        "One column per question of the current version (choices separated by '; ', rankings "
        "first to last, matrix cells as row=column, 'other' texts in brackets), and the invited "
        "organisation for attributed surveys: personal data, survey managers only. Lines come "
        "in the order of the responses' random keys, never of submission.",
    ),
}


def _route(what: str, format_: str) -> RestRoute:
    async def handler(request: Request) -> Response:
        return await export(request, what, format_)

    path = f"/api/surveys/{{survey_id}}/{what}.{format_}"
    summary, description = DESCRIPTIONS[what]
    return RestRoute(
        name=f"surveys-{what}-{format_}",
        route=Route(path.replace("{survey_id}", "{survey_id:rowkey}"), handler, methods=["GET"]),
        openapi={
            path: {
                "get": {
                    "operationId": f"surveys{what.title()}{format_.title()}",
                    "summary": summary.replace("{FORMAT}", format_.upper()),
                    "description": description,
                    "tags": ["surveys"],
                    "parameters": [
                        {
                            "name": "survey_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                            "description": "The survey's database key.",
                        }
                    ],
                    "responses": _responses(MEDIA_TYPES[format_].split(";")[0], what),
                }
            }
        },
    )


ROUTES = [_route(what, format_) for what in ("results", "responses") for format_ in MEDIA_TYPES]
