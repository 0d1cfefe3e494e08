"""Fuzzing a live Bocage server with schemathesis: the REST surface from ``/openapi.json``, the
GraphQL surface from ``openapi/schema.graphql``, anonymously and with tokens.

Shared by the short run of the test suite (``test_fuzz.py``) and the long run
(``long_run.py``). Each run is schemathesis' own command line (``st run``) against a
``bocage serve`` process on loopback; the hooks in ``st_hooks.py`` log every response, so the
figures count requests actually sent, whatever phase sent them.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
BIN = Path(sys.executable).parent
SDL = ROOT / "openapi" / "schema.graphql"
HOOKS = HERE / "st_hooks.py"

#: A commune of the demo GAL (Hannut) for the commune editor's token.
EDITOR_COMMUNE = "64034"
#: The people the fuzzer acts as: (name, ``bocage token`` arguments; None: anonymous).
IDENTITIES: dict[str, list[str] | None] = {
    "anonymous": None,
    "admin": ["--role", "territory_admin"],
    "editor": ["--role", "commune_editor", "--commune", EDITOR_COMMUNE],
}
#: Checks of the REST responses: no server error, and status codes, media types, headers and
#: bodies as the OpenAPI document describes them.
REST_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
#: GraphQL answers 200 with typed `errors` for bad input; a server error (HTTP 5xx, or a
#: masked exception under a 200: see ``st_hooks``) is the failure.
GRAPHQL_CHECKS = ("no_internal_graphql_error",)


def server_env(database_url: str) -> dict[str, str]:
    """The environment of the server under test and of ``bocage token``: no rate limit (the
    fuzzer is one client sending thousands of requests), no background jobs (a webhook
    subscribed by the fuzzer must not be delivered, nor a mail sent)."""
    return {
        **os.environ,
        "BOCAGE_DATABASE_URL": database_url,
        "BOCAGE_RATE_LIMIT": "off",
        "BOCAGE_JOBS_IN_PROCESS": "off",
        "BOCAGE_LOG_LEVEL": "warning",
    }


def mint_tokens(database_url: str, ttl: int = 86400) -> dict[str, str | None]:
    """A token per identity, from ``bocage token`` (before the server starts: it caches the
    signing keys it knows)."""
    tokens: dict[str, str | None] = {}
    for name, arguments in IDENTITIES.items():
        if arguments is None:
            tokens[name] = None
            continue
        done = subprocess.run(
            [
                str(BIN / "bocage"),
                "token",
                *arguments,
                "--subject",
                f"fuzz-{name}",
                "--ttl",
                str(ttl),
            ],
            env=server_env(database_url),
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        tokens[name] = done.stdout.strip().splitlines()[-1]
    return tokens


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def errors(self) -> str:
        """The server's log (tracebacks of server errors)."""
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def live_server(database_url: str, workdir: Path) -> Iterator[LiveServer]:
    """``bocage serve`` on a free loopback port, on a migrated database; stopped after."""
    port = free_port()
    log = workdir / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(BIN / "bocage"), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=server_env(database_url),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server stopped:\n{server.errors()}")
            try:
                if httpx.get(f"{server.url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not get ready:\n{server.errors()}")
            time.sleep(0.2)
        yield server
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Outcome:
    """What one ``st run`` did."""

    surface: str
    identity: str
    exit_code: int
    output: str
    #: One entry per response (see ``st_hooks.after_call``).
    responses: list[dict[str, Any]] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)
    #: What the server logged during the run (the tracebacks of its server errors).
    server_log: str = ""

    @property
    def exceptions(self) -> list[str]:
        """The exceptions the server logged, one line each (``KeyError: 'x'``)."""
        found = re.findall(r"^\w[\w.]*(?:Error|Exception)\b.*$", self.server_log, re.M)
        return sorted(set(found))

    @property
    def requests(self) -> int:
        return len(self.responses)

    @property
    def server_errors(self) -> list[dict[str, Any]]:
        """HTTP 5xx, and GraphQL's masked exceptions under a 200."""
        return [r for r in self.responses if r["status"] >= 500 or r.get("internal")]

    def slow(self, seconds: float) -> list[dict[str, Any]]:
        return [r for r in self.responses if r["seconds"] > seconds]

    @property
    def statuses(self) -> Counter[int]:
        return Counter(r["status"] for r in self.responses)

    @property
    def failures(self) -> list[dict[str, Any]]:
        """The failed checks, by kind (schemathesis' JSON report)."""
        return list(self.report.get("failures", []))

    def summary(self) -> str:
        return (
            f"{self.surface} as {self.identity}: {self.requests} requests, "
            f"{len(self.server_errors)} server errors, exit code {self.exit_code}"
        )


def start_schemathesis(
    server: LiveServer,
    surface: str,
    identity: str,
    token: str | None,
    *,
    examples: int,
    seed: int,
    workdir: Path,
    phases: Sequence[str] = ("examples", "coverage", "fuzzing", "stateful"),
    workers: int = 1,
    config: Path | None = None,
    slow: float = 1.0,
    extra: Sequence[str] = (),
) -> Running:
    """Start ``st run`` on one surface (``rest`` or ``graphql``) as one identity."""
    tag = f"{surface}-{identity}"
    log = workdir / f"{tag}.jsonl"
    report = workdir / f"{tag}.json"
    log.unlink(missing_ok=True)
    if surface == "rest":
        location, url, checks = f"{server.url}/openapi.json", server.url, REST_CHECKS
    else:
        location, url, checks = str(SDL), f"{server.url}/graphql", GRAPHQL_CHECKS
    command = [
        str(BIN / "st"),
        *(["--config-file", str(config)] if config else []),
        "run",
        location,
        "--url",
        url,
        "--max-examples",
        str(examples),
        "--seed",
        str(seed),
        "--phases",
        ",".join(phases),
        "--checks",
        ",".join(checks),
        "--workers",
        str(workers),
        "--request-timeout",
        "30",
        "--no-shrink",
        "--continue-on-failure",
        "--suppress-health-check",
        "all",
        "--warnings",
        "off",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        *extra,
    ]
    if token is not None:
        command += ["--header", f"Authorization: Bearer {token}"]
    output = workdir / f"{tag}.out"
    with open(output, "wb") as out:
        process = subprocess.Popen(
            command,
            env={
                **os.environ,
                "SCHEMATHESIS_HOOKS": str(HOOKS),
                "BOCAGE_FUZZ_LOG": str(log),
                "BOCAGE_FUZZ_SLOW": str(slow),
                "NO_COLOR": "1",
                "COLUMNS": "120",
            },
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Running(
        surface, identity, process, server, server.log.stat().st_size, output, log, report
    )


@dataclass
class Running:
    """An ``st run`` under way."""

    surface: str
    identity: str
    process: subprocess.Popen[bytes]
    server: LiveServer
    logged: int
    output: Path
    log: Path
    report: Path

    def finish(self) -> Outcome:
        """Wait for it; what it did. (The server's log is the part written meanwhile: runs
        that overlap share theirs.)"""
        code = self.process.wait()
        outcome = Outcome(
            self.surface,
            self.identity,
            code,
            self.output.read_text(encoding="utf-8", errors="replace"),
        )
        with open(self.server.log, "rb") as log_file:
            log_file.seek(self.logged)
            outcome.server_log = log_file.read().decode("utf-8", errors="replace")
        if self.log.exists():
            outcome.responses = [json.loads(line) for line in self.log.read_text().splitlines()]
        if self.report.exists():
            outcome.report = json.loads(self.report.read_text())
        return outcome


def run_schemathesis(
    server: LiveServer, surface: str, identity: str, token: str | None, **options: Any
) -> Outcome:
    """Run ``st run`` on one surface as one identity (see :func:`start_schemathesis`)."""
    return start_schemathesis(server, surface, identity, token, **options).finish()


#: What the fuzzer reads from the demo data, so that a share of its requests name rows that
#: exist (random IDs only reach the "not found" branch).
KNOWN_QUERY = """{
  territories(first: 5) { edges { node { id slug } } }
  communes(first: 20) { edges { node { id nisCode } } }
  projects(first: 20) { edges { node { id } } }
  stakeholders(first: 20) { edges { node { id } } }
  surveys { edges { node { id publicKey } } }
  workshopsEvents(first: 20) { edges { node { id series } } }
}"""
#: Probability that a bound argument takes a known value rather than a generated one.
KNOWN_SHARE = 0.5


def _database_key(global_id: str) -> int:
    """The database key in a Relay global ID (``base64("Type:key")``)."""
    import base64

    return int(base64.b64decode(global_id).decode().rsplit(":", 1)[1])


def _id_arguments() -> dict[str, str]:
    """GraphQL binding keys of every ``ID`` argument and input field -> dictionary name."""
    import graphql

    schema = graphql.build_schema(SDL.read_text(encoding="utf-8"))
    keys: dict[str, str] = {}

    def bind(path: str, type_: Any) -> None:
        named = graphql.get_named_type(type_)
        is_list = isinstance(graphql.get_nullable_type(type_), graphql.GraphQLList)
        if named is graphql.GraphQLID:
            keys[f"*.*.{path}[*]" if is_list else f"*.*.{path}"] = "ids"

    for root in (schema.query_type, schema.mutation_type):
        for field_def in (root.fields if root else {}).values():
            for name, argument in field_def.args.items():
                bind(name, argument.type)
                named = graphql.get_named_type(argument.type)
                if isinstance(named, graphql.GraphQLInputObjectType):
                    for field_name, input_field in named.fields.items():
                        bind(f"{name}.{field_name}", input_field.type)
    strings = {"nisCode": "nis", "commune": "nis", "slug": "slugs", "series": "series"}
    keys.update({f"*.*.{name}": dictionary for name, dictionary in strings.items()})
    keys["*.*.publicKey"] = "public_keys"
    return keys


def fuzz_config(
    server: LiveServer, admin_token: str, workdir: Path, *, method_probes: bool = True
) -> Path:
    """A schemathesis.toml binding path parameters and GraphQL arguments to rows of the demo
    data (with probability ``KNOWN_SHARE``); without ``method_probes``, the coverage phase
    does not try each path with the methods it does not declare (405s, a sixth of its
    requests)."""
    body = httpx.post(
        f"{server.url}/graphql",
        json={"query": KNOWN_QUERY},
        headers={"authorization": f"Bearer {admin_token}"},
        timeout=30,
    ).json()["data"]

    def nodes(connection: str) -> list[dict[str, Any]]:
        return [edge["node"] for edge in body[connection]["edges"]]

    events = nodes("workshopsEvents")
    surveys = nodes("surveys")
    datasets = httpx.get(f"{server.url}/api/opendata/datasets", timeout=30).json()["items"]
    dictionaries: dict[str, list[Any]] = {
        "ids": [n["id"] for c in body for n in nodes(c)],
        "nis": [n["nisCode"] for n in nodes("communes")],
        "slugs": [n["slug"] for n in nodes("territories")],
        "series": sorted({e["series"] for e in events if e["series"]}),
        "event_keys": [_database_key(e["id"]) for e in events],
        "survey_keys": [_database_key(s["id"]) for s in surveys],
        "public_keys": [s["publicKey"] for s in surveys if s["publicKey"]],
        "datasets": [d["identifier"] for d in datasets],
    }
    parameters = {
        "path.nis_code": "nis",
        "query.commune": "nis",
        "path.slug": "slugs",
        "path.series": "series",
        "path.event_id": "event_keys",
        "path.survey_id": "survey_keys",
        "path.identifier": "datasets",
        **_id_arguments(),
    }
    lines = [] if method_probes else ["[phases.coverage]", "unexpected-methods = []", ""]
    for name, values in dictionaries.items():
        if values:
            lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    lines.append("[parameters]")
    for key, dictionary in parameters.items():
        if dictionaries[dictionary]:
            lines.append(
                f'"{key}" = {{ dictionary = "{dictionary}", probability = {KNOWN_SHARE} }}'
            )
    path = workdir / "schemathesis.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def reproduction(response: dict[str, Any], identity: str) -> str:
    """The curl command of a logged response, with the identity's token as ``$TOKEN``."""
    curl = str(response.get("curl", f"{response['method']} {response['url']}"))
    arguments = IDENTITIES.get(identity)
    if arguments is None:
        return curl
    curl = curl.replace("'Authorization: [Filtered]'", '"Authorization: Bearer $TOKEN"')
    return f"TOKEN=$(bocage token {' '.join(arguments)}); {curl}"


def workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="bocage-fuzz-"))
