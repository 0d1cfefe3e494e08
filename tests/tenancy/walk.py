"""Reading the whole API as one principal: a document for every root Query field (from the
schema's introspection), its objects' ids and every leaf field one level down, and what they
reveal; the GALs' objects told apart by the markers their texts carry."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    build_client_schema,
    get_introspection_query,
    get_named_type,
    is_leaf_type,
    is_required_argument,
)

from .conftest import MARKERS, Installation

#: Levels of objects selected under a root field: its objects, and the objects they link to.
LEVELS = 2


async def introspect(inst: Installation) -> GraphQLSchema:
    body = await inst.body(get_introspection_query(), None, "operator")
    assert not body.get("errors"), body
    return build_client_schema(body["data"])


def _required(gql_field: GraphQLField) -> bool:
    return any(is_required_argument(arg) for arg in gql_field.args.values())


def needs_arguments(gql_field: GraphQLField) -> bool:
    return _required(gql_field)


#: Value types that are part of the object holding them (its texts in each language).
VALUES = frozenset({"Translations"})


def _transparent(type_name: str) -> bool:
    """Wrappers and values that are no level of objects: connections, edges, translations."""
    return type_name.endswith(("Connection", "Edge")) or type_name in VALUES


def selection(schema: GraphQLSchema, type_: Any, level: int, levels: int = LEVELS) -> str:
    """The fields to select on ``type_`` entered at ``level`` (objects already entered):
    every leaf, and the objects below while they are at most :data:`LEVELS` deep."""
    named = get_named_type(type_)
    if is_leaf_type(named):
        return ""
    if isinstance(named, (GraphQLInterfaceType, GraphQLUnionType)):
        parts = ["__typename"]
        for possible in schema.get_possible_types(named):
            if inner := selection(schema, possible, level, levels):
                parts.append(f"... on {possible.name} {{ {inner} }}")
        return " ".join(parts)
    assert isinstance(named, GraphQLObjectType)
    here = level if _transparent(named.name) else level + 1
    if here > levels:
        return ""
    parts = ["__typename"]
    for name, child in named.fields.items():
        if _required(child) or (name == "edges" and "nodes" in named.fields):
            continue  # a connection's nodes are its edges' nodes
        if get_named_type(child.type).name in VALUES:
            continue  # the texts in every language: the walk reads them in French
        # Aliased by type: fragments on several types may select fields of one name and
        # different types (``record`` reads the field's name back).
        alias = f"{named.name}__{name}: {name}"
        if is_leaf_type(get_named_type(child.type)):
            parts.append(alias)
        elif inner := selection(schema, child.type, here, levels):
            parts.append(f"{alias} {{ {inner} }}")
    return " ".join(parts)


def document(
    schema: GraphQLSchema, calls: list[tuple[str, dict[str, Any]]], levels: int = LEVELS
) -> tuple[str, dict[str, Any]]:
    """One document making every call (root field, arguments), aliased ``c<i>``."""
    signature, fields, variables = [], [], {}
    for index, (root, arguments) in enumerate(calls):
        gql_field = schema.query_type.fields[root]
        call = []
        for name, value in arguments.items():
            variable = f"v{index}_{name}"
            variables[variable] = value
            signature.append(f"${variable}: {gql_field.args[name].type}")
            call.append(f"{name}: ${variable}")
        inner = selection(schema, gql_field.type, 0, levels)
        head = f"c{index}: {root}" + (f"({', '.join(call)})" if call else "")
        fields.append(f"{head} {{ {inner} }}" if inner else head)
    head = f"query Walk({', '.join(signature)})" if signature else "query Walk"
    return f"{head} {{ {' '.join(fields)} }}", variables


@dataclass
class Seen:
    """What one principal read."""

    #: "Type:id" of every object with an id.
    ids: set[str] = field(default_factory=set)
    #: (root field, type, leaf field, value) of every string leaf.
    facts: set[tuple[str, str, str, str]] = field(default_factory=set)
    #: "Type:id" -> the markers found in the object's own leaves.
    owners: dict[str, set[str]] = field(default_factory=dict)
    #: Where each id was met (for the failure message).
    where: dict[str, str] = field(default_factory=dict)

    def update(self, other: Seen) -> None:
        self.ids |= other.ids
        self.facts |= other.facts
        for key, found in other.owners.items():
            self.owners.setdefault(key, set()).update(found)
        for key, place in other.where.items():
            self.where.setdefault(key, place)


def owner_of(text: str) -> set[str]:
    lowered = text.lower()
    return {name for name, marker in MARKERS.items() if marker in lowered}


def _named(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` with its fields by name (not by the aliases ``selection`` gives them)."""
    return {key.split("__", 1)[1] if "__" in key[1:] else key: value for key, value in obj.items()}


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for child in value:
            yield from _leaves(child)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield str(value)


def _nested(value: Any) -> bool:
    return isinstance(value, dict) or (
        isinstance(value, list) and any(isinstance(item, dict) for item in value)
    )


def _own_texts(obj: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(field, text) of ``obj``'s leaves, its translations' included."""
    for name, value in obj.items():
        if name == "__typename":
            continue
        if isinstance(value, dict) and value.get("__typename") in VALUES:
            for text in _leaves([v for k, v in _named(value).items() if k != "__typename"]):
                yield name, text
        elif not _nested(value):
            for text in _leaves(value):
                yield name, text


def record(root: str, data: Any, inherited: set[str] = frozenset()) -> Seen:  # type: ignore[assignment]
    """What ``data`` (the answer to ``root``) reveals. An object whose own texts name no GAL
    belongs to the GAL of the object it was read through (``inherited`` at the root: the GAL
    of the objects the call named)."""
    seen = Seen()

    def visit(value: Any, owners: set[str]) -> None:
        if isinstance(value, list):
            for item in value:
                visit(item, owners)
            return
        if not isinstance(value, dict):
            return
        if "__typename" not in value or value["__typename"] in VALUES:
            for child in value.values():
                visit(child, owners)
            return
        obj = _named(value)
        type_name = obj["__typename"]
        own: set[str] = set()
        for name, text in _own_texts(obj):
            seen.facts.add((root, type_name, name, text))
            own |= owner_of(text)
        owners = own or owners
        if isinstance(obj.get("id"), str):
            key = f"{type_name}:{obj['id']}"
            seen.ids.add(key)
            seen.owners.setdefault(key, set()).update(owners)
            seen.where.setdefault(key, root)
        for child in obj.values():
            if _nested(child):
                visit(child, owners)

    visit(data, set(inherited))
    return seen


def named_by(inst: Installation, arguments: dict[str, Any]) -> set[str]:
    """The GAL whose objects the arguments name, when they name one GAL's only."""
    values = [
        v for value in arguments.values() for v in (value if isinstance(value, list) else [value])
    ]
    found: set[str] = set()
    for value in values:
        for gal in inst.gals.values():
            known = {str(v) for v in gal.ids.values()} | set(gal.nis) | {gal.slug}
            if str(value) in known or gal.marker in str(value):
                found.add(gal.name)
    return found if len(found) == 1 else set()


#: Answers that say the walk itself is wrong, or the server failed.
BROKEN = {
    "GRAPHQL_VALIDATION_FAILED",
    "GRAPHQL_PARSE_FAILED",
    "QUERY_TOO_COMPLEX",
    "INTERNAL_SERVER_ERROR",
}


async def read(
    inst: Installation,
    schema: GraphQLSchema,
    who: str,
    calls: list[tuple[str, dict]],
    levels: int = LEVELS,
) -> tuple[Seen, list[str]]:
    """Every call (root field, arguments) as ``who``; what it read, and the documents the
    server refused as malformed (a walk that cannot be sent proves nothing) or failed on.

    Each call is a document of its own: an error in a non-null root field takes the whole
    answer with it (a refusal, as often as not), and a refusal in one call must not hide
    another's answer."""
    seen, broken = Seen(), []
    for call in calls:
        text, variables = document(schema, [call], levels)
        body = await inst.body(text, variables, who)
        for error in body.get("errors") or []:
            code = (error.get("extensions") or {}).get("code")
            if code in BROKEN:
                broken.append(f"{call[0]}: {code} {error.get('message')} at {error.get('path')}")
        seen.update(record(call[0], (body.get("data") or {}).get("c0"), named_by(inst, call[1])))
    return seen, broken


Calls = Callable[[Installation, str], list[dict[str, Any]]]
