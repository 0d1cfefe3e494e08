"""Protective limits on GraphQL, as schema extensions driven by settings.

- tokens: strawberry's limiter, which stops the parser (whose nesting graphql-core caps);
- depth, aliases, fields once fragments are expanded, cost and the values an answer may hold:
  measured in one pass that analyses each fragment once (:mod:`bocage.core.graphql.measure`),
  before any validation rule walks the document, and refused above their settings; every
  field declares what it costs (``metadata=cost(...)``);
- the size of the answer, in bytes (:func:`bounded_json`, used by the GraphQL view);
- introspection off in production unless ``BOCAGE_GRAPHQL_INTROSPECTION`` says otherwise, and
  no "Did you mean ...?" suggestions to anonymous callers in production;
- an execution timeout (:func:`run_with_timeout`, used by the GraphQL view);
- masked errors logged without their message, which may hold personal values
  (:func:`log_unexpected_errors`).

Every error here carries ``extensions.code`` and a message saying what to do.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import re
import traceback
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from graphql import (
    ASTValidationRule,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    OperationType,
    ValidationContext,
    ValidationRule,
    get_named_type,
    is_leaf_type,
)
from graphql import (
    ExecutionResult as GraphQLExecutionResult,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import ExecutionResult

from bocage.core.domain.errors import Invalid
from bocage.core.graphql.errors import from_invalid
from bocage.core.graphql.measure import Measure, Measurer
from bocage.core.nul import NUL, nul_at, nul_message

if TYPE_CHECKING:
    from bocage.core.settings import Settings

logger = logging.getLogger("bocage.graphql")


class LimitCode(enum.StrEnum):
    """``extensions.code`` of the errors a limit (or the validation) answers with."""

    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
    TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
    QUERY_TOO_LARGE = "QUERY_TOO_LARGE"
    QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
    RESPONSE_TOO_LARGE = "RESPONSE_TOO_LARGE"
    OPERATION_NAME_REQUIRED = "OPERATION_NAME_REQUIRED"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    OPERATION_NOT_ALLOWED = "OPERATION_NOT_ALLOWED"
    INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"
    TIMEOUT = "TIMEOUT"


# -- field costs -------------------------------------------------------------------------------

COST_KEY = "bocage.cost"
"""Key of a field's cost in its strawberry ``metadata``."""


@dataclass(frozen=True)
class Cost:
    """What resolving a field once costs, and for a list how many items to count it for.

    ``items`` is an estimate (an int), or the name of an argument giving the number of items
    (an int argument's value, a list argument's length), of the field or of the field it is
    reached through. A list with a ``first`` argument counts ``first`` items by default
    (the default page size when it is absent).
    """

    value: int
    items: int | str | None = None


def cost(value: int, *, items: int | str | None = None) -> dict[str, Cost]:
    """Field metadata declaring its cost: ``@strawberry.field(metadata=cost(1, items=20))``.

    Rules of thumb: 1 for a resolver that reads the database (batched or not), 0 for one that
    only reads its parent; ``items`` for a list without ``first``: how many it usually holds.
    """
    if value < 0:
        raise ValueError("a field's cost must be 0 or more")
    return {COST_KEY: Cost(value, items)}


FREE = Cost(0)
"""The default cost of a field that does no work: one without a resolver (it reads a value its
parent already holds), or a scalar or enum computed by a sync resolver."""


def declared_cost(field: GraphQLField) -> Cost | None:
    """The field's cost: its declaration, else :data:`FREE` when it does no work, else None.

    A resolver returning objects, or any async resolver, has no default: it must declare.
    """
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    metadata: Mapping[Any, Any] = getattr(definition, "metadata", None) or {}
    declared = metadata.get(COST_KEY)
    if declared is not None:
        return declared  # type: ignore[no-any-return]
    if definition is None or getattr(definition, "base_resolver", None) is None:
        return FREE
    if is_leaf_type(get_named_type(field.type)) and not definition.is_async:
        return FREE
    return None


def fields_without_cost(schema: GraphQLSchema) -> list[str]:
    """``Type.field`` of every field of ``schema`` that declares no cost and has no default."""
    missing = []
    for name, type_ in sorted(schema.type_map.items()):
        if name.startswith("__") or not isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            continue
        for field_name, field in type_.fields.items():
            if declared_cost(field) is None:
                missing.append(f"{name}.{field_name}")
    return missing


def _cost_or_one(field: GraphQLField) -> Cost:
    return declared_cost(field) or Cost(1)


# -- the limits on an operation's shape --------------------------------------------------------


class MeasureCache:
    """The measures of the documents front-ends send again and again: a measure depends only
    on the document, the operation, the variables and the schema, so it is kept, by the first
    three, in an LRU of ``size`` entries (``BOCAGE_GRAPHQL_LIMITS_CACHE_SIZE``; 0 keeps none)
    shared by the requests of a schema."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._measures: OrderedDict[tuple[str, str | None, bytes], Measure] = OrderedDict()

    def measure(
        self,
        document: str | None,
        operation: str | None,
        variables: Mapping[str, Any] | None,
        measure: Callable[[], Measure],
    ) -> Measure:
        if self.size == 0 or document is None:
            return measure()
        try:
            values = orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # not JSON (a caller in Python): not kept
            return measure()
        key = (document, operation, values)
        found = self._measures.get(key)
        if found is not None:
            self._measures.move_to_end(key)
            return found
        found = self._measures[key] = measure()
        while len(self._measures) > self.size:
            self._measures.popitem(last=False)
        return found


class QueryLimits(SchemaExtension):
    """Measures the operation (:mod:`bocage.core.graphql.measure`: one pass, each fragment
    once) and refuses it over a limit, before any validation rule walks the document.

    Depth, aliases, expanded fields, cost and the values the answer may hold. A refusal is
    set as the validation's errors, so that the validation (whose overlapping-fields rule can
    be costly) is skipped: :class:`Validation` runs only when these pass. Measures are kept
    in ``cache`` (a document sent again with the same variables is not measured again).
    """

    def __init__(self, settings: Settings, cache: MeasureCache | None = None) -> None:
        self.settings = settings
        self.cache = cache or MeasureCache(0)

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            error = self.check(document, context)
            if error is not None:
                context.pre_execution_errors = [error]
        yield

    def check(self, document: Any, context: Any) -> GraphQLError | None:
        where = _nul_in(context.query, context.variables)
        if where is not None:
            # PostgreSQL can neither store nor compare it; no text of Bocage's holds one.
            return GraphQLError(
                nul_message(where), extensions={"code": str(LimitCode.BAD_USER_INPUT)}
            )
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        # What the client sent: strawberry's ``operation_name`` falls back to the first's.
        name = context._provided_operation_name
        if name is None and len(operations) > 1:
            # strawberry would run the first; the GraphQL spec asks for a name.
            return GraphQLError(
                "The document has several operations: name the one to run with operationName.",
                extensions={"code": str(LimitCode.OPERATION_NAME_REQUIRED)},
            )
        operation = _operation(document.definitions, name)
        if operation is None:  # strawberry answers it (unknown operation)
            return None
        if _over_websocket(context) and operation.operation is not OperationType.SUBSCRIPTION:
            # Queries and mutations go over HTTP, where the body limit, the time limit and the
            # response cache apply.
            return GraphQLError(
                "Over WebSocket only subscriptions run: send queries and mutations to "
                "POST /graphql.",
                extensions={"code": str(LimitCode.OPERATION_NOT_ALLOWED)},
            )
        schema, variables = context.schema._schema, context.variables
        found = self.cache.measure(
            context.query,
            name,
            variables,
            lambda: self.measure(schema, document, operation, variables),
        )
        return self.refusal(found, operation)

    def measure(
        self,
        schema: GraphQLSchema,
        document: Any,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any] | None,
    ) -> Measure:
        measurer = Measurer(
            schema,
            default_page=self.settings.page_size_default,
            max_page=self.settings.page_size_max,
            cost_of=_cost_or_one,
        )
        return measurer.measure(document, operation, variables)

    def check_operation(
        self,
        schema: GraphQLSchema,
        document: Any,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any] | None,
    ) -> GraphQLError | None:
        """The refusal of ``operation`` with ``variables`` (absent ones count their default
        page size), or None: also for documents checked before they are stored."""
        return self.refusal(self.measure(schema, document, operation, variables), operation)

    def refusal(self, measure: Measure, operation: OperationDefinitionNode) -> GraphQLError | None:
        """The error of the first limit ``measure`` exceeds, cheapest to fix first."""
        s = self.settings
        name = operation.name.value if operation.name else "anonymous"
        if measure.depth > s.graphql_max_depth:
            return _limit_error(
                LimitCode.QUERY_TOO_DEEP,
                f"'{name}' exceeds maximum operation depth of {s.graphql_max_depth} "
                f"(it nests {measure.depth} fields): nest fewer fields, or split the query "
                "into several.",
                operation,
            )
        if measure.aliases > s.graphql_max_aliases:
            return _limit_error(
                LimitCode.TOO_MANY_ALIASES,
                f"{measure.aliases} aliases found (fragments expanded). Allowed: "
                f"{s.graphql_max_aliases}: use fewer aliases, or split the query into several.",
                operation,
            )
        if measure.fields > s.graphql_max_fields:
            return _limit_error(
                LimitCode.QUERY_TOO_LARGE,
                f"The query selects {measure.fields} fields once its fragments are expanded, "
                f"more than the limit of {s.graphql_max_fields}: spread fewer fragments, or "
                "split the query into several.",
                operation,
                fields=measure.fields,
                maxFields=s.graphql_max_fields,
            )
        if measure.cost > s.graphql_max_cost:
            return _limit_error(
                LimitCode.QUERY_TOO_COSTLY,
                f"This query costs {measure.cost}, more than the limit of {s.graphql_max_cost}. "
                "Ask for fewer items with `first`, nest fewer lists, or split the query into "
                "several.",
                operation,
                cost=measure.cost,
                maxCost=s.graphql_max_cost,
            )
        if measure.nodes > s.graphql_max_nodes:
            return _limit_error(
                LimitCode.RESPONSE_TOO_LARGE,
                f"The answer to this query may hold {measure.nodes} values (each field, times "
                f"the items of the lists around it), more than the limit of "
                f"{s.graphql_max_nodes}. Ask for fewer items with `first`, select fewer "
                "fields, or split the query into several.",
                operation,
                nodes=measure.nodes,
                maxNodes=s.graphql_max_nodes,
            )
        return None


def _over_websocket(context: Any) -> bool:
    request = getattr(context.context, "request", None)
    scope = getattr(request, "scope", None) or {}
    return scope.get("type") == "websocket"


def _nul_in(query: str | None, variables: dict[str, Any] | None) -> str | None:
    """What of the operation holds a NUL character (the query text, raw or as a GraphQL
    escape, or a variable: ``variable $input.title.fr``), or ``None``."""
    if query is not None and (NUL in query or "\\u0000" in query):
        return "A string of the query"
    where = nul_at(variables or {})
    return None if where is None else f"The variable ${where}"


def _limit_error(
    code: LimitCode, message: str, operation: OperationDefinitionNode, **extensions: Any
) -> GraphQLError:
    return GraphQLError(message, nodes=[operation], extensions={"code": str(code), **extensions})


class Validation(ValidationCache):
    """strawberry's validation cache, skipped when :class:`QueryLimits` refused the operation
    (its errors are already the validation's)."""

    def on_validate(self) -> Iterator[None]:
        if self.execution_context.pre_execution_errors is not None:
            yield
            return
        yield from super().on_validate()


def too_large_response(size: int, limit: int) -> dict[str, Any]:
    """The answer sent instead of a response larger than ``BOCAGE_GRAPHQL_MAX_RESPONSE_BYTES``."""
    return {
        "data": None,
        "errors": [
            {
                "message": f"The answer is {size} bytes long, more than the limit of {limit}: "
                "ask for fewer items with `first`, select fewer fields (long texts in fewer "
                "languages), or split the query into several.",
                "extensions": {
                    "code": str(LimitCode.RESPONSE_TOO_LARGE),
                    "size": size,
                    "maxBytes": limit,
                },
            }
        ],
    }


def bounded_json(data: Any, limit: int) -> bytes:
    """``data`` as JSON, or the :func:`too_large_response` error when longer than ``limit``."""
    body = orjson.dumps(data)
    if len(body) > limit:
        logger.warning("GraphQL answer of %d bytes refused (limit %d)", len(body), limit)
        return orjson.dumps(too_large_response(len(body), limit))
    return body


# -- errors: codes, advice, suggestions --------------------------------------------------------

_SUGGESTION = re.compile(r" Did you mean [^?]*\?")
_TOO_MANY_TOKENS = re.compile(r"Document contains more than (\d+) tokens")


def _with_code(error: GraphQLError, code: LimitCode, message: str | None = None) -> GraphQLError:
    """A copy of ``error`` with a code (and maybe a new message); never mutate it: validation
    errors are cached and shared between requests."""
    return GraphQLError(
        message if message is not None else error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions={**(error.extensions or {}), "code": str(code)},
    )


def coded_rule(rule: type[ValidationRule], code: LimitCode, advice: str) -> type[ValidationRule]:
    """``rule`` whose errors carry ``code`` and end with ``advice``.

    Strawberry's limiters report from their constructor through the context, graphql-core's
    rules from their visitor methods: both paths are wrapped.
    """

    def recode(error: GraphQLError) -> GraphQLError:
        if (error.extensions or {}).get("code"):
            return error
        return _with_code(error, code, f"{error.message.rstrip('.')}: {advice}")

    class Coded(rule):  # type: ignore[misc,valid-type]
        def __init__(self, context: ValidationContext) -> None:
            report = context.on_error
            context.on_error = lambda error: report(recode(error))  # type: ignore[method-assign]
            try:
                super().__init__(context)
            finally:
                context.on_error = report  # type: ignore[method-assign]

        def report_error(self, error: GraphQLError) -> None:
            super().report_error(recode(error))

    Coded.__name__ = Coded.__qualname__ = f"Coded{rule.__name__}"
    return Coded


def _is_anonymous(context: Any) -> bool:
    principal = getattr(context, "principal", None)
    return principal is None or bool(getattr(principal, "is_anonymous", True))


class LimitErrors(SchemaExtension):
    """Gives parse and validation errors a code, and strips suggestions in production.

    Listed after ``MaskErrors`` so that it sees errors before they are masked (extensions
    leave ``on_operation`` in reverse order); masked errors are left alone.
    """

    def __init__(self, *, hide_suggestions: bool) -> None:
        self.hide_suggestions = hide_suggestions
        self._validation_errors: set[int] = set()

    def on_validate(self) -> Iterator[None]:
        yield
        self._validation_errors = {id(e) for e in self.execution_context.pre_execution_errors or []}

    def on_operation(self) -> Iterator[None]:
        hide = self.hide_suggestions and _is_anonymous(self.execution_context.context)
        try:
            yield
        except GraphQLError as error:
            # Raised by an extension's hook (ParserCache parses in one): strawberry turns it
            # into the result once every on_operation has exited, so rewrite it on its way.
            raise self._rewrite(error, hide) from None
        result = self.execution_context.result
        if isinstance(result, GraphQLExecutionResult | ExecutionResult) and result.errors:
            result.errors = [self._rewrite(error, hide) for error in result.errors]

    def _rewrite(self, error: GraphQLError, hide_suggestions: bool) -> GraphQLError:
        original = error.original_error
        if isinstance(original, Invalid):
            return from_invalid(error)
        if original is not None and not isinstance(original, GraphQLError):
            return error  # unexpected: MaskErrors hides it
        if isinstance(error, GraphQLSyntaxError):
            tokens = _TOO_MANY_TOKENS.search(error.message)
            if tokens:
                error = _with_code(
                    error,
                    LimitCode.QUERY_TOO_LARGE,
                    f"The query has more than {tokens.group(1)} tokens (names, values and "
                    "punctuation): send a shorter query, or split it into several.",
                )
            else:
                error = _with_code(error, LimitCode.GRAPHQL_PARSE_FAILED)
        elif id(error) in self._validation_errors and not (error.extensions or {}).get("code"):
            error = _with_code(error, LimitCode.GRAPHQL_VALIDATION_FAILED)
        elif not (error.extensions or {}).get("code"):
            # What is left is the request's own mistake: a variable's value, an argument a
            # scalar refuses (errors Bocage raises carry their code).
            error = _with_code(error, LimitCode.BAD_USER_INPUT)
        if hide_suggestions and " Did you mean " in error.message:
            error = GraphQLError(
                _SUGGESTION.sub("", error.message),
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                original_error=error.original_error,
                extensions=error.extensions,
            )
        return error


def _operation(definitions: Any, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


def validation_rules(settings: Settings) -> list[type[ASTValidationRule]]:
    """The validation rules added to graphql-core's (introspection off in production)."""
    rules: list[type[ASTValidationRule]] = []
    if not settings.graphql_introspection_enabled:
        rules.append(
            coded_rule(
                NoSchemaIntrospectionCustomRule,
                LimitCode.INTROSPECTION_DISABLED,
                "the schema is published as openapi/schema.graphql in Bocage's repository.",
            )
        )
    return rules


def limit_extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """The limits' extension factories, for ``strawberry.Schema(extensions=...)``.

    Validation rules are made once here, not per request, so that the validation cache (keyed
    by the rule classes) keeps hitting. Order matters: the token limit stops the parser, then
    :class:`QueryLimits` measures, then :class:`Validation` validates what passed.
    """
    rules = validation_rules(settings)
    hide_suggestions = settings.environment == "production"
    measures = MeasureCache(settings.graphql_limits_cache_size)
    return [
        lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        lambda: AddValidationRules(rules),
        lambda: QueryLimits(settings, measures),
        # Front-ends send the same few documents again and again: validate each once (a
        # bounded LRU cache shared across requests).
        lambda: Validation(maxsize=256),
        lambda: LimitErrors(hide_suggestions=hide_suggestions),
    ]


# -- timeout -----------------------------------------------------------------------------------


async def run_with_timeout(
    operation: Awaitable[Any], seconds: float, on_timeout: Callable[[], None] | None = None
) -> Any:
    """The operation's result, or a ``TIMEOUT`` error result once ``seconds`` have passed.

    The operation is cancelled, and ``on_timeout`` called (the request's context stops its
    statements, which a cancelled resolver does not); the caller's ``finally`` still closes
    the database session.
    """
    try:
        async with asyncio.timeout(seconds):
            return await operation
    except TimeoutError:
        if on_timeout is not None:
            on_timeout()
        logger.warning("GraphQL operation cancelled after %s s", seconds)
        return ExecutionResult(
            data=None,
            errors=[
                GraphQLError(
                    f"The query took longer than {seconds:g} s and was stopped. Ask for fewer "
                    "items with `first`, or split the query into several.",
                    extensions={"code": str(LimitCode.TIMEOUT)},
                )
            ],
        )


# -- logging masked errors ---------------------------------------------------------------------


def log_unexpected_errors(errors: list[GraphQLError], execution_context: Any = None) -> None:
    """Log unexpected (masked) errors: type, path, operation and stack, not the message.

    An exception's message may quote the values it choked on (variables, database rows), so
    it is left out; the stack gives where, and the type what.
    """
    operation = getattr(execution_context, "operation_name", None) or "anonymous"
    for error in errors:
        original = error.original_error
        kind = type(original).__name__ if original is not None else "GraphQLError"
        path = ".".join(str(p) for p in error.path or ()) or "-"
        stack = ""
        if original is not None and original.__traceback__ is not None:
            frames = traceback.extract_tb(original.__traceback__)
            stack = "\nTraceback (most recent call last):\n" + "".join(frames.format())
        logger.error(
            "unexpected %s at %s in operation %s (message withheld: it may hold personal data)%s",
            kind,
            path,
            operation,
            stack,
        )
