"""The front-end example (examples/commune-page/: plain HTML and JavaScript, no build step)
works against a live server, as a commune's web developer would run it: served from another
origin (CORS), in headless Chromium. It shows the commune's projects with search and pages both
ways in French and Dutch, the upcoming events with seats left and calendar links, and an open
survey as a form that reports refusals in the respondent's language and then records the answer.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them; skipped, with
the reason, without them)."""

from __future__ import annotations

import functools
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn

from bocage.core.app import create_app
from bocage.core.testing import Principals, settings_for

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "examples" / "commune-page"
ADMIN = Principals().admin
HANNUT = "64034"


def _thread(name: str, target: Any) -> threading.Thread:
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def api(world: Any) -> Iterator[str]:
    """The ``/graphql`` URL of a server on this test's copy of the demo GAL."""
    app = create_app(settings_for(world.url))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    )
    thread = _thread("api", server.run)
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the API did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def site() -> Iterator[str]:
    """The example's folder served by a static server (another origin than the API)."""
    handler = functools.partial(QuietHandler, directory=str(PAGE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = _thread("site", server.serve_forever)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        thread.join(timeout=10)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass


SURVEY = """
mutation($input: CreateSurveyInput!) {
  createSurvey(input: $input) { survey { id version } errors { field code message } }
}"""
OPEN = """
mutation($input: SurveyVersionInput!) { openSurvey(input: $input) { errors { message } } }"""
EVENT = """
mutation($input: CreateWorkshopsEventInput!) {
  createWorkshopsEvent(input: $input) { event { id version } errors { field code message } }
}"""
PUBLISH = """
mutation($input: WorkshopsEventVersionInput!) {
  publishWorkshopsEvent(input: $input) { errors { message } }
}"""


async def _open_survey_and_event(run: Any) -> None:
    label = {"fr": "Votre structure", "nl": "Uw organisatie"}
    created = await run(
        SURVEY,
        {
            "input": {
                "title": {"fr": "Vos besoins numériques", "nl": "Uw digitale noden"},
                "public": True,
                "anonymous": True,
                "questions": [
                    {
                        "key": "kind",
                        "type": "SINGLE_CHOICE",
                        "title": label,
                        "required": True,
                        "options": [
                            {"value": "association", "label": {"fr": "Association"}},
                            {"value": "enterprise", "label": {"fr": "Entreprise"}},
                        ],
                    },
                    {"key": "wish", "type": "FREE_TEXT", "title": {"fr": "Un souhait ?"}},
                ],
            }
        },
        principal=ADMIN,
    )
    survey = created["data"]["createSurvey"]
    assert survey["errors"] == [], survey
    opened = await run(
        OPEN, {"input": {k: survey["survey"][k] for k in ("id", "version")}}, principal=ADMIN
    )
    assert opened["data"]["openSurvey"]["errors"] == []
    commune = await run('{ commune(nisCode: "64034") { id } }')
    event = await run(
        EVENT,
        {
            "input": {
                "kind": "LUNCH_TALK",
                "title": {"fr": "Midi du Smart : les données", "nl": "Smart-middag: data"},
                "startsAt": "2099-03-28T12:00:00",
                "endsAt": "2099-03-28T14:00:00",
                "commune": commune["data"]["commune"]["id"],
                "capacity": 40,
            }
        },
        principal=ADMIN,
    )
    created_event = event["data"]["createWorkshopsEvent"]
    assert created_event["errors"] == [], created_event
    published = await run(
        PUBLISH,
        {"input": {k: created_event["event"][k] for k in ("id", "version")}},
        principal=ADMIN,
    )
    assert published["data"]["publishWorkshopsEvent"]["errors"] == []


def _wait(browser: Any, condition: str, *args: Any, timeout: float = 30) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(
        lambda b: b.execute_script(f"return ({condition});", *args)
    )


def _texts(browser: Any, selector: str) -> list[str]:
    return list(
        browser.execute_script(
            "return [...document.querySelectorAll(arguments[0])].map(e => e.innerText.trim());",
            selector,
        )
    )


async def test_the_commune_page_example_runs_against_a_live_server(
    browser: Any, api: str, site: str, run: Any
) -> None:
    await _open_survey_and_event(run)
    expected = await run(
        "query($nis: [String!]) { projects(first: 1, filter: { communeNisCodes: $nis }) "
        "{ totalCount } }",
        {"nis": [HANNUT]},
    )
    total = expected["data"]["projects"]["totalCount"]
    assert total > 6  # pages of 3: three of them at least

    browser.get(site + "?" + urlencode({"api": api, "commune": HANNUT, "page": 3}))
    _wait(
        browser,
        "document.body.dataset.ready === 'true' || !document.querySelector('#error').hidden",
    )
    assert browser.execute_script("return document.querySelector('#error').hidden"), _texts(
        browser, "#error"
    )
    assert _texts(browser, "#commune-name") == ["Hannut"]
    assert _texts(browser, "#projects-count") == [f"{total} projets"]

    # Pages both ways: forward twice, back once gives the second page again.
    first = _texts(browser, "#project-list li")
    assert len(first) == 3 and browser.execute_script(
        "return document.querySelector('#previous').disabled"
    )
    browser.find_element("css selector", "#next").click()
    _wait(
        browser,
        "document.querySelector('#project-list li').innerText.trim() !== arguments[0]",
        first[0],
    )
    second = _texts(browser, "#project-list li")
    browser.find_element("css selector", "#next").click()
    _wait(
        browser,
        "document.querySelector('#project-list li').innerText.trim() !== arguments[0]",
        second[0],
    )
    third = _texts(browser, "#project-list li")
    assert not set(first) & set(second) and not set(second) & set(third)
    browser.find_element("css selector", "#previous").click()
    _wait(
        browser,
        "document.querySelector('#project-list li').innerText.trim() === arguments[0]",
        second[0],
    )
    assert _texts(browser, "#project-list li") == second

    # Search: the count follows the API's answer for the same search.
    word = first[0].split(maxsplit=1)[1].split()[0]
    searched = await run(
        "query($nis: [String!], $q: String) { projects(first: 1, filter: "
        "{ communeNisCodes: $nis, search: $q }) { totalCount } }",
        {"nis": [HANNUT], "q": word},
    )
    hits = searched["data"]["projects"]["totalCount"]
    browser.find_element("css selector", "#search-text").send_keys(word)
    browser.find_element("css selector", "#search button").click()
    _wait(
        browser,
        "document.querySelector('#projects-count').innerText.startsWith(arguments[0])",
        f"{hits} ",
    )

    # Events: seats left and a calendar link that answers iCalendar.
    [event] = [e for e in _texts(browser, "#event-list li") if "Midi du Smart" in e]
    assert "40 places restantes" in event
    ical = browser.execute_script("return document.querySelector('#event-list a.ical').href")
    answer = httpx.get(ical)
    assert answer.status_code == 200 and "BEGIN:VCALENDAR" in answer.text
    assert "text/calendar" in answer.headers["content-type"]

    # The survey: a refusal in French, then a recorded answer.
    assert _texts(browser, "#survey-title") == ["Vos besoins numériques"]
    browser.find_element("css selector", "#survey-form button[type=submit]").click()
    _wait(
        browser, "document.querySelector('fieldset[data-question=kind] .problem').innerText !== ''"
    )
    [problem] = _texts(browser, "fieldset[data-question=kind] .problem")
    assert "demande une réponse" in problem
    browser.find_element(
        "css selector", "fieldset[data-question=kind] input[value=association]"
    ).click()
    browser.find_element("css selector", "#survey-form textarea").send_keys("Une formation")
    browser.find_element("css selector", "#survey-form button[type=submit]").click()
    _wait(browser, "document.querySelector('#survey-result').innerText.startsWith('Merci')")

    # In Dutch: the page's texts and the API's answers.
    browser.find_element("css selector", "nav button[data-lang=nl]").click()
    _wait(browser, "document.body.dataset.ready === 'true'")
    assert _texts(browser, "#projects-title") == ["Projecten"]
    assert _texts(browser, "#survey-title") == ["Uw digitale noden"]
    [event] = [e for e in _texts(browser, "#event-list li") if "Smart-middag" in e]
    assert "nog 40 plaatsen" in event
