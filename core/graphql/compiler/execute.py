"""Where compiled reads meet graphql-core: an executor that answers a query's root fields with
the JSON their one SQL statement builds, spliced into the response as it is.

A root field of a query is compiled when the request allows it (``Context.compile_reads``: the
HTTP view sets it from ``BOCAGE_GRAPHQL_COMPILE``), the field is declared in the registry and
everything under it is; then its value is an :class:`orjson.Fragment` (the JSON text the
database returned), which graphql-core places in ``data`` without walking it and orjson writes
out as it is. Otherwise, or when an argument needs the resolver's error, the resolver path
answers that root field as before.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any

import orjson
from graphql import GraphQLError, GraphQLObjectType, OperationType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from bocage.core.graphql import settling
from bocage.core.graphql.compiler.build import (
    LESS_NESTED,
    Build,
    Fallback,
    NotCompilable,
    Selection,
)

if TYPE_CHECKING:
    from bocage.core.graphql.compiler.spec import Registry

logger = logging.getLogger("bocage.graphql.compiler")

settling.install()

#: Attribute of the strawberry schema holding its :class:`Registry`.
REGISTRY = "bocage_read_registry"

MISSING = object()


class CompiledReadMismatch(GraphQLError):
    """``BOCAGE_GRAPHQL_COMPILE_CHECK`` found the two paths answering differently."""


def compiled_fragment(text: str | None, *, normalise: bool) -> orjson.Fragment:
    """The database's JSON text as a fragment of the response. PostgreSQL writes
    ``{"a" : 1, "b" : 2}``: ``normalise`` rewrites it as orjson would (``{"a":1,"b":2}``), so
    that both paths give the same bytes."""
    if text is None:
        return orjson.Fragment(b"null")
    if normalise:
        return orjson.Fragment(orjson.dumps(orjson.loads(text)))
    return orjson.Fragment(text.encode())


@dataclasses.dataclass
class CompiledRoots:
    """What one execution learnt of its root fields, for the fast path (``fast_path.py``):
    the statement that answered each response key, and whether every root field was so
    answered (none by a resolver, none after a failed statement)."""

    statements: dict[str, Any] = dataclasses.field(default_factory=dict)
    complete: bool = True


class CompilingExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """strawberry's executor, answering compilable root fields of queries in SQL."""

    def execute_field(  # type: ignore[override]
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Any,
        *args: Any,
    ) -> Any:
        if path.prev is None:
            if self._compiling(parent_type):
                statement = self._compile(parent_type, field_details_list)
                if statement is not None:
                    return self._run(
                        statement, parent_type, source, field_details_list, path, *args
                    )
            roots = getattr(self.context_value, "compiled_roots", None)
            if roots is not None:
                roots.complete = False  # a root field the resolvers answer
        return super().execute_field(parent_type, source, field_details_list, path, *args)

    def settle_in_background(self, awaitables: list[Any]) -> None:
        """graphql-core settles the resolvers left running when an error ends their parent
        early; the request's context waits for them before it closes its session."""
        super().settle_in_background(awaitables)
        settle = getattr(self.context_value, "settle", None)
        if settle is not None:
            settle(self.background_futures)

    def _compiling(self, parent_type: GraphQLObjectType) -> bool:
        return (
            getattr(self.context_value, "compile_reads", False)
            and self.operation.operation is OperationType.QUERY
            and parent_type is self.schema.query_type
        )

    def _compile(self, parent_type: GraphQLObjectType, field_details_list: Any) -> Any:
        strawberry_schema = self.schema._strawberry_schema  # type: ignore[attr-defined]
        registry: Registry | None = getattr(strawberry_schema, REGISTRY, None)
        nodes = [details.node for details in field_details_list]
        name = nodes[0].name.value
        if registry is None or name not in registry.roots:
            return None
        key = self._cache_key(nodes)
        cached = registry.statements.get(key, MISSING)
        if cached is not MISSING:
            registry.statements.move_to_end(key)
            return cached
        try:
            statement = self._build(registry, strawberry_schema, parent_type, nodes, name)
        except Exception:
            # Unexpected: the resolver path meets it again, and reports it as it should.
            logger.debug("compiling %s failed: answered by resolvers", name, exc_info=True)
            return None
        self._remember(registry, key, statement)
        return statement

    def _remember(self, registry: Registry, key: tuple[Any, ...], statement: Any) -> None:
        registry.statements[key] = statement
        while len(registry.statements) > registry.max_statements:
            registry.statements.popitem(last=False)

    def _cache_key(self, nodes: list[Any]) -> tuple[Any, ...]:
        """What the statement depends on: the document, the operation and the field's
        response key, the variables' values, the language, the dialect and the caller (a
        declaration may read the principal: its rows are never served to another caller;
        anonymous callers, who send most reads, share one)."""
        context = self.context_value
        document = nodes[0].loc.source.body if nodes[0].loc else id(self.operation)
        operation = self.operation.name.value if self.operation.name else None
        response_key = nodes[0].alias.value if nodes[0].alias else nodes[0].name.value
        try:
            values = orjson.dumps(
                self.variable_values.coerced, option=orjson.OPT_SORT_KEYS, default=repr
            )
        except TypeError:  # keys that are not strings: never cached twice the same way
            values = repr(id(self)).encode()
        return (
            document,
            operation,
            response_key,
            values,
            context.language,
            context.dialect,
            context.principal,
        )

    def _build(
        self,
        registry: Registry,
        strawberry_schema: Any,
        parent_type: GraphQLObjectType,
        nodes: list[Any],
        name: str,
        **options: Any,
    ) -> Any:
        def build(**more: Any) -> Build:
            return Build(
                registry=registry,
                schema=strawberry_schema,
                context=self.context_value,
                fragments=self.fragment_definitions,
                variable_values=self.variable_values,
                **{**options, **more},
            )

        definition = parent_type.fields[name]
        key = nodes[0].alias.value if nodes[0].alias else name
        try:
            builder = build()
            arguments = builder.arguments(definition, nodes[0])
            selection = Selection(key, name, nodes, arguments, definition)
            statement = builder.root(registry.roots[name], selection)
            if builder.json.pg:
                return statement
            # SQLite: fewer correlated levels while its parser refuses the nesting.
            for depth in LESS_NESTED:
                if depth >= builder.correlated_depth or builder.parses(statement):
                    break
                builder = build(correlated_depth=depth)
                statement = builder.root(registry.roots[name], selection)
            return statement
        except (NotCompilable, Fallback) as reason:
            logger.debug("root field %s answered by resolvers: %s", name, reason)
            return None

    async def _run(self, statement: Any, *field: Any) -> Any:
        context = self.context_value
        try:
            try:
                result = await context.execute(statement)
            except Exception as error:
                statement, result = await self._less_nested(error, field)
                self._remember(self._registry(), self._cache_key(_nodes(field)), statement)
            text = result.scalar_one()
        except Exception as error:
            # A statement the database refuses (SQLite's parser caps the nesting of
            # subqueries): the resolvers answer, on a fresh session. Logged without the
            # message, which quotes the statement's parameters.
            logger.warning(
                "compiled read of %s failed (%s): answered by resolvers",
                field[2][0].node.name.value,
                type(error).__name__,
            )
            logger.debug("compiled read failed", exc_info=True)
            self._remember(self._registry(), self._cache_key(_nodes(field)), None)
            await self.context_value.forget_loaded()
            if context.compiled_roots is not None:
                context.compiled_roots.complete = False
            return await self._resolve(*field)
        fragment = compiled_fragment(text, normalise=context.dialect == "postgresql")
        if context.settings.graphql_compile_check:
            await self._check(fragment, field)
        if context.compiled_roots is not None:
            context.compiled_roots.statements[field[3].key] = statement
        return fragment

    def _registry(self) -> Registry:
        return getattr(self.schema._strawberry_schema, REGISTRY)  # type: ignore[attr-defined,no-any-return]

    async def _less_nested(self, error: Exception, field: tuple[Any, ...]) -> Any:
        """SQLite's parser refused the statement as too nested: the statement built with
        correlated subqueries on fewer levels (``LESS_NESTED``, aggregate windows below
        them, which nest less) and its result, from the first the parser accepts; ``error``
        again for another error."""
        context = self.context_value
        nodes = _nodes(field)
        name = nodes[0].name.value
        for depth in LESS_NESTED:
            if "parser stack overflow" not in str(error) or context.dialect != "sqlite":
                raise error
            try:
                statement = self._build(
                    self._registry(),
                    self.schema._strawberry_schema,  # type: ignore[attr-defined]
                    field[0],
                    nodes,
                    name,
                    correlated_depth=depth,
                )
            except Exception:
                logger.debug("compiling %s again failed", name, exc_info=True)
                raise error from None
            if statement is None:
                raise error
            await context.forget_loaded()
            try:
                return statement, await context.execute(statement)
            except Exception as again:
                error = again
        raise error

    async def _resolve(self, *field: Any) -> Any:
        completed = super().execute_field(*field)
        return await completed if self.is_awaitable(completed) else completed

    async def _check(self, fragment: orjson.Fragment, field: tuple[Any, ...]) -> None:
        """``BOCAGE_GRAPHQL_COMPILE_CHECK``: the resolvers answer too, and the two answers
        must be the same bytes (the test suite runs so)."""
        compiled = orjson.dumps([fragment])[1:-1]
        resolved = orjson.dumps(await self._resolve(*field))
        if compiled != resolved:
            name = field[2][0].node.name.value
            logger.error(
                "compiled read of %s differs from the resolvers'\ncompiled: %s\nresolved: %s",
                name,
                compiled[:2000],
                resolved[:2000],
            )
            raise CompiledReadMismatch(
                f"the compiled read of {name} differs from the resolvers' answer",
                extensions={"code": "COMPILED_READ_MISMATCH"},
            )


def _nodes(field: tuple[Any, ...]) -> list[Any]:
    """The field nodes of a root field's ``execute_field`` arguments."""
    return [details.node for details in field[2]]
