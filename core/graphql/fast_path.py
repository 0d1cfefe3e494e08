"""The fast path of compiled reads: an HTTP query whose every root field the read compiler
answered is answered the next time by its statements alone, without strawberry and
graphql-core (no parsing, validation, limits, execution).

What an answer depends on is the request's *key*: the document, the operation name, the
variables, the language and the caller (who is authenticated on every request), the very key
of the compiler's statements (``compiler/execute.py``). The first request of a key goes through
the normal path; when every root field of its operation was answered by a compiled statement,
and the answer holds no error and no extension, the statements are kept as the key's
:class:`Plan`. Then a request of that key runs them and writes ``{"data":{...}}``: the same
bytes the normal path writes, since the rest of the normal path (parse, limits, validation)
gives the same result for the same key. The view keeps everything around it the same: the
headers, the response cache, the rate limit (a middleware), the timeout, the bound on the
answer's size, its error shape.

Not taken: a request with ``extensions`` (persisted queries), a batch, a stream transport
(``Accept`` of multipart or event streams), a body that is not a JSON object, a document that
trusted documents restrict and the document store no longer trusts. A statement that fails
drops the plan, and the normal path answers the request. Under
``BOCAGE_GRAPHQL_COMPILE_CHECK`` the normal path answers each fast-path request as well, and
the two answers must be the same bytes.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from strawberry.http.parse_content_type import parse_content_type

from bocage.core.graphql.compiler.execute import CompiledRoots

if TYPE_CHECKING:
    from starlette.requests import Request

    from bocage.core.graphql.context import Context

Key = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """The statements answering an operation, by response key, in the answer's order."""

    roots: tuple[tuple[str, Any], ...]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A request the fast path may answer: its document, operation and variables."""

    query: str
    operation_name: str | None
    variables: dict[str, Any] | None
    #: The variables as sorted JSON, for the key.
    values: bytes


async def candidate(request: Request) -> Candidate | None:
    """What ``request`` asks, when the fast path may answer it; None otherwise (the normal
    path then reads it again, and refuses it when it must)."""
    method = request.scope["method"]
    try:
        if method == "GET":
            params = request.query_params
            if "extensions" in params:
                return None
            query = params.get("query")
            name = params.get("operationName")
            variables = None
            if "variables" in params:  # present, it must be a JSON object
                variables = orjson.loads(params["variables"])
                if not isinstance(variables, dict):
                    return None
        elif method == "POST":
            content_type, _ = parse_content_type(request.headers.get("content-type", ""))
            if "application/json" not in content_type:
                return None
            data = orjson.loads(await request.body())
            if not isinstance(data, dict) or data.get("extensions") not in (None, {}):
                return None
            query, name, variables = (
                data.get("query"),
                data.get("operationName"),
                data.get("variables"),
            )
        else:
            return None
        if not isinstance(query, str) or not isinstance(name, str | None):
            return None
        if not isinstance(variables, dict | None):
            return None
        values = orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS)
    except (orjson.JSONDecodeError, TypeError):
        return None
    return Candidate(query, name, variables, values)


class FastPath:
    """One worker's plans, least recently used first out beyond ``size`` (0 keeps none)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.plans: OrderedDict[Key, Plan] = OrderedDict()

    def key(self, found: Candidate, context: Context) -> Key:
        return (
            found.query,
            found.operation_name,
            found.values,
            context.language,
            context.principal,
        )

    def plan(self, key: Key) -> Plan | None:
        plan = self.plans.get(key)
        if plan is not None:
            self.plans.move_to_end(key)
        return plan

    def learn(self, key: Key, roots: CompiledRoots, result: Any) -> None:
        """Keep the plan of ``key`` when its normal answer ``result`` (strawberry's
        ``ExecutionResult``) was entirely compiled, with neither error nor extension."""
        data = getattr(result, "data", None)
        if (
            self.size == 0
            or not roots.complete
            or result.errors
            or getattr(result, "extensions", None)
            or not isinstance(data, dict)
            or data.keys() != roots.statements.keys()
        ):
            return
        self.plans[key] = Plan(tuple((name, roots.statements[name]) for name in data))
        while len(self.plans) > self.size:
            self.plans.popitem(last=False)

    def forget(self, key: Key) -> None:
        self.plans.pop(key, None)
