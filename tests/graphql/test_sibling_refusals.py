"""A field refused among its siblings costs those siblings nothing: graphql-core may cancel a
sibling while its statement is running, and the request's session must survive it (no
PendingRollbackError, never a 500)."""

from __future__ import annotations

from typing import Any

from bocage.core.testing import Principals

who = Principals()


async def test_refused_aliases_leave_the_others_their_answers(run: Any, bocage_gql: Any) -> None:
    events = await run(
        "{ workshopsEvents(first: 3) { edges { node { id } } } }", principal=who.admin
    )
    ids = [edge["node"]["id"] for edge in events["data"]["workshopsEvents"]["edges"]]
    assert ids, events
    fields = []
    for index, key in enumerate(ids * 4):
        fields.append(
            f'ok{index}: workshopsEvent(id: "{key}") {{ id title registrations {{ id }} }}'
        )
        fields.append(f'no{index}: workshopsEvent(id: "Q29tbXVuZTox") {{ id }}')
    document = "{ " + " ".join(fields) + " }"
    for principal in (who.anonymous, who.editor("61003")):
        body = await bocage_gql.body(document, principal=principal)
        codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors", [])}
        assert codes <= {"NOT_FOUND", "FORBIDDEN"}, body["errors"][:3]
