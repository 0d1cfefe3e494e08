"""Closed surveys' suppressed results in the open-data catalogue (``survey-results``), and
the plugin without the open-data plugin."""

from __future__ import annotations

import base64
from typing import Any

import httpx

from bocage.core.app import create_app
from bocage.core.auth.principal import ANONYMOUS
from bocage.core.db import create_engine, sessionmaker
from bocage.core.graphql.schema import build_schema
from bocage.core.host import PluginHost

PUBLIC_RESULTS = """
query($id: ID!) {
  surveyResults(id: $id) { questions { key respondents cells { row option count suppressed } } }
}"""


async def _answered(run: Any, sv: Any) -> dict[str, Any]:
    """An anonymous survey with 12 responses: "enterprise" chosen by 2 (withheld)."""
    survey = await sv.create(anonymous=True)
    for index in range(12):
        answers = [dict(a) for a in sv.VALID]
        if index < 2:
            answers = [
                {"question": "kind", "choices": ["enterprise"]},
                {"question": "channels", "choices": ["web"]},
                {"question": "satisfaction", "number": 2},
            ]
        body = await run(
            sv.SUBMIT, {"input": {"publicKey": survey["publicKey"], "answers": answers}}
        )
        assert body["data"]["submitSurveyResponse"]["submitted"], body
    return survey


async def _records(client: httpx.AsyncClient, survey_key: int) -> list[dict[str, Any]]:
    response = await client.get(
        "/api/opendata/datasets/survey-results/records",
        params={"survey_id": survey_key, "limit": 1000},
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_closed_surveys_are_published_suppressed(run: Any, sv: Any, world: Any) -> None:
    survey = await _answered(run, sv)
    key = int(base64.b64decode(survey["id"]).decode().split(":")[1])
    app = create_app(world.settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            meta = await client.get("/api/opendata/datasets/survey-results")
            assert meta.status_code == 200, meta.text
            assert await _records(client, key) == []  # open: nothing published
            closed = await run(
                sv.CLOSE,
                {"input": {"id": survey["id"], "version": survey["version"]}},
                principal=sv.ADMIN,
            )
            assert closed["data"]["closeSurvey"]["errors"] == []
            records = await _records(client, key)
            assert records
            for record in records:
                assert record["count"] is None or record["count"] == 0 or record["count"] >= 5
                assert record["suppressed"] == (record["count"] is None)
                assert record["survey_title"] == "Besoins des associations"
            kind = {r["option"]: r for r in records if r["question"] == "kind"}
            assert kind["enterprise"]["suppressed"] and kind["association"]["suppressed"]
            assert kind["association"]["option_label"] == "Association"
            # The same cells as the public GraphQL results.
            public = await run(PUBLIC_RESULTS, {"id": survey["id"]})
            expected = {
                (q["key"], c["row"], c["option"]): c["count"]
                for q in public["data"]["surveyResults"]["questions"]
                for c in q["cells"]
            }
            assert {(r["question"], r["row"], r["option"]): r["count"] for r in records} == (
                expected
            )
            # Reopened: withdrawn until it closes again.
            version = closed["data"]["closeSurvey"]["survey"]["version"]
            reopened = await run(
                sv.OPEN, {"input": {"id": survey["id"], "version": version}}, principal=sv.ADMIN
            )
            assert reopened["data"]["openSurvey"]["errors"] == []
            assert await _records(client, key) == []


async def test_surveys_work_without_the_open_data_plugin(
    run: Any, sv: Any, world: Any, make_settings: Any
) -> None:
    from bocage.core.graphql.context import Context

    settings = make_settings(world.settings.database_url, disabled_plugins=["opendata"])
    host = PluginHost(settings)
    assert "opendata" not in {p.name for p in host.plugins}
    schema = build_schema(host)
    engine = create_engine(settings)
    factory = sessionmaker(engine)
    survey = await _answered(run, sv)

    async def execute(query: str, variables: dict[str, Any], principal: Any) -> Any:
        context = Context(
            settings=settings, host=host, sessionmaker=factory, language="fr", principal=principal
        )
        try:
            return await schema.execute(query, variable_values=variables, context_value=context)
        finally:
            await context.close()

    try:
        result = await execute(
            sv.CLOSE, {"input": {"id": survey["id"], "version": survey["version"]}}, sv.ADMIN
        )
        assert result.errors is None and result.data["closeSurvey"]["errors"] == []
        public = await execute(PUBLIC_RESULTS, {"id": survey["id"]}, ANONYMOUS)
        assert public.errors is None
        app = create_app(settings, host=host)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                missing = await client.get("/api/opendata/datasets/survey-results")
                assert missing.status_code == 404
    finally:
        await engine.dispose()


async def test_an_open_public_survey_hands_anonymous_callers_the_key_to_answer_it(
    run: Any, sv: Any
) -> None:
    """A front-end lists the open surveys anonymously and answers one with the key it was
    given; a survey by invitation only, or a closed one, hands out no key."""
    public = await sv.create(public=True)
    private = await sv.create(public=False)
    listed = await run("{ surveys(first: 20) { nodes { id publicKey } } }")
    keys = {node["id"]: node["publicKey"] for node in listed["data"]["surveys"]["nodes"]}
    assert keys[public["id"]] == public["publicKey"] and keys[public["id"]]
    assert private["id"] not in keys or keys[private["id"]] is None

    answered = await run(
        sv.SUBMIT, {"input": {"publicKey": keys[public["id"]], "answers": sv.VALID}}
    )
    assert answered["data"]["submitSurveyResponse"] == {"submitted": True, "errors": []}

    closed = await run(
        sv.CLOSE, {"input": {"id": public["id"], "version": public["version"]}}, principal=sv.ADMIN
    )
    assert closed["data"]["closeSurvey"]["errors"] == []
    one = await run("query($id: ID!) { survey(id: $id) { publicKey } }", {"id": public["id"]})
    assert one["data"]["survey"]["publicKey"] is None
