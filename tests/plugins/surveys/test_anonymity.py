"""Anonymity by construction: from the database alone, an anonymous response cannot be linked
to a token, a person or an address."""

from __future__ import annotations

import base64
import datetime as dt
from collections import Counter
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
        sv.INVITE, {"input": {"survey": survey["id"], "count": 5}}, principal=sv.ADMIN
    )
    tokens = [i["token"] for i in invited["data"]["inviteToSurvey"]["invitations"]]
    for token in tokens:
        body = await run(sv.SUBMIT, {"input": {"token": token, "answers": sv.VALID}})
        assert body["data"]["submitSurveyResponse"]["submitted"]
    # Until the sweep comes round, all of them wait in the holding pool (how many is never
    # told: that count would move with each response).
    results = await run(RESULTS, {"id": survey["id"]}, principal=sv.ADMIN)
    assert results["data"]["surveyResults"] == {"respondents": 0, "pending": None}
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
    assert len(responses) == 5
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
    assert results["data"]["surveyResults"] == {"respondents": 5, "pending": None}
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
    # A sixth waits (fewer than k), and closing leaves it waiting (withheld, see below).
    await submit(5)
    results = await run(RESULTS, {"id": survey["id"]}, principal=sv.ADMIN)
    assert results["data"]["surveyResults"] == {"respondents": 5, "pending": None}
    await run(
        sv.CLOSE, {"input": {"id": survey["id"], "version": survey["version"]}}, principal=sv.ADMIN
    )
    results = await run(RESULTS, {"id": survey["id"]}, principal=sv.ADMIN)
    assert results["data"]["surveyResults"] == {"respondents": 5, "pending": None}
    final = await state()
    if world.engine.dialect.name == "postgresql":
        assert not final["surveys_response"] & final["surveys_invitation"]
    # The closed survey's sweep runs once more and stops.
    await sv.due_now("surveys.flush_pool")
    await sv.drain()
    assert (await state())["jobs"] == ["succeeded", "succeeded"]


# -- the survey manager as attacker ------------------------------------------------------------
#
# Each test below plays one way a survey manager (surveys:manage: create, invite, remind,
# close, reopen, edit, read results, responses and exports) could try to learn which invitee
# gave which answer of an anonymous survey, and checks that they learn nothing finer than a
# batch of k (BOCAGE_SURVEYS_ANONYMOUS_BATCH_SIZE, 5 here). The rules are in docs/surveys.md,
# "Anonymity guarantees".

K = 5
RESPONSES = """query($s: ID!) { surveyResponses(survey: $s, first: 100) {
  edges { node { id submittedOn questionsVersion answers { question number } } } } }"""
STATUS = """query($s: ID!) {
  surveyInvitations(survey: $s) { contact stakeholder submitted hasDraft remindedAt } }"""
REMIND = """mutation($input: RemindSurveyInviteesInput!) { remindSurveyInvitees(input: $input) {
  reminded skipped nextReminderAt errors { field code message } } }"""
INVITE_MAIL = """mutation($input: InviteToSurveyInput!) { inviteToSurvey(input: $input) {
  invitations { token contact emailed } errors { field code message } } }"""
UPDATE = """mutation($input: UpdateSurveyInput!) { updateSurvey(input: $input) {
  survey { version questionsVersion } errors { field code message } } }"""


def _gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


async def _people(world: Any, n: int, kind: str = "association") -> list[tuple[int, str]]:
    """``n`` demo contacts with an address, of organisations of ``kind``."""
    contact = sm.Base.metadata.tables["contact"]
    stakeholder = sm.Base.metadata.tables["stakeholder"]
    async with world.sessionmaker() as session:
        rows = await session.execute(
            select(contact.c.id, contact.c.email)
            .join(stakeholder, stakeholder.c.id == contact.c.stakeholder_id)
            .where(stakeholder.c.kind == kind, contact.c.email.is_not(None))
            .order_by(contact.c.id)
            .limit(n)
        )
        found = [(key, email) for key, email in rows.all()]
    assert len(found) == n, f"the demo has too few {kind} contacts with an address"
    return found


def _mailed_tokens(sink: Any, since: int = 0) -> dict[str, str]:
    """The newest personal link's token e-mailed to each address (from message ``since``)."""
    import re

    tokens = {}
    for message in sink.messages()[since:]:
        body = str(message.get_body(("plain",)).get_content())
        found = re.search(r"token=([\w-]+)", body)
        assert found, body
        tokens[str(message["To"])] = found.group(1)
    return tokens


async def _email_invitations(
    run: Any, sv: Any, survey: dict[str, Any], people: list[tuple[int, str]]
) -> list[dict[str, Any]]:
    invited = await run(
        INVITE_MAIL,
        {"input": {"survey": survey["id"], "contacts": [_gid("Contact", c) for c, _ in people]}},
        principal=sv.ADMIN,
    )
    assert invited["data"]["inviteToSurvey"]["errors"] == [], invited
    return list(invited["data"]["inviteToSurvey"]["invitations"])


def _answers(sv: Any, members: int) -> list[dict[str, Any]]:
    """A valid response told apart by its number of members."""
    answers = [dict(a) for a in sv.VALID]
    answers[2] = {"question": "members", "number": members}
    return answers


async def _answer(run: Any, sv: Any, members: int, **how: str) -> None:
    body = await run(sv.SUBMIT, {"input": {**how, "answers": _answers(sv, members)}})
    assert body["data"]["submitSurveyResponse"]["submitted"], body


async def _released(run: Any, sv: Any, survey: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What the manager sees of each response: its members, day and questions version."""
    body = await run(RESPONSES, {"s": survey["id"]}, principal=sv.ADMIN)
    found = {}
    for edge in body["data"]["surveyResponses"]["edges"]:
        node = edge["node"]
        members = {a["question"]: a["number"] for a in node["answers"]}.get("members")
        found[node["id"]] = {
            "members": members,
            "day": node["submittedOn"],
            "version": node["questionsVersion"],
        }
    return found


async def _transition(run: Any, sv: Any, document: str, survey_id: str, version: int) -> int:
    body = await run(document, {"input": {"id": survey_id, "version": version}}, principal=sv.ADMIN)
    payload = next(iter(body["data"].values()))
    assert payload["errors"] == [], payload
    return int(payload["survey"]["version"])


async def _sweep(sv: Any) -> None:
    """The holding pool's sweep comes round (as it does every few minutes)."""
    await sv.due_now("surveys.flush_pool")
    await sv.drain()


def test_what_makes_a_batch() -> None:
    """The one rule every move of the holding pool obeys (pool.releasable): per question
    version, all of it once k responses came through sealed invitations; else the others
    (handed-out tokens, the public link: maybe the manager's own) once k of them wait."""
    from bocage.plugins.surveys.pool import Waiting, releasable

    def pool(*groups: tuple[int, int, int]) -> list[Waiting]:
        """``(version, sealed, unsealed)`` counts -> pending responses."""
        made = []
        for version, sealed, unsealed in groups:
            made += [Waiting(f"s{version}-{i}", version, True) for i in range(sealed)]
            made += [Waiting(f"u{version}-{i}", version, False) for i in range(unsealed)]
        return made

    def moved(pending: list[Waiting], k: int = K) -> tuple[int, int]:
        out = releasable(pending, k)
        return sum(r.sealed for r in out), sum(not r.sealed for r in out)

    assert moved(pool((1, 4, 0))) == (0, 0)  # under k: nothing, ever (closing included)
    assert moved(pool((1, 5, 0))) == (5, 0)
    assert moved(pool((1, 1, 4))) == (0, 0)  # the n-1 attack: one invitee, four of one's own
    assert moved(pool((1, 1, 9))) == (0, 9)  # the others move alone; the invitee waits
    assert moved(pool((1, 5, 3))) == (5, 3)  # k sealed: the others may join them
    assert moved(pool((1, 4, 0), (2, 1, 0))) == (0, 0)  # five, but two versions
    assert moved(pool((1, 4, 0), (2, 5, 0))) == (5, 0)  # the new version's batch alone
    assert moved(pool((1, 2, 3)), k=0) == (2, 3)  # everything (tests, demo data)
    assert moved(pool((1, 1, 0)), k=1) == (1, 0)  # k = 1: no holding back


async def test_closing_after_each_submission_links_no_answer(
    run: Any, sv: Any, world: Any, bocage_smtp: Any
) -> None:
    """Attack: after each invitee answers, close the survey (which used to move the holding
    pool whatever its size), read the responses, reopen. Every new response was then one
    invitee's, and the manager knew whose from the order they answered in."""
    sink = bocage_smtp
    world.settings = world.settings.model_copy(update=sink.settings)
    survey = await sv.create(anonymous=True, public=False)
    people = await _people(world, K)
    await _email_invitations(run, sv, survey, people)
    await sv.drain()
    tokens = _mailed_tokens(sink)
    version, seen = survey["version"], await _released(run, sv, survey)
    linked: dict[str, float] = {}
    steps = []
    for index, (_contact, address) in enumerate(people):
        await _answer(run, sv, index, token=tokens[address])
        version = await _transition(run, sv, sv.CLOSE, survey["id"], version)
        now = await _released(run, sv, survey)
        # Closing rewrites the responses under new keys: compare what they say instead.
        new = list(
            (
                Counter(r["members"] for r in now.values())
                - Counter(r["members"] for r in seen.values())
            ).elements()
        )
        steps.append(len(new))
        if len(new) == 1:
            linked[address] = new[0]
        seen = now
        version = await _transition(run, sv, sv.OPEN, survey["id"], version)
    assert not linked, f"closing after each submission linked {len(linked)} of {K}: {linked}"
    # Nothing until k had answered, then all of them at once (none lost).
    assert steps == [0] * (K - 1) + [K], steps
    assert sorted(r["members"] for r in seen.values()) == [float(i) for i in range(K)]


async def test_a_remainder_under_k_is_withheld_at_close_and_joins_a_later_batch(
    run: Any, sv: Any
) -> None:
    """Attack: close a survey that fewer than k have answered (or close, then reopen to wait
    for the next one). Closing moved the remainder, so its few responses were shown."""
    survey = await sv.create(anonymous=True, public=True)
    for index in range(K - 2):
        await _answer(run, sv, index, publicKey=survey["publicKey"])
    version = await _transition(run, sv, sv.CLOSE, survey["id"], survey["version"])
    # Neither the manager (responses, results) nor the public (results) sees any of them.
    assert await _released(run, sv, survey) == {}
    results = """query($id: ID!, $public: Boolean!) { surveyResults(id: $id, public: $public) {
      respondents questions { key respondents } } }"""
    managed = await run(results, {"id": survey["id"], "public": False}, principal=sv.ADMIN)
    assert managed["data"]["surveyResults"]["respondents"] == 0
    assert {q["respondents"] for q in managed["data"]["surveyResults"]["questions"]} == {0}
    public = await run(results, {"id": survey["id"], "public": True})
    assert public["data"]["surveyResults"]["respondents"] is None
    # Reopening is no way round: the withheld responses join the next batch of k.
    version = await _transition(run, sv, sv.OPEN, survey["id"], version)
    await _answer(run, sv, K - 2, publicKey=survey["publicKey"])
    await _sweep(sv)
    assert await _released(run, sv, survey) == {}  # still k - 1
    await _answer(run, sv, K - 1, publicKey=survey["publicKey"])
    await _sweep(sv)
    released = await _released(run, sv, survey)
    assert sorted(r["members"] for r in released.values()) == [float(i) for i in range(K)]


async def test_managers_never_see_who_answered_an_anonymous_survey(
    run: Any, sv: Any, world: Any, bocage_smtp: Any
) -> None:
    """Attack: read each invitation's status (or filter them by `pending`), or ask the
    respondents' own API about a token the manager was given, before and after responses
    come in: whoever changed answered, and the next batch holds their answer."""
    sink = bocage_smtp
    world.settings = world.settings.model_copy(update=sink.settings)
    survey = await sv.create(anonymous=True, public=False)
    people = await _people(world, 3)
    invitations = await _email_invitations(run, sv, survey, people)
    await sv.drain()
    tokens = _mailed_tokens(sink)
    before = await run(STATUS, {"s": survey["id"]}, principal=sv.ADMIN)
    assert "errors" not in before, before
    saved = await run(sv.SAVE, {"input": {"token": tokens[people[1][1]], "answers": sv.VALID}})
    assert saved["data"]["saveSurveyDraft"]["errors"] == []
    await _answer(run, sv, 1, token=tokens[people[0][1]])
    after = await run(STATUS, {"s": survey["id"]}, principal=sv.ADMIN)
    assert after == before, "the invitations' status tells who answered"
    assert {(i["submitted"], i["hasDraft"]) for i in after["data"]["surveyInvitations"]} == {
        (None, None)
    }
    pending = await run(
        "query($s: ID!) { surveyInvitations(survey: $s, pending: true) { contact } }",
        {"s": survey["id"]},
        principal=sv.ADMIN,
    )
    assert pending["data"] is None
    [error] = pending["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "anonymous" in error["message"]
    # The link e-mailed to an invitee is theirs alone: the manager never sees its token, so
    # cannot ask `surveyInvitation(token)` whether it was used (nor answer in their place).
    assert [(i["token"], i["emailed"]) for i in invitations] == [(None, True)] * 3
    # An attributed survey tells (there is no anonymity to keep).
    attributed = await sv.create(anonymous=False, public=False)
    invited = await run(
        sv.INVITE, {"input": {"survey": attributed["id"], "count": 1}}, principal=sv.ADMIN
    )
    [token] = [i["token"] for i in invited["data"]["inviteToSurvey"]["invitations"]]
    await _answer(run, sv, 1, token=token)
    status = await run(STATUS, {"s": attributed["id"]}, principal=sv.ADMIN)
    assert [i["submitted"] for i in status["data"]["surveyInvitations"]] == [True]


COUNTS = """query($id: ID!) {
  survey(id: $id) { version status responseCount questionsVersion quotas { full filled } }
  surveyResults(id: $id) { respondents pending questions { key respondents } }
}"""
PUBLIC_COUNTS = """query($id: ID!) {
  survey(id: $id) { version responseCount quotas { full filled } } }"""
SEGMENTED = [
    {
        "key": "commune",
        "type": "SINGLE_CHOICE",
        "title": {"fr": "Votre commune"},
        "required": True,
        "segment": "COMMUNE",
        "options": [
            {"value": "64034", "label": {"fr": "Hannut"}},
            {"value": "92003", "label": {"fr": "Andenne"}},
        ],
    },
    {
        "key": "members",
        "type": "NUMBER",
        "title": {"fr": "Membres"},
    },
]


async def _segmented_survey(run: Any, sv: Any, **extra: Any) -> dict[str, Any]:
    created = await run(
        sv.CREATE,
        {"input": {"title": {"fr": "Compteurs"}, "public": True, "questions": SEGMENTED, **extra}},
        principal=sv.ADMIN,
    )
    survey = created["data"]["createSurvey"]["survey"]
    assert survey, created
    opened = await run(
        sv.OPEN, {"input": {"id": survey["id"], "version": survey["version"]}}, principal=sv.ADMIN
    )
    return {**survey, **opened["data"]["openSurvey"]["survey"]}


async def test_no_count_moves_with_one_response(run: Any, sv: Any) -> None:
    """Attack: watch every count and flag (response counts, pending, quotas' `full` and
    `filled`, results, the survey's version) while invitees answer one by one, e.g. right
    after reminding one of them: a count that moves with one response dates it, a quota
    that flips tells its segment. They move only when a batch of k moves."""
    survey = await _segmented_survey(
        run, sv, quotas=[{"segment": "COMMUNE", "value": "64034", "limit": 1}]
    )

    async def views() -> dict[str, Any]:
        managed = await run(COUNTS, {"id": survey["id"]}, principal=sv.ADMIN)
        public = await run(PUBLIC_COUNTS, {"id": survey["id"]})
        assert "errors" not in managed and "errors" not in public, (managed, public)
        return {"manager": managed["data"], "public": public["data"]}

    before = await views()
    answer = [{"question": "commune", "choices": ["64034"]}]
    for index in range(K):
        body = await run(
            sv.SUBMIT,
            {
                "input": {
                    "publicKey": survey["publicKey"],
                    "answers": [*answer, {"question": "members", "number": index}],
                }
            },
        )
        assert body["data"]["submitSurveyResponse"]["submitted"], body
        assert await views() == before, f"a count moved with response {index + 1}"
    await _sweep(sv)  # a batch of k moves: now the counts move, by k
    after = await views()
    assert after["manager"]["survey"]["responseCount"] == K
    assert after["manager"]["survey"]["quotas"] == [{"full": True, "filled": K}]
    assert after["public"]["survey"]["quotas"] == [{"full": True, "filled": None}]
    assert after["manager"]["surveyResults"]["respondents"] == K
    refused = await run(sv.SUBMIT, {"input": {"publicKey": survey["publicKey"], "answers": answer}})
    assert "est atteint" in refused["data"]["submitSurveyResponse"]["errors"][0]["message"]


async def test_what_an_edit_does_does_not_tell_whether_anyone_answered(run: Any, sv: Any) -> None:
    """Attack: edit the questions (in place while nobody has answered, else a new version)
    or the anonymity of an open survey, right after reminding one invitee: the outcome
    used to tell whether a response had come in since."""
    answered = await _segmented_survey(run, sv)
    untouched = await _segmented_survey(run, sv)
    await _answer_segmented(run, sv, answered)
    outcomes = []
    for survey in (answered, untouched):
        edit = await run(
            UPDATE,
            {"input": {"id": survey["id"], "version": survey["version"], "questions": SEGMENTED}},
            principal=sv.ADMIN,
        )
        payload = edit["data"]["updateSurvey"]
        flip = await run(
            UPDATE,
            {
                "input": {
                    "id": survey["id"],
                    "version": payload["survey"]["version"],
                    "anonymous": False,
                }
            },
            principal=sv.ADMIN,
        )
        outcomes.append((payload, flip["data"]["updateSurvey"]))
    assert outcomes[0] == outcomes[1], outcomes
    [(edit, flip), _] = outcomes
    assert edit["survey"]["questionsVersion"] == 2  # a new version once open, whoever answered
    assert flip["errors"][0]["field"] == "anonymous" and "opened" in flip["errors"][0]["message"]


async def _answer_segmented(run: Any, sv: Any, survey: dict[str, Any], members: int = 1) -> None:
    body = await run(
        sv.SUBMIT,
        {
            "input": {
                "publicKey": survey["publicKey"],
                "answers": [
                    {"question": "commune", "choices": ["64034"]},
                    {"question": "members", "number": members},
                ],
            }
        },
    )
    assert body["data"]["submitSurveyResponse"]["submitted"], body


async def test_reminders_do_not_tell_who_answered(
    run: Any, sv: Any, world: Any, bocage_smtp: Any
) -> None:
    """Attack: remind one invitee by name (refused if they had answered), compare what each
    reminder run says and records (how many were reminded, refusals for reminding too soon,
    `remindedAt`, the audit trail). Reminders still reach only those who have not answered:
    the system knows, the manager does not."""
    from bocage.core.models import AuditEntry

    sink = bocage_smtp
    world.settings = world.settings.model_copy(update=sink.settings)
    survey = await sv.create(anonymous=True, public=False)
    people = await _people(world, 3)
    (ann, ann_mail), (bob, bob_mail), (cid, cid_mail) = people
    await _email_invitations(run, sv, survey, people)
    await sv.drain()
    tokens = _mailed_tokens(sink)
    await _answer(run, sv, 1, token=tokens[ann_mail])
    sent_before = len(sink.envelopes)

    async def remind(*contacts: int) -> dict[str, Any]:
        named = {"contacts": [_gid("Contact", c) for c in contacts]} if contacts else {}
        body = await run(REMIND, {"input": {"survey": survey["id"], **named}}, principal=sv.ADMIN)
        payload = dict(body["data"]["remindSurveyInvitees"])
        for error in payload["errors"]:  # the same words for each, but their own ID and time
            error["message"] = (
                error["message"].replace(_gid("Contact", contacts[0]), "<contact>")[:60]
                if contacts
                else error["message"][:60]
            )
        return payload

    to_ann, to_bob = await remind(ann), await remind(bob)
    assert to_ann == to_bob, (to_ann, to_bob)
    assert to_bob == {"reminded": 1, "skipped": 0, "nextReminderAt": None, "errors": []}
    again_ann, again_bob = await remind(ann), await remind(bob)
    assert again_ann == again_bob and again_bob["errors"][0]["code"] == "CONFLICT"
    everyone = await remind()
    assert (everyone["reminded"], everyone["skipped"]) == (1, 2)  # Cid; Ann and Bob too soon
    listed = await run(STATUS, {"s": survey["id"]}, principal=sv.ADMIN)
    assert [len(i["remindedAt"]) for i in listed["data"]["surveyInvitations"]] == [1, 1, 1]
    async with world.sessionmaker() as session:
        recorded = (
            await session.execute(
                select(AuditEntry.changes)
                .where(AuditEntry.action == "reminded")
                .order_by(AuditEntry.id)
            )
        ).scalars()
        assert list(recorded)[:2] == [{"reminders": {"after": 1}}] * 2
    # The e-mails went to Bob and Cid only: Ann had answered.
    await sv.drain()
    assert sorted(str(m["To"]) for m in sink.messages()[sent_before:]) == sorted(
        [bob_mail, cid_mail]
    )


async def test_exports_never_single_out_a_response(
    run: Any, sv: Any, world: Any, monkeypatch: Any
) -> None:
    """Attack: download responses.csv/.xlsx and results.csv after every move, and look for
    what sets one response apart: the day it was submitted (remind one invitee on a quiet
    day) or the version of the questions it answered (edit them, then remind one invitee).
    Every download differs from the last by a whole batch, and within it no day or version
    is shared by fewer than k responses."""
    import csv
    import io

    import httpx
    from openpyxl import load_workbook

    from bocage.core.app import create_app
    from bocage.plugins.surveys import store

    survey = await sv.create(anonymous=True, public=True)
    key = base64.b64decode(survey["id"]).decode().split(":")[1]
    day = [dt.date(2027, 3, 1)]
    monkeypatch.setattr(store, "today", lambda: day[0])
    app = create_app(world.settings)

    class Manager:
        async def authenticate(self, request: Any) -> Any:
            return sv.ADMIN

        async def aclose(self) -> None:
            return None

    async with app.router.lifespan_context(app):
        app.state.authenticator = Manager()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:

            async def download() -> dict[str, Any]:
                responses = await client.get(f"/api/surveys/{key}/responses.csv")
                book = await client.get(f"/api/surveys/{key}/responses.xlsx")
                results = await client.get(f"/api/surveys/{key}/results.csv")
                assert {r.status_code for r in (responses, book, results)} == {200}
                lines = list(csv.DictReader(io.StringIO(responses.text)))
                sheet = load_workbook(io.BytesIO(book.content))["responses"]
                assert sheet.max_row == len(lines) + 1
                return {"lines": lines, "results": results.text}

            seen = await download()
            differences = []

            async def step(members: int, then_sweep: bool = False) -> None:
                nonlocal seen
                await _answer(run, sv, members, publicKey=survey["publicKey"])
                if then_sweep:
                    await _sweep(sv)
                now = await download()
                added = len(now["lines"]) - len(seen["lines"])
                differences.append(added)
                assert added in (0,) or added >= K, f"an export grew by {added} response(s)"
                if added == 0:
                    assert now["results"] == seen["results"]
                seen = now
                groups: dict[tuple[str, str], int] = {}
                for line in now["lines"]:
                    mark = (line["submitted_on"], line["questions_version"])
                    groups[mark] = groups.get(mark, 0) + 1
                assert all(n >= K for n in groups.values()), f"singled out: {groups}"

            for index in range(K - 1):  # four answer on the first day
                await step(index)
            # The manager edits the questions, then reminds one invitee, who answers the
            # next day; the sweep comes round.
            edit = await run(
                UPDATE,
                {
                    "input": {
                        "id": survey["id"],
                        "version": survey["version"],
                        "questions": sv.QUESTIONS,
                    }
                },
                principal=sv.ADMIN,
            )
            assert edit["data"]["updateSurvey"]["errors"] == []
            day[0] = dt.date(2027, 3, 2)
            await step(99, then_sweep=True)
            # Four more answer the new version on a third day: a batch of k of it moves.
            day[0] = dt.date(2027, 3, 3)
            for index in range(4):
                await step(100 + index, then_sweep=True)
    assert differences == [0] * 8 + [K], differences
    assert {(line["submitted_on"], line["questions_version"]) for line in seen["lines"]} == {
        ("2027-03-03", "2")
    }


async def test_n_minus_one_with_self_made_invitations_isolates_nobody(
    run: Any, sv: Any, world: Any, bocage_smtp: Any
) -> None:
    """Attack (n-1): invite one victim by e-mail, make k-1 invitations of one's own (tokens
    handed to the manager) or use the public link, answer k-1 times, and wait for the batch
    the victim completes: every response in it but one is the manager's. Responses through
    tokens the manager has seen (and the public link) complete no batch of e-mailed
    invitees': the victim's answer waits for k invitees whose link only they received."""
    sink = bocage_smtp
    world.settings = world.settings.model_copy(update=sink.settings)
    survey = await sv.create(anonymous=True, public=True)
    victims = await _people(world, K)
    (_victim, victim_mail), others = victims[0], victims[1:]
    await _email_invitations(run, sv, survey, [victims[0]])
    await sv.drain()
    victim_token = _mailed_tokens(sink)[victim_mail]
    own = await run(
        sv.INVITE, {"input": {"survey": survey["id"], "count": K - 1}}, principal=sv.ADMIN
    )
    own_tokens = [i["token"] for i in own["data"]["inviteToSurvey"]["invitations"]]
    for index, token in enumerate(own_tokens):
        await _answer(run, sv, 1000 + index, token=token)
    await _answer(run, sv, 7, token=victim_token)  # the victim's answer: 7 members
    await _sweep(sv)

    async def learnt() -> list[float]:
        """What the manager knows to be someone else's: every released answer not theirs."""
        seen = await _released(run, sv, survey)
        return [r["members"] for r in seen.values() if r["members"] < 1000]

    assert await learnt() == [], "the victim's answer was isolated among the manager's own"
    # One more of the manager's own, through the public link: a batch of theirs alone moves.
    await _answer(run, sv, 1000 + K, publicKey=survey["publicKey"])
    await _sweep(sv)
    assert len(await _released(run, sv, survey)) == K and await learnt() == []
    # Real invitees set it free: k invitees whose link only they hold complete a batch.
    sent = len(sink.envelopes)
    await _email_invitations(run, sv, survey, others)
    await sv.drain()
    fresh = _mailed_tokens(sink, since=sent)
    for index, (_contact, address) in enumerate(others[:-1]):
        await _answer(run, sv, 10 + index, token=fresh[address])
        await _sweep(sv)
        assert await learnt() == []
    await _answer(run, sv, 20, token=fresh[others[-1][1]])
    await _sweep(sv)
    assert sorted(await learnt()) == [7.0, 10.0, 11.0, 12.0, 20.0]


async def test_a_reminder_seals_a_handed_out_invitation(
    run: Any, sv: Any, world: Any, bocage_smtp: Any
) -> None:
    """A contact's token handed to the manager (`sendEmail: false`) may be answered by the
    manager, so its responses complete no batch of sealed ones; a reminder e-mails a fresh
    link only the invitee holds (the old one stops working), and the invitation is sealed."""
    sink = bocage_smtp
    world.settings = world.settings.model_copy(update=sink.settings)
    survey = await sv.create(anonymous=True, public=False)
    people = await _people(world, K)
    handed = await run(
        INVITE_MAIL,
        {
            "input": {
                "survey": survey["id"],
                "contacts": [_gid("Contact", people[0][0])],
                "sendEmail": False,
            }
        },
        principal=sv.ADMIN,
    )
    [invitation] = handed["data"]["inviteToSurvey"]["invitations"]
    assert invitation["token"] and not invitation["emailed"]  # the manager holds it
    await _email_invitations(run, sv, survey, people[1:])
    await sv.drain()
    reminded = await run(
        REMIND,
        {"input": {"survey": survey["id"], "contacts": [_gid("Contact", people[0][0])]}},
        principal=sv.ADMIN,
    )
    assert reminded["data"]["remindSurveyInvitees"]["reminded"] == 1
    await sv.drain()
    tokens = _mailed_tokens(sink)
    old = await run(sv.SUBMIT, {"input": {"token": invitation["token"], "answers": sv.VALID}})
    assert old["data"]["submitSurveyResponse"]["errors"][0]["code"] == "NOT_FOUND"
    for index, (_contact, address) in enumerate(people):
        await _answer(run, sv, index, token=tokens[address])
    await _sweep(sv)  # five sealed responses: a batch (four and one handed out would not be)
    released = await _released(run, sv, survey)
    assert sorted(r["members"] for r in released.values()) == [float(i) for i in range(K)]
