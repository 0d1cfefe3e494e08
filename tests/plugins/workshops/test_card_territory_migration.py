"""Migration ``workshops_0007``: the card workshops made before it get a territory — their
event's, else the installation's only one; none when it holds several (then the operators'
until one is given)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from bocage.core import migrate
from bocage.core.api import Territory, node_key

CARD_WORKSHOP = """mutation($input: CreateWorkshopsCardWorkshopInput!) {
  createWorkshopsCardWorkshop(input: $input) { workshop { id } errors { field code message } }
}"""


async def _territories(engine: Any) -> dict[int, int | None]:
    """The territory of every card workshop (the demo's, at its event, among them)."""
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT id, territory_id FROM workshops_game"))
        return {key: territory for key, territory in rows.all()}


async def test_existing_card_workshops_get_their_event_s_or_the_only_territory(
    world: Any, run: Any, ws: Any
) -> None:
    event = await ws.publish()
    keys = []
    for values in ({"event": event["id"]}, {}):
        body = await run(
            CARD_WORKSHOP, {"input": {"title": {"fr": "Défis"}, **values}}, principal=ws.ORGANISER
        )
        made = body["data"]["createWorkshopsCardWorkshop"]
        assert made["errors"] == []
        keys.append(node_key(made["workshop"]["id"], "WorkshopsCardWorkshop", "id"))
    at_event, without = keys
    engine, host = world.engine, world.host
    before = await _territories(engine)
    demo = {key: before[key] for key in before.keys() - set(keys)}
    assert demo and None not in demo.values()  # the demo's workshop, at its event
    async with engine.connect() as connection:
        only = (
            await connection.execute(text("SELECT id FROM territory WHERE deleted_at IS NULL"))
        ).scalar_one()
        of_event = (
            await connection.execute(
                text("SELECT territory_id FROM workshops_event WHERE id = :key"),
                {"key": node_key(event["id"], "WorkshopsEvent", "id")},
            )
        ).scalar_one()
    assert of_event is not None
    assert await _territories(engine) == demo | {at_event: of_event, without: only}

    # One GAL: the workshops of no event take it.
    await migrate.downgrade(engine, host, "workshops_0006")
    await migrate.upgrade(engine, host)
    assert await _territories(engine) == demo | {at_event: of_event, without: only}

    # Several GALs: which one a workshop of no event is, nobody knows.
    await migrate.downgrade(engine, host, "workshops_0006")
    async with world.sessionmaker() as session, session.begin():
        session.add(Territory(slug="gal-b", name={"fr": "GAL B"}))
    await migrate.upgrade(engine, host)
    assert await _territories(engine) == demo | {at_event: of_event, without: None}
    assert (await migrate.state(engine, host)).at_head
