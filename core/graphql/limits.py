"""Protective limits on GraphQL, as schema extensions driven by settings.

- depth, aliases and tokens: strawberry's limiters, their errors given a code and advice;
- cost: every field declares what it costs (``metadata=cost(...)``); a query's cost is computed
  from its document and variables before execution, and refused above
  ``BOCAGE_GRAPHQL_MAX_COST``;
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
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import (
    ExecutionResult as GraphQLExecutionResult,
)
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSyntaxError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    value_from_ast,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import ExecutionResult

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
    INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"
    TIMEOUT = "TIMEOUT"


# -- field costs -------------------------------------------------------------------------------

COST_KEY = "bocage.cost"
"""Key of a field's cost in its strawberry ``metadata``."""

DEFAULT_LIST_ITEMS = 10
"""How many items a list without ``first`` (and without a declared estimate) is counted for."""

INTROSPECTION_COST = 10
"""What ``__schema``/``__type`` cost, whatever their selection (no database work)."""


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
    if getattr(definition, "base_resolver", None) is None:
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


Enclosing = tuple[FieldNode, GraphQLField] | None


class QueryCost:
    """Computes the cost of an operation from its document and its variables.

    A field costs its declared value plus, for each item it returns, the cost of its
    selection. A list's items: the argument its ``items`` names (``first`` by default when the
    field has one), looked up on the field or else on the field it is reached through (so a
    connection's ``edges`` count its ``first``); else its ``items`` estimate; else
    :data:`DEFAULT_LIST_ITEMS`.
    """

    def __init__(self, schema: GraphQLSchema, settings: Settings) -> None:
        self.schema = schema
        self.default_page = settings.page_size_default
        self.max_page = settings.page_size_max

    def of(
        self,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any] | None,
    ) -> int:
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return 0
        self.fragments = fragments
        self.variables = dict(variables or {})
        return self._selection(operation.selection_set, root, None, frozenset())

    def _selection(
        self,
        selection_set: SelectionSetNode | None,
        parent: Any,
        enclosing: Enclosing,
        seen: frozenset[str],
    ) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent, enclosing, seen)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self._selection(selection.selection_set, target, enclosing, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:  # validation reports both
                    continue
                target = self.schema.get_type(fragment.type_condition.name.value)
                total += self._selection(fragment.selection_set, target, enclosing, seen | {name})
        return total

    def _field(
        self, node: FieldNode, parent: Any, enclosing: Enclosing, seen: frozenset[str]
    ) -> int:
        name = node.name.value
        if name == "__typename":
            return 0
        if name in ("__schema", "__type"):
            return INTROSPECTION_COST
        field = getattr(parent, "fields", {}).get(name)
        if field is None:  # unknown field: validation reports it
            return 0
        declared = declared_cost(field) or Cost(1)
        children = self._selection(
            node.selection_set, get_named_type(field.type), (node, field), seen
        )
        return declared.value + self._items(node, field, declared, enclosing) * children

    def _items(
        self, node: FieldNode, field: GraphQLField, declared: Cost, enclosing: Enclosing
    ) -> int:
        if not isinstance(get_nullable_type(field.type), GraphQLList):
            return 1
        items = declared.items
        if items is None and "first" in field.args:
            items = "first"
        if isinstance(items, int):
            return items
        if isinstance(items, str):
            if items in field.args:
                value = self._argument(node, field, items)
            elif enclosing is not None and items in enclosing[1].args:
                value = self._argument(*enclosing, items)
            else:
                value = None
            if items == "first":
                if not isinstance(value, int):
                    return self.default_page
                return min(max(value, 0), self.max_page)  # out of range: the resolver says so
            if isinstance(value, int):
                return max(value, 0)
            if isinstance(value, list):
                return len(value)
        return DEFAULT_LIST_ITEMS

    def _argument(self, node: FieldNode, field: GraphQLField, name: str) -> Any:
        argument = next((a for a in node.arguments or () if a.name.value == name), None)
        definition = field.args.get(name)
        if argument is None or definition is None:
            return None
        try:
            return value_from_ast(argument.value, definition.type, self.variables)
        except Exception:  # an invalid value: validation or execution reports it
            return None


def too_costly(total: int, limit: int) -> GraphQLError:
    return GraphQLError(
        f"This query costs {total}, more than the limit of {limit}. Ask for fewer items with "
        "`first`, nest fewer lists, or split the query into several.",
        extensions={"code": str(LimitCode.QUERY_TOO_COSTLY), "cost": total, "maxCost": limit},
    )


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


class CostLimit(SchemaExtension):
    """Refuses an operation whose cost (see :class:`QueryCost`) exceeds the limit."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.limit = settings.graphql_max_cost

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and not context.result:
            operation = _operation(document.definitions, context.operation_name)
            if operation is not None:
                fragments = {
                    d.name.value: d
                    for d in document.definitions
                    if isinstance(d, FragmentDefinitionNode)
                }
                calculator = QueryCost(context.schema._schema, self.settings)
                total = calculator.of(operation, fragments, context.variables)
                if total > self.limit:
                    # A result set before execution replaces it (strawberry skips execute).
                    context.result = GraphQLExecutionResult(
                        data=None, errors=[too_costly(total, self.limit)]
                    )
        yield


def _operation(definitions: Any, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


def limit_extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """The limits' extension factories, for ``strawberry.Schema(extensions=...)``.

    Validation rules are made once here, not per request, so that ``ValidationCache`` (keyed
    by the rule classes) keeps hitting.
    """
    rules: list[type[ValidationRule]] = [
        coded_rule(
            QueryDepthLimiter(max_depth=settings.graphql_max_depth).validation_rules[0],
            LimitCode.QUERY_TOO_DEEP,
            "nest fewer fields, or split the query into several.",
        ),
        coded_rule(
            MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases).validation_rules[0],
            LimitCode.TOO_MANY_ALIASES,
            "use fewer aliases, or split the query into several.",
        ),
    ]
    if not settings.graphql_introspection_enabled:
        rules.append(
            coded_rule(
                NoSchemaIntrospectionCustomRule,
                LimitCode.INTROSPECTION_DISABLED,
                "the schema is published as openapi/schema.graphql in Bocage's repository.",
            )
        )
    hide_suggestions = settings.environment == "production"
    return [
        lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
        lambda: AddValidationRules(rules),
        lambda: CostLimit(settings),
        lambda: LimitErrors(hide_suggestions=hide_suggestions),
    ]


# -- timeout -----------------------------------------------------------------------------------


async def run_with_timeout(operation: Awaitable[Any], seconds: float) -> Any:
    """The operation's result, or a ``TIMEOUT`` error result once ``seconds`` have passed.

    The operation is cancelled; the caller's ``finally`` still closes the database session.
    """
    try:
        async with asyncio.timeout(seconds):
            return await operation
    except TimeoutError:
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
