"""A short fuzzing run against a live server: the REST surface (every operation of
``/openapi.json``) and the GraphQL surface (every root field of ``openapi/schema.graphql``),
anonymously, as a territory admin and as a commune editor.

No request may end in a server error (HTTP 5xx, or a masked exception under a GraphQL 200), and
every REST response must be as the OpenAPI document describes it (status code, media type,
headers, body). The seed is fixed, so a failure reproduces; ``long_run.py`` runs the same with
thousands of requests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from .fuzzing import (
    IDENTITIES,
    Outcome,
    fuzz_config,
    live_server,
    mint_tokens,
    reproduction,
    start_schemathesis,
)

SEED = 20261206
#: Examples per operation: enough to reach every operation with valid and invalid input in a
#: few seconds per identity (schemathesis' coverage phase adds its boundary cases).
EXAMPLES = {"rest": 3, "graphql": 2}
PHASES = ("coverage", "fuzzing", "stateful")


@pytest.fixture(scope="module")
async def outcomes(
    databases: Any, small_demo_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[dict[tuple[str, str], Outcome]]:
    """Every surface fuzzed as every identity, the runs side by side, against one
    ``bocage serve`` on a copy of the small demo GAL."""
    url = await databases.clone(small_demo_url)
    workdir = tmp_path_factory.mktemp("fuzz")
    tokens = mint_tokens(url)
    with live_server(url, workdir) as server:
        admin = tokens["admin"]
        assert admin is not None
        config = fuzz_config(server, admin, workdir, method_probes=False)
        runs = [
            start_schemathesis(
                server,
                surface,
                identity,
                tokens[identity],
                examples=EXAMPLES[surface],
                seed=SEED,
                workdir=workdir,
                phases=PHASES,
                config=config,
            )
            for surface in ("rest", "graphql")
            for identity in IDENTITIES
        ]
        yield {(run.surface, run.identity): run.finish() for run in runs}


def server_errors(outcome: Outcome) -> str:
    lines = [outcome.summary()]
    for response in outcome.server_errors:
        lines += [
            f"{response['status']} {response['operation']}",
            f"    {reproduction(response, outcome.identity)}",
        ]
    if outcome.exceptions:
        lines += ["exceptions in the server's log:", *(f"    {e}" for e in outcome.exceptions)]
    return "\n".join(lines)


@pytest.mark.parametrize("identity", list(IDENTITIES))
@pytest.mark.parametrize("surface", ["rest", "graphql"])
def test_fuzzing_finds_no_server_error(
    outcomes: dict[tuple[str, str], Outcome], surface: str, identity: str
) -> None:
    outcome = outcomes[surface, identity]
    # It ran: every operation was reached, most of them several times.
    assert outcome.report.get("operations", {}).get("errored") == 0, outcome.output[-4000:]
    assert outcome.requests > 150, outcome.output[-4000:]
    if identity != "anonymous":
        # The token was accepted (a refused one would make every request a 401).
        assert outcome.statuses[401] < outcome.requests / 10, outcome.output[-4000:]
    if outcome.server_errors:
        pytest.fail(server_errors(outcome), pytrace=False)
    if outcome.exit_code != 0:
        pytest.fail(f"{outcome.summary()}\n{outcome.output[-8000:]}", pytrace=False)
