"""Reminders before an event (issue 15): publishing schedules a job through the job queue,
``BOCAGE_WORKSHOPS_REMINDER_HOURS`` before the start; it e-mails each registrant holding a seat
once (caught by the test SMTP sink), never a cancelled registration nor the waiting list."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pydantic
import pytest

from bocage.plugins.workshops.settings import WorkshopsSettings

BRUSSELS = ZoneInfo("Europe/Brussels")
JOBS = """query($kind: String) { jobs(kind: $kind, first: 20) {
  nodes { kind status runAt payload } } }"""


@pytest.fixture
def bocage_setting_overrides(bocage_smtp: Any) -> dict[str, Any]:
    return {**bocage_smtp.settings}


def _local(delta: dt.timedelta) -> str:
    """A wall-clock time in Brussels ``delta`` from now, to the minute."""
    moment = (dt.datetime.now(BRUSSELS) + delta).replace(second=0, microsecond=0)
    return moment.replace(tzinfo=None).isoformat()


async def _register(run: Any, ws: Any, event: str, name: str, email: str | None) -> Any:
    values = {"event": event, "name": name, **({"email": email} if email else {})}
    body = await run(ws.REGISTER, {"input": values})
    payload = body["data"]["registerForWorkshopsEvent"]
    assert payload["errors"] == [], payload
    return payload


def _reminders(sink: Any) -> list[Any]:
    return [m for m in sink.messages() if str(m["Subject"]).startswith("Rappel")]


async def test_registrants_with_a_seat_are_reminded_once(
    run: Any, ws: Any, bocage_drain_jobs: Any, bocage_smtp: Any, bocage_world: Any
) -> None:
    soon = await ws.publish(
        startsAt=_local(dt.timedelta(hours=3)),
        endsAt=_local(dt.timedelta(hours=5)),
        capacity=2,
        title={"fr": "Midi du Smart : la fibre"},
    )
    ann = await _register(run, ws, soon["id"], "Ann", "ann@example.org")
    bob = await _register(run, ws, soon["id"], "Bob", "bob@example.org")
    await _register(run, ws, soon["id"], "Cleo", "cleo@example.org")  # waiting list
    cancelled = await run(ws.CANCEL, {"input": {"token": bob["cancelToken"]}})
    assert cancelled["data"]["cancelWorkshopsRegistration"]["errors"] == []
    # Cleo moved up to Bob's seat; Dan registers and waits.
    await _register(run, ws, soon["id"], "Dan", "dan@example.org")

    await bocage_drain_jobs()
    reminders = _reminders(bocage_smtp)
    assert sorted(str(m["To"]) for m in reminders) == ["ann@example.org", "cleo@example.org"]
    [to_ann] = [m for m in reminders if str(m["To"]) == "ann@example.org"]
    assert str(to_ann["Subject"]) == "Rappel : Midi du Smart : la fibre"
    text = to_ann.get_body(("plain",)).get_content()
    assert "Bonjour Ann," in text and ann["checkInCode"] in text

    # The event moves an hour later: another job, but nobody is reminded twice.
    current = await run(
        "query($id: ID!) { workshopsEvent(id: $id) { version } }",
        {"id": soon["id"]},
        principal=ws.ORGANISER,
    )
    moved = await run(
        ws.UPDATE,
        {
            "input": {
                "id": soon["id"],
                "version": current["data"]["workshopsEvent"]["version"],
                "startsAt": _local(dt.timedelta(hours=4)),
                "endsAt": _local(dt.timedelta(hours=6)),
            }
        },
        principal=ws.ORGANISER,
    )
    assert moved["data"]["updateWorkshopsEvent"]["errors"] == []
    await bocage_drain_jobs()
    assert len(_reminders(bocage_smtp)) == 2


async def test_the_reminder_waits_until_its_time(
    run: Any, ws: Any, bocage_drain_jobs: Any, bocage_smtp: Any
) -> None:
    # One reading of the clock: a minute that ends between two readings moved the start.
    starts_at, ends_at = _local(dt.timedelta(days=3)), _local(dt.timedelta(days=3, hours=2))
    later = await ws.publish(startsAt=starts_at, endsAt=ends_at)
    await _register(run, ws, later["id"], "Eva", "eva@example.org")
    await bocage_drain_jobs()
    assert _reminders(bocage_smtp) == []  # the confirmation only
    jobs = await run(JOBS, {"kind": "workshops.remind"}, principal=ws.ORGANISER)
    [job] = [j for j in jobs["data"]["jobs"]["nodes"] if j["status"] == "QUEUED"]
    due = dt.datetime.fromisoformat(job["runAt"])
    if due.tzinfo is None:
        due = due.replace(tzinfo=dt.UTC)
    starts = dt.datetime.fromisoformat(starts_at).replace(tzinfo=BRUSSELS)
    assert due == starts - dt.timedelta(hours=24)


async def test_a_cancelled_event_reminds_nobody(
    run: Any, ws: Any, bocage_drain_jobs: Any, bocage_smtp: Any
) -> None:
    soon = await ws.publish(
        startsAt=_local(dt.timedelta(hours=2)), endsAt=_local(dt.timedelta(hours=3))
    )
    await _register(run, ws, soon["id"], "Finn", "finn@example.org")
    current = await run(
        "query($id: ID!) { workshopsEvent(id: $id) { version } }",
        {"id": soon["id"]},
        principal=ws.ORGANISER,
    )
    version = current["data"]["workshopsEvent"]["version"]
    cancelled = await run(
        ws.CANCEL_EVENT, {"input": {"id": soon["id"], "version": version}}, principal=ws.ORGANISER
    )
    assert cancelled["data"]["cancelWorkshopsEvent"]["errors"] == []
    await bocage_drain_jobs()
    assert _reminders(bocage_smtp) == []


@pytest.mark.parametrize(("hours", "valid"), [(0, True), (720, True), (721, False), (-1, False)])
def test_the_reminder_setting_is_bounded(hours: int, valid: bool) -> None:
    if valid:
        assert WorkshopsSettings(reminder_hours=hours).reminder_hours == hours
    else:
        with pytest.raises(pydantic.ValidationError, match="reminder_hours"):
            WorkshopsSettings(reminder_hours=hours)
