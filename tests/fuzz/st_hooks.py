"""Schemathesis hooks of the fuzzing run (``SCHEMATHESIS_HOOKS`` names this file).

Strategies for Bocage's custom GraphQL scalars, and a log of every request sent: one JSON line
per response in the file ``BOCAGE_FUZZ_LOG`` names, with a curl reproduction for server errors
and slow responses.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

import graphql
import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

#: Responses slower than this (seconds) are logged with their reproduction.
SLOW = float(os.environ.get("BOCAGE_FUZZ_SLOW", "1.0"))
_LOG = os.environ.get("BOCAGE_FUZZ_LOG")
_LOCK = threading.Lock()


def _junk() -> st.SearchStrategy[Any]:
    """Strings no scalar accepts: the server must refuse them with a GraphQL error."""
    return st.text(max_size=30).map(nodes.String)


def _object(fields: dict[str, Any]) -> Any:
    return nodes.Object(
        [
            graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=v)
            for k, v in fields.items()
        ]
    )


def _json_value() -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        st.just(nodes.Null),
        st.booleans().map(nodes.Boolean),
        st.integers(-(2**40), 2**40).map(nodes.Int),
        st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
        st.text(max_size=20).map(nodes.String),
    )
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=4).map(nodes.List),
            st.dictionaries(
                st.from_regex(r"\A[a-zA-Z_][a-zA-Z0-9_]{0,10}\Z"), children, max_size=4
            ).map(_object),
        ),
        max_leaves=10,
    )


schemathesis.graphql.scalar(
    "Date", st.one_of(st.dates().map(lambda d: nodes.String(d.isoformat())), _junk())
)
schemathesis.graphql.scalar(
    "DateTime",
    st.one_of(st.datetimes().map(lambda d: nodes.String(d.isoformat())), _junk()),
)
schemathesis.graphql.scalar(
    "Decimal",
    st.one_of(
        st.decimals(allow_nan=False, allow_infinity=False, places=2).map(
            lambda d: nodes.String(str(d))
        ),
        st.integers().map(nodes.Int),
        _junk(),
    ),
)
schemathesis.graphql.scalar("JSON", _json_value())


#: How Bocage answers an exception it did not expect (the cause is logged by the server).
MASKED = "Unexpected error."


def graphql_errors(response: Any) -> list[dict[str, Any]]:
    """The ``errors`` of a GraphQL answer (none for a body that is not one)."""
    try:
        body = response.json()
    except ValueError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def internal_errors(response: Any) -> list[dict[str, Any]]:
    """Errors that are a server error under a 200: masked, or coded as internal."""
    return [
        e
        for e in graphql_errors(response)
        if e.get("message") == MASKED
        or (e.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR"
    ]


@schemathesis.check
def no_internal_graphql_error(ctx: Any, response: Any, case: Any) -> None:
    """A GraphQL error is the client's to fix (``extensions.code``: BAD_USER_INPUT, NOT_FOUND,
    FORBIDDEN...), never an unexpected exception of the server.

    Schemathesis' own GraphQL check calls every error with a ``path`` a server error, the
    typed NOT_FOUND of a lookup included; this one does not.
    """
    internal = internal_errors(response)
    if internal:
        raise AssertionError(f"internal error: {internal[0]}")


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    if _LOG is None:
        return
    request = response.request
    entry: dict[str, Any] = {
        "method": request.method,
        "url": request.url,
        "operation": case.operation.label,
        "status": response.status_code,
        "seconds": round(response.elapsed, 4),
    }
    if request.url.endswith("/graphql") and response.status_code == 200:
        errors = graphql_errors(response)
        entry["internal"] = bool(internal_errors(response))
        entry["codes"] = sorted({str((e.get("extensions") or {}).get("code")) for e in errors})
        entry["messages"] = sorted({str(e.get("message"))[:150] for e in errors})[:2]
        # The rule: every error says what to fix in ``extensions.code``.
        entry["uncoded"] = sorted(
            {
                e.get("message", "")[:120]
                for e in errors
                if not (e.get("extensions") or {}).get("code")
            }
        )[:3]
    if response.status_code >= 500 or entry.get("internal") or response.elapsed > SLOW:
        entry["curl"] = case.as_curl_command(headers=dict(request.headers))
        entry["body"] = response.content[:500].decode("utf-8", "replace")  # xlsx, parquet: bytes
    with _LOCK, open(_LOG, "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\n")
