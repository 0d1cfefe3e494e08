"""The domain's unit of work from a plain script: no request, no GraphQL, no web framework.
A script (``unit_of_work_script.py``, run in a process of its own on the engine under test)
creates a project with its audit entry, event and idempotency key, replays the key, refuses a
stale version, and rolls back everything when a rule fails after the writes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

SCRIPT = Path(__file__).with_name("unit_of_work_script.py")


async def test_a_script_writes_through_the_unit_of_work(
    databases: Any, small_demo_url: str
) -> None:
    url = await databases.clone(small_demo_url)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), url],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ},
    )
    assert done.returncode == 0, done.stderr
    seen = orjson.loads(done.stdout)
    before = seen["before"]

    created = seen["created"]
    assert created["errors"] == [] and created["version"] == 1
    assert created["counts"]["projects"] == before["projects"] + 1
    assert created["counts"]["audit_of_project"] == 1  # its audit entry
    assert created["counts"]["events"] == before["events"] + 1  # project.created, in the log
    assert created["counts"]["keys"] == before["keys"] + 1
    assert created["heard"] == ["project.created"]  # announced after the commit
    assert created["callbacks"] == 1

    replayed = seen["replayed"]
    assert replayed["same"]  # a retry returns the same project
    assert replayed["reused"] == [["idempotencyKey", "IDEMPOTENCY_KEY_REUSED"]]
    assert replayed["counts"] == created["counts"]  # nothing written twice
    assert replayed["heard"] == ["project.created"]

    versions = seen["versions"]
    assert versions["stale"] == [["version", "CONFLICT"]]
    assert versions["fresh"] == [] and versions["version"] == 2
    assert versions["counts"]["audit_of_project"] == 2  # created, then updated once

    refused = seen["refused"]
    assert refused["errors"] == [["communes", "REQUIRED"]]
    assert refused["unchanged"]  # no project, link, audit entry, event or key left behind
    assert refused["silent"]  # nothing announced, no callback

    block = seen["block"]
    assert block["unchanged"] and block["silent"]
    assert block["anonymous"] == [[None, "UNAUTHENTICATED"]]

    assert seen["web_modules"] == []  # the script never loaded a web or GraphQL library
