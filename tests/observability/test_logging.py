"""Logs as JSON lines (``BOCAGE_LOG_FORMAT``): one object per line with the request id, the
route, the operation, the status, the duration and the kind of caller; never a personal value
the caller sent (an e-mail address in variables), nor the caller's address or identity unless
``BOCAGE_LOG_PERSONAL_DATA`` says so."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bocage.core.app import create_app
from bocage.core.observability.logging import JsonFormatter, configure_logging
from bocage.core.testing import GraphQL, serve, settings_for

EMAIL = "marie.dupont@example.be"
ERASE = "query Erase($email: String) { exportPersonData(email: $email) { subject } }"
CONTACT = """mutation AddContact($input: CreateContactInput!) { createContact(input: $input) {
  contact { id } errors { field code message } } }"""


@pytest.fixture
def captured() -> Iterator[Any]:
    """``captured(settings)``: configure logging as ``bocage serve`` does, into a buffer;
    the logging of the test run is restored afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, logging.getLogger("bocage").level)
    uvicorn = [logging.getLogger(n) for n in ("uvicorn", "uvicorn.error", "uvicorn.access")]
    kept = [(u, list(u.handlers), u.propagate, u.disabled, u.level) for u in uvicorn]
    buffers: list[io.StringIO] = []

    def configure(settings: Any, stream: Any = None) -> io.StringIO:
        buffer = stream or io.StringIO()
        buffers.append(buffer)
        configure_logging(settings, stream=buffer)
        return buffer

    yield configure
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])
    logging.getLogger("bocage").setLevel(saved[2])
    for logger, handlers, propagate, disabled, level in kept:
        logger.handlers[:] = handlers
        logger.propagate, logger.disabled = propagate, disabled
        logger.setLevel(level)


def lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


async def test_json_lines_without_personal_values(
    bocage_world: Any, captured: Any, bocage_principals: Any
) -> None:
    settings = settings_for(bocage_world.url, log_format="json")
    buffer = captured(settings)
    app = create_app(settings, host=bocage_world.host)
    async with serve(app) as client:
        gql = GraphQL(client, app)
        # An anonymous caller asks for a person's data by e-mail (refused), over POST and GET.
        refused = await gql.body(ERASE, {"email": EMAIL})
        assert refused["errors"]
        got = await client.get(
            "/graphql", params={"query": ERASE, "variables": json.dumps({"email": EMAIL})}
        )
        assert got.status_code == 200
        # An administrator adds a contact with that address (personal data).
        stakeholder = (await gql("{ stakeholders(first: 1) { nodes { id } } }"))["stakeholders"][
            "nodes"
        ][0]["id"]
        added = await gql(
            CONTACT,
            {
                "input": {
                    "stakeholder": stakeholder,
                    "givenName": "Marie",
                    "familyName": "Dupontiaux",
                    "email": EMAIL,
                }
            },
            principal=bocage_principals.admin,
            headers={"X-Request-ID": "lb-7f3a9c"},
        )
        assert added["createContact"]["errors"] == []
        probe = await client.get("/healthz")
    text = buffer.getvalue()
    assert EMAIL not in text and "Dupontiaux" not in text
    assert "127.0.0.1" not in text  # the test client's address
    assert "gal-admin" not in text  # the administrator's subject
    records = lines(buffer)  # every line is one JSON object
    access = [r for r in records if r["logger"] == "bocage.access"]
    assert [(r["method"], r["route"], r.get("operation")) for r in access] == [
        ("POST", "/graphql", "Erase"),
        ("GET", "/graphql", "Erase"),
        ("POST", "/graphql", "anonymous"),
        ("POST", "/graphql", "AddContact"),
        ("GET", "/healthz", None),
    ]
    for record in access:
        assert record["level"] == "info"
        assert dt.datetime.fromisoformat(record["time"]).tzinfo is not None
        assert record["status"] == 200
        assert record["duration_ms"] >= 0
        assert set(record) >= {"request_id", "principal", "message"}
    assert [r["principal"] for r in access] == [
        "anonymous",
        "anonymous",
        "anonymous",
        "person",
        "anonymous",
    ]
    # The id a proxy sent is kept; otherwise one is made; the answer carries it.
    assert access[3]["request_id"] == "lb-7f3a9c"
    assert access[4]["request_id"] == probe.headers["x-request-id"]
    assert len({r["request_id"] for r in access}) == 5


async def test_personal_data_only_when_a_setting_says_so(
    bocage_world: Any, captured: Any, bocage_principals: Any
) -> None:
    settings = settings_for(bocage_world.url, log_format="json", log_personal_data=True)
    buffer = captured(settings)
    app = create_app(settings, host=bocage_world.host)
    async with serve(app) as client:
        await GraphQL(client, app).body("{ plugins { name } }", principal=bocage_principals.admin)
    [line] = [r for r in lines(buffer) if r["logger"] == "bocage.access"]
    assert line["client_address"] == "127.0.0.1"
    assert line["subject"] == "gal-admin"


def test_formats(bocage_world: Any, captured: Any) -> None:
    """``text`` and ``json`` as asked; ``auto`` is text on a terminal, JSON otherwise."""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    def emitted(log_format: str, stream: Any = None) -> str:
        buffer = captured(settings_for(bocage_world.url, log_format=log_format), stream)
        logging.getLogger("bocage.test").warning("worker %s started", "w1")
        return buffer.getvalue().strip().splitlines()[-1]

    assert json.loads(emitted("json"))["message"] == "worker w1 started"
    assert json.loads(emitted("auto"))["level"] == "warning"  # a pipe, a file: JSON
    for line in (emitted("text"), emitted("auto", Terminal())):
        assert line.endswith("WARNING bocage.test [-] worker w1 started")


def test_exceptions_without_their_message(captured: Any, bocage_world: Any) -> None:
    """An exception's message may quote the value that failed: only its type and stack."""
    buffer = captured(settings_for(bocage_world.url, log_format="json"))
    try:
        raise ValueError(f"invalid address {EMAIL}")
    except ValueError:
        logging.getLogger("bocage.test").exception("could not send")
    [record] = lines(buffer)
    assert record["exception"]["type"] == "ValueError"
    assert "test_exceptions_without_their_message" in record["exception"]["stack"]
    assert EMAIL not in buffer.getvalue()


def test_bocage_serve_configures_the_logs(
    bocage_world: Any, captured: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bocage.core.app import app_factory

    captured(settings_for(bocage_world.url))  # so that the fixture restores what follows
    monkeypatch.setenv("BOCAGE_DATABASE_URL", bocage_world.url)
    monkeypatch.setenv("BOCAGE_LOG_FORMAT", "json")
    app_factory()
    [handler] = logging.getLogger().handlers
    assert isinstance(handler.formatter, JsonFormatter)
    assert logging.getLogger("uvicorn.access").disabled  # its lines hold client addresses


def test_bocage_worker_logs_json_lines_too(cli: Any, bocage_world: Any) -> None:
    """A separate job worker (`bocage worker`) logs as the server does, for one collector."""
    done = cli(
        "worker",
        "--burst",
        env={"BOCAGE_DATABASE_URL": bocage_world.url, "BOCAGE_LOG_FORMAT": "json"},
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    assert any("worker" in line["message"] and line["level"] == "info" for line in lines), lines
