"""Results as CSV and XLSX files for survey managers (``/api/surveys/{id}/results.csv``)."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.api import (
    AuthenticationError,
    RestRoute,
    can,
    error_response,
    request_principal,
    request_sessionmaker,
)
from bocage.plugins.surveys import models as sm
from bocage.plugins.surveys import results as res
from bocage.plugins.surveys import store
from bocage.plugins.surveys.permissions import SURVEYS_MANAGE

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
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows(result))
    return buffer.getvalue().encode("utf-8")


def to_xlsx(result: res.SurveyResult) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("results")
    sheet.append(HEADER)
    for line in rows(result):
        sheet.append(line)
    texts = book.create_sheet("texts")
    texts.append(["question", "text"])
    for q in result.questions:
        for text in q.texts or []:
            texts.append([q.key, text])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


FORMATS = {
    "csv": ("text/csv; charset=utf-8", to_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", to_xlsx),
}


async def export_results(request: Request, format_: str) -> Response:
    try:
        principal = await request_principal(request)
    except AuthenticationError as error:
        return error_response(401, "unauthenticated", str(error))
    if principal.is_anonymous:
        return error_response(
            401, "unauthenticated", "sign in: send an Authorization: Bearer token"
        )
    if not can(principal, SURVEYS_MANAGE.code):
        return error_response(403, "forbidden", f"this needs the {SURVEYS_MANAGE.code} permission")
    survey_id = request.path_params["survey_id"]
    settings = request.app.state.host.plugin_settings("surveys")
    async with request_sessionmaker(request)() as session:
        survey = (
            await session.execute(select(sm.Survey).where(sm.Survey.id == survey_id))
        ).scalar_one_or_none()
        if survey is None:
            return error_response(404, "not_found", f"no survey {survey_id}")
        question_set = await store.current_set(session, survey.id)
        questions = await store.questions_of(session, question_set.id) if question_set else []
        result = await res.compute(
            session, survey.id, questions, public=False, k=settings.min_cell_size, with_texts=True
        )
    media_type, render = FORMATS[format_]
    return Response(
        render(result),
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="survey-{survey_id}-results.{format_}"'
        },
    )


def _responses(media_type: str) -> dict[str, Any]:
    return {
        "200": {"description": "The results.", "content": {media_type: {}}},
        "401": {"description": "Not signed in."},
        "403": {"description": "Lacks surveys:manage."},
        "404": {"description": "No such survey."},
    }


def _route(format_: str) -> RestRoute:
    async def handler(request: Request) -> Response:
        return await export_results(request, format_)

    path = f"/api/surveys/{{survey_id}}/results.{format_}"
    return RestRoute(
        name=f"surveys-results-{format_}",
        route=Route(path.replace("{survey_id}", "{survey_id:int}"), handler, methods=["GET"]),
        openapi={
            path: {
                "get": {
                    "operationId": f"surveysResults{format_.title()}",
                    "summary": f"A survey's full results as {format_.upper()} (surveys:manage).",
                    "description": "Every option's count and percentage, means and medians; "
                    "the XLSX file adds the free texts. Not suppressed: survey managers only.",
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
                    "responses": _responses(FORMATS[format_][0].split(";")[0]),
                }
            }
        },
    )


ROUTES = [_route(format_) for format_ in FORMATS]
