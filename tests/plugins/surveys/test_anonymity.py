"""Anonymity by construction: from the database alone, an anonymous response cannot be linked
to a token, a person or an address."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from sqlalchemy import Date, func, inspect, select

from bocage.core.db import PERSONAL, Base
from bocage.plugins.surveys import models as sm

RESULTS = "query($id: ID!) { surveyResults(id: $id) { respondents pending } }"

#: What a response or its answers must never carry.
IDENTIFYING = ("token", "invitation", "contact", "person", "stakeholder", "ip", "address", "user")


async def _schema(world: Any) -> dict[str, Any]:
    def read(connection: Any) -> dict[str, Any]:
        inspector = inspect(connection)
        return {
            table: {
                "columns": {c["name"]: c["type"] for c in inspector.get_columns(table)},
                "fks": inspector.get_foreign_keys(table),
            }
            for table in inspector.get_table_names()
        }

    async with world.engine.connect() as connection:
        return await connection.run_sync(read)


def _links(schema: dict[str, Any]) -> dict[str, set[str]]:
    """Which tables each table points to, and is pointed to by (an undirected join graph)."""
    graph: dict[str, set[str]] = {name: set() for name in schema}
    for name, table in schema.items():
        for fk in table["fks"]:
            graph[name].add(fk["referred_table"])
            graph[fk["referred_table"]].add(name)
    return graph


async def test_an_anonymous_response_has_no_join_path_to_who_answered(world: Any) -> None:
    schema = await _schema(world)
    for table in ("surveys_response", "surveys_answer", "surveys_pending_response"):
        columns = schema[table]["columns"]
        assert not [c for c in columns if any(word in c for word in IDENTIFYING)], columns
        referred = {fk["referred_table"] for fk in schema[table]["fks"]}
        assert referred <= {
            "surveys_survey",
            "surveys_question_set",
            "surveys_question",
            "surveys_response",
        }, referred
    # Day only: no timestamp on a response (stored or pending) or its answers.
    for table in ("surveys_response", "surveys_pending_response"):
        response_columns = schema[table]["columns"]
        assert isinstance(response_columns["submitted_on"], Date)
        assert not [c for c in response_columns if c.endswith("_at")]
    # The only path from a response to an invitation (thus a contact or stakeholder) is the
    # attribution table, which anonymous surveys never write to (see the next test).
    graph = _links(schema)
    reachable, frontier = set(), ["surveys_response", "surveys_pending_response"]
    while frontier:
        table = frontier.pop()
        for neighbour in graph[table] - reachable:
            if neighbour == "surveys_attribution":
                continue  # the attributed surveys' bridge, tested empty below
            reachable.add(neighbour)
            if neighbour not in ("surveys_survey",):  # every response shares its survey
                frontier.append(neighbour)
    assert not reachable & {"surveys_invitation", "contact", "stakeholder"}, reachable
    # Invitations record no time of submission (it could be matched with storage order).
    assert not [c for c in schema["surveys_invitation"]["columns"] if c.endswith("updated_at")]


async def test_anonymous_responses_by_invitation_leave_no_trace(
    run: Any, sv: Any, world: Any
) -> None:
    survey = await sv.create(anonymous=True)
    invited = await run(
        sv.INVITE, {"input": {"survey": survey["id"], "count": 3}}, principal=sv.ADMIN
    )
    tokens = [i["token"] for i in invited["data"]["inviteToSurvey"]["invitations"]]
    for token in tokens:
        body = await run(sv.SUBMIT, {"input": {"token": token, "answers": sv.VALID}})
        assert body["data"]["submitSurveyResponse"]["submitted"]
    # Fewer than k: all three wait in the holding pool, counted as pending.
    results = await run(RESULTS, {"id": survey["id"]}, principal=sv.ADMIN)
    assert results["data"]["surveyResults"] == {"respondents": 0, "pending": 3}
    await run(
        sv.CLOSE, {"input": {"id": survey["id"], "version": survey["version"]}}, principal=sv.ADMIN
    )
    async with world.sessionmaker() as session:
        survey_key = (await session.execute(select(func.max(sm.Survey.id)))).scalar()
        assert (
            await session.execute(
                select(func.count())
                .select_from(sm.Attribution)
                .join(sm.Response, sm.Response.id == sm.Attribution.response_id)
                .where(sm.Response.survey_id == survey_key)
            )
        ).scalar() == 0
        responses = (
            (await session.execute(select(sm.Response).where(sm.Response.survey_id == survey_key)))
            .scalars()
            .all()
        )
        invitations = (
            (
                await session.execute(
                    select(sm.Invitation).where(sm.Invitation.survey_id == survey_key)
                )
            )
            .scalars()
            .all()
        )
    assert len(responses) == 3
    # Random keys: nothing orders responses like the invitations.
    assert all(len(r.id) >= 20 and not r.id.isdigit() for r in responses)
    assert all(i.submitted and i.draft_answers is None for i in invitations)
    assert not {t for t in tokens} & {i.token_hash for i in invitations}  # only hashes kept


def test_attributed_answers_and_invitations_are_declared_personal() -> None:
    personal = {
        (table.name, column.name)
        for table in Base.metadata.tables.values()
        if table.name.startswith("surveys_")
        for column in table.columns
        if column.info.get(PERSONAL)
    }
    assert personal == {
        ("surveys_attribution", "invitation_id"),
        ("surveys_invitation", "contact_id"),
        ("surveys_invitation", "draft_answers"),
        ("surveys_answer", "free_text"),
        ("surveys_pending_response", "answer_rows"),
    }


async def test_closing_erases_the_order_of_submission(run: Any, sv: Any, world: Any) -> None:
    """While a survey is open, storage order follows the batches the pool moved. Closing
    rewrites the anonymous responses under new keys in a random order, in one transaction."""
    from sqlalchemy import text

    survey = await sv.create(anonymous=True)
    invited = await run(
        sv.INVITE, {"input": {"survey": survey["id"], "count": 12}}, principal=sv.ADMIN
    )
    tokens = [i["token"] for i in invited["data"]["inviteToSurvey"]["invitations"]]
    for index, token in enumerate(tokens):
        answers = [dict(a) for a in sv.VALID]
        answers[2] = {"question": "members", "number": index}  # tells responses apart
        body = await run(sv.SUBMIT, {"input": {"token": token, "answers": answers}})
        assert body["data"]["submitSurveyResponse"]["submitted"], body
    await sv.settle()  # into the responses table, as the pool's job does
    postgres = world.engine.dialect.name == "postgresql"
    physical = "ctid" if postgres else "rowid"
    key = int(base64.b64decode(survey["id"]).decode().split(":")[1])

    async def storage() -> dict[str, Any]:
        async with world.sessionmaker() as session:
            members = dict(
                (
                    await session.execute(
                        select(sm.Answer.response_id, sm.Answer.number)
                        .join(sm.Question, sm.Question.id == sm.Answer.question_id)
                        .where(sm.Question.key == "members")
                    )
                ).all()
            )
            in_storage_order = (
                await session.execute(
                    text(
                        f"SELECT id FROM surveys_response WHERE survey_id = :s ORDER BY {physical}"
                    ),
                    {"s": key},
                )
            ).scalars()
            by_answer_key = (
                await session.execute(
                    select(sm.Answer.response_id)
                    .where(sm.Answer.response_id.in_(list(members)))
                    .order_by(sm.Answer.id)
                )
            ).scalars()
            found = {
                "ids": set(members),
                "storage": [members[i] for i in in_storage_order],
                "answers": [members[i] for i in dict.fromkeys(by_answer_key)],
            }
            if postgres:
                found["xmin"] = set(
                    (
                        await session.execute(
                            text("SELECT xmin::text FROM surveys_response WHERE survey_id = :s"),
                            {"s": key},
                        )
                    ).scalars()
                )
                found["invitation_xmin"] = set(
                    (
                        await session.execute(
                            text("SELECT xmin::text FROM surveys_invitation WHERE survey_id = :s"),
                            {"s": key},
                        )
                    ).scalars()
                )
            return found

    before = await storage()
    closed = await run(
        sv.CLOSE, {"input": {"id": survey["id"], "version": survey["version"]}}, principal=sv.ADMIN
    )
    assert closed["data"]["closeSurvey"]["errors"] == []
    after = await storage()
    submitted = [float(i) for i in range(12)]
    assert sorted(after["storage"]) == submitted  # every response is still there
    assert not before["ids"] & after["ids"]  # under new keys
    # A random order (a false alarm once in 12! runs).
    assert after["storage"] != submitted and after["answers"] != submitted
    if postgres:
        assert len(after["xmin"]) == 1 and not after["xmin"] & after["invitation_xmin"]
    # And the results are the same.
    results = await run(
        "query($id: ID!) { surveyResults(id: $id) { respondents } }",
        {"id": survey["id"]},
        principal=sv.ADMIN,
    )
    assert results["data"]["surveyResults"]["respondents"] == 12


async def test_the_holding_pool_moves_responses_in_shuffled_batches_of_k(
    run: Any, sv: Any, world: Any
) -> None:
    """The transaction that submits an anonymous response (and marks its invitation used)
    never writes to the responses table: a job moves the pool once it holds k (5 by default)
    in a transaction of its own, so on PostgreSQL no response shares its ``xmin`` with an
    invitation, and every response of a batch shares it with the k-1 others."""
    from sqlalchemy import text

    survey = await sv.create(anonymous=True)
    key = int(base64.b64decode(survey["id"]).decode().split(":")[1])
    invited = await run(
        sv.INVITE, {"input": {"survey": survey["id"], "count": 6}}, principal=sv.ADMIN
    )
    tokens = [i["token"] for i in invited["data"]["inviteToSurvey"]["invitations"]]

    async def submit(index: int) -> None:
        answers = [dict(a) for a in sv.VALID]
        answers[2] = {"question": "members", "number": index}
        body = await run(sv.SUBMIT, {"input": {"token": tokens[index], "answers": answers}})
        assert body["data"]["submitSurveyResponse"]["submitted"], body

    async def state() -> dict[str, Any]:
        async with world.sessionmaker() as session:
            stored = (
                await session.execute(
                    select(func.count())
                    .select_from(sm.Response)
                    .where(sm.Response.survey_id == key)
                )
            ).scalar()
            jobs = [j.status for j in await sv.jobs("surveys.flush_pool")]
            found: dict[str, Any] = {"stored": stored, "jobs": jobs}
            if world.engine.dialect.name == "postgresql":
                for table in ("surveys_response", "surveys_invitation"):
                    found[table] = set(
                        (
                            await session.execute(
                                text(f"SELECT xmin::text FROM {table} WHERE survey_id = :s"),
                                {"s": key},
                            )
                        ).scalars()
                    )
            return found

    async def job_rows() -> dict[str, int]:
        """Every row of the job tables (procrastinate's jobs and events on PostgreSQL)."""
        tables = ["job"]
        if world.engine.dialect.name == "postgresql":
            tables += ["procrastinate_jobs", "procrastinate_events"]
        async with world.engine.connect() as connection:
            return {
                t: (await connection.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one()
                for t in tables
            }

    # The sweep was scheduled when the survey opened, BOCAGE_SURVEYS_POOL_SWEEP_MINUTES ahead.
    sweeps = await sv.jobs("surveys.flush_pool")
    assert [(j.status, j.payload) for j in sweeps] == [("queued", {"survey": key})]
    assert sweeps[0].run_at > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=9)
    before = await job_rows()
    for index in range(5):  # the fifth fills the pool to k
        await submit(index)
    # No submission touches the job tables: no job or event row shares its transaction.
    assert await job_rows() == before
    fifth = await state()
    assert fifth["stored"] == 0 and fifth["jobs"] == ["queued"]
    await sv.drain()  # the sweep is not due yet: nothing moves
    assert (await state())["stored"] == 0
    await sv.due_now("surveys.flush_pool")
    await sv.drain()
    after = await state()
    # Moved, and the next sweep scheduled while the survey is open.
    assert after["stored"] == 5 and after["jobs"] == ["succeeded", "queued"]
    results = await run(RESULTS, {"id": survey["id"]}, principal=sv.ADMIN)
    assert results["data"]["surveyResults"] == {"respondents": 5, "pending": 0}
    async with world.sessionmaker() as session:
        assert (
            await session.execute(
                select(func.count())
                .select_from(sm.PendingResponse)
                .where(sm.PendingResponse.survey_id == key)
            )
        ).scalar() == 0
    if world.engine.dialect.name == "postgresql":
        assert len(after["surveys_response"]) == 1  # one batch, one transaction
        assert not after["surveys_response"] & after["surveys_invitation"]
    # A sixth waits (fewer than k): pending until the survey closes, which moves it.
    await submit(5)
    results = await run(RESULTS, {"id": survey["id"]}, principal=sv.ADMIN)
    assert results["data"]["surveyResults"] == {"respondents": 5, "pending": 1}
    await run(
        sv.CLOSE, {"input": {"id": survey["id"], "version": survey["version"]}}, principal=sv.ADMIN
    )
    results = await run(RESULTS, {"id": survey["id"]}, principal=sv.ADMIN)
    assert results["data"]["surveyResults"] == {"respondents": 6, "pending": 0}
    final = await state()
    if world.engine.dialect.name == "postgresql":
        assert not final["surveys_response"] & final["surveys_invitation"]
    # The closed survey's sweep runs once more and stops.
    await sv.due_now("surveys.flush_pool")
    await sv.drain()
    assert (await state())["jobs"] == ["succeeded", "succeeded"]
