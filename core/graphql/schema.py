"""Assembles the GraphQL schema from the core's and the plugins' contributions (served by
:mod:`bocage.core.graphql.view`)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import strawberry
from graphql import GraphQLError, GraphQLInterfaceType, GraphQLObjectType
from strawberry.exceptions import (
    DuplicatedTypeName,
)
from strawberry.extensions import MaskErrors, ParserCache
from strawberry.schema.config import StrawberryConfig

from bocage.core.domain.errors import Invalid
from bocage.core.errors import PluginError
from bocage.core.events import graphql_type_of
from bocage.core.graphql.compiler.execute import REGISTRY, CompilingExecutionContext
from bocage.core.graphql.compiler.spec import Registry
from bocage.core.graphql.limits import (
    fields_without_cost,
    limit_extensions,
    log_unexpected_errors,
)
from bocage.core.graphql.persisted import DOCUMENTS, DocumentStore, PersistedQueries
from bocage.core.graphql.places import SCALARS

if TYPE_CHECKING:
    from bocage.core.host import PluginHost

logger = logging.getLogger("bocage.graphql")

ROOTS = {
    "Query": "bocage_graphql_query",
    "Mutation": "bocage_graphql_mutation",
    "Subscription": "bocage_graphql_subscription",
}


def _merge_root(
    host: PluginHost, name: str, hook: str, owners: dict[str, str] | None = None
) -> type | None:
    """One root type whose fields are every contribution's, refusing duplicate field names
    (``owners``, filled here: each field's plugin)."""
    parts = host.contributions(hook)
    owners = {} if owners is None else owners
    for plugin, part in parts:
        definition = getattr(part, "__strawberry_definition__", None)
        if definition is None:
            raise PluginError(f"plugin {plugin!r}: {hook} returned {part!r}, not a strawberry type")
        for field in definition.fields:
            if field.name in owners:
                raise PluginError(
                    f"{name}.{field.name} is contributed by both {owners[field.name]!r} and "
                    f"{plugin!r}; rename the field in one of them"
                )
            owners[field.name] = plugin
    if not parts:
        return None
    bases = tuple(part for _, part in reversed(parts))
    return strawberry.type(type(name, bases, {}))


def _should_mask(error: GraphQLError) -> bool:
    """Mask unexpected exceptions; keep validation errors and our typed errors readable (the
    domain's ``Invalid`` too: ``LimitErrors`` gives it its code)."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError | Invalid)


class Schema(strawberry.Schema):
    """Logs unexpected errors only: a client's mistake is its answer, not a server incident.

    Their messages are not logged: they may quote personal values (see limits).
    """

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        unexpected = [e for e in errors if _should_mask(e)]
        if unexpected:
            log_unexpected_errors(unexpected, execution_context)


def build_schema(host: PluginHost) -> strawberry.Schema:
    """The schema of the core and every enabled plugin. Fails with a clear message on clashes."""
    owners: dict[str, dict[str, str]] = {name: {} for name in ROOTS}
    roots = {name: _merge_root(host, name, hook, owners[name]) for name, hook in ROOTS.items()}
    if roots["Query"] is None:  # pragma: no cover - the core always contributes queries
        raise PluginError("no query fields: the core plugin is missing")
    types = [t for _, t in host.contributions("bocage_graphql_types")]
    documents = DocumentStore(host.settings)
    try:
        schema = Schema(
            query=roots["Query"],
            mutation=roots["Mutation"],
            subscription=roots["Subscription"],
            types=types,
            extensions=[
                lambda: MaskErrors(should_mask_error=_should_mask),
                # Front-ends send the same few documents again and again: parse each once
                # (a bounded LRU cache shared across requests).
                lambda: ParserCache(maxsize=256),
                # Automatic persisted queries and trusted documents; before the limits (see
                # PersistedQueries).
                lambda: PersistedQueries(documents),
                # Tokens, depth, aliases, size, cost, introspection, then the validation;
                # after MaskErrors (see LimitErrors).
                *limit_extensions(host.settings),
            ],
            config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALARS),
            # Root fields of queries that the read compiler declares are answered in SQL.
            execution_context_class=CompilingExecutionContext,
        )
    except DuplicatedTypeName as error:
        first = getattr(error.first_cls, "__module__", "?")
        second = getattr(error.second_cls, "__module__", "?")
        raise PluginError(
            f"{error.message} (in {first} and {second}); GraphQL type names must be unique "
            "across plugins: prefix yours with the plugin's name"
        ) from None
    _check_row_type_names(schema)
    _check_costs(schema, host, owners)
    registry = Registry.of(
        [(plugin, part) for plugin, part in host.collect("bocage_compiled_reads") if part]
    )
    registry.max_statements = host.settings.graphql_compile_cache_size
    setattr(schema, REGISTRY, registry)
    setattr(schema, DOCUMENTS, documents)
    return schema


def _check_costs(
    schema: strawberry.Schema, host: PluginHost, root_owners: dict[str, dict[str, str]]
) -> None:
    """Every field that does work declares its cost (``cost(...)``), or the cost limit could
    not bound a query: the first one that does not stops startup, naming its plugin."""
    missing = fields_without_cost(schema._schema)
    if not missing:
        return
    type_name, field_name = missing[0].split(".", 1)
    owner = schema._schema.type_map[type_name]
    assert isinstance(owner, GraphQLObjectType | GraphQLInterfaceType)  # fields_without_cost's
    field = owner.fields[field_name]
    definition = (field.extensions or {}).get("strawberry-definition")
    python_name = getattr(definition, "python_name", field_name)
    plugin = root_owners.get(type_name, {}).get(python_name)
    if plugin is None:
        resolver = getattr(definition, "base_resolver", None)
        origin = getattr(resolver, "wrapped_func", None) or getattr(definition, "origin", None)
        plugin = _plugin_of(host, getattr(origin, "__module__", "") or "")
    also = f" (and {len(missing) - 1} more: {', '.join(missing[1:4])})" if missing[1:] else ""
    raise PluginError(
        f"plugin {plugin!r}: GraphQL field {missing[0]}{also} declares no cost: add "
        "metadata=cost(...) to its strawberry.field (docs/plugins.md, 'Query cost')"
    )


def _plugin_of(host: PluginHost, module: str) -> str:
    """The plugin whose package holds ``module`` (the module's name when none does)."""
    for info in host.plugins:
        package = info.module.rpartition(".")[0] or info.module
        if package and (module == package or module.startswith(package + ".")):
            return info.name
    return module or "?"


def _check_row_type_names(schema: strawberry.Schema) -> None:
    """Every type that shows a model's rows (a ``RowType`` with its ``model``) is the name the
    audit trail, the events and the change feed give those rows (``graphql_type_of``):
    otherwise ``auditTrail(object:)``, ``changes`` and ``node(id:)`` would disagree."""
    for name, graphql_type in schema._schema.type_map.items():
        definition = (getattr(graphql_type, "extensions", None) or {}).get("strawberry-definition")
        model = getattr(getattr(definition, "origin", None), "model", None)
        if model is None or not hasattr(model, "__mapper__"):
            continue
        if graphql_type_of(model) != name:
            raise PluginError(
                f"GraphQL type {name} shows rows of the model {model.__module__}."
                f"{model.__name__}, which the audit trail and the events name "
                f"{graphql_type_of(model)!r}: set __graphql_type__ = {name!r} on the model"
            )
